"""Base class of every eossl pretraining algorithm."""
from abc import abstractmethod
from collections import OrderedDict

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

EOInputs = torch.Tensor | list[torch.Tensor] | dict[str, torch.Tensor | list[torch.Tensor]]


class BaseEOSelfSupervisor(BaseModel):
    """Wires backbone(s) → neck → head; a subclass implements ``extract_feat`` and ``loss``.

    Like mmpretrain's ``BaseSelfSupervisor`` it has only the ``tensor`` and ``loss`` modes, but
    its inputs may be one tensor ``(B, C, H, W)``, a list of views, or a dict of modalities
    (``{'s1': (B, 2, H, W), 's2': (B, 13, H, W)}``), and it logs every loss term averaged over
    all ranks so a distributed run's log equals a single-process run with the same global batch.
    """

    def forward(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
                mode: str = 'tensor'):
        """``tensor``: features from :meth:`extract_feat`; ``loss``: a dict of loss terms."""
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
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
