"""Fail before training when a ``Pretrained`` checkpoint does not fit its module."""
from mmengine.hooks import Hook

from eossl.engine.hooks.schedule import unwrap
from eossl.registry import HOOKS

from .pretrained_check import check_pretrained, pretrained_inits


@HOOKS.register_module()
class PretrainedCheckHook(Hook):
    """Before the run, check every ``init_cfg=dict(type='Pretrained', ...)`` in the model.

    mmengine loads such checkpoints with ``strict=False`` after this hook's ``before_run``
    (``Runner.train`` initializes weights after calling it), so a missing file, a wrong prefix
    or a checkpoint pretrained on another band count surfaces here as an error naming the file,
    the recipe field and both sides, instead of a warning and a silently random first layer.
    See :func:`eossl.checkpoints.pretrained_check.check_pretrained`.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Check each ``Pretrained`` init_cfg of the (unwrapped) model."""
        for name, module, cfg in pretrained_inits(unwrap(runner.model)):
            check_pretrained(module, cfg['checkpoint'], cfg.get('prefix'), where=name)
