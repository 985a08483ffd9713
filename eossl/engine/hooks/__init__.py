from .teacher_ema_hook import TeacherEMAHook
from .teacher_temp_hook import TeacherTempWarmupHook
from .weight_decay_hook import WeightDecayCosineHook

__all__ = ['TeacherEMAHook', 'TeacherTempWarmupHook', 'WeightDecayCosineHook']
