"""PerA: self-distillation on perfectly aligned view pairs with disjoint sparse tokens."""
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.structures import DataSample
from torch import nn

from eossl.models.data_preprocessors.sample_fields import collate_field
from eossl.models.utils.ema import EMATeacher
from eossl.models.utils.representation_stats import embedding_stats, prototype_stats
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs
from .cpu_sizes import tiny_vit


@MODELS.register_module()
class PerA(BaseEOSelfSupervisor):
    """PerA (arXiv 2505.19447): a student and its EMA teacher see disjoint patches of the same
    crop, differing only in photometry, and must agree on prototype assignments.

    Inputs come from :class:`~eossl.datasets.transforms.AlignedMultiViews` +
    :class:`~eossl.datasets.transforms.DisjointMaskGenerator`: a list of ``2 · S`` view batches
    (S = ``num_global`` + ``num_local`` slots; student views first, globals first, then the
    teacher views in the same order), each (B, C, H_v, W_v), and per sample the DataSample field
    ``mask_key`` with sorted patch-index arrays ``{'student'|'predict'|'teacher': [S arrays]}``,
    collated once per batch into (B, K_s) tensors by the data preprocessor
    (``collate_fields``; :mod:`~eossl.models.data_preprocessors.sample_fields`).

    Per group of same-size slots (globals, locals) views are batched together; the groups then
    share one block call per layer (:meth:`EOVisionTransformer.encode` on a list, as the
    official code runs its crop list through DINOv2's nested blocks):

    - teacher (no grad): ``embed`` → keep teacher patches → blocks → CLS → projector;
    - student: ``embed`` → keep student patches → blocks, with mask tokens (+ position
      embedding) for the ``predict`` patches appended before block ``insert_at`` → CLS →
      head; the mask-token outputs → pixel head, regressing those patches of the student view.

    Only kept tokens enter the encoder, so a student sequence is 1 + 0.2·L tokens (+ 0.2·L
    after ``insert_at``) instead of 1 + L.

    Filled from the backbone (leave them out of a recipe): ``head.in_channels`` and
    ``pixel_head.in_channels`` (``embed_dims``), ``pixel_head.patch_size``. The data pipeline's
    crop slots and patch size are checked against the model on every batch (tensor shapes only,
    no host sync): a mismatch is an error naming both fields.

    Args:
        backbone: cfg of an :class:`~eossl.models.backbones.EOVisionTransformer`.
        head: cfg of a :class:`~eossl.models.heads.DINOProjectionHead`.
        pixel_head: cfg of a :class:`~eossl.models.heads.PixelPredictionHead`.
        num_global / num_local: crop slots, as in the data pipeline.
        teacher_temp: τ_t; :class:`~eossl.engine.hooks.TeacherTempWarmupHook` schedules it.
        insert_at: block before which mask tokens join; ``None`` = depth // 2.
        mask_key: DataSample field holding the index sets.
    """

    slug = 'pera'
    own_files = ('eossl/models/heads/dino_projection_head.py', 'eossl/models/heads/pixel_head.py',
                 'eossl/models/losses/centered_cross_entropy.py',
                 'eossl/models/losses/koleo_loss.py', 'eossl/datasets/transforms/masking.py',
                 'eossl/datasets/transforms/aligned_views.py')

    def __init__(self, backbone: dict, head: dict, pixel_head: dict, num_global: int = 2,
                 num_local: int = 8, teacher_temp: float = 0.05, insert_at: int | None = None,
                 mask_key: str = 'disjoint_masks', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        width = self.backbone.embed_dims
        self.head = MODELS.build(self.from_backbone(
            head, 'in_channels', width, 'model.head.in_channels', 'model.backbone.embed_dims'))
        pixel_head = self.from_backbone(pixel_head, 'in_channels', width,
                                        'model.pixel_head.in_channels',
                                        'model.backbone.embed_dims')
        self.pixel_head = MODELS.build(self.from_backbone(
            pixel_head, 'patch_size', self.backbone.patch_size, 'model.pixel_head.patch_size',
            'model.backbone.patch_size'))
        self.num_global, self.num_local = num_global, num_local
        self.teacher_temp = teacher_temp
        self.insert_at = self.backbone.num_layers // 2 if insert_at is None else insert_at
        self.mask_key = mask_key
        stem_bands = getattr(self.backbone.patch_embed, 'input_bands', None)
        if stem_bands is not None and self.pixel_head.bands is None:
            # a wavelength encoder: the pixel head predicts the stem's default bands, and a batch
            # of a band subset is scored on its own bands (PixelPredictionHead.bands)
            self.pixel_head.set_bands(stem_bands)
        # the official student mask token is drawn from N(0, 0.02²) (the ViT's own is zeros)
        nn.init.normal_(self.backbone.mask_token, std=.02)
        self.teacher = EMATeacher(self.student_parts())

    def consumed_fields(self) -> set[str]:
        """PerA reads the patch index sets ``mask_key``."""
        return {self.mask_key}

    def monitor_taps(self) -> dict[str, tuple[nn.Module, str]]:
        """The student CLS tokens (head input), the student logits (head output, global views:
        the first call) and the EMA teacher's logits (its projector's output)."""
        return {'cls': (self.head, 'input'), 'student': (self.head, 'output'),
                'teacher': (self.teacher.module.projector, 'output')}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``repr_std`` / ``repr_rank`` of the student CLS tokens; ``teacher_entropy``,
        ``teacher_batch_entropy`` of the centred, sharpened teacher distributions and
        ``student_teacher_kl`` (global views)."""
        if not {'cls', 'student', 'teacher'} <= set(seen):
            return {}
        loss = self.head.loss_module
        teacher = F.softmax((seen['teacher'].float() - loss.center) / self.teacher_temp, dim=-1)
        return {**embedding_stats(seen['cls']),
                **prototype_stats(teacher, seen['student'], loss.student_temp)}

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """PerA at CPU sizes: 2 local slots; ``'tiny'`` / ``'probe'``: a small ViT with 8 px
        patches on 32 / 16 px crops, small prototype heads; ``'bench'``: the recipe's ViT on 96 /
        48 px crops with 8192 prototypes. The patch size and slot counts are set once for the
        model and the pipeline."""
        views = 'train_dataloader.dataset.pipeline.[AlignedMultiViews]'
        masks = 'train_dataloader.dataset.pipeline.[DisjointMaskGenerator]'
        out: dict[str, Any] = {f'{views}.num_local': 2, 'model.num_local': 2}
        if size == 'bench':
            return {**out, f'{views}.global_crop.size': 96, f'{views}.local_crop.size': 48,
                    'model.head.num_prototypes': 8192}
        patch = 8
        if size == 'tiny':
            arch = tiny_vit(cfg.model.backbone.get('arch', 'base'), notes)
            heads = dict(num_prototypes=64, hidden_channels=32, bottleneck_channels=16)
            pixel = dict(hidden_channels=32, bottleneck_channels=16)
        else:
            arch = dict(embed_dims=64, num_layers=4, num_heads=4, _delete_=True)
            heads = dict(num_prototypes=1024, hidden_channels=128, bottleneck_channels=32)
            pixel = dict(hidden_channels=64, bottleneck_channels=32)
        return {**out, f'{views}.global_crop.size': 32, f'{views}.local_crop.size': 16,
                f'{masks}.patch_size': patch, 'model.backbone.patch_size': patch,
                'model.backbone.arch': arch, 'model.backbone.img_size': 32,
                **{f'model.head.{k}': v for k, v in heads.items()},
                **{f'model.pixel_head.{k}': v for k, v in pixel.items()}}

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{'s2': (CLS token (B, D), patch tokens as a map (B, D, h, w))}`` of the student."""
        out_type = self.backbone.out_type
        self.backbone.out_type = 'raw'
        try:
            tokens = self.backbone(inputs)[-1]
        finally:
            self.backbone.out_type = out_type
        h, w = self.backbone.grid_size(inputs)
        patches = tokens[:, -h * w:].transpose(1, 2).reshape(len(tokens), -1, h, w)
        return {'s2': (tokens[:, 0], patches)}

    def student_parts(self) -> nn.ModuleDict:
        """The student modules the teacher mirrors: ``backbone`` and ``projector``."""
        return nn.ModuleDict(dict(backbone=self.backbone, projector=self.head.projector))

    def init_weights(self) -> None:
        """Initialise (or load) the student, then start the teacher as its exact copy."""
        super().init_weights()
        self.teacher.update(self.student_parts(), momentum=0.0)

    def update_teacher(self, momentum: float) -> None:
        """EMA step of the teacher; called after each optimizer step by ``TeacherEMAHook``."""
        self.teacher.update(self.student_parts(), momentum)

    def extract_feat(self, inputs: EOInputs) -> tuple[torch.Tensor, ...]:
        """Dense student backbone outputs of a batch (B, C, H, W) or of the first view."""
        return self.backbone(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)

    def _masks(self, data_samples: Sequence[DataSample] | None, slots: int,
               device: torch.device) -> dict[str, list[torch.Tensor]]:
        """Batched index sets ``{'student'|'predict'|'teacher': [S tensors (B, K_s)]}``.

        The data preprocessor collates them once per batch (``collate_fields``); samples that
        did not pass through it are collated here.
        """
        if not data_samples or data_samples[0].get(self.mask_key) is None:
            raise ValueError(f'PerA: data samples lack the "{self.mask_key}" field; add '
                             "DisjointMaskGenerator and PackEOInputs(algorithm_keys=("
                             f"'{self.mask_key}',)) to the pipeline")
        masks = collate_field(data_samples, self.mask_key, device)
        for name in ('student', 'predict', 'teacher'):
            if len(masks[name]) != slots:
                raise ValueError(
                    f'PerA: "{self.mask_key}.{name}" lists {len(masks[name])} crop slots, the '
                    f'model has model.num_global + model.num_local = {slots}; set the '
                    "pipeline's AlignedMultiViews / DisjointMaskGenerator num_global / "
                    'num_local equal to the model\'s')
        return masks

    def _check_grid(self, view: torch.Tensor, masks: dict[str, list[torch.Tensor]]) -> None:
        """A global slot's three index sets cover the view's patch grid: else the pipeline's
        patch size is not the backbone's (shapes only, no host sync)."""
        cells = self.backbone.grid_size(view)
        covered = sum(masks[name][0].shape[1] for name in ('student', 'predict', 'teacher'))
        if covered != cells[0] * cells[1]:
            raise ValueError(
                f'PerA: the index sets of "{self.mask_key}" cover {covered} patches of a '
                f'{tuple(view.shape[-2:])} view, model.backbone.patch_size='
                f'{self.backbone.patch_size} gives {cells[0] * cells[1]}; set '
                'DisjointMaskGenerator.patch_size in the pipeline equal to '
                'model.backbone.patch_size')

    def _group_tokens(self, backbone: nn.Module, views: list[torch.Tensor],
                      keep: list[torch.Tensor], groups: list[range]) -> list[torch.Tensor]:
        """Per group of same-size slots: its views batched → embedded → kept tokens
        (n_g·B, 1 + K_g, D), slot-major."""
        return [backbone.select_tokens(backbone.embed(torch.cat([views[s] for s in g])),
                                       torch.cat([keep[s] for s in g])) for g in groups]

    @torch.no_grad()
    def _teacher_logits(self, teachers: list[torch.Tensor], keep: list[torch.Tensor],
                        groups: list[range]) -> torch.Tensor:
        """Teacher logits (S·B, K) of all slots (slot-major), each view seen through ``keep``;
        all groups share one block call per layer."""
        teacher = self.teacher.module
        out = teacher.backbone.encode(self._group_tokens(teacher.backbone, teachers, keep,
                                                         groups))
        return teacher.projector(torch.cat([x[:, 0] for x in out]))

    def _student_forward(self, students: list[torch.Tensor], masks: dict[str, list],
                         groups: list[range]) -> tuple:
        """Student logits (S·B, K) of all slots (slot-major) and the predicted / target pixels.

        Each view is seen through its ``student`` patches; mask tokens of its ``predict``
        patches join before block ``insert_at``; one block call per layer for all groups. The
        pixels, each (rows, p²·C), are those of the predicted patches of all groups; ``None``
        when nothing is predicted.
        """
        tokens = self._group_tokens(self.backbone, students, masks['student'], groups)
        images = [torch.cat([students[s] for s in g]) for g in groups]
        predict = [torch.cat([masks['predict'][s] for s in g]) for g in groups]
        extras = [self.backbone.mask_tokens(idx, self.backbone.grid_size(img)) if idx.shape[1]
                  else None for img, idx in zip(images, predict)]
        out = self.backbone.encode(tokens, extras, self.insert_at)
        logits = self.head(torch.cat([x[:, 0] for x in out]))
        rows = [(x[:, -idx.shape[1]:], img, idx) for x, img, idx in zip(out, images, predict)
                if idx.shape[1]]
        if not rows:
            return logits, None, None
        # a wavelength encoder fed a band subset: score the predicted values of those bands
        bands = getattr(self.backbone.patch_embed, 'input_bands', None)
        pred = torch.cat([self.pixel_head(x, bands).flatten(0, 1) for x, _, _ in rows])
        target = torch.cat([self.pixel_head.target(img, idx).flatten(0, 1)
                            for _, img, idx in rows])
        return logits, pred, target

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None) -> dict:
        """``loss_dino``, ``loss_koleo`` and ``loss_pixel`` of one batch of paired views."""
        slots = self.num_global + self.num_local
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2 * slots:
            raise ValueError(
                f'PerA: expected a list of {2 * slots} view batches (student then teacher views '
                f'of model.num_global + model.num_local = {slots} slots), got '
                f'{len(inputs) if isinstance(inputs, (list, tuple)) else "a tensor"}; the '
                "pipeline's AlignedMultiViews num_global / num_local must equal the model's")
        students, teachers = list(inputs[:slots]), list(inputs[slots:])
        masks = self._masks(data_samples, slots, students[0].device)
        if self.num_global:
            self._check_grid(students[0], masks)
        groups = [g for g in (range(0, self.num_global), range(self.num_global, slots)) if len(g)]
        for g in groups:
            sizes = {tuple(views[s].shape[-2:]) for views in (students, teachers) for s in g}
            if len(sizes) != 1:
                raise ValueError(f'PerA: slots {list(g)} must share one view size, got {sizes}')
        t_logits = self._teacher_logits(teachers, masks['teacher'], groups)
        s_logits, pred, target = self._student_forward(students, masks, groups)
        losses = self.head.loss(list(s_logits.chunk(slots)), list(t_logits.chunk(slots)),
                                self.teacher_temp, self.num_global)
        if pred is not None:
            losses.update(self.pixel_head.loss(pred, target))
        return losses

