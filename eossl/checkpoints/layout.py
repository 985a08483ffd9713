"""Refuse a ``load_from`` / resume checkpoint whose keys belong to another codebase's layout."""
import re
from collections.abc import Collection, Mapping

from mmengine.hooks import Hook

from eossl.engine.hooks.schedule import unwrap
from eossl.registry import HOOKS

from .softcon_layout import RESNET_REQUIRED, VIT_REQUIRED

CONVERTERS = 'eossl-softcon-to-eossl, eossl-mmearth-to-eossl'
SOFTCON_ADVICE = ('convert it once with `eossl-softcon-to-eossl SRC DST '
                  '--prefix backbone.` and load DST, or load it into the backbone alone with '
                  "model.backbone.init_cfg=dict(type='Pretrained', checkpoint=SRC)")
MMEARTH_ADVICE = ('convert it once with `eossl-mmearth-to-eossl SRC DST` and '
                  'load DST')
CHUNKED_BLOCKS = re.compile(r'^blocks\.\d+\.\d+\.')
# inserted into parameter names by torch's FSDP and activation-checkpoint wrappers
WRAPPER_PARTS = re.compile(r'(_fsdp_wrapped_module|_checkpoint_wrapped_module)\.')


class ForeignCheckpointError(ValueError):
    """A checkpoint shares no parameter name with the model: it is in a foreign key layout."""


def model_state_keys(checkpoint: Mapping) -> set[str]:
    """Parameter names of a loaded checkpoint, as mmengine's Runner will match them (a
    ``state_dict`` entry or the mapping itself, ``module.`` prefixes removed)."""
    state = checkpoint.get('state_dict', checkpoint)
    return {re.sub(r'^module\.', '', k) for k in state} if isinstance(state, Mapping) else set()


def model_keys_of(model) -> set[str] | None:
    """Parameter and buffer names of ``model`` as its checkpoints name them; None when FSDP
    flattened the parameters (``use_orig_params=False``), whose names say nothing.

    Read from ``named_parameters``/``named_buffers`` rather than ``state_dict()``: under FSDP,
    ``state_dict()`` of the unwrapped model runs the all-gather hooks of the nested FSDP units,
    which then claim to be roots and break the strategy's own checkpoint loading.
    """
    names = [n for n, _ in model.named_parameters()] + [n for n, _ in model.named_buffers()]
    if any(n.endswith('flat_param') for n in names):
        return None
    return {WRAPPER_PARTS.sub('', n) for n in names}


def identify_layout(keys: Collection[str], model_keys: Collection[str]) -> tuple[str, str]:
    """``(what the checkpoint looks like, what to do)`` for keys that match no model key."""
    if any(k.startswith('encoder.') for k in keys) and \
            any(k.startswith(('pred_dict.', 'decoder_dict.')) for k in keys):
        return 'an official MMEarth (MP-MAE) checkpoint', MMEARTH_ADVICE
    if all(k in keys for k in VIT_REQUIRED) or any(CHUNKED_BLOCKS.match(k) for k in keys):
        return 'a bare DINOv2-style ViT backbone (official SoftCon / DINOv2)', SOFTCON_ADVICE
    if all(k in keys for k in RESNET_REQUIRED):
        return 'a bare torchvision-style ResNet backbone (official SoftCon)', SOFTCON_ADVICE
    prefixes = sorted({k.split('.', 1)[0] + '.' for k in model_keys if '.' in k})
    for prefix in prefixes:
        if sum(prefix + k in model_keys for k in keys) >= len(keys) / 2:
            return (f'the state dict of the model part "{prefix[:-1]}" without its prefix',
                    f"load it into that part with model.{prefix[:-1]}.init_cfg=dict("
                    "type='Pretrained', checkpoint=SRC), or add the prefix to its keys")
    return 'a checkpoint of another model or codebase', (
        f'convert it with the matching command ({CONVERTERS}), or check that the recipe builds '
        'the model this checkpoint was trained with')


@HOOKS.register_module()
class CheckpointLayoutHook(Hook):
    """Fail fast when a checkpoint loaded by the Runner (``load_from``, ``--resume``) has no
    parameter name in common with the model.

    mmengine loads such a checkpoint non-strictly and only logs the missing and unexpected keys,
    so a run meant to continue from pretrained weights silently trains from scratch. Typical
    cause: a checkpoint in another codebase's key layout (official SoftCon / DINOv2 backbones,
    MMEarth's FCMAE) given to ``load_from``; the error names the layout and the converter in
    converter command to use. Checkpoints sharing at least one key pass unchanged
    (partial loads are mmengine's business).
    """

    priority = 'NORMAL'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Raise :class:`ForeignCheckpointError` when no checkpoint key is a model key."""
        keys = model_state_keys(checkpoint) if isinstance(checkpoint, Mapping) else set()
        model_keys = model_keys_of(unwrap(runner.model))
        if not keys or model_keys is None or keys & model_keys:
            return
        what, advice = identify_layout(keys, model_keys)
        # a Runner built from keyword arguments keeps load_from only as _load_from
        source = (runner.cfg.get('load_from') or getattr(runner, '_load_from', None)
                  or 'the checkpoint being loaded')
        examples = ', '.join(sorted(keys)[:4])
        expected = ', '.join(sorted(model_keys)[:4])
        raise ForeignCheckpointError(
            f'{source}: none of its {len(keys)} parameter names matches '
            f'{type(unwrap(runner.model)).__name__} (it has e.g. {examples}; the model expects '
            f'e.g. {expected}). It looks like {what}: {advice}.')
