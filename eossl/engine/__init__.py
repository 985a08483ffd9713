"""Engine parts: hooks, the FSDP wrap policy, optimizer wrappers, mixed precision and the
``--preset`` recipes (the command-line launch helpers are in :mod:`eossl.cli.launch`)."""
# documented in README (Python API) as eossl.engine's; its home is eossl.checkpoints
from eossl.checkpoints.resumable_hook import ResumableCheckpointHook

from . import fsdp, hooks  # noqa: F401  (importing registers the hooks and the wrap policy)
from .fsdp import full_params, transformer_block_wrap_policy
from .hooks import (
    BandCheckHook,
    BandMismatchError,
    DataStateHook,
    EpochProgressHook,
    InputContractHook,
    KNNEvaluationHook,
    NonFiniteLossError,
    NonFiniteLossHook,
    NumClassesCheckHook,
    PredictionFigureHook,
    RepresentationCollapseError,
    RepresentationMonitorHook,
    TeacherEMAHook,
    TeacherTempWarmupHook,
    WeightDecayLoggerHook,
    WidthCheckHook,
    WidthMismatchError,
)
from .merged_groups_constructor import MergedGroupsOptimWrapperConstructor
from .optim_wrapper import EOOptimWrapper
from .precision import autocast_dtype, enable_tf32

__all__ = [
    'BandCheckHook', 'BandMismatchError', 'DataStateHook',
    'EOOptimWrapper', 'EpochProgressHook', 'InputContractHook',
    'KNNEvaluationHook', 'WidthCheckHook', 'WidthMismatchError',
    'MergedGroupsOptimWrapperConstructor', 'NonFiniteLossError',
    'NonFiniteLossHook', 'NumClassesCheckHook', 'PredictionFigureHook',
    'RepresentationCollapseError', 'RepresentationMonitorHook', 'ResumableCheckpointHook',
    'TeacherEMAHook', 'TeacherTempWarmupHook', 'WeightDecayLoggerHook',
    'autocast_dtype', 'enable_tf32', 'full_params', 'transformer_block_wrap_policy',
]
