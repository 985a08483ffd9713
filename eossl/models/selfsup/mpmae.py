"""MP-MAE: MMEarth's multi-pretext masked autoencoder (Nedungadi et al., ECCV 2024)."""
import inspect
from typing import Any

import torch
from mmengine.config import Config
from mmengine.model import ModuleDict
from mmpretrain.models.utils import LayerNorm2d
from mmpretrain.structures import DataSample
from torch import nn

from eossl.models.data_preprocessors.sample_fields import collate_field
from eossl.models.utils.representation_stats import embedding_stats
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs


@MODELS.register_module()
class MPMAE(BaseEOSelfSupervisor):
    """FCMAE on S2 whose shared decoder feeds one head per pretext target.

    One step: draw a random patch mask → masked ConvNeXt V2 encoder (visible patches only) →
    :class:`FCMAEDecoder` (mask tokens, one shared block) → every head's loss against its target
    → total by uncertainty weighting or plain sum.

    Targets are the data samples' fields named like the keys of ``heads`` (MMEarth's
    ``sentinel2``, ``sentinel1``, ``dynamic_world``, ``biome``, ``era5``, ...), as
    :class:`LoadMMEarthSample` decodes them and ``PackEOInputs(algorithm_keys=...)`` packs them;
    NaN in a regression target and −1 in a class target mark nodata that the losses skip.

    Masks are drawn as MMEarth draws them (``gen_random_mask``): Gaussian noise per cell from the
    torch RNG of the model's device, the ``int(L·(1 − ratio))`` lowest cells kept, so
    ``L − int(L·(1 − ratio))`` are masked (30 of 49 at 0.6). mmengine checkpoints store the seed
    but not RNG states; eossl's :class:`~eossl.engine.hooks.ResumableCheckpointHook` (the
    recipes' checkpoint hook) saves and restores them, so a resumed run draws the same masks.

    Image-level heads (:class:`ImageLevelHead`) share one LayerNorm, as MMEarth's
    ``layer_norm_tmp`` (``image_norm='shared'``); ``image_norm='per_head'`` (eossl option) keeps
    one LayerNorm in each head.

    Filled from the backbone (leave them out of a recipe): ``neck.in_channels`` (the last
    stage's width), every head's ``in_channels`` (the decoder's width) and ``patch_size`` (the
    backbone's, for the pixel heads).

    Loss dict: ``'loss'`` is the total (the only key containing ``loss``, since mmengine sums
    every such key); ``'<target>_err'`` logs each unweighted pretext loss and, with uncertainty
    weighting, ``'<target>_logvar'`` its ``s_k`` (both detached).

    Args:
        backbone: :class:`ConvNeXtV2FCMAE` config (``out_norm=False`` for pretraining).
        neck: :class:`FCMAEDecoder` config.
        heads: ``{target name: head config}`` (:class:`PixelRegressionHead`,
            :class:`PixelClassificationHead`, :class:`ImageLevelHead`).
        mask_ratio: fraction of patch-grid cells hidden from the encoder.
        input_key: the encoded modality when inputs are a dict.
        loss_weighting: ``dict(type='UncertaintyWeighting')`` or ``None`` (plain sum).
        image_norm: ``'shared'`` (official) or ``'per_head'``, see above.
        data_preprocessor: batches inputs (the MMEarth dataset already normalizes).
    """

    slug = 'mpmae'
    own_files = ('eossl/models/heads/image_level_head.py',
                 'eossl/models/heads/pixel_classification_head.py',
                 'eossl/models/heads/pixel_regression_head.py',
                 'eossl/models/necks/fcmae_decoder.py',
                 'eossl/models/losses/masked_cross_entropy_loss.py',
                 'eossl/models/losses/uncertainty_weighting.py')

    def __init__(self, backbone: dict, neck: dict, heads: dict[str, dict],
                 mask_ratio: float = 0.6, input_key: str = 'sentinel2',
                 loss_weighting: dict | None = None, image_norm: str = 'shared',
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list[dict] | None = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not heads:
            raise ValueError('MPMAE needs at least one pretext head in `heads`')
        if not 0. < mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}')
        if image_norm not in ('shared', 'per_head'):
            raise ValueError(f"image_norm must be 'shared' or 'per_head', got {image_norm!r}")
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(self.from_backbone(
            neck, 'in_channels', self.backbone.channels[-1], 'model.neck.in_channels',
            'model.backbone.channels[-1]'))
        heads = {name: self._head_cfg(name, cfg) for name, cfg in heads.items()}
        image_heads = [name for name, cfg in heads.items()
                       if str(cfg.get('type', '')).split('.')[-1] == 'ImageLevelHead']
        shared = image_norm == 'shared' and image_heads
        self.heads = ModuleDict({
            name: MODELS.build(dict(cfg, with_norm=False) if shared and name in image_heads
                               else cfg) for name, cfg in heads.items()})
        self.image_heads = frozenset(image_heads) if shared else frozenset()
        # one LayerNorm for all image-level heads (MMEarth's layer_norm_tmp), None per head
        self.image_norm = (LayerNorm2d(self.neck.proj.out_channels, eps=1e-6)
                           if shared else None)
        self.mask_ratio, self.input_key = mask_ratio, input_key
        self.loss_weighting = None if loss_weighting is None else MODELS.build(
            dict(loss_weighting, task_names=list(heads)))

    def _head_cfg(self, name: str, cfg: dict) -> dict:
        """``cfg`` with ``in_channels`` (decoder width) and, where the head takes one,
        ``patch_size`` (backbone's) filled."""
        cfg = self.from_backbone(cfg, 'in_channels', self.neck.proj.out_channels,
                                 f'model.heads.{name}.in_channels', 'model.neck.embed_dim')
        if 'patch_size' in inspect.signature(MODELS.get(cfg['type'])).parameters:
            cfg = self.from_backbone(cfg, 'patch_size', self.backbone.patch_size,
                                     f'model.heads.{name}.patch_size', 'model.backbone.patch_size')
        return cfg

    def consumed_fields(self) -> set[str]:
        """MP-MAE reads one target field per head."""
        return set(self.heads)

    def monitor_taps(self) -> dict[str, tuple[nn.Module, str]]:
        """The encoder's output (its last stage)."""
        return {'encoder': (self.backbone, 'output')}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``repr_std`` / ``repr_rank`` of the average-pooled last encoder stage."""
        if 'encoder' not in seen:
            return {}
        feat = seen['encoder'][-1] if isinstance(seen['encoder'], (tuple, list)) \
            else seen['encoder']
        return embedding_stats(feat.mean((2, 3)) if feat.dim() == 4 else feat)

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """MP-MAE at CPU sizes: ``'tiny'``: a 4-stage ConvNeXt V2 of widths 8–16, a 16-d decoder,
        32 px crops; ``'probe'``: widths 16–128, a 64-d decoder, 32 px crops; both at the
        recipe's base lr (no batch scaling); ``'bench'``: the recipe as written."""
        if size == 'bench':
            return {}
        crop = 'train_dataloader.dataset.pipeline.[EORandomCrop].size'
        lr = cfg.optim_wrapper.optimizer.lr
        if size == 'probe':
            # the recipe's base lr, not its linear rule at a small batch: the other methods keep
            # their lr when the batch shrinks (benchmarks README, "learning signal")
            notes.append(f'lr {lr:g} (no batch scaling)')
            return {crop: 32, 'auto_scale_lr.enable': False, 'model.neck.embed_dim': 64,
                    'model.backbone.arch': dict(depths=[1, 1, 2, 1], channels=[16, 32, 64, 128],
                                                _delete_=True)}
        notes.append(f"ConvNeXt V2 {cfg.model.backbone.get('arch')!r} -> depths [1, 1, 1, 1], "
                     'channels [8, 8, 16, 16] (the same tiny network for every ConvNeXt size)')
        notes.append(f'lr {lr:g} constant (no batch scaling, no warm-up)')
        return {crop: 32, 'auto_scale_lr.enable': False, 'param_scheduler': [],
                'model.neck.embed_dim': 16,
                'model.backbone.arch': dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16],
                                            _delete_=True)}

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{'s2': (pooled last stage (B, C), last stage (B, C, h, w))}`` of the S2 encoder."""
        out = self.backbone(self.encoder_input(inputs))[-1]
        return {'s2': (out.mean((2, 3)), out)}

    def encoder_input(self, inputs: EOInputs) -> torch.Tensor:
        """The ``(B, C, H, W)`` batch the encoder reads (``inputs[input_key]`` for a dict)."""
        x = inputs[self.input_key] if isinstance(inputs, dict) else inputs
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            raise TypeError(f'MPMAE expects a batched (B, C, H, W) tensor for '
                            f'"{self.input_key}", got {type(x).__name__}')
        return x

    def generate_mask(self, batch: int, grid: tuple[int, int],
                      device: torch.device) -> torch.Tensor:
        """Random patch mask ``(B, h, w)``, True = masked, ``L − int(L·(1 − ratio))`` per row."""
        cells = grid[0] * grid[1]
        keep = int(cells * (1 - self.mask_ratio))
        ranks = torch.randn(batch, cells, device=device).argsort(1).argsort(1)
        return (ranks >= keep).reshape(batch, *grid)

    def extract_feat(self, inputs: EOInputs) -> tuple[torch.Tensor, ...]:
        """Dense backbone features of the whole image (downstream use)."""
        return self.backbone(self.encoder_input(inputs))

    def decode(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encode ``x`` ``(B, C, H, W)`` under ``mask`` ``(B, h, w)`` → decoder map
        ``(B, D, h, w)`` that every head reads."""
        return self.neck(self.backbone(x, mask)[-1], mask)

    def head_inputs(self, decoded: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{target: map}`` each head reads: ``decoded`` ``(B, D, h, w)``, normed once by the
        shared LayerNorm for the image-level heads."""
        normed = self.image_norm(decoded) if self.image_norm is not None else None
        return {name: normed if name in self.image_heads else decoded for name in self.heads}

    def predict_pretext(self, x: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{target: head output}`` for ``x`` under ``mask`` (reconstruction figures)."""
        inputs = self.head_inputs(self.decode(x, mask))
        return {name: head(inputs[name]) for name, head in self.heads.items()}

    def stack_targets(self, data_samples: list[DataSample] | None,
                      device: torch.device) -> dict[str, torch.Tensor]:
        """``{target: batch}`` from the data samples' fields named like the heads: collated
        once per batch (by the data preprocessor's ``collate_fields``, else here)."""
        if not data_samples:
            raise ValueError('MPMAE.loss needs data_samples carrying the pretext targets')
        targets = {}
        for name in self.heads:
            missing = [i for i, ds in enumerate(data_samples) if name not in ds]
            if missing:
                raise KeyError(f'data samples {missing[:5]} have no pretext target "{name}"; '
                               'load it (LoadMMEarthSample modalities) and pack it '
                               '(PackEOInputs algorithm_keys)')
            targets[name] = collate_field(data_samples, name, device)
        return targets

    def loss(self, inputs: EOInputs,
             data_samples: list[DataSample] | None) -> dict[str, torch.Tensor]:
        """One pretraining step's loss terms (see the class docstring for the keys)."""
        x = self.encoder_input(inputs)
        p = self.backbone.patch_size
        mask = self.generate_mask(x.shape[0], (x.shape[2] // p, x.shape[3] // p), x.device)
        targets = self.stack_targets(data_samples, x.device)
        inputs = self.head_inputs(self.decode(x, mask))
        task_losses = {name: head.loss(inputs[name], targets[name], mask)
                       for name, head in self.heads.items()}
        logs = {f'{name}_err': value.detach() for name, value in task_losses.items()}
        if self.loss_weighting is None:
            total = sum(task_losses.values())
        else:
            total = sum(self.loss_weighting(task_losses).values())
            logs.update({f'{name}_logvar': s.detach() for name, s in
                         zip(self.loss_weighting.task_names, self.loss_weighting.log_vars)})
        return {'loss': total, **logs}
