from .projection_mlp import ProjectionMLP
from .fcmae_decoder import FCMAEDecoder

__all__ = ['ProjectionMLP', 'FCMAEDecoder']
