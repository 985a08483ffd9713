"""The accelerator path of eossl, verified in one prepared run (< 8 min on one H100-class GPU).

    python benchmarks/gpu_check.py            # on a GPU machine: JSON + Markdown in results/
    python benchmarks/gpu_check.py --smoke    # the same code on the CPU at toy sizes (CI, ~1 min)

Sections (each timed; a failing one is reported with its error and the run goes on; the exit
code is 1 when any failed):

1. ``gemm`` / ``sdpa``: the bf16 GEMM rate timed in this process, and which attention kernel
   ``scaled_dot_product_attention`` runs (flash, memory-efficient, cuDNN or math).
2. ``steps``: each method's shipped recipe at recipe size (the recipe's batch per GPU) under
   bf16 autocast: s/step, images/s, peak memory, model FLOP/s as a fraction of the bf16 GEMM
   rate, host syncs per step (``HostSyncCounter``, and on CUDA the driver's own count from
   ``torch.cuda.set_sync_debug_mode``).
3. ``largest_batch``: the largest of batch × 2, × 4 whose step fits.
4. ``agreement``: a few fp32 steps (TF32 off) from one seed on the CPU and on the GPU agree,
   relative loss difference ≤ 1e-3.
5. ``headline``: ``tools/dist_train.sh configs/pera_vits.py 1 --amp`` (world size 1, NCCL as
   the recipe says), then ``--resume`` one epoch further.
6. ``fsdp``: the PerA ViT-L FSDP recipe (shrunk) on packed shards with ``--amp``: mixed
   precision policy, clipping over all shards, the EMA teacher per shard.
7. ``shared_gpu``: two ranks on one GPU (``CUDA_VISIBLE_DEVICES`` = one device): DDP over gloo.
8. ``loader``: the recipes' data loader rate against the step rate of section 2.
9. ``scene``: ``predict_scene --embed --amp`` (PerA ViT-S/16) over a generated 10 980² 13-band
   scene: tiles/s and peak memory.

The runs of 5–7 use each recipe's ``--preset cpu-tiny`` sizes on generated data: they check the
path (backend, launch, resume, sharding), not throughput.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

from common import RESULTS, device_tag, environment, pick_device
from gpu_check_steps import (
    agreement,
    bf16_gemm_rate,
    largest_batch,
    loader_vs_step,
    scene_inference,
    sdpa_kernel,
    step_row,
)
from methods import METHODS, REPO

FSDP_RECIPE = """_base_ = ['{repo}/configs/pera/pera_vitl16_s2_fsdp.py']
model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2,
                            mlp_ratio=2.0)), num_local=2,
    head=dict(in_channels=32, num_prototypes=256, hidden_channels=64, bottleneck_channels=32),
    pixel_head=dict(in_channels=32, hidden_channels=64, bottleneck_channels=32))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        pin_memory=False, dataset=dict(data_root='{shards}'))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
