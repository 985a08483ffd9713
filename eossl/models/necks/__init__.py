"""Necks: projection MLPs and the FCMAE decoder."""
from .fcmae_decoder import FCMAEDecoder
from .projection_mlp import ProjectionMLP

__all__ = ['ProjectionMLP', 'FCMAEDecoder']
