"""Self-supervised algorithms, one per file: Dual-SimCLR, SoftCon, PerA, MP-MAE."""
from .base import BaseEOSelfSupervisor
from .dual_simclr import DualSimCLR
from .mpmae import MPMAE
from .pera import PerA
from .softcon import SoftCon

__all__ = ['BaseEOSelfSupervisor', 'DualSimCLR', 'MPMAE', 'PerA', 'SoftCon']
