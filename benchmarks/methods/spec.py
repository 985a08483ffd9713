"""What a method's benchmark spec (``benchmarks/methods/<slug>.py``) declares.

A spec module defines ``THROUGHPUT: dict[str, Benchmark]`` (rows of ``run.py`` and
``gpu_check.py``) and ``LEARNING_SIGNAL: dict[str, SignalRun]`` (rows of
``learning_signal.py``); the package finds every such module. CPU sizes are not here: they are
the algorithm's ``cpu_overrides`` (``'bench'`` for throughput, ``'probe'`` for the learning
signal).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Benchmark:
    """How to time one recipe of a method.

    Attributes:
        recipe: the recipe file (relative to the repository).
        make_data: ``(root, samples) → data_root``: writes fake data in the dataset's layout.
        sample: what one training sample holds (one "image" in images/s).
        options: ``--cfg-options`` applied at every size (e.g. no pretrained file to load).
        gpu_check: one of the shipped recipes ``gpu_check.py`` runs.
    """

    recipe: str
    make_data: Callable[[Path, int], Path]
    sample: str
    options: dict = field(default_factory=dict)
    gpu_check: bool = True


@dataclass(frozen=True)
class SignalRun:
    """A shipped recipe as the learning-signal benchmark trains and probes it.

    Attributes:
        recipe: the recipe file (relative to the repository).
        layout: writer of :data:`eossl.testing.structured_layouts.WRITERS` (the recipe's dataset
            layout).
        eval_steps: the pipeline's leading deterministic steps used for feature extraction.
        keys: ``PackEOInputs`` keys of the probed inputs.
        size: scene side (px).
        write: extra writer arguments.
        options: run settings beyond the CPU size (e.g. the batch size).
        shipped: part of ``--methods all``.
        eval_size: ``target_size`` of the loading step for feature extraction (``None``: as in
            training), e.g. a ViT's ``img_size`` at the CPU size.
    """

    recipe: str
    layout: str
    eval_steps: int
    keys: tuple
    size: int = 48
    write: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    shipped: bool = True
    eval_size: int | None = None
