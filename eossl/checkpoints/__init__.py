"""Everything about eossl's checkpoints, in one package: how they are loaded safely, verified,
recognised by layout, resumed from, and turned into backbone weights.

- :mod:`.safe_load`: mmengine checkpoints load under torch's ``weights_only=True`` (an exact
  allowlist of what mmengine pickles); anything else is refused with
  :class:`UnsafeCheckpointError`. :func:`safe_torch_load` is eossl's only ``torch.load`` call.
- :mod:`.integrity`: sha256 records written with each checkpoint and verified on every load
  (:class:`CorruptCheckpointError`); the newest intact checkpoint for ``--resume auto``.
- :mod:`.resumable_hook` and :mod:`.random_states`: :class:`ResumableCheckpointHook` writes
  checkpoints atomically with their integrity record and every random generator's state, so a
  killed run resumes exactly.
- :mod:`.layout` (:class:`CheckpointLayoutHook`): refuses a ``load_from`` / resume checkpoint in
  another codebase's key layout; :mod:`.softcon_layout`: the official SoftCon layout ↔ eossl's.
- :mod:`.backbone_extraction`: a pretraining checkpoint → its backbone's weights (downstream).
- :mod:`.pretrained_check` (:class:`PretrainedCheckHook`): a ``Pretrained`` init checkpoint must
  fit the module it initialises.

``import eossl`` calls :func:`install_checkpoint_safety` once.
"""
from .backbone_extraction import extract_backbone, first_layer, strip_prefix
from .integrity import CorruptCheckpointError, auto_resume_checkpoint, verify_checkpoint
from .layout import CheckpointLayoutHook, ForeignCheckpointError, identify_layout
from .pretrained_check import PretrainedMismatchError, check_pretrained, pretrained_inits
from .pretrained_check_hook import PretrainedCheckHook
from .resumable_hook import ResumableCheckpointHook
from .safe_load import UnsafeCheckpointError, install_checkpoint_safety, safe_torch_load
from .softcon_layout import eossl_to_softcon, softcon_to_eossl

__all__ = [
    'CorruptCheckpointError', 'auto_resume_checkpoint', 'verify_checkpoint',
    'UnsafeCheckpointError', 'install_checkpoint_safety', 'safe_torch_load',
    'extract_backbone', 'first_layer', 'strip_prefix', 'eossl_to_softcon', 'softcon_to_eossl',
    'PretrainedMismatchError', 'check_pretrained', 'pretrained_inits',
    'CheckpointLayoutHook', 'ForeignCheckpointError', 'identify_layout', 'PretrainedCheckHook',
    'ResumableCheckpointHook',
]
