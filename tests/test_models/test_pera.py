"""PerA: EMA teacher, centering, KoLeo, sparse student/teacher passes and a finite loss."""
import math

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from torch.utils.data import Dataset

from eossl.models.losses import CenteredCrossEntropyLoss, KoLeoLoss
from eossl.models.utils import patchify
from eossl.registry import MODELS, TRANSFORMS

BANDS, PATCH, DIM, K = 3, 8, 32, 16


def tiny_pera() -> torch.nn.Module:
    model = MODELS.build(dict(
        type='PerA', num_global=2, num_local=2, teacher_temp=0.04,
        backbone=dict(type='EOVisionTransformer', arch=dict(embed_dims=DIM, num_layers=4,
                      num_heads=4), in_channels=BANDS, img_size=32, patch_size=PATCH,
                      drop_path_rate=0.1, drop_path_uniform=True),
        head=dict(type='DINOProjectionHead', in_channels=DIM, num_prototypes=K,
                  hidden_channels=32, bottleneck_channels=8,
                  koleo_loss=dict(type='KoLeoLoss', loss_weight=0.1)),
        pixel_head=dict(type='PixelPredictionHead', in_channels=DIM, patch_size=PATCH,
                        out_channels=BANDS, hidden_channels=32, bottleneck_channels=8),
        data_preprocessor=dict(type='eossl.EODataPreprocessor', mean=[0.5] * BANDS,
                               std=[0.25] * BANDS)))
    model.init_weights()
    return model


def batch(num_samples: int = 4) -> dict:
    pipeline = [TRANSFORMS.build(cfg) for cfg in (
        dict(type='AlignedMultiViews', num_global=2, num_local=2,
             global_crop=dict(type='EORandomResizedCrop', size=32, scale=(0.4, 1.0)),
             local_crop=dict(type='EORandomResizedCrop', size=16, scale=(0.05, 0.4)),
             flip=dict(type='EORandomFlip', prob=0.5),
             student_pipeline=[dict(type='RandomBandBrightnessContrast', prob=0.8)],
             teacher_pipeline=[dict(type='RandomBandBrightnessContrast', prob=0.1)]),
        dict(type='DisjointMaskGenerator', patch_size=PATCH, num_global=2),
        dict(type='PackEOInputs', algorithm_keys=('disjoint_masks',)))]
    rng = np.random.RandomState(0)
    samples = []
    for i in range(num_samples):
        results = {'img': rng.rand(BANDS, 48, 48).astype(np.float32), 'sample_id': str(i)}
        for transform in pipeline:
            results = transform(results)
        samples.append(results)
    return pseudo_collate(samples)


def test_loss_is_finite_and_gradients_reach_student_only():
    torch.manual_seed(0)
    model = tiny_pera()
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_dino', 'loss_koleo', 'loss_pixel'}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert all(not p.requires_grad and p.grad is None for p in model.teacher.parameters())
    for module in (model.backbone, model.head, model.pixel_head):
        assert all(p.grad is not None for p in module.parameters())
    assert model.backbone.mask_token.grad.abs().sum() > 0
    assert model.head.loss_module.center.abs().sum() > 0  # centering ran in training mode


def test_encoders_only_see_their_tokens_in_one_block_call_for_all_crops():
    torch.manual_seed(0)
    model = tiny_pera()
    seen = {'student': [], 'teacher': []}
    hooks = [(model.backbone, 'student'), (model.teacher.module.backbone, 'teacher')]
    for backbone, name in hooks:
        for i in (0, 2):
            backbone.blocks[i].register_forward_pre_hook(
                lambda m, args, name=name, i=i: seen[name].append(
                    (i, [tuple(x.shape[:2]) for x in args[0]])))
    model(**model.data_preprocessor(batch(2), training=True), mode='loss')
    # one call per block with [globals, locals]:
    # globals: 16 patches → student 1 + 3, +3 mask tokens at block 2; teacher 1 + 10
    # locals: 4 patches → student 1 + 1 (nothing predicted); teacher 1 + 2
    assert seen['student'] == [(0, [(4, 4), (4, 2)]), (2, [(4, 7), (4, 2)])]
    assert seen['teacher'] == [(0, [(4, 11), (4, 3)]), (2, [(4, 11), (4, 3)])]


def test_teacher_starts_equal_and_moves_by_the_ema_rule():
    model = tiny_pera()
    student = dict(model.student_parts().named_parameters())
    teacher = dict(model.teacher.module.named_parameters())
    assert all(torch.equal(teacher[n], student[n]) for n in student)
    assert not model.teacher.training and not model.train().teacher.training
    before = {n: p.clone() for n, p in teacher.items()}
    with torch.no_grad():
        for p in student.values():
            p.add_(torch.randn_like(p))
    model.update_teacher(0.9)
    for name, p in teacher.items():
        assert torch.allclose(p, 0.9 * before[name] + 0.1 * student[name], atol=1e-6)
    model.update_teacher(1.0)
    assert all(torch.equal(teacher[n], p) for n, p in dict(
        model.teacher.module.named_parameters()).items())


