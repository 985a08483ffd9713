"""Peak memory and forward+backward throughput of PerA's sparse student vs the dense ViT.

Same backbone, same batch of global crops, three ways of running it:

- ``dense``: every patch token enters the encoder (1 + L tokens);
- ``sparse``: only the student's 20 % visible patches enter (1 + 0.2·L tokens);
- ``student``: PerA's real student — 20 % visible, plus mask tokens for the 20 % predicted
  patches joining at block depth // 2.

Each mode runs in its own subprocess so that its peak memory is its own: CUDA max allocated
bytes on a GPU, peak resident set size (``ru_maxrss``) on CPU — the RSS also counts the model and
the Python runtime, so ``baseline_rss_mb`` (after building the model and the batch) is reported
beside it. Results go to ``benchmarks/results/pera_sparse_vs_dense_<device>.json``.

    python benchmarks/pera_sparse_vs_dense.py --arch small --img-size 224 --batch-size 8
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from eossl.models.backbones import EOVisionTransformer

MODES = ('dense', 'sparse', 'student')
RESULTS = Path(__file__).resolve().parent / 'results'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='small')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--bands', type=int, default=13)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--student-ratio', type=float, default=0.2)
    parser.add_argument('--predict-ratio', type=float, default=0.2)
    parser.add_argument('--steps', type=int, default=5, help='timed steps (median reported)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = default)')
    parser.add_argument('--amp', action='store_true', help='bfloat16 autocast (CUDA)')
    parser.add_argument('--mode', choices=MODES, help='run one mode here (used internally)')
    return parser.parse_args()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mode(args: argparse.Namespace) -> dict:
    """Time ``args.steps`` forward+backward steps of one mode; returns its measurements."""
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vit = EOVisionTransformer(args.arch, in_channels=args.bands, img_size=args.img_size,
                              patch_size=args.patch_size).to(device).train()
    x = torch.randn(args.batch_size, args.bands, args.img_size, args.img_size, device=device)
    grid = vit.grid_size(x)
    num = grid[0] * grid[1]
    n_vis, n_pred = round(args.student_ratio * num), round(args.predict_ratio * num)
    rank = torch.rand(args.batch_size, num, device=device).argsort(dim=1)
    visible, predicted = rank[:, :n_vis], rank[:, n_vis:n_vis + n_pred]

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp):
            if args.mode == 'dense':
                out = vit.encode(vit.embed(x))
            else:
                tokens = vit.select_tokens(vit.embed(x), visible)
                extra = vit.mask_tokens(predicted, grid) if args.mode == 'student' else None
                out = vit.encode(tokens, extra, vit.num_layers // 2)
        out.float().pow(2).mean().backward()
        vit.zero_grad(set_to_none=True)

    baseline = peak_rss_mb()
    for _ in range(args.warmup):
        step()
    if device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)  # robust to other processes stealing the CPU
    result = dict(mode=args.mode, encoder_tokens=1 + (num if args.mode == 'dense' else n_vis),
                  seconds_per_step=seconds, images_per_second=args.batch_size / seconds)
    if device.type == 'cuda':
        result['peak_cuda_allocated_mb'] = torch.cuda.max_memory_allocated() / 2 ** 20
        result['device'] = torch.cuda.get_device_name()
    else:
        result.update(peak_rss_mb=peak_rss_mb(), baseline_rss_mb=baseline, device='cpu')
    return result


def main() -> None:
    args = parse_args()
    if args.mode:
        print(json.dumps(run_mode(args)))
        return
    runs = {}
    for mode in MODES:
        cmd = [sys.executable, __file__, *sys.argv[1:], '--mode', mode]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs[mode] = json.loads(out.strip().splitlines()[-1])
        print(runs[mode])
    memory_key = 'peak_cuda_allocated_mb' if 'peak_cuda_allocated_mb' in runs['dense'] else \
        'peak_rss_mb'
    summary = {f'{mode}_speedup': runs[mode]['images_per_second']
               / runs['dense']['images_per_second'] for mode in MODES[1:]}
    summary.update({f'{mode}_memory_ratio': runs['dense'][memory_key] / runs[mode][memory_key]
                    for mode in MODES[1:]})
    if memory_key == 'peak_rss_mb':  # also compare what the steps themselves added
        growth = {m: runs[m]['peak_rss_mb'] - runs[m]['baseline_rss_mb'] for m in MODES}
        summary.update({f'{m}_step_memory_ratio': growth['dense'] / max(growth[m], 1e-6)
                        for m in MODES[1:]})
    report = dict(config={k: v for k, v in vars(args).items() if k != 'mode'},
                  torch=torch.__version__, runs=runs, summary=summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    device = runs['dense']['device'].replace(' ', '_').lower()
    path = RESULTS / f'pera_sparse_vs_dense_{device}.json'
    path.write_text(json.dumps(report, indent=2) + '\n')
    print(json.dumps(summary, indent=2))
    print(f'written to {path}')


if __name__ == '__main__':
    main()
