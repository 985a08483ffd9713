"""The model :func:`~eossl.apis.init_model` returns: network, encoder(s) and input contract."""
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn

from eossl.registry import TRANSFORMS

from .contract import EncoderContract, InputContract

TASKS = ('embedding', 'classification', 'segmentation')


class EOInferenceModel(nn.Module):
    """A built recipe for inference: the network, its encoder(s) and their input contract.

    A pretraining checkpoint of Dual-SimCLR holds two encoders (``'s1'``, ``'s2'``); without
    ``modality`` both are built and :meth:`select` picks the one whose bands the data names.

    Attributes:
        task: ``'embedding'`` (pretraining recipe: backbone only), ``'classification'`` or
            ``'segmentation'``.
        network: the whole downstream model (None for a pretraining recipe).
        contract: the :class:`~eossl.apis.contract.InputContract` the inputs are prepared by.
        encoder: name of the active encoder; ``bands`` (model order), ``mean``/``std``
            ``(C, 1, 1)`` and ``feature_extractor`` are the active encoder's.
        classes: class names of a downstream recipe's dataset, when it names them.
        cfg: the resolved recipe.
    """

    def __init__(self, task: str, backbones: Mapping[str, nn.Module], contract: InputContract,
                 cfg: Config, network: nn.Module | None = None,
                 classes: Sequence[str] | None = None) -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f'task must be one of {TASKS}, got {task!r}')
        self.task, self.cfg, self.contract = task, cfg, contract
        self.classes = tuple(classes) if classes else None
        self.network = network
        self.backbones = nn.ModuleDict(backbones) if network is None else None
        self.register_buffer('mean', torch.zeros(0), persistent=False)
        self.register_buffer('std', torch.zeros(0), persistent=False)
        self._activate(next(iter(contract.encoders)), None)
        self.selected = len(contract.encoders) == 1

    def _activate(self, name: str, band_names: Sequence[str] | None) -> None:
        spec: EncoderContract = self.contract.encoders[name]
        mean, std, self.product = spec.stats_for(band_names)
        if len(spec.bands) != len(mean):
            raise ValueError(f'{self.cfg.filename}: encoder {name!r} names {len(spec.bands)} '
                             f'bands {spec.bands} but has {len(mean)} means')
        device = self.mean.device  # type: ignore[has-type]
        self.mean = torch.tensor(mean, dtype=torch.float32, device=device).view(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=device).view(-1, 1, 1)
        self.encoder, self.bands = name, tuple(spec.bands)
        self.value_transforms = [  # eossl's own, whatever the caller's default scope
            TRANSFORMS.build(dict(rule, keys='img', type='eossl.' + rule['type'].split('.')[-1]))
            for rule in spec.value_transforms]

    def select(self, band_names: Sequence[str] | None, where: str) -> None:
        """Make the encoder (and statistics) that fit data with ``band_names`` active.

        Dual-SimCLR without ``modality``: the encoder whose bands the data names (a one-line
        :class:`~eossl.apis.contract.ContractError` asking for ``--modality`` otherwise);
        MP-MAE: the statistics of the data's S2 product (L1C when it has B10, else L2A).
        """
        name = self.encoder if self.selected else self.contract.choose(None, band_names, where)
        self._activate(name, band_names)
        if self.product:
            print_log(f'{where}: normalized with the {self.product.upper()} statistics of the '
                      'checkpoint (scenes with B10 are L1C, without it L2A)', logger='current')

    @property
    def feature_extractor(self) -> nn.Module:
        """The active backbone (the downstream network's own one when there is a network)."""
        return self.backbones[self.encoder] if self.network is None else self.network.backbone

    @property
    def device(self) -> torch.device:
        return self.mean.device

    def normalize(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw ``(B, C, H, W)`` in model band order → the encoder's input: the contract's
        per-image value rules (e.g. Dual-SimCLR's clip and per-sample max), then
        ``(x − mean) / std``, NaN → 0 (missing pixels become the band mean, as in training)."""
        if self.value_transforms:
            images = []
            for image in raw.detach().cpu().numpy().astype(np.float32):
                results = {'img': image}
                for rule in self.value_transforms:
                    results = rule(results)
                images.append(torch.from_numpy(np.ascontiguousarray(results['img'])))
            raw = torch.stack(images)
        x = raw.to(self.device, torch.float32) - self.mean  # a new tensor: raw is untouched
        x.div_(self.std)
        return x.masked_fill_(torch.isnan(x), 0.0)
