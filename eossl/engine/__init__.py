"""Engine parts: hooks, the FSDP wrap policy, the command-line rules of the tools and the
OpenBLAS thread limit of the training commands."""
# documented in README (Python API) as eossl.engine's; its home is eossl.checkpoints
from eossl.checkpoints.resumable_hook import ResumableCheckpointHook

from . import fsdp, hooks  # noqa: F401  (importing registers the hooks and the wrap policy)
from .blas_threads import limit_openblas_threads
from .cli import adapt_to_device, build_runner, merge_cli_args
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
    'adapt_to_device', 'autocast_dtype', 'build_runner', 'enable_tf32', 'full_params',
    'limit_openblas_threads', 'merge_cli_args',
    'transformer_block_wrap_policy',
]
