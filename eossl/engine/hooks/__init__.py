"""Training hooks: teacher schedules (PerA), reliability (non-finite loss), data position for
resume, and downstream pre-flight checks. The checkpoint hooks live in :mod:`eossl.checkpoints`."""
from .band_check_hook import BandCheckHook, BandMismatchError
from .data_state_hook import DataStateHook
from .input_contract_hook import InputContractHook
from .knn_evaluation_hook import KNNEvaluationHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .num_classes_check_hook import NumClassesCheckHook
from .prediction_figure_hook import PredictionFigureHook
from .progress_hook import EpochProgressHook
from .representation_monitor_hook import RepresentationCollapseError, RepresentationMonitorHook
from .teacher_ema_hook import TeacherEMAHook
from .teacher_temp_hook import TeacherTempWarmupHook
from .weight_decay_hook import WeightDecayLoggerHook
from .width_check_hook import WidthCheckHook, WidthMismatchError

__all__ = ['BandCheckHook', 'BandMismatchError', 'DataStateHook', 'EpochProgressHook',
           'InputContractHook', 'KNNEvaluationHook', 'NonFiniteLossError', 'NonFiniteLossHook',
           'NumClassesCheckHook', 'PredictionFigureHook', 'RepresentationCollapseError',
           'RepresentationMonitorHook', 'TeacherEMAHook', 'TeacherTempWarmupHook',
           'WeightDecayLoggerHook', 'WidthCheckHook', 'WidthMismatchError']
