"""Fail before training when a head's ``num_classes`` disagrees with the dataset's labels."""
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from torch import nn

from eossl.registry import HOOKS

from .schedule import unwrap

HEAD_NAMES = ('head', 'decode_head', 'auxiliary_head')


def class_heads(model: nn.Module) -> list[tuple[str, int]]:
    """``(name, num_classes)`` of the model's classification / segmentation heads."""
    heads = []
    for name in HEAD_NAMES:
        module = getattr(model, name, None)
        parts = list(module) if isinstance(module, nn.ModuleList) else [module]
        for i, part in enumerate(parts):
            if getattr(part, 'num_classes', None) is not None:
                heads.append((name if len(parts) == 1 else f'{name}[{i}]', part.num_classes))
    return heads


def check_num_classes(dataset, heads: list[tuple[str, int]], split: str) -> None:
    """Raise unless every head's ``num_classes`` fits ``dataset``.

    With ``metainfo['classes']`` the counts must be equal; without it every ``gt_label`` index
    (via ``get_cat_ids``) must be below ``num_classes``.
    """
    classes = dataset.metainfo.get('classes')
    for name, num_classes in heads:
        if classes is not None:
            if len(classes) != num_classes:
                shown = ', '.join(map(str, classes[:4])) + (' …' if len(classes) > 4 else '')
                raise ValueError(f'{split} dataset {type(dataset).__name__} has {len(classes)} '
                                 f'classes ({shown}) but model.{name}.num_classes={num_classes}; '
                                 'set num_classes to the number of dataset classes')
            continue
        if not hasattr(dataset, 'get_cat_ids'):
            continue
        top = max((max(ids) for ids in map(dataset.get_cat_ids, range(len(dataset))) if ids),
                  default=-1)
        if top >= num_classes:
            raise ValueError(f'{split} dataset {type(dataset).__name__} has label {top} but '
                             f'model.{name}.num_classes={num_classes} (labels must be < '
                             'num_classes)')


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Before the run, compare each head's ``num_classes`` with the built datasets' classes.

    A head with the wrong ``num_classes`` either crashes deep inside a loss (a label index out
    of range) or, with more outputs than classes, trains silently on a wrong problem. Checked
    for the train / val / test loops the runner has already built.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Check the head(s) against every built loop's dataset."""
        heads = class_heads(unwrap(runner.model))
        if not heads:
            return
        for split in ('train', 'val', 'test'):
            loop = getattr(runner, f'_{split}_loop', None)
            if isinstance(loop, BaseLoop):
                check_num_classes(loop.dataloader.dataset, heads, split)
