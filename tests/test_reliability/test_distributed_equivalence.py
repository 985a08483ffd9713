"""Each method's training step on 2 gloo ranks equals the step of 1 process on the same global
batch: the rank-averaged logged loss terms, the DDP-averaged gradients and PerA's centre.

In-process (forked ranks, tiny float64 models; some losses compute in float32 internally),
compared within 1e-5. Dual-SimCLR's gathered NT-Xent is compared end to end through
``tools/dist_train.sh`` in tests/test_tools/test_train_demo.py.

Settings that are per-process by design are avoided: BatchNorm (SyncBN needs CUDA), dropped
tokens / drop-path / masks drawn from each rank's own generator (the masks are dealt out from
one global draw instead), MP-MAE's ``grn_stats='batch'`` and nodata labels (per-rank means of
different counts). PerA's KoLeo regulariser looks for nearest neighbours within each rank's
batch, as DINOv2 and PerA do: its 2-rank value is checked against the mean of the halves.
"""
import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.distributed as dist
from mmpretrain.structures import DataSample

from eossl.models.backbones.vit_blocks import DropPath
from eossl.registry import MODELS

from ..gloo import run_on_ranks
from ..test_models.test_pera import batch as pera_batch
from ..test_models.test_pera import tiny_pera

WORLD, BATCH = 2, 4
TOL = dict(atol=1e-5, rtol=1e-5)


def _half(value, rank: int):
    """Rank ``rank``'s rows of a batched tensor / list of views / list of data samples."""
    if isinstance(value, torch.Tensor):
        return value.chunk(WORLD)[rank]
    if isinstance(value, list) and value and isinstance(value[0], torch.Tensor):
        return [_half(v, rank) for v in value]
    return value[rank * BATCH // WORLD:(rank + 1) * BATCH // WORLD]


def _double(inputs):
    return [v.double() for v in inputs] if isinstance(inputs, list) else inputs.double()


def _step(model: torch.nn.Module, inputs, samples) -> dict[str, torch.Tensor]:
    """One loss + backward; the (rank-averaged) logged terms."""
    total, log_vars = model.parse_losses(model.loss(inputs, samples))
    total.backward()
    return {k: v.detach() for k, v in log_vars.items()}


def _grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _rank_worker(rank: int, world: int, model: torch.nn.Module, inputs, samples,
                 expected: dict, prepare: Callable | None) -> None:
    model = copy.deepcopy(model)
    if prepare is not None:
        prepare(model, rank)
    logged = _step(model, _half(inputs, rank), _half(samples, rank))
    for param in model.parameters():
        if param.grad is not None:  # what DDP does: average the gradients over ranks
            dist.all_reduce(param.grad)
            param.grad /= world
    for name, value in expected['logged'].items():
        torch.testing.assert_close(logged[name].double(), value.double(), **TOL,
                                   msg=f'rank {rank}: logged {name}')
    grads = _grads(model)
    assert grads.keys() == expected['grads'].keys()
    for name, grad in expected['grads'].items():
        torch.testing.assert_close(grads[name], grad, **TOL, msg=f'rank {rank}: grad of {name}')
    for name, buffer in expected.get('buffers', {}).items():
        torch.testing.assert_close(model.get_buffer(name), buffer, **TOL, msg=name)


def _single_process(model: torch.nn.Module, inputs, samples) -> dict:
    model = copy.deepcopy(model)
    return dict(logged=_step(model, inputs, samples), grads=_grads(model), model=model)


def test_softcon_gathered_soft_contrastive_loss():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SoftCon', num_classes=5,
        backbone=dict(type='EOVisionTransformer', arch=dict(embed_dims=16, num_layers=2,
                      num_heads=2), in_channels=3, img_size=28, patch_size=14),
        neck=dict(type='ProjectionMLP', in_channels=16, hid_channels=16, out_channels=8,
                  with_avg_pool=False),
        head=dict(type='SoftContrastiveHead',
                  loss=dict(type='SoftContrastiveLoss', unlabeled='ignore')))).double()
    inputs = [torch.randn(BATCH, 3, 28, 28, dtype=torch.float64) for _ in range(2)]
    labels = [[0, 1], [1], [], [2, 4]]  # one unlabeled scene: 'ignore' counts rows globally
    samples = [DataSample().set_gt_label(label) if label else DataSample() for label in labels]
    expected = _single_process(model, inputs, samples)
    run_on_ranks(_rank_worker, WORLD, model, inputs, samples, expected, None)


