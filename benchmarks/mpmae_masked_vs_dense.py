"""Masked FCMAE encoder vs the all-visible ConvNeXt V2 at the same size: speed and memory.

``python benchmarks/mpmae_masked_vs_dense.py [--device cpu --archs atto tiny --batch 8]``

For each arch, two cases run in a fresh process each: ``masked`` (``ConvNeXtV2FCMAE(x, mask)``,
mask ratio 0.6 on the 7×7 grid, MMEarth settings) and ``dense`` (the same network without a
mask, i.e. a plain ConvNeXt V2). Reported: forward-only and forward+backward (a training step
of the encoder) throughput in images/s, and the peak memory of a training step — on CPU the
growth of the process's max RSS over the steps, on CUDA ``max_memory_allocated``. Results go
to ``benchmarks/results/mpmae_masked_vs_dense_<device>.json``.

Dense masking does the full dense work plus the mask multiplications, so the masked encoder is
expected to be a little *slower* than the dense one: eossl trades MinkowskiEngine's sparse
speed-up for running anywhere; the numbers show what that costs.
"""
import argparse
import json
import multiprocessing as mp
import platform
import resource
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / 'results'


def _step_stats(arch: str, masked: bool, args: dict) -> dict:
    """Build the encoder, time forward and forward+backward, measure a step's peak memory."""
    from eossl.models.backbones import ConvNeXtV2FCMAE

    torch.set_num_threads(args['threads'])
    torch.manual_seed(0)
    device = torch.device(args['device'])
    model = ConvNeXtV2FCMAE(arch=arch, in_channels=12, patch_size=16, drop_zero_pixels=True,
                            grn_stats='batch', out_norm=False).to(device)
    x = torch.randn(args['batch'], 12, args['size'], args['size'], device=device)
    grid = args['size'] // 16
    ranks = torch.rand(args['batch'], grid * grid, device=device).argsort(1).argsort(1)
    mask = (ranks < round(0.6 * grid * grid)).reshape(-1, grid, grid) if masked else None

    def forward() -> torch.Tensor:
        return model(x, mask)[-1] if masked else model(x)[-1]

    def train_step() -> None:
        forward().square().mean().backward()
        model.zero_grad(set_to_none=True)

    def timed(fn, iters: int) -> float:
        for _ in range(args['warmup']):
            fn()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        return args['batch'] * iters / (time.perf_counter() - start)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    with torch.no_grad():
        forward_ips = timed(forward, args['iters'])
    step_ips = timed(train_step, args['iters'])
    if device.type == 'cuda':
        peak_mib = torch.cuda.max_memory_allocated(device) / 2 ** 20
    else:  # ru_maxrss is in KiB on Linux
        peak_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    return dict(arch=arch, case='masked' if masked else 'dense',
                forward_images_per_s=round(forward_ips, 2),
                train_step_images_per_s=round(step_ips, 2), step_peak_memory_mib=round(peak_mib, 1),
                params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2))


def _in_fresh_process(arch: str, masked: bool, args: dict) -> dict:
    """Run :func:`_step_stats` in a spawned process so each case's peak RSS is its own."""
    with mp.get_context('spawn').Pool(1) as pool:
        return pool.apply(_step_stats, (arch, masked, args))


def main(argv: list[str] | None = None) -> None:
    """Command line: run every (arch, case), print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--archs', nargs='+', default=['atto', 'tiny'])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', type=Path, default=None)
    args = vars(parser.parse_args(argv))
    out = args.pop('out') or RESULTS / f"mpmae_masked_vs_dense_{args['device']}.json"
    rows = [_in_fresh_process(arch, masked, args)
            for arch in args['archs'] for masked in (True, False)]
    device_name = (torch.cuda.get_device_name(0) if args['device'].startswith('cuda')
                   else platform.processor() or platform.machine())
    report = dict(settings=args, torch=torch.__version__, device_name=device_name, results=rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + '\n')
    for row in rows:
        print(f"{row['arch']:>5} {row['case']:>6}: forward {row['forward_images_per_s']:8.1f} "
              f"img/s, train step {row['train_step_images_per_s']:8.1f} img/s, step peak "
              f"{row['step_peak_memory_mib']:8.1f} MiB")
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
