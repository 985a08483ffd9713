"""Fail with the band names and config keys when a backbone gets another channel count than it
was built for, instead of a raw ``F.conv2d`` channel error from deep inside the stem."""
from collections.abc import Iterator, Mapping, Sequence

from mmengine.hooks import Hook
from torch import nn
from torch.utils.hooks import RemovableHandle

from eossl.datasets.bands import resolve_bands
from eossl.registry import HOOKS

from .schedule import unwrap

SPLITS = ('train', 'val', 'test')


class BandMismatchError(ValueError):
    """The data's channel count per modality differs from a backbone's input channels."""


def _bands_text(bands: Sequence[str]) -> str:
    return f'{", ".join(map(str, bands))} ({len(bands)})'


def pipeline_bands(cfg: Mapping) -> list[tuple[str, tuple[str, ...]]]:
    """``(config key, band names)`` of every ``bands`` field in the recipe's dataloaders (a list
    of names or a band-set name, resolved), e.g.
    ``('train_dataloader.dataset.pipeline.0.modalities.s2.bands', ('B1', ...))``."""
    found = []

    def walk(node, key: str) -> None:
        if isinstance(node, Mapping):
            for name, value in node.items():
                if name == 'bands' and value and (isinstance(value, str) or (
                        isinstance(value, (list, tuple))
                        and all(isinstance(b, str) for b in value))):
                    found.append((f'{key}.bands', resolve_bands(value)))
                else:
                    walk(value, f'{key}.{name}')
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f'{key}.{i}')

    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if loader:
            walk(loader.get('dataset'), f'{split}_dataloader.dataset')
    return found


def backbone_stems(model: nn.Module) -> Iterator[tuple[str, nn.Module, nn.Conv2d]]:
    """``(name, backbone, first Conv2d)`` of each backbone: every module with ``bands`` (the EO
    backbones) and every ``*backbone`` module holding none of those (e.g. an mmpretrain one)."""
    named = dict(model.named_modules())
    with_bands = [n for n, m in named.items() if n and hasattr(m, 'bands')]
    plain = [n for n, m in named.items() if n.rsplit('.', 1)[-1].endswith('backbone')
             and n not in with_bands and not any(b.startswith(n + '.') for b in with_bands)]
    for name in with_bands + plain:
        conv = next((m for m in named[name].modules() if isinstance(m, nn.Conv2d)), None)
        if conv is not None:
            yield name, named[name], conv


def mismatch_message(name: str, backbone: nn.Module, expected: int, got: int,
                     data_bands: list[tuple[str, tuple[str, ...]]]) -> str:
    """Say which backbone expects what (its bands and config key) and what the data loads."""
    bands = getattr(backbone, 'bands', None)
    built = (f'bands {_bands_text(bands)} from model.{name}.bands' if bands
             else f'model.{name}.in_channels')
    loaded = '; '.join(f'{key} = {_bands_text(b)}' for key, b in data_bands) or \
        'none named in the dataloader configs'
    return (f'model.{name} ({type(backbone).__name__}) takes {expected} input channels '
            f'({built}), but the batch gives it {got} channels. Bands the data pipelines load: '
            f'{loaded}. Make model.{name}.bands (or in_channels) match the bands of the modality '
            'it is fed.')


@HOOKS.register_module()
class BandCheckHook(Hook):
    """Check, at the first forward of each backbone, its input's channel count.

    A forward pre-hook on every backbone's first convolution (see :func:`backbone_stems`)
    compares the input's channels with the convolution's ``in_channels`` and raises
    :class:`BandMismatchError` naming the backbone, its bands and config key, and every
    ``bands`` list of the recipe's data pipelines — before the first optimizer step. Each
    pre-hook removes itself after its first successful check, so training runs unhooked.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._handles: dict[int, RemovableHandle] = {}

    def before_run(self, runner) -> None:
        """Install the one-shot channel checks."""
        data_bands = pipeline_bands(runner.cfg)
        for name, backbone, conv in backbone_stems(unwrap(runner.model)):
            if id(conv) in self._handles:
                continue

            def check(module, args, name=name, backbone=backbone) -> None:
                got = args[0].shape[1] if args and hasattr(args[0], 'shape') else None
                if got is not None and got != module.in_channels:
                    raise BandMismatchError(mismatch_message(
                        name, backbone, module.in_channels, got, data_bands))
                self._handles.pop(id(module)).remove()

            self._handles[id(conv)] = conv.register_forward_pre_hook(check)
