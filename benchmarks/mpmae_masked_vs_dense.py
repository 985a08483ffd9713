"""Masked FCMAE encoder vs the all-visible ConvNeXt V2 at the same size: speed and memory.

``python benchmarks/mpmae_masked_vs_dense.py [--device cpu --archs atto tiny --batch 4]``

For each arch, two cases: ``masked`` (``ConvNeXtV2FCMAE(x, mask)``, mask ratio 0.6 on the
7×7 grid, MMEarth settings) and ``dense`` (the same network without a mask, i.e. a plain
ConvNeXt V2). Reported: median forward-only and forward+backward (an encoder training step)
throughput in images/s, timed with the two cases interleaved, and the memory of one training
step measured in a fresh process: its peak (on CPU the growth of the max RSS, on CUDA
``max_memory_allocated``) and the activations autograd saves for the backward. Results go to
``benchmarks/results/mpmae_masked_vs_dense_<device>.json``.

Dense masking does the full dense work plus the mask multiplications, so the masked encoder is
expected to be a little *slower* than the dense one (target, issue 7: within 1.3× of the
unmasked forward): eossl trades MinkowskiEngine's sparse speed-up for running anywhere; the
numbers show what that costs.
"""
import argparse

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


def _setup(arch: str, args: dict):
    """The encoder, an input batch and an MMEarth mask (ratio 0.6 on the patch grid)."""
    from eossl.models.backbones import ConvNeXtV2FCMAE

    torch.set_num_threads(args['threads'])
    torch.manual_seed(0)
    device = pick_device(args['device'])
    model = ConvNeXtV2FCMAE(arch=arch, in_channels=12, patch_size=16, drop_zero_pixels=True,
                            grn_stats='batch', out_norm=False).to(device)
    x = torch.randn(args['batch'], 12, args['size'], args['size'], device=device)
    grid = args['size'] // 16
    ranks = torch.rand(args['batch'], grid * grid, device=device).argsort(1).argsort(1)
    mask = (ranks < round(0.6 * grid * grid)).reshape(-1, grid, grid)
    return model, x, mask


def _train_step(model, x: torch.Tensor, mask: torch.Tensor | None) -> None:
    model(x, mask)[-1].square().mean().backward()
    model.zero_grad(set_to_none=True)


def _throughput(arch: str, args: dict) -> dict:
    """Median images/s of forward and train step, masked and dense calls interleaved so that
    both cases see the same machine load."""
    model, x, mask = _setup(arch, args)
    calls = {}
    for case, m in (('masked', mask), ('dense', None)):
        calls[(case, 'forward')] = lambda m=m: torch.no_grad()(model)(x, m)
        calls[(case, 'train_step')] = lambda m=m: _train_step(model, x, m)
    times = time_interleaved(calls, x.device, args['warmup'], args['iters'])
    return {key: args['batch'] / median(values) for key, values in times.items()}


def _memory_mib(arch: str, masked: bool, args: dict) -> tuple[float, float]:
    """(peak memory of one training step, activations saved for its backward) in MiB.

    The peak is CUDA ``max_memory_allocated``, or on CPU the growth of the process's max RSS
    (run in a fresh process so it is this step's own); it includes temporaries and allocator
    effects. The saved activations (unique storages autograd keeps) are exact on any device.
    """
    model, x, mask = _setup(arch, args)
    mask = mask if masked else None
    saved = {}

    def keep(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    before = reset_peak_memory(x.device)
    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        _train_step(model, x, mask)
    peak, kind = peak_memory_mib(x.device)
    return peak - (before if kind == 'peak_rss' else 0.0), sum(saved.values()) / 2 ** 20


def _rows(arch: str, args: dict) -> list[dict]:
    speed = in_fresh_process(_throughput, arch, args)
    rows = []
    for case in ('masked', 'dense'):
        peak, saved = in_fresh_process(_memory_mib, arch, case == 'masked', args)
        rows.append(dict(arch=arch, case=case,
                         forward_images_per_s=round(speed[(case, 'forward')], 2),
                         train_step_images_per_s=round(speed[(case, 'train_step')], 2),
                         step_peak_memory_mib=round(peak, 1),
                         saved_activations_mib=round(saved, 1)))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command line: run every (arch, case), print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='auto')
    parser.add_argument('--archs', nargs='+', default=['atto', 'tiny'])
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    args = vars(parser.parse_args(argv))
    rows = [row for arch in args['archs'] for row in _rows(arch, args)]
    path = write_results('mpmae_masked_vs_dense', pick_device(args['device']),
                         dict(settings=args, results=rows))
    for row in rows:
        print(f"{row['arch']:>5} {row['case']:>6}: forward {row['forward_images_per_s']:8.1f} "
              f"img/s, train step {row['train_step_images_per_s']:8.1f} img/s, step peak "
              f"{row['step_peak_memory_mib']:7.1f} MiB, saved activations "
              f"{row['saved_activations_mib']:7.1f} MiB")
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
