"""What both sides of ``official_vs_eossl.py`` share: the case sizes and the built case."""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sizes:
    """Batch and image sizes of the side-by-side cases (the defaults are issue 16's table)."""

    pera_batch: int = 8
    pera_global: int = 224
    pera_local: int = 96
    pera_nlocal: int = 2
    pera_prototypes: int = 4096
    simclr_batch: int = 16
    simclr_px: int = 128
    mm_batch: int = 16
    mm_px: int = 112
    mm_tile: int = 128  # the official FCMAE random-crops this tile to mm_px itself


@dataclass
class Case:
    """One built case: ``step()`` runs a full training step; ``modules`` hold every parameter
    the step reads (teacher copies included), ``config`` says what was built."""

    step: Callable[[], None]
    modules: list
    config: dict = field(default_factory=dict)

    def params(self) -> list:
        """The distinct parameters of ``modules``."""
        return list({id(p): p for m in self.modules for p in m.parameters()}.values())

    def param_counts(self) -> dict[str, int]:
        """``{'total': n, 'trainable': n}`` over the distinct parameters of ``modules``."""
        return {'total': sum(p.numel() for p in self.params()),
                'trainable': sum(p.numel() for p in self.params() if p.requires_grad)}

    def step_and_count_updated(self) -> int:
        """Run one step; return how many trainable parameter values it changed.

        Counts what the step really trains: a module that is built but never used (the official
        dense ConvNeXt V2 keeps its classifier head inside FCMAE) has trainable parameters that
        no step changes.
        """
        import torch
        trainable = [p for p in self.params() if p.requires_grad]
        before = [p.detach().clone() for p in trainable]
        self.step()
        return sum(p.numel() for p, b in zip(trainable, before) if not torch.equal(p, b))
