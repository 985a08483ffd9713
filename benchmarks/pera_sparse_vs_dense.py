"""Peak memory and forward+backward throughput of PerA's sparse student vs the dense ViT.

Same backbone, same batch of global crops, three ways of running it:

- ``dense``: every patch token enters the encoder (1 + L tokens);
- ``sparse``: only the student's 20 % visible patches enter (1 + 0.2·L tokens);
- ``student``: PerA's real student — 20 % visible, plus mask tokens for the 20 % predicted
  patches joining at block depth // 2.

Each mode runs in its own fresh process so that its peak memory is its own (see
``common.py``: CUDA max allocated on a GPU, peak RSS on CPU — the RSS also counts the model and
the Python runtime, so ``baseline_rss_mb``, after building the model and the batch, is reported
beside it). Target (issue 7): the sparse student at least 2× the dense ViT's throughput.
Results go to ``benchmarks/results/pera_sparse_vs_dense_<device>.json``.

    python benchmarks/pera_sparse_vs_dense.py --arch small --img-size 224 --batch-size 8
"""
import argparse
import json

import torch

from common import (
    in_fresh_process,
    median,
    peak_memory_mib,
    pick_device,
    reset_peak_memory,
    time_interleaved,
    write_results,
)

MODES = ('dense', 'sparse', 'student')


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
    parser.add_argument('--device', default='auto')
    return parser.parse_args()


def run_mode(args: dict, mode: str) -> dict:
    """Time ``args['steps']`` forward+backward steps of one mode; returns its measurements."""
    from eossl.models.backbones import EOVisionTransformer

    device = pick_device(args['device'])
    if args['threads']:
        torch.set_num_threads(args['threads'])
    torch.manual_seed(0)
    vit = EOVisionTransformer(args['arch'], in_channels=args['bands'], img_size=args['img_size'],
                              patch_size=args['patch_size']).to(device).train()
    x = torch.randn(args['batch_size'], args['bands'], args['img_size'], args['img_size'],
                    device=device)
    grid = vit.grid_size(x)
    num = grid[0] * grid[1]
    n_vis, n_pred = round(args['student_ratio'] * num), round(args['predict_ratio'] * num)
    rank = torch.rand(args['batch_size'], num, device=device).argsort(dim=1)
    visible, predicted = rank[:, :n_vis], rank[:, n_vis:n_vis + n_pred]

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args['amp']):
            if mode == 'dense':
                out = vit.encode(vit.embed(x))
            else:
                tokens = vit.select_tokens(vit.embed(x), visible)
                extra = vit.mask_tokens(predicted, grid) if mode == 'student' else None
                out = vit.encode(tokens, extra, vit.num_layers // 2)
        out.float().pow(2).mean().backward()
        vit.zero_grad(set_to_none=True)

    baseline = reset_peak_memory(device)
    seconds = median(time_interleaved({mode: step}, device, args['warmup'], args['steps'])[mode])
    peak, kind = peak_memory_mib(device)
    return dict(mode=mode, encoder_tokens=1 + (num if mode == 'dense' else n_vis),
                seconds_per_step=seconds, images_per_second=args['batch_size'] / seconds,
                peak_memory_mb=peak, memory_kind=kind, baseline_memory_mb=baseline)


def main() -> None:
    args = vars(parse_args())
    runs = {}
    for mode in MODES:
        runs[mode] = in_fresh_process(run_mode, args, mode)
        print(json.dumps(runs[mode]))
    summary = {f'{mode}_speedup': runs[mode]['images_per_second']
               / runs['dense']['images_per_second'] for mode in MODES[1:]}
    summary.update({f'{mode}_memory_ratio': runs['dense']['peak_memory_mb']
                    / runs[mode]['peak_memory_mb'] for mode in MODES[1:]})
    if runs['dense']['memory_kind'] == 'peak_rss':  # also compare what the steps added
        growth = {m: runs[m]['peak_memory_mb'] - runs[m]['baseline_memory_mb'] for m in MODES}
        summary.update({f'{m}_step_memory_ratio': growth['dense'] / max(growth[m], 1e-6)
                        for m in MODES[1:]})
    path = write_results('pera_sparse_vs_dense', pick_device(args['device']),
                         dict(config=args, runs=runs, summary=summary))
    print(json.dumps(summary, indent=2))
    print(f'written to {path}')


if __name__ == '__main__':
    main()
