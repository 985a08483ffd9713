from . import hooks  # noqa: F401
from .hooks import TeacherEMAHook, TeacherTempWarmupHook, WeightDecayCosineHook

__all__ = ['TeacherEMAHook', 'TeacherTempWarmupHook', 'WeightDecayCosineHook']
