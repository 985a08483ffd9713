from . import transforms  # noqa: F401
from .errors import InvalidSampleError
__all__ = ['InvalidSampleError']
