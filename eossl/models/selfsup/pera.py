"""PerA: self-distillation on perfectly aligned view pairs with disjoint sparse tokens."""
from collections.abc import Sequence

import numpy as np
import torch
from mmpretrain.structures import DataSample
from torch import nn

from eossl.models.utils.ema import EMATeacher
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs


@MODELS.register_module()
class PerA(BaseEOSelfSupervisor):
    """PerA (arXiv 2505.19447): a student and its EMA teacher see disjoint patches of the same
    crop, differing only in photometry, and must agree on prototype assignments.

    Inputs come from :class:`~eossl.datasets.transforms.AlignedMultiViews` +
    :class:`~eossl.datasets.transforms.DisjointMaskGenerator`: a list of ``2 · S`` view batches
    (S = ``num_global`` + ``num_local`` slots; student views first, globals first, then the
    teacher views in the same order), each (B, C, H_v, W_v), and per sample the DataSample field
    ``mask_key`` with sorted patch-index arrays ``{'student'|'predict'|'teacher': [S arrays]}``.

    Per group of same-size slots (globals, locals) views are batched together, then:

    - teacher (no grad): ``embed`` → keep teacher patches → blocks → CLS → projector;
    - student: ``embed`` → keep student patches → blocks, with mask tokens (+ position
      embedding) for the ``predict`` patches appended before block ``insert_at`` → CLS →
      head; the mask-token outputs → pixel head, regressing those patches of the student view.

    Only kept tokens enter the encoder, so a student sequence is 1 + 0.2·L tokens (+ 0.2·L
    after ``insert_at``) instead of 1 + L.

    Args:
        backbone: cfg of an :class:`~eossl.models.backbones.EOVisionTransformer`.
        head: cfg of a :class:`~eossl.models.heads.DINOProjectionHead`.
        pixel_head: cfg of a :class:`~eossl.models.heads.PixelPredictionHead`.
        num_global / num_local: crop slots, as in the data pipeline.
        teacher_temp: τ_t; :class:`~eossl.engine.hooks.TeacherTempWarmupHook` schedules it.
        insert_at: block before which mask tokens join; ``None`` = depth // 2.
        mask_key: DataSample field holding the index sets.
    """

    def __init__(self, backbone: dict, head: dict, pixel_head: dict, num_global: int = 2,
                 num_local: int = 8, teacher_temp: float = 0.05, insert_at: int | None = None,
                 mask_key: str = 'disjoint_masks', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.pixel_head = MODELS.build(pixel_head)
        self.num_global, self.num_local = num_global, num_local
        self.teacher_temp = teacher_temp
        self.insert_at = self.backbone.num_layers // 2 if insert_at is None else insert_at
        self.mask_key = mask_key
        # the official student mask token is drawn from N(0, 0.02²) (the ViT's own is zeros)
        nn.init.normal_(self.backbone.mask_token, std=.02)
        self.teacher = EMATeacher(self.student_parts())

    def consumed_fields(self) -> set[str]:
        """PerA reads the patch index sets ``mask_key``."""
        return {self.mask_key}

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
        """Batched index sets ``{'student'|'predict'|'teacher': [S tensors (B, K_s)]}``."""
        if not data_samples or data_samples[0].get(self.mask_key) is None:
            raise ValueError(f'PerA: data samples lack the "{self.mask_key}" field; add '
                             "DisjointMaskGenerator and PackEOInputs(algorithm_keys=("
                             f"'{self.mask_key}',)) to the pipeline")
        out = {}
        for name in ('student', 'predict', 'teacher'):
            per_sample = [ds.get(self.mask_key)[name] for ds in data_samples]
            if any(len(p) != slots for p in per_sample):
                raise ValueError(f'PerA: "{self.mask_key}.{name}" must list {slots} slots')
            out[name] = [torch.as_tensor(np.stack([p[s] for p in per_sample]), device=device)
                         for s in range(slots)]
        return out

    @torch.no_grad()
    def _teacher_logits(self, images: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Teacher logits (N, K) of ``images`` (N, C, H, W) seen through patches ``keep``."""
        teacher = self.teacher.module
        tokens = teacher.backbone.select_tokens(teacher.backbone.embed(images), keep)
        return teacher.projector(teacher.backbone.encode(tokens)[:, 0])

    def _student_forward(self, images: torch.Tensor, keep: torch.Tensor,
                         predict: torch.Tensor) -> tuple:
        """Student logits (N, K) from patches ``keep`` (N, K_s), and predicted/target pixels.

        The pixels, each (N · M, p²·C), are those of the patches ``predict`` (N, M); both are
        ``None`` when M = 0.
        """
        grid = self.backbone.grid_size(images)
        tokens = self.backbone.select_tokens(self.backbone.embed(images), keep)
        num_pred = predict.shape[1]
        extra = self.backbone.mask_tokens(predict, grid) if num_pred else None
        out = self.backbone.encode(tokens, extra, self.insert_at)
        if not num_pred:
            return self.head(out[:, 0]), None, None
        pred = self.pixel_head(out[:, -num_pred:]).flatten(0, 1)
        return self.head(out[:, 0]), pred, self.pixel_head.target(images, predict).flatten(0, 1)

    def _group_forward(self, students: list[torch.Tensor], teachers: list[torch.Tensor],
                       masks: dict[str, list[torch.Tensor]], slots: range) -> tuple:
        """Slots of one view size, batched → (student logits, teacher logits, pred, target).

        Logits are lists with one (B, K) tensor per slot; ``pred``/``target`` are rows of the
        predicted patches, ``None`` when the group predicts nothing.
        """
        sizes = {tuple(views[s].shape[-2:]) for views in (students, teachers) for s in slots}
        if len(sizes) != 1:
            raise ValueError(f'PerA: slots {list(slots)} must share one view size, got {sizes}')
        s_idx, t_idx, p_idx = (torch.cat([masks[k][s] for s in slots])
                               for k in ('student', 'teacher', 'predict'))
        t_logits = self._teacher_logits(torch.cat([teachers[s] for s in slots]), t_idx)
        s_logits, pred, target = self._student_forward(
            torch.cat([students[s] for s in slots]), s_idx, p_idx)
        n = len(slots)
        return list(s_logits.chunk(n)), list(t_logits.chunk(n)), pred, target

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None) -> dict:
        """``loss_dino``, ``loss_koleo`` and ``loss_pixel`` of one batch of paired views."""
        slots = self.num_global + self.num_local
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2 * slots:
            raise ValueError(f'PerA: expected a list of {2 * slots} view batches (student then '
                             f'teacher views of {slots} slots), got '
                             f'{len(inputs) if isinstance(inputs, (list, tuple)) else "a tensor"}')
        students, teachers = list(inputs[:slots]), list(inputs[slots:])
        masks = self._masks(data_samples, slots, students[0].device)
        s_logits, t_logits, preds, targets = [], [], [], []
        groups = [range(0, self.num_global), range(self.num_global, slots)]
        for group in (g for g in groups if len(g)):
            s_out, t_out, pred, target = self._group_forward(students, teachers, masks, group)
            s_logits += s_out
            t_logits += t_out
            if pred is not None:
                preds.append(pred)
                targets.append(target)
        losses = self.head.loss(s_logits, t_logits, self.teacher_temp, self.num_global)
        if preds:
            losses.update(self.pixel_head.loss(torch.cat(preds), torch.cat(targets)))
        return losses