def _trained_looking_pera() -> torch.nn.Module:
    """Tiny PerA without drop-path (each rank would drop other samples), its weights shaken:
    at init LayerScale (1e-5) makes every CLS token, hence every teacher output, the same, and
    per-rank centres would then agree whether or not they are all-reduced."""
    model = tiny_pera()
    for module in model.modules():
        if isinstance(module, DropPath):
            module.p = 0.0
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))
    return model


def _pera_single_process(model: torch.nn.Module, inputs, samples) -> dict:
    """DINO and pixel terms of the global batch, KoLeo as the mean of the per-rank halves."""
    model = copy.deepcopy(model)
    full = model.loss(inputs, samples)
    (full['loss_dino'] + full['loss_pixel']).backward()
    center = model.head.loss_module.center.clone()  # after one update, as on the ranks
    koleo = torch.stack([model.loss(_half(inputs, rank), _half(samples, rank))['loss_koleo']
                         for rank in range(WORLD)]).mean()
    koleo.backward()
    logged = dict(loss_dino=full['loss_dino'], loss_koleo=koleo, loss_pixel=full['loss_pixel'])
    logged['loss'] = sum(logged.values())
    return dict(logged={k: v.detach() for k, v in logged.items()}, grads=_grads(model),
                buffers={'head.loss_module.center': center})


def test_pera_centering_dino_pixel_and_per_rank_koleo():
    torch.manual_seed(0)
    model = _trained_looking_pera().double()
    data = model.data_preprocessor(pera_batch(BATCH), training=True)
    inputs, samples = _double(data['inputs']), data['data_samples']
    expected = _pera_single_process(model, inputs, samples)
    run_on_ranks(_rank_worker, WORLD, model, inputs, samples, expected, None)


def _mpmae_samples(size: int) -> list[DataSample]:
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(BATCH):
        sample = DataSample()
        sample.set_field(rng.standard_normal((3, size, size)), 's2')
        sample.set_field(rng.integers(0, 4, (1, size, size)), 'lc')  # no nodata (-1) here
        sample.set_field(np.array(rng.integers(0, 5)), 'biome')
        samples.append(sample)
    return samples


def test_mpmae_masked_pretext_losses_with_uncertainty_weighting():
    torch.manual_seed(0)
    heads = dict(s2=dict(type='PixelRegressionHead', in_channels=16, out_channels=3,
                         patch_size=8, loss=dict(type='MaskedMSELoss', norm_per_patch=True)),
                 lc=dict(type='PixelClassificationHead', in_channels=16, num_classes=4,
                         patch_size=8),
                 biome=dict(type='ImageLevelHead', in_channels=16, out_channels=5,
                            loss=dict(type='MaskedCrossEntropyLoss')))
    model = MODELS.build(dict(
        type='MPMAE', backbone=dict(type='ConvNeXtV2FCMAE', in_channels=3, patch_size=8,
                                    arch=dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16]),
                                    grn_stats='sample', out_norm=False),
        neck=dict(type='FCMAEDecoder', in_channels=16, embed_dim=16), heads=heads,
        loss_weighting=dict(type='UncertaintyWeighting')))
    model.init_weights()
    with torch.no_grad():  # s_k away from 0, so that the weighting matters
        model.loss_weighting.log_vars.copy_(torch.tensor([0.3, -0.2, 0.1]))
    model.double()
    inputs = torch.randn(BATCH, 3, 32, 32, dtype=torch.float64)
    mask = model.generate_mask(BATCH, (4, 4), inputs.device)  # one global draw...
    model.generate_mask = lambda batch, grid, device: mask
    expected = _single_process(model, inputs, _mpmae_samples(32))

    def deal_masks(rank_model: torch.nn.Module, rank: int) -> None:
        rank_model.generate_mask = lambda batch, grid, device: mask.chunk(WORLD)[rank]

    run_on_ranks(_rank_worker, WORLD, model, inputs, _mpmae_samples(32), expected, deal_masks)
