"""Base class of every eossl pretraining algorithm."""
from abc import abstractmethod
from collections import OrderedDict
from typing import TypeAlias

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from eossl.models.utils.band_routing import route_batch_bands

EOInputs: TypeAlias = (torch.Tensor | list[torch.Tensor]
                       | dict[str, torch.Tensor | list[torch.Tensor]])


class BaseEOSelfSupervisor(BaseModel):
    """Wires backbone(s) → neck → head; a subclass implements ``extract_feat`` and ``loss``.

    Like mmpretrain's ``BaseSelfSupervisor`` it has only the ``tensor`` and ``loss`` modes, but
    its inputs may be one tensor ``(B, C, H, W)``, a list of views, or a dict of modalities
    (``{'s1': (B, 2, H, W), 's2': (B, 13, H, W)}``), and it logs every loss term averaged over
    all ranks so a distributed run's log equals a single-process run with the same global batch.

    Every ``loss`` step first checks the data fields of the data samples (what
    ``PackEOInputs(algorithm_keys=...)`` packed) against :meth:`consumed_fields`: a field the
    algorithm would not read (e.g. PerA's ``disjoint_masks`` handed to plain SoftCon, which would
    then silently train without them) is an error naming it. ``gt_label`` is exempt: datasets
    pack it whenever they have labels, and label-free methods may ignore it.

    Wavelength stems (``patch_embed='wavelength'``) receive the bands each batch names in its
    data samples' metainfo before every forward (:mod:`eossl.models.utils.band_routing`).
    """

    #: data fields every algorithm may receive without reading them
    IMPLICIT_FIELDS = frozenset({'gt_label'})

    def consumed_fields(self) -> set[str]:
        """Names of the DataSample data fields this algorithm reads (besides ``gt_label``)."""
        return set()

    def check_fields(self, data_samples: list[DataSample] | None) -> None:
        """Raise if the data samples carry a data field this algorithm does not consume."""
        if not data_samples:
            return
        unused = set(data_samples[0].keys()) - self.consumed_fields() - self.IMPLICIT_FIELDS
        if unused:
            raise ValueError(
                f'{type(self).__name__}: the data samples carry {sorted(unused)}, which this '
                f'algorithm does not use (it reads {sorted(self.consumed_fields()) or "none"}); '
                'remove them from PackEOInputs(algorithm_keys=...) or pick the algorithm that '
                'consumes them')

    def forward(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
                mode: str = 'tensor'):
        """``tensor``: features from :meth:`extract_feat`; ``loss``: a dict of loss terms."""
        route_batch_bands(self, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            self.check_fields(data_samples)
            return self.loss(inputs, data_samples)
        raise RuntimeError(f'{type(self).__name__}.forward: invalid mode "{mode}", '
                           'expected "tensor" or "loss"')

    @abstractmethod
    def extract_feat(self, inputs: EOInputs):
        """Backbone features used downstream."""

    @abstractmethod
    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None) -> dict:
        """A dict of named loss terms (keys containing ``loss`` are summed for the update)."""

    def parse_losses(self, losses: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum the loss terms; log values are detached and averaged across ranks."""
        loss, log_vars = super().parse_losses(losses)
        if get_world_size() > 1:
            names = list(log_vars)
            stacked = torch.stack([log_vars[k].detach().float().reshape(()) for k in names])
            all_reduce(stacked, op='mean')
            log_vars = OrderedDict(zip(names, stacked.unbind()))
        return loss, log_vars
