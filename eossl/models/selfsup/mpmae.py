"""MP-MAE: MMEarth's multi-pretext masked autoencoder (Nedungadi et al., ECCV 2024)."""
import torch
from mmengine.model import ModuleDict
from mmpretrain.models.utils import LayerNorm2d
from mmpretrain.structures import DataSample

from eossl.models.data_preprocessors.sample_fields import collate_field
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
        self.neck = MODELS.build(neck)
        image_heads = [name for name, cfg in heads.items()
                       if str(cfg.get('type', '')).split('.')[-1] == 'ImageLevelHead']
        shared = image_norm == 'shared' and image_heads
        self.heads = ModuleDict({
            name: MODELS.build(dict(cfg, with_norm=False) if shared and name in image_heads
                               else cfg) for name, cfg in heads.items()})
        self.image_heads = frozenset(image_heads) if shared else frozenset()
        # one LayerNorm for all image-level heads (MMEarth's layer_norm_tmp), None per head
        self.image_norm = (LayerNorm2d(heads[image_heads[0]]['in_channels'], eps=1e-6)
                           if shared else None)
        self.mask_ratio, self.input_key = mask_ratio, input_key
        self.loss_weighting = None if loss_weighting is None else MODELS.build(
            dict(loss_weighting, task_names=list(heads)))

    def consumed_fields(self) -> set[str]:
        """MP-MAE reads one target field per head."""
        return set(self.heads)

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
