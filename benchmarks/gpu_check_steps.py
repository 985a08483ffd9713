"""The in-process parts of ``gpu_check.py``: training steps, CPU/GPU agreement, SDPA kernel,
loader rate and scene inference (the multi-process parts live in ``gpu_check.py``)."""
import time
from pathlib import Path

import numpy as np
import torch

from common import (
    count_flops,
    dense_gemm_flops_per_s,
    median,
    peak_memory_mib,
    reset_peak_memory,
    synchronize,
    time_interleaved,
)
from methods import METHODS, REPO, fake_data, load_recipe
from run import build_step

TINY_VIT = dict(embed_dims=32, num_layers=2, num_heads=2, _delete_=True)  # scene inference
def is_oom(error: BaseException) -> bool:
    """Whether ``error`` is the device running out of memory."""
    return isinstance(error, torch.OutOfMemoryError) or 'out of memory' in str(error).lower()


def smoke_size(smoke: bool) -> str:
    """``--smoke``: every method at its own toy size (``cpu_overrides(cfg, 'tiny')``), so the
    whole check runs on a CPU in CI; else the recipe as written."""
    return 'tiny' if smoke else 'recipe'


def recipe_batch(method: str, smoke: bool, data_root: Path) -> int:
    """The recipe's batch per GPU (2 under ``--smoke``)."""
    return 2 if smoke else int(load_recipe(method, None, 'recipe', data_root).train_dataloader
                               .batch_size)


def step_row(method: str, device: torch.device, smoke: bool, cache: Path, steps: int,
             bf16_gemm: float) -> dict:
    """One method's recipe under bf16 (fp32 where the device has no bf16): s/step, images/s,
    peak memory, model FLOP/s against the bf16 GEMM rate, host syncs per step."""
    from eossl.engine.host_syncs import HostSyncCounter
    from eossl.engine.precision import autocast_dtype
    size = smoke_size(smoke)
    data_root = fake_data(method, cache, 4 if smoke else 16)
    batch = recipe_batch(method, smoke, data_root)
    variant = 'bf16' if autocast_dtype(device.type) is torch.bfloat16 else 'baseline'
    step, loss, model, _ = build_step(method, None, size, variant, batch, data_root, device, None)
    step()
    reset_peak_memory(device)
    seconds = median(time_interleaved({'step': step}, device, warmup=1, iters=steps)['step'])
    peak, _ = peak_memory_mib(device)
    with HostSyncCounter(accelerator_only=device.type != 'cpu') as syncs:
        step()
    driver_syncs = None
    if device.type == 'cuda':  # what the driver itself reports
        import warnings
        torch.cuda.set_sync_debug_mode('warn')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            step()
            synchronize(device)
        torch.cuda.set_sync_debug_mode(0)
        driver_syncs = sum('synchroniz' in str(w.message) for w in caught)
    model.zero_grad(set_to_none=True)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=variant == 'bf16'):
        flops = count_flops(loss)
    step_flops = flops['forward'] + flops['backward']
    return dict(method=method, precision=variant.replace('baseline', 'fp32'), batch_size=batch,
                seconds_per_step=round(seconds, 4), images_per_s=round(batch / seconds, 2),
                peak_memory_mib=round(peak, 1), model_tflops=round(step_flops / seconds / 1e12, 3),
                fraction_of_bf16_gemm=round(step_flops / seconds / bf16_gemm, 4),
                host_syncs_per_step=syncs.total, host_sync_ops=dict(syncs.ops),
                driver_syncs_per_step=driver_syncs, recipe=METHODS[method].recipe)


def largest_batch(method: str, device: torch.device, smoke: bool, cache: Path, start: int,
                  doublings: int) -> dict:
    """The largest of ``start · 2^k`` (k ≤ ``doublings``) whose bf16 step fits in memory."""
    data_root = fake_data(method, cache, 4 if smoke else 16)
    fits, failed = start, None
    for k in range(1, doublings + 1):
        batch = start * 2 ** k
        try:
            step = build_step(method, None, smoke_size(smoke), 'bf16'
                              if device.type == 'cuda' else 'baseline', batch, data_root, device,
                              None)[0]
            step()
            synchronize(device)
            fits = batch
        except Exception as error:  # noqa: BLE001 (anything but OOM is re-raised)
            if not is_oom(error):
                raise
            failed = batch
            break
        finally:
            step = None
            if device.type == 'cuda':
                torch.cuda.empty_cache()
    return dict(method=method, largest_batch=fits, first_oom=failed,
                note=None if failed else f'fits at every tried size (≥ {fits})')


