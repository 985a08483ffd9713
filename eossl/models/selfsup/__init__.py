from .base import BaseEOSelfSupervisor
__all__ = ['BaseEOSelfSupervisor']
