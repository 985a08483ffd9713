"""SoftCon: multi-label guided soft contrastive learning (Wang, Albrecht, Zhu; arXiv 2405.20462)."""
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample
from torch import nn

from eossl.models.backbones import EOVisionTransformer
from eossl.models.utils.representation_stats import embedding_stats, pair_stats
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs
from .cpu_sizes import tiny_vit
from .siamese_masking import random_keep_indices, visible_cls_token


@MODELS.register_module()
class SoftCon(BaseEOSelfSupervisor):
    """Two augmented views per scene → backbone → projection neck → soft contrastive head.

    The head's target for a pair of scenes is the similarity of their multi-hot land-cover
    labels, so scenes sharing classes are not pushed apart as hard negatives.

    Inputs: a list of two view batches ``[(B, C, H, W), (B, C, H, W)]`` (mmpretrain's
    ``MultiView`` + ``PackEOInputs``). Labels: each DataSample's ``gt_label`` class indices
    (multi-label) become a multi-hot ``(B, num_classes)`` vector; a sample without ``gt_label``
    or with an empty one is unlabeled (all zeros), handled by the loss's ``unlabeled`` option.

    Features: a ViT gives its final-normed CLS token (384-d ViT-S, 768-d ViT-B), a ResNet its
    globally average-pooled last stage (2048-d for ResNet-50). The two views are batched
    together (2B) through the backbone and the neck.

    Siamese masking (ViT only, training only): each view of each scene keeps its own random
    ``1 − mask_ratio`` of the patches and only those tokens enter the encoder.

    Filled from the backbone (leave it out of a recipe): ``neck.in_channels`` (the ViT's
    ``embed_dims``, the ResNet's ``feat_dim``).

    Args:
        backbone: ``EOVisionTransformer`` (``out_type='cls_token'``) or ``EOResNet`` config.
        neck: projection config taking ``((2B, D),)``, e.g. ``mmpretrain.NonLinearNeck`` with
            ``with_avg_pool=False``.
        head: :class:`~eossl.models.heads.SoftContrastiveHead` config (owns the loss).
        num_classes: classes of the multi-hot labels (9 Dynamic World, 19 BigEarthNet);
            ``None`` ignores labels (plain InfoNCE).
        mask_ratio: fraction of patches each ViT view drops (0 = dense).
        data_preprocessor: normally ``eossl.EODataPreprocessor``.
        init_cfg: mmengine initialization config.
    """

    slug = 'softcon'
    own_files = ('eossl/models/selfsup/siamese_masking.py',
                 # the contrastive figures (SoftCon and Dual-SimCLR), the wavelength-stem
                 # transfer study on SoftCon
                 'eossl/cli/visualize_contrastive.py',
                 'benchmarks/wavelength_transfer.py')

    def __init__(self, backbone: dict, neck: dict, head: dict, num_classes: int | None = None,
                 mask_ratio: float = 0.0, data_preprocessor: dict | None = None,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.is_vit = isinstance(self.backbone, EOVisionTransformer)
        if not 0.0 <= mask_ratio < 1.0 or (mask_ratio and not self.is_vit):
            raise ValueError(f'SoftCon: mask_ratio must be in [0, 1) and needs an '
                             f'EOVisionTransformer backbone, got {mask_ratio} with '
                             f'{type(self.backbone).__name__}')
        if self.is_vit:
            if self.backbone.out_type != 'cls_token':
                raise ValueError("SoftCon: the ViT backbone must use out_type='cls_token', got "
                                 f'{self.backbone.out_type!r}')
            # never used by SoftCon; frozen so that DDP does not wait for its gradient
            self.backbone.mask_token.requires_grad_(False)
        if num_classes is not None and num_classes < 1:
            raise ValueError(f'SoftCon: num_classes must be positive or None, got {num_classes}')
        self.num_classes, self.mask_ratio = num_classes, mask_ratio
        width, source = ((self.backbone.embed_dims, 'embed_dims') if self.is_vit
                         else (self.backbone.feat_dim, 'feat_dim'))
        self.neck = MODELS.build(self.from_backbone(neck, 'in_channels', width,
                                                    'model.neck.in_channels',
                                                    f'model.backbone.{source}'))
        self.head = MODELS.build(head)

    def monitor_taps(self) -> dict[str, tuple[nn.Module, str]]:
        """The neck's output: both views' projections ``((2B, D),)``."""
        return {'projections': (self.neck, 'output')}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``repr_std`` / ``repr_rank`` of all projections and the positive / negative cosine
        similarity of the two views (``repr_sim_gap``)."""
        if 'projections' not in seen:
            return {}
        z = seen['projections'][0]
        z1, z2 = z.chunk(2)
        return {**embedding_stats(z), **pair_stats(z1, z2)}

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """SoftCon at CPU sizes: random init (the RGB checkpoint needs the recipe's widths);
        ``'tiny'``: ResNet-18 or a tiny ViT on 2 × 2-patch crops; ``'probe'``: a narrow
        ResNet-18 on 32 px crops; ``'bench'``: the recipe's backbone on 112 px crops."""
        crop = 'train_dataloader.dataset.pipeline.[EORandomResizedCrop].size'
        backbone = cfg.model.backbone
        out: dict[str, Any] = {'model.backbone.init_cfg': None}
        if size != 'bench' and backbone.get('init_cfg'):
            notes.append(f"model.backbone.init_cfg {backbone.init_cfg.get('type')} dropped: "
                         'random init (the RGB checkpoint does not fit the CPU widths)')
        if size == 'bench':
            return {**out, crop: 112}
        if size == 'probe':
            return {**out, crop: 32, 'model.backbone.depth': 18,
                    'model.backbone.stem_channels': 16, 'model.backbone.base_channels': 16,
                    'model.neck.hid_channels': 128, 'model.neck.out_channels': 32}
        if 'ResNet' in str(backbone.type):
            notes.append(f'ResNet-{backbone.get("depth")} -> ResNet-18')
            return {**out, crop: 32, 'model.backbone.depth': 18, 'model.neck.hid_channels': 64,
                    'model.neck.out_channels': 32}
        side = 2 * backbone.get('patch_size', 14)  # 2 x 2 patches
        return {**out, crop: side, 'model.backbone.img_size': side,
                'model.backbone.arch': tiny_vit(backbone.get('arch', 'base'), notes),
                'model.neck.hid_channels': 32, 'model.neck.out_channels': 16}

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{'s2': (pooled last stage (B, C), last stage (B, C, h, w))}`` (ResNet backbones;
        a ViT with ``out_type='cls_token'`` has no map)."""
        out = self.backbone(inputs)[-1]
        if out.dim() != 4:
            raise NotImplementedError('SoftCon.probe_features: the backbone gives no feature '
                                      'map (ViT out_type cls_token); probe a ResNet recipe')
        return {'s2': (out.mean((2, 3)), out)}

    def features(self, images: torch.Tensor, mask_ratio: float = 0.0) -> torch.Tensor:
        """Backbone features ``(B, D)`` of ``(B, C, H, W)``, dropping patches when masked."""
        if self.is_vit and mask_ratio > 0:
            grid = self.backbone.grid_size(images)
            keep = random_keep_indices(images.shape[0], grid[0] * grid[1], mask_ratio,
                                       images.device)
            return visible_cls_token(self.backbone, images, keep)
        out = self.backbone(images)[-1]
        return out.mean(dim=(2, 3)) if out.dim() == 4 else out

    def extract_feat(self, inputs: EOInputs) -> torch.Tensor:
        """Dense features ``(B, D)`` of a batch, or of the first view of a list of views."""
        return self.features(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)

    def multi_hot(self, data_samples: Sequence[DataSample] | None,
                  batch: int, device: torch.device) -> torch.Tensor | None:
        """``(B, num_classes)`` multi-hot labels from ``gt_label`` indices; None without classes.

        Built with one scatter and no host sync (the indices may already be on the
        accelerator): an out-of-range index raises naming the sample on CPU tensors and fails
        a device-side assertion on an accelerator.
        """
        if self.num_classes is None:
            return None
        labels = torch.zeros(batch, self.num_classes, device=device)
        if data_samples is None:
            return labels
        if len(data_samples) != batch:
            raise ValueError(f'SoftCon: {len(data_samples)} data samples for a batch of {batch}')
        indices = [torch.as_tensor(s.get('gt_label') if s.get('gt_label') is not None else [],
                                   device=device).long().flatten() for s in data_samples]
        columns = torch.cat(indices)
        rows = torch.repeat_interleave(torch.arange(batch), torch.tensor(
            [len(i) for i in indices], dtype=torch.long)).to(device, non_blocking=True)
        expected = f'expected class indices in [0, {self.num_classes})'
        try:  # raises at once on CPU tensors, asserts on the device elsewhere
            torch._assert_async(((columns >= 0) & (columns < self.num_classes)).all(),
                                f'SoftCon: a gt_label is out of range, {expected}')
        except RuntimeError:
            row = next(r for r, i in enumerate(indices)
                       if len(i) and (i.min() < 0 or i.max() >= self.num_classes))
            raise ValueError(f"SoftCon: sample {data_samples[row].metainfo.get('sample_id', row)!r}"
                             f' has gt_label {indices[row].tolist()}, {expected}') from None
        labels[rows, columns] = 1.0
        return labels

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
             **kwargs) -> dict[str, torch.Tensor]:
        """``{'loss': scalar}``: the soft contrastive loss of the two views' projections."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2 or \
                inputs[0].shape != inputs[1].shape:
            found = ([tuple(v.shape) for v in inputs] if isinstance(inputs, (list, tuple))
                     else type(inputs).__name__)
            raise ValueError('SoftCon: inputs must be a list of two view batches of one shape '
                             f"(MultiView(num_views=2) + PackEOInputs), got {found}")
        batch = inputs[0].shape[0]
        feats = self.features(torch.cat(list(inputs)), self.mask_ratio)
        z1, z2 = self.neck((feats,))[0].chunk(2)
        labels = self.multi_hot(data_samples, batch, z1.device)
        return {'loss': self.head.loss(z1, z2, labels)}
