"""Each method's training step in fp32 and under bf16 autocast, side by side on this device.

    python benchmarks/fp32_vs_bf16.py --methods pera softcon mpmae dual_simclr --batch-size 8

One fresh process per method builds the step twice from the method's recipe (``run.py``'s
``build_step``: data preprocessor → forward → loss → backward → optimizer update, plus the EMA
teacher update) on one batch of fake data in the dataset's layout, once as written (fp32) and
once with ``EOOptimWrapper(dtype='bfloat16')`` (what ``eossl-train --amp`` sets on a bf16
device), and times the two step by step in alternation, so a loaded machine slows both alike.
Rows (seconds per step, images/s, speed-up) go to ``results/fp32_vs_bf16_<device>.json``;
the printed Markdown table is the one in ``README.md``.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import torch

from common import (
    device_tag,
    environment,
    in_fresh_process,
    median,
    pick_device,
    time_interleaved,
    write_results,
)
from methods import METHODS, fake_data
from run import build_step


def compare(method: str, size: str, batch_size: int, data_root: Path, device_name: str,
            steps: int, threads: int) -> dict:
    """fp32 and bf16 seconds per step of ``method``, timed alternately in this process."""
    if threads:
        torch.set_num_threads(threads)
    device = pick_device(device_name)
    built = {case: build_step(method, None, size, variant, batch_size, data_root, device, None)
             for case, variant in (('fp32', 'baseline'), ('bf16', 'bf16'))}
    steps_by_case = {case: step for case, (step, _, _, _) in built.items()}
    for step in steps_by_case.values():
        step()  # first-call costs (allocations, oneDNN kernel selection) stay out
    times = time_interleaved(steps_by_case, device, warmup=1, iters=steps)
    fp32, bf16 = median(times['fp32']), median(times['bf16'])
    return dict(method=method, size=size, batch_size=batch_size,
                fp32_seconds_per_step=round(fp32, 4), bf16_seconds_per_step=round(bf16, 4),
                fp32_images_per_s=round(batch_size / fp32, 3),
                bf16_images_per_s=round(batch_size / bf16, 3), speedup=round(fp32 / bf16, 3),
                torch_threads=torch.get_num_threads())


def table(rows: list[dict], env: dict) -> str:
    """The Markdown table of ``rows`` with the device and load it was measured under."""
    lines = [f"{env['device_name']}, {env['torch_threads']} threads, load average "
             f"{env['load_average']} at the start, torch {env['torch']}", '',
             '| method | batch | fp32 s/step | bf16 s/step | speed-up |', '|---|---|---|---|---|']
    lines += [f"| {r['method']} | {r['batch_size']} | {r['fp32_seconds_per_step']} | "
              f"{r['bf16_seconds_per_step']} | {r['speedup']}× |" for r in rows]
    return '\n'.join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', default=sorted(METHODS), choices=sorted(METHODS))
    parser.add_argument('--size', choices=('cpu', 'recipe'),
                        help='cpu: CPU-sized crops (default without CUDA); recipe: as written')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--steps', type=int, default=3, help='timed steps per case (median)')
    parser.add_argument('--device', default='auto')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: default)')
    parser.add_argument('--data-cache', type=Path,
                        default=Path(tempfile.gettempdir()) / 'eossl-benchmark-data')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Command line: compare every method, write the JSON, print the table."""
    args = parse_args(argv)
    device = pick_device(args.device)
    size = args.size or ('recipe' if device.type == 'cuda' else 'cpu')
    env = environment(device)
    rows = []
    for method in args.methods:
        data_root = fake_data(method, args.data_cache, args.batch_size)
        rows.append(in_fresh_process(compare, method, size, args.batch_size, data_root,
                                     str(device), args.steps, args.threads))
        print(rows[-1], flush=True)
    env['torch_threads'] = rows[0]['torch_threads'] if rows else env['torch_threads']
    path = write_results('fp32_vs_bf16', device, dict(rows=rows))
    print(table(rows, env))
    print(f'wrote {path} ({device_tag(device)})')


if __name__ == '__main__':
    sys.exit(main())
