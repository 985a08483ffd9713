"""Training-step throughput, peak memory and FLOP efficiency of a method, per batch size and
fast path.

    python benchmarks/run.py --method pera --batch-sizes 2 4 8
    python benchmarks/run.py --method softcon --batch-sizes 4 \
        --variants baseline fused_adamw compile naive_attention dense_views

One step = the recipe's data preprocessor → forward → loss → backward → optimizer update
(``model.train_step``, plus the EMA teacher update where the method has one) on one fixed
batch read and augmented by the recipe's pipeline from fake files in the dataset's layout (see
``methods/``). Each (variant, batch size) runs in a fresh process; per run:

- ``images_per_s``: training samples per second (what one sample holds: ``METHODS[m].sample``)
  from the median step; ``images_per_s_best`` from the fastest (other processes on a shared
  machine only ever slow a step down);
- ``peak_memory_mib``: CUDA max allocated, or on CPU the process's peak RSS (which includes
  the Python runtime, the model and the batch: ``baseline_memory_mib`` is the RSS before the
  first step);
- ``forward_gflop`` / ``backward_gflop``: counted on the executed step (see ``common.py``);
- ``flops_ratio``: achieved FLOP/s (step FLOPs / median step time) divided by the FLOP/s of a
  dense GEMM measured in the same process on the same device (bf16 GEMM for ``bf16``);
- ``speedup_interleaved`` (variants): baseline / variant step time, both timed alternately in
  one process (the robust comparison on a shared machine).

Rows are merged into ``benchmarks/results/run_<method>_<device>.json`` (a rerun of the same
size / variant / batch size replaces its row); ``report.py`` turns them into the README table
and the throughput plot.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from common import (
    RESULTS,
    count_flops,
    dense_gemm_flops_per_s,
    device_tag,
    environment,
    in_fresh_process,
    median,
    peak_memory_mib,
    pick_device,
    reset_peak_memory,
    time_call,
    time_interleaved,
)
from fast_paths import VARIANTS
from methods import METHODS, fake_data, load_recipe

# the repeated units: ViT blocks, ConvNeXt V2 (FCMAE) blocks, ResNet bottlenecks
COMPILED_BLOCKS = ('Block', 'MaskedConvNeXtV2Block', 'Bottleneck', 'BasicBlock')


def build_step(method: str, recipe: str | None, size: str, variant: str, batch_size: int,
               data_root: Path, device: torch.device, cfg_options: dict | None) -> tuple:
    """``(one training step, its loss for FLOP counting, the model, the config)``."""
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import FUNCTIONS, DefaultScope

    import eossl
    from eossl.registry import DATASETS, MODELS

    eossl.register_all_modules(init_default_scope=False)
    MMLogger.get_instance('eossl-benchmark', log_level='WARNING')  # no per-parameter INFO lines
    cfg = load_recipe(method, recipe, size, data_root, cfg_options)
    VARIANTS[variant].apply(cfg)
    with DefaultScope.overwrite_default_scope('eossl'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        collate = FUNCTIONS.get(cfg.train_dataloader.get('collate_fn', {}).get(
            'type', 'pseudo_collate'))
        batch = collate([dataset[i % len(dataset)] for i in range(batch_size)])
        model = MODELS.build(cfg.model).to(device)
        model.init_weights()
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if cfg.get('compile_blocks'):
        for module in model.modules():
            if type(module).__name__ in COMPILED_BLOCKS:
                module.compile()

    def step() -> None:
        model.train_step(batch, optim_wrapper)
        if hasattr(model, 'update_teacher'):  # TeacherEMAHook's work after every step
            model.update_teacher(0.996)

    def loss() -> torch.Tensor:
        data = model.data_preprocessor(batch, True)
        return model.parse_losses(model(**data, mode='loss'))[0]

    return step, loss, model, cfg


def measure(method: str, recipe: str | None, size: str, variant: str, batch_size: int,
            data_root: Path, device_name: str, steps: int, warmup: int,
            cfg_options: dict | None, threads: int) -> dict:
    """One (variant, batch size) row; run in a fresh process."""
    if threads:
        torch.set_num_threads(threads)
    device = pick_device(device_name)
    step, loss, model, cfg = build_step(method, recipe, size, variant, batch_size, data_root,
                                        device, cfg_options)
    gemm = dense_gemm_flops_per_s(
        device, torch.bfloat16 if cfg.optim_wrapper.get('dtype') == 'bfloat16' else torch.float32)
    baseline_memory = reset_peak_memory(device)
    first = time_call(step, device)  # includes torch.compile's compilation
    times = time_interleaved({'step': step}, device, warmup, steps)['step']
    seconds = median(times)
    peak, memory_kind = peak_memory_mib(device)
    model.zero_grad(set_to_none=True)
    flops = count_flops(loss)
    step_flops = flops['forward'] + flops['backward']
    return dict(
        method=method, recipe=recipe or METHODS[method].recipe, size=size, variant=variant,
        batch_size=batch_size, images_per_s=round(batch_size / seconds, 3),
        images_per_s_best=round(batch_size / min(times), 3),
        seconds_per_step=round(seconds, 4), first_step_seconds=round(first, 3),
        peak_memory_mib=round(peak, 1), baseline_memory_mib=round(baseline_memory, 1),
        memory_kind=memory_kind, forward_gflop=round(flops['forward'] / 1e9, 3),
        backward_gflop=round(flops['backward'] / 1e9, 3),
        achieved_gflops=round(step_flops / seconds / 1e9, 2),
        gemm_gflops=round(gemm['flops_per_s'] / 1e9, 1), gemm=gemm,
        flops_ratio=round(step_flops / seconds / gemm['flops_per_s'], 4),
        cfg_options=cfg_options or {}, torch_threads=torch.get_num_threads())


def interleaved_speedup(method: str, recipe: str | None, size: str, variant: str,
                        batch_size: int, data_root: Path, device_name: str, steps: int,
                        warmup: int, cfg_options: dict | None, threads: int) -> float:
    """Baseline seconds / ``variant`` seconds per step, both built in one fresh process and
    timed step by step in alternation, so that a loaded machine slows both alike (the
    separate rows' images/s are measured minutes apart)."""
    if threads:
        torch.set_num_threads(threads)
    device = pick_device(device_name)
    steps_by_case = {case: build_step(method, recipe, size, case, batch_size, data_root, device,
                                      cfg_options)[0] for case in (variant, 'baseline')}
    for step in steps_by_case.values():
        step()  # compilation and first-call costs stay out of the comparison
    times = time_interleaved(steps_by_case, device, warmup, steps)
    return median(times['baseline']) / median(times[variant])


def merge_rows(path: Path, rows: list[dict], env: dict) -> None:
    """Replace rows of the same (size, variant, batch size, options) in ``path``, add new ones."""
    def key(row: dict) -> str:
        return json.dumps([row['size'], row['variant'], row['batch_size'], row['cfg_options']],
                          sort_keys=True)

    old = json.loads(path.read_text())['rows'] if path.exists() else []
    merged = {key(row): row for row in old}
    merged.update({key(row): dict(row, environment=env) for row in rows})
    ordered = sorted(merged.values(), key=lambda r: (r['size'], r['variant'], r['batch_size']))
    path.write_text(json.dumps(dict(rows=ordered), indent=2) + '\n')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--method', required=True, choices=sorted(METHODS))
    parser.add_argument('--config', help='recipe file (default: the method\'s headline recipe)')
    parser.add_argument('--size', choices=('cpu', 'recipe'),
                        help='cpu: CPU-sized crops (default without CUDA); recipe: as written')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[2, 4, 8])
    parser.add_argument('--variants', nargs='+', default=['baseline'], choices=sorted(VARIANTS))
    parser.add_argument('--steps', type=int, default=5, help='timed steps (median reported)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps after the first')
    parser.add_argument('--device', default='auto')
    parser.add_argument('--threads', type=int, default=0,
                        help='torch CPU threads (0: torch default). On a shared CPU use 1: '
                        'OpenMP threads competing with other processes slow steps erratically')
    parser.add_argument('--data-cache', type=Path,
                        default=Path(tempfile.gettempdir()) / 'eossl-benchmark-data')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra recipe overrides key=value (values parsed as Python)')
    return parser.parse_args(argv)