"""
FSDP_OPTIONS = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.pipeline.0.target_size=64',
                'train_dataloader.dataset.pipeline.1.num_local=2',
                'train_dataloader.dataset.pipeline.1.global_crop.size=64',
                'train_dataloader.dataset.pipeline.1.local_crop.size=32']


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def train(args: list[str], nproc: int, env: dict, timeout: int) -> str:
    """``eossl-dist-train`` (what ``tools/dist_train.sh`` runs); its log, or an error with it."""
    run_env = dict(os.environ, **env, PORT=str(free_port()),
                   PYTHONPATH=f"{REPO}:{os.environ.get('PYTHONPATH', '')}")
    done = subprocess.run([sys.executable, '-m', 'eossl.cli.dist_train', args[0], str(nproc),
                           *args[1:]], cwd=REPO, env=run_env, capture_output=True, text=True,
                          timeout=timeout)
    log = done.stdout + done.stderr
    if done.returncode:
        raise RuntimeError(f'training exited {done.returncode}:\n{log[-3000:]}')
    return log


def losses(work: Path) -> list[float]:
    """The logged training losses of a work dir."""
    lines = [json.loads(line) for path in sorted(work.glob('*/vis_data/scalars.json'))
             for line in path.read_text().splitlines()]
    return [round(line['loss'], 4) for line in lines if 'loss' in line]


def headline(work: Path, env: dict, timeout: int) -> dict:
    """The headline recipe at world size 1 with --amp, then resumed one epoch further."""
    recipe = str(REPO / 'configs' / 'pera_vits.py')
    common = [recipe, '--preset', 'cpu-tiny', '--amp', '--work-dir', str(work)]
    first = train([*common, '--cfg-options', 'train_cfg.max_epochs=1'], 1, env, timeout)
    second = train([*common, '--resume', '--cfg-options', 'train_cfg.max_epochs=2'], 1, env,
                   timeout)
    return dict(backend='gloo' if "-> 'gloo'" in first else 'nccl',
                autocast='EOOptimWrapper' in first, resumed='resumed epoch: 1' in second,
                losses=losses(work), ok='resumed epoch: 1' in second)


def fsdp(work: Path, env: dict, timeout: int) -> dict:
    """The shrunk PerA ViT-L FSDP recipe on packed shards, one process, --amp."""
    from eossl.datasets import SSL4EOS12
    from eossl.datasets.shards import pack_dataset
    from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12
    make_fake_ssl4eo_s12(work / 'ssl4eo', num_locations=4, seasons=1, size=66,
                         modalities=('s2c',))
    pack_dataset(SSL4EOS12(work / 'ssl4eo', modality='s2c', seasons='all'), work / 'shards',
                 samples_per_shard=3)
    recipe = work / 'pera_fsdp_tiny.py'
    recipe.write_text(FSDP_RECIPE.format(repo=REPO, shards=work / 'shards'))
    log = train([str(recipe), '--amp', '--work-dir', str(work / 'run'), '--cfg-options',
                 *FSDP_OPTIONS], 1, env, timeout)
    return dict(mixed_precision='mixed_precision' in log, losses=losses(work / 'run'),
                ok=bool(losses(work / 'run')))


def shared_gpu(work: Path, env: dict, timeout: int) -> dict:
    """Two ranks on one device (DDP over gloo; on a CPU, two gloo CPU ranks)."""
    one = dict(env, CUDA_VISIBLE_DEVICES=env.get('CUDA_VISIBLE_DEVICES', '0'))
    log = train([str(REPO / 'configs' / 'pera_vits.py'), '--preset', 'cpu-tiny', '--work-dir',
                 str(work), '--cfg-options', 'train_cfg.max_epochs=1'], 2, one, timeout)
    return dict(shared='shared by 2 processes' in log, gloo="-> 'gloo'" in log,
                losses=losses(work), ok=bool(losses(work)))


class Check:
    """Runs sections, recording each result (or error) and its seconds."""

    def __init__(self) -> None:
        self.sections: dict[str, dict] = {}
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the check began."""
        return time.perf_counter() - self.start

    def run(self, name: str, fn, *args):
        """``fn(*args)`` as section ``name``; its result, or None when it raised."""
        start = time.perf_counter()
        try:
            result = fn(*args)
            entry = dict(ok=True, result=result)
        except Exception as error:  # noqa: BLE001 (reported, the check goes on)
            result = None
            entry = dict(ok=False, error=f'{type(error).__name__}: {error}'[-2000:],
                         traceback=traceback.format_exc()[-3000:])
        entry['seconds'] = round(time.perf_counter() - start, 1)
        self.sections[name] = entry
        print(f"[{self.elapsed():6.0f} s] {name}: {'ok' if entry['ok'] else entry['error']}",
              flush=True)
        return result


def markdown(report: dict) -> str:
    """The report as Markdown: a table per kind of result."""
    env, sections = report['environment'], report['sections']
    kind = 'smoke, CPU' if report['smoke'] else env['device']
    lines = [f"# gpu_check on {env['device_name']} ({kind})",
             '', f"torch {env['torch']}, {report['seconds']} s in all, load average "
             f"{env['load_average']}", '', '| section | ok | s | result |', '|---|---|---|---|']
    for name, entry in sections.items():
        result = entry.get('result') if entry['ok'] else entry['error'].splitlines()[0]
        if isinstance(result, list):
            result = f'{len(result)} rows (below)'
        lines.append(f"| {name} | {'yes' if entry['ok'] else '**no**'} | {entry['seconds']} | "
                     f"{json.dumps(result)[:300] if not isinstance(result, str) else result} |")
    steps = sections.get('steps', {}).get('result') or []
    if steps:
        lines += ['', '| method | precision | batch | s/step | images/s | peak MiB | model '
                  'TFLOP/s | of bf16 GEMM | host syncs/step |', '|---' * 9 + '|']
        lines += [f"| {r['method']} | {r['precision']} | {r['batch_size']} | "
                  f"{r['seconds_per_step']} | {r['images_per_s']} | {r['peak_memory_mib']} | "
                  f"{r['model_tflops']} | {r['fraction_of_bf16_gemm']:.1%} | "
                  f"{r['host_syncs_per_step']} ({r['driver_syncs_per_step']}) |" for r in steps]
    return '\n'.join(lines) + '\n'


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--smoke', action='store_true',
                        help='on the CPU at toy sizes (CI): every section, in about a minute')
    # every method's shipped recipe (METHODS also holds data-pipeline variants such as
    # mpmae_all, which its spec leaves out of this check: gpu_check=False)
    checked = sorted(name for name, spec in METHODS.items() if spec.gpu_check)
    parser.add_argument('--methods', nargs='+', default=checked, choices=checked)
    parser.add_argument('--out', type=Path, help='folder of the JSON and Markdown (default: '
                        'results/, or a temporary folder with --smoke)')
    parser.add_argument('--scene-side', type=int, default=10980)
    parser.add_argument('--timeout', type=int, default=240, help='seconds per training run')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every section, write ``gpu_check_<device>.json`` / ``.md``; 1 when one failed."""
    args = parse_args(argv)
    device = torch.device('cpu') if args.smoke else pick_device('auto')
    smoke, env = args.smoke, dict(OMP_NUM_THREADS='1') if args.smoke else {}
    if smoke:
        env['CUDA_VISIBLE_DEVICES'] = ''
    work = Path(tempfile.mkdtemp(prefix='eossl-gpu-check-'))
    cache = work / 'data'
    check = Check()
    gemm = check.run('gemm', bf16_gemm_rate, device, smoke)
    check.run('sdpa', sdpa_kernel, device)
    rows = check.run('steps', lambda: [step_row(m, device, smoke, cache, 2 if smoke else 5, gemm
                                                or 1.0) for m in args.methods]) or []
    # --smoke: one method each keeps the code path exercised at a fraction of the time
    check.run('largest_batch', lambda: [largest_batch(r['method'], device, smoke, cache,
                                                      r['batch_size'], 1 if smoke else 2)
                                        for r in (rows[:1] if smoke else rows)])
    check.run('agreement', lambda: [agreement(m, device, smoke, cache, 3)
                                    for m in (('pera',) if smoke else ('dual_simclr', 'pera'))])
    check.run('headline', headline, work / 'headline', env, args.timeout)
    check.run('fsdp', fsdp, work / 'fsdp', env, args.timeout)
    check.run('shared_gpu', shared_gpu, work / 'shared', env, args.timeout)
    check.run('loader', lambda: [loader_vs_step(r['method'], smoke, cache, 0 if smoke else
                                                min(8, os.cpu_count() or 1), r['images_per_s'])
                                 for r in rows])
    check.run('scene', scene_inference, device, work, 256 if smoke else args.scene_side,
              64 if smoke else 512, 2 if smoke else 16, device.type == 'cuda')
    for name, entry in check.sections.items():  # a section whose checks say no failed too
        results = entry.get('result')
        results = results if isinstance(results, list) else [results]
        if entry['ok'] and any(isinstance(r, dict) and r.get('ok', r.get('agree', True)) is False
                               for r in results):
            entry['ok'], entry['error'] = False, f'{name}: a check did not hold (see result)'
    report = dict(smoke=smoke, seconds=round(check.elapsed(), 1),
                  environment=environment(device), sections=check.sections)
    out = args.out or (work if smoke else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"gpu_check_{'smoke' if smoke else device_tag(device)}"
    (out / f'{stem}.json').write_text(json.dumps(report, indent=2, default=str) + '\n')
    (out / f'{stem}.md').write_text(markdown(report))
    print(markdown(report))
    print(f'wrote {out / stem}.json and .md in {report["seconds"]} s')
    return 0 if all(entry['ok'] for entry in check.sections.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