def agreement(method: str, device: torch.device, smoke: bool, cache: Path, steps: int) -> dict:
    """Losses of ``steps`` fp32 steps from one seed and one batch on the CPU and on ``device``
    (TF32 off, drop-path off, the GPU model starting from the CPU model's weights)."""
    data_root = fake_data(method, cache, 4)
    options = ({'model.backbone.drop_path_rate': 0.0}
               if method in ('pera', 'softcon') else None)
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    losses, weights = {}, None
    try:
        for name, where in (('cpu', torch.device('cpu')), ('device', device)):
            np.random.seed(0)
            torch.manual_seed(0)
            _, loss, model, _ = build_step(method, None, 'tiny', 'baseline', 2, data_root, where,
                                           options)
            if weights is None:
                weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                model.load_state_dict(weights)
            from mmengine.optim import OptimWrapper
            optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
            values = []
            for _ in range(steps):
                value = loss()
                optim.update_params(value)
                values.append(float(value))
            losses[name] = values
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    worst = max(abs(a - b) / max(abs(a), 1e-8) for a, b in zip(losses['cpu'], losses['device']))
    return dict(method=method, steps=steps, cpu_losses=losses['cpu'],
                device_losses=losses['device'], max_relative_difference=worst,
                tolerance=1e-3, agree=worst <= 1e-3)


def sdpa_kernel(device: torch.device) -> dict:
    """Which attention kernel ``F.scaled_dot_product_attention`` runs for a ViT-S/16 batch at
    224 px (32 × 6 heads × 197 tokens × 64) in bf16, read from the profiler's kernel names."""
    from torch.profiler import ProfilerActivity, profile
    dtype = torch.bfloat16
    q, k, v = (torch.randn(32, 6, 197, 64, device=device, dtype=dtype) for _ in range(3))
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == 'cuda'
                                           else [])
    torch.nn.functional.scaled_dot_product_attention(q, k, v)
    with profile(activities=activities) as prof:
        torch.nn.functional.scaled_dot_product_attention(q, k, v)
        synchronize(device)
    names = sorted({e.name for e in prof.events()
                    if any(w in e.name.lower() for w in ('flash', 'efficient', 'cudnn', 'fmha',
                                                         'attention', 'math'))})
    kinds = [kind for kind, words in (('flash', ('flash',)), ('memory-efficient', ('efficient',
             'mem_eff')), ('cudnn', ('cudnn',)), ('math', ('math',)))
             if any(w in n.lower() for n in names for w in words)]
    return dict(kernels=kinds, op_and_kernel_names=names[:12], dtype='bfloat16')


def loader_vs_step(method: str, smoke: bool, cache: Path, workers: int, step_rate: float) -> dict:
    """samples/s of the recipe's data loader with ``workers`` workers vs the step's images/s."""
    from data_pipeline import loader_rate
    data_root = fake_data(method, cache, 4 if smoke else 16)
    cfg = load_recipe(method, None, smoke_size(smoke), data_root)
    batch = recipe_batch(method, smoke, data_root)
    row, _ = loader_rate(cfg, workers, batch, 2 if smoke else 6)
    return dict(method=method, **row, step_images_per_s=step_rate,
                loader_keeps_up=row['samples_per_s'] >= step_rate)


def scene_inference(device: torch.device, work: Path, side: int, tile: int, batch: int,
                    amp: bool) -> dict:
    """``eossl-predict-scene --embed`` of the PerA ViT-S/16 recipe (random weights) over a
    generated ``side``² 13-band uint16 scene: tiles/s and peak memory."""
    from eossl.apis import init_model, predict_scene
    from eossl.testing.scenes import make_fake_scene
    start = time.perf_counter()
    scene = make_fake_scene(work / f'scene_{side}.tif', side, side)
    written = time.perf_counter() - start
    options = {'model.backbone.arch': TINY_VIT} if side < 2048 else None
    model = init_model(str(REPO / METHODS['pera'].recipe), None, device, cfg_options=options)
    reset_peak_memory(device)
    start = time.perf_counter()
    info = predict_scene(model, scene, work / 'features.tif', tile=tile, overlap=max(16, tile // 8),
                         batch=batch, embed=True, progress=False, amp=amp)
    seconds = time.perf_counter() - start
    peak, kind = peak_memory_mib(device)
    scene.unlink()
    return dict(side=side, bands=13, tile=tile, batch=batch, amp=amp, tiles=info['tiles'],
                seconds=round(seconds, 2), tiles_per_s=round(info['tiles'] / seconds, 2),
                peak_memory_mib=round(peak, 1), memory_kind=kind,
                scene_write_seconds=round(written, 1))


def bf16_gemm_rate(device: torch.device, smoke: bool) -> float:
    """FLOP/s of a bf16 GEMM in this process (the reference of every ``fraction``)."""
    return dense_gemm_flops_per_s(device, torch.bfloat16, n=256 if smoke else None)['flops_per_s']