def _options(pairs: list[str]) -> dict:
    from mmengine.config import DictAction
    return {key: DictAction._parse_iterable(value)
            for key, value in (pair.split('=', 1) for pair in pairs)}


def main(argv: list[str] | None = None) -> None:
    """Command line: measure every (variant, batch size), print and merge the rows."""
    args = parse_args(argv)
    device = pick_device(args.device)
    size = args.size or ('recipe' if device.type == 'cuda' else 'cpu')
    data_root = fake_data(args.method, args.data_cache, max(args.batch_sizes))
    options = _options(args.cfg_options)
    cfg = load_recipe(args.method, args.config, size, data_root, options)
    rows = []
    for variant in args.variants:
        reason = VARIANTS[variant].skip(cfg, device)
        if reason:
            print(f'{variant}: skipped ({reason})')
            continue
        for batch_size in args.batch_sizes:
            run = (args.method, args.config, size, variant, batch_size, data_root, str(device),
                   args.steps, args.warmup, options, args.threads)
            row = in_fresh_process(measure, *run)
            if variant != 'baseline':
                row['speedup_interleaved'] = round(in_fresh_process(interleaved_speedup, *run), 3)
            rows.append(row)
            print(f"{variant:>16} batch {batch_size:>3}: {row['images_per_s']:8.2f} images/s, "
                  f"peak {row['peak_memory_mib']:8.1f} MiB, {row['achieved_gflops']:8.1f} "
                  f"GFLOP/s = {row['flops_ratio']:.1%} of GEMM")
    path = RESULTS / f'run_{args.method}_{device_tag(device)}.json'
    RESULTS.mkdir(parents=True, exist_ok=True)
    merge_rows(path, rows, environment(device))
    print(f'merged {len(rows)} rows into {path}')


if __name__ == '__main__':
    sys.exit(main())
