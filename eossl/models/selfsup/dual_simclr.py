"""Dual-SimCLR: contrastive S1/S2 fusion with one backbone per modality (Scheibenreif et al.)."""
import inspect
from typing import Any

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample
from torch import nn

from eossl.models.utils.representation_stats import embedding_stats, pair_stats
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs
from .cpu_sizes import has_step

MODALITIES = ('s1', 's2')


@MODELS.register_module()
class DualSimCLR(BaseEOSelfSupervisor):
    """Two backbones (S1, S2), two necks, one cross-modal contrastive head.

    No augmentation makes the positive pair: S1_i and S2_i show the same place at the same time,
    and the head's NT-Xent pulls them together against every other scene of both modalities.

    Inputs are a dict ``{'s1': (B, C1, H, W), 's2': (B, C2, H, W)}`` (e.g. C1 = 2 for VV/VH,
    C2 = 13 for S2 L1C), as packed by ``PackEOInputs(keys=('s1', 's2'))``.

    Filled from the backbones (leave it out of a recipe): a neck's ``in_channels`` (the
    ResNet's ``feat_dim``) where the neck takes one.

    Args:
        s1_backbone: S1 backbone config (``EOResNet`` or mmpretrain ``SwinTransformer``).
        s2_backbone: S2 backbone config.
        s1_neck: S1 neck config: ``ProjectionMLP`` (ResNet) or ``GlobalAveragePooling`` (Swin).
        s2_neck: S2 neck config.
        head: ``CrossModalContrastiveHead`` config, which owns the loss.
        data_preprocessor: preprocessor config, normally ``eossl.EODataPreprocessor``.
        init_cfg: mmengine initialization config.
    """

    slug = 'dual_simclr'
    own_files = ('eossl/models/heads/cross_modal_contrastive_head.py',
                 'eossl/models/losses/cross_modal_nt_xent.py',
                 'eossl/models/necks/projection_mlp.py',
                 'eossl/cli/visualize_contrastive.py')  # S1 → S2 retrieval figure

    def __init__(self, s1_backbone: dict, s2_backbone: dict, s1_neck: dict, s2_neck: dict,
                 head: dict, data_preprocessor: dict | None = None,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.s1_backbone = MODELS.build(s1_backbone)
        self.s2_backbone = MODELS.build(s2_backbone)
        self.s1_neck = MODELS.build(self._neck_cfg(s1_neck, 's1'))
        self.s2_neck = MODELS.build(self._neck_cfg(s2_neck, 's2'))
        self.head = MODELS.build(head)

    def _neck_cfg(self, neck: dict, modality: str) -> dict:
        """``neck`` with ``in_channels`` from its backbone's ``feat_dim`` when it takes one."""
        backbone = getattr(self, f'{modality}_backbone')
        takes = 'in_channels' in inspect.signature(MODELS.get(neck['type'])).parameters
        if not (takes and hasattr(backbone, 'feat_dim')):
            return neck
        return self.from_backbone(neck, 'in_channels', backbone.feat_dim,
                                  f'model.{modality}_neck.in_channels',
                                  f'model.{modality}_backbone.feat_dim')

    def monitor_taps(self) -> dict[str, tuple[nn.Module, str]]:
        """Both necks' outputs: the S1 and S2 embeddings."""
        return {'s1': (self.s1_neck, 'output'), 's2': (self.s2_neck, 'output')}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``repr_std`` / ``repr_rank`` of both modalities' embeddings and the cosine similarity
        of same-scene (positive) and other (negative) S1/S2 pairs (``repr_sim_gap``)."""
        if not {'s1', 's2'} <= set(seen):
            return {}
        z1, z2 = seen['s1'][-1], seen['s2'][-1]
        return {**embedding_stats(torch.cat([z1, z2])), **pair_stats(z1, z2)}

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """Dual-SimCLR at CPU sizes for both modalities: ``'tiny'``: ResNet-18 (or a one-block
        Swin with 2 × 2 windows on 64 px crops); ``'probe'``: a narrow ResNet-18 on 32 px crops;
        ``'bench'``: the recipe's backbones on 64 px crops."""
        # a recipe without a random crop (the BigEarthNet demo) keeps its input size
        crop = ('train_dataloader.dataset.pipeline.[EORandomCrop].size'
                if has_step(cfg, 'EORandomCrop') else None)
        if size == 'bench':
            return {crop: 64} if crop else {}
        if size == 'probe':
            narrow = {f'model.{m}_{k}': v for m in ('s1', 's2') for k, v in (
                ('backbone.depth', 18), ('backbone.stem_channels', 16),
                ('backbone.base_channels', 16), ('neck.hid_channels', 128),
                ('neck.out_channels', 32))}
            return {**({crop: 32} if crop else {}), **narrow}
        if 'Swin' in str(cfg.model.s1_backbone.type):
            notes.append('Swin-T -> Swin with embed_dims 16, one block per stage, 2 x 2 windows, '
                         '64 px crops')
            swin = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])
            return {crop: 64, **{f'model.{m}_backbone.{k}': v for m in ('s1', 's2')
                                 for k, v in (('arch', swin), ('img_size', 64),
                                              ('window_size', 2), ('drop_path_rate', 0.0))}}
        depth = cfg.model.s1_backbone.get('depth')
        if depth != 18:
            notes.append(f'ResNet-{depth} -> ResNet-18 for both modalities')
        return {f'model.{m}_{k}': v for m in ('s1', 's2')
                for k, v in (('backbone.depth', 18), ('neck.hid_channels', 512))}

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{'s1' | 's2' | 's1s2': (pooled (B, C), last stage (B, C, h, w))}``: each modality's
        backbone and their channel concatenation (the official downstream input)."""
        s1, s2 = _split(inputs)
        maps = {'s1': self.s1_backbone(s1)[-1], 's2': self.s2_backbone(s2)[-1]}
        maps['s1s2'] = torch.cat([maps['s1'], maps['s2']], 1)
        return {m: (x.mean((2, 3)), x) for m, x in maps.items()}

    def extract_feat(self, inputs: EOInputs) -> dict[str, torch.Tensor]:
        """What downstream gets: each modality's last backbone output, globally average-pooled.

        Returns:
            ``{'s1': (B, C_s1), 's2': (B, C_s2)}`` (2048 each for ResNet-50, 768 for Swin-T);
            the official downstream classifier concatenates the two → linear layer.
        """
        s1, s2 = _split(inputs)
        return {'s1': _pool(self.s1_backbone(s1)[-1]), 's2': _pool(self.s2_backbone(s2)[-1])}

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
             **kwargs) -> dict[str, torch.Tensor]:
        """``{'loss': scalar}``: the head's cross-modal NT-Xent of the two necks' embeddings."""
        s1, s2 = _split(inputs)
        z1 = self.s1_neck(self.s1_backbone(s1))[-1]  # (B, D)
        z2 = self.s2_neck(self.s2_backbone(s2))[-1]  # (B, D)
        return {'loss': self.head.loss(z1, z2)}


def _split(inputs: EOInputs) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s1, s2)`` tensors from the modality dict, checked to describe the same B scenes."""
    if not isinstance(inputs, dict) or set(MODALITIES) - set(inputs):
        found = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f'DualSimCLR: inputs must be a dict with keys {MODALITIES} '
                         f'(PackEOInputs(keys=("s1", "s2"))), got {found}')
    s1, s2 = inputs['s1'], inputs['s2']
    if not (isinstance(s1, torch.Tensor) and isinstance(s2, torch.Tensor)
            and s1.dim() == 4 and s2.dim() == 4 and s1.size(0) == s2.size(0)):
        describe = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
                    for k, v in (('s1', s1), ('s2', s2))}
        raise ValueError('DualSimCLR: inputs["s1"] and inputs["s2"] must be (B, C, H, W) '
                         f'tensors with the same B (one view per modality), got {describe}')
    return s1, s2


def _pool(feat: torch.Tensor) -> torch.Tensor:
    """Global average pool ``(B, C, H, W)`` → ``(B, C)``; ``(B, C)`` passes through."""
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat
