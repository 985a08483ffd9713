"""NumClassesCheckHook: heads of classifiers and segmentors against the built datasets."""
from types import SimpleNamespace

import pytest
from mmengine.runner import BaseLoop
from torch import nn

from eossl.engine.hooks import NumClassesCheckHook
from eossl.engine.hooks.num_classes_check_hook import check_num_classes, class_heads


class Head(nn.Module):
    """A stand-in head with ``num_classes``."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes


class Loop(BaseLoop):
    """A built loop over a given dataloader."""

    def run(self) -> None:
        """Never run here."""


class Dataset:
    """A dataset with optional class names and per-item labels."""

    def __init__(self, classes: tuple | None, labels: list[list[int]]) -> None:
        self.metainfo = {} if classes is None else {'classes': classes}
        self.labels = labels

    def __len__(self) -> int:
        """Number of items."""
        return len(self.labels)

    def get_cat_ids(self, idx: int) -> list[int]:
        """Class indices of item ``idx``."""
        return self.labels[idx]


def runner(model: nn.Module, **datasets: Dataset) -> SimpleNamespace:
    """A runner whose ``_<split>_loop`` attributes are built loops over ``datasets``."""
    out = SimpleNamespace(model=model, _train_loop=None, _val_loop=None, _test_loop=None)
    for split, dataset in datasets.items():
        setattr(out, f'_{split}_loop', Loop(out, SimpleNamespace(dataset=dataset)))
    return out


def test_segmentor_heads_are_all_checked_against_the_test_set():
    model = nn.Module()
    model.decode_head, model.auxiliary_head = Head(8), nn.ModuleList([Head(8), Head(10)])
    assert class_heads(model) == [('decode_head', 8), ('auxiliary_head[0]', 8),
                                  ('auxiliary_head[1]', 10)]
    hook = NumClassesCheckHook()
    with pytest.raises(ValueError, match=r'test dataset Dataset has 8 classes \(a, b, c, d …\) '
                                         r'but model.auxiliary_head\[1\].num_classes=10'):
        hook.before_run(runner(model, test=Dataset(tuple('abcdefgh'), [])))
    model.auxiliary_head[1].num_classes = 8
    hook.before_run(runner(model, test=Dataset(tuple('abcdefgh'), [])))


def test_without_class_names_the_labels_must_fit():
    with pytest.raises(ValueError, match='has label 5 but model.head.num_classes=5'):
        check_num_classes(Dataset(None, [[0], [2, 5], []]), [('head', 5)], 'train')
    check_num_classes(Dataset(None, [[0], [2, 4], []]), [('head', 5)], 'train')


def test_unbuilt_loops_and_headless_models_are_skipped():
    model = nn.Module()
    model.head = Head(3)
    NumClassesCheckHook().before_run(runner(model))  # no loop built yet
    NumClassesCheckHook().before_run(runner(nn.Module(), train=Dataset(('a', ), [[0]])))