def test_centered_cross_entropy_value_and_center_update():
    loss_fn = CenteredCrossEntropyLoss(out_dim=3, student_temp=0.1, center_momentum=0.9)
    student = [torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.0, 1.0, 0.0]])]
    teacher = [torch.tensor([[0.2, 0.1, 0.0]]), torch.tensor([[0.0, 0.3, 0.6]])]
    loss = loss_fn(student, teacher, teacher_temp=0.05)
    expected = 0.0
    for s, t in zip(student, teacher):  # view i against view i only
        p = torch.softmax(t / 0.05, -1)
        expected += -(p * torch.log_softmax(s / 0.1, -1)).sum() / 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    first = torch.tensor([[0.1, 0.2, 0.3]])  # mean of the two teacher rows
    assert torch.allclose(loss_fn.center, 0.1 * first)
    loss_fn(student, [torch.ones(1, 3), torch.ones(1, 3)], teacher_temp=0.05)
    assert torch.allclose(loss_fn.center, 0.9 * 0.1 * first + 0.1 * torch.ones(1, 3))
    loss_fn.eval()
    loss_fn(student, teacher, teacher_temp=0.05)
    assert torch.allclose(loss_fn.center, 0.9 * 0.1 * first + 0.1 * torch.ones(1, 3))
    with pytest.raises(ValueError, match='same, non-zero count'):
        loss_fn(student, teacher[:1], teacher_temp=0.05)


def test_koleo_hand_case():
    angle = math.pi / 3
    x = torch.tensor([[1.0, 0.0], [math.cos(angle), math.sin(angle)], [-5.0, 0.0]])
    # nearest neighbours: 0→1 (distance 1), 1→0 (distance 1), 2→1 (distance √3)
    expected = -0.1 * (0 + 0 + math.log(math.sqrt(3))) / 3
    assert KoLeoLoss(loss_weight=0.1)(x).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match='B ≥ 2'):
        KoLeoLoss()(x[:1])


def test_pixel_target_gathers_the_predicted_patches():
    model = tiny_pera()
    images = torch.arange(2 * BANDS * 16 * 16, dtype=torch.float32).reshape(2, BANDS, 16, 16)
    idx = torch.tensor([[3, 0], [1, 2]])
    target = model.pixel_head.target(images, idx)
    assert torch.equal(target[0, 0], images[0, :, 8:, 8:].permute(1, 2, 0).reshape(-1))
    assert torch.equal(target[1], patchify(images, PATCH)[1, [1, 2]])


def test_missing_masks_raise():
    model = tiny_pera()
    data = model.data_preprocessor(batch(2), training=True)
    for sample in data['data_samples']:
        del sample.disjoint_masks
    with pytest.raises(ValueError, match='disjoint_masks'):
        model(**data, mode='loss')


class PackedSamples(Dataset):
    """Pre-packed PerA samples (the output of the data pipeline)."""

    def __init__(self, samples: list) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict:
        return self.samples[i]


def test_training_in_a_runner_with_the_schedule_hooks(tmp_path):
    packed = batch(4)
    samples = [dict(inputs=[v[i] for v in packed['inputs']], data_samples=packed['data_samples'][i])
               for i in range(4)]
    model = tiny_pera()
    runner = Runner(
        model=model, work_dir=str(tmp_path), default_scope='eossl',
        train_dataloader=dict(dataset=PackedSamples(samples), batch_size=2, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04),
                           clip_grad=dict(max_norm=3.0)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        param_scheduler=[dict(type='CosineAnnealingParamScheduler', param_name='weight_decay',
                              eta_min_ratio=5.0, T_max=2, by_epoch=True, begin=0, end=2,
                              convert_to_iter_based=True)],
        custom_hooks=[dict(type='TeacherEMAHook', momentum=0.5, end_momentum=1.0),
                      dict(type='TeacherTempWarmupHook', start=0.03, end=0.05, warmup=1)],
        default_hooks=dict(checkpoint=None), log_level='WARNING')
    start = {n: p.clone() for n, p in model.teacher.module.named_parameters()}
    runner.train()
    assert model.teacher_temp == pytest.approx(0.05)  # warm-up of 1 epoch (2 iters) is over
    moved = [n for n, p in model.teacher.module.named_parameters() if not torch.equal(p, start[n])]
    assert 'backbone.patch_embed.proj.weight' in moved
    wd = runner.optim_wrapper.optimizer.param_groups[0]['weight_decay']
    assert wd == pytest.approx(0.04 + 0.16 * (1 - math.cos(math.pi * 3 / 4)) / 2)
