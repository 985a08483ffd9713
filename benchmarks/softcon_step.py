"""Training-step throughput of a SoftCon recipe, with and without Siamese masking.

One step = data preprocessor → two views through backbone and projector → soft contrastive loss
→ backward → optimizer update, on random inputs with random multi-labels (the recipe's model
without its RGB checkpoint). Each mask ratio is timed for ``--steps`` steps after ``--warmup``
untimed ones, the ratios interleaved step by step; the median (and the fastest step) is
reported. Results go to ``benchmarks/results/softcon_step_<device>.json``.

    python benchmarks/softcon_step.py --batch-size 8 --img-size 224 --mask-ratios 0.5 0.0
"""
import argparse
import copy
import json
import os
import statistics
import time
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

import eossl  # noqa: F401  (registers the components)
from eossl.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'benchmarks' / 'results'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--recipe', default='configs/softcon/softcon_vits14_s2_100e_ssl4eo.py')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--mask-ratios', type=float, nargs='+', default=[0.5, 0.0])
    parser.add_argument('--steps', type=int, default=5, help='timed steps (median reported)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps first')
    parser.add_argument('--threads', type=int, default=0, help='torch CPU threads (0 = default)')
    return parser.parse_args()


def build_model(recipe: str, device: torch.device) -> torch.nn.Module:
    """The recipe's SoftCon model with freshly initialized weights."""
    cfg = copy.deepcopy(Config.fromfile(REPO / recipe).model)
    cfg.backbone.pop('init_cfg', None)
    return MODELS.build(cfg).to(device).train()


def fake_batch(model: torch.nn.Module, batch: int, size: int, device: torch.device) -> dict:
    """Two views of ``batch`` random scenes with 1–3 random classes each."""
    channels = model.data_preprocessor.mean.shape[0]  # one statistic per band
    views = [torch.rand(batch, channels, size, size, device=device) * 3000 for _ in range(2)]
    classes = model.num_classes or 1
    samples = [DataSample().set_gt_label(torch.randperm(classes)[:1 + i % 3].tolist())
               for i in range(batch)]
    return {'inputs': views, 'data_samples': samples}


def time_steps(model: torch.nn.Module, data: dict, args: argparse.Namespace,
               device: torch.device) -> dict[float, list[float]]:
    """Seconds of each timed optimizer step per mask ratio.

    Ratios are interleaved step by step, so that load from other processes on a shared machine
    hits every ratio alike.
    """
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-4))
    times: dict[float, list[float]] = {ratio: [] for ratio in args.mask_ratios}
    for step in range(args.warmup + args.steps):
        for ratio in args.mask_ratios:
            model.mask_ratio = ratio
            start = time.perf_counter()
            model.train_step(data, optim)
            if device.type == 'cuda':
                torch.cuda.synchronize()
            if step >= args.warmup:
                times[ratio].append(time.perf_counter() - start)
    return times


def main() -> None:
    args = parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(args.recipe, device)
    data = fake_batch(model, args.batch_size, args.img_size, device)
    runs = {}
    for ratio, times in time_steps(model, data, args, device).items():
        seconds = statistics.median(times)
        runs[f'mask_ratio_{ratio}'] = dict(
            mask_ratio=ratio, seconds_per_step=seconds, fastest_step=min(times),
            scenes_per_second=args.batch_size / seconds,
            views_per_second=2 * args.batch_size / seconds)
        print(json.dumps(runs[f'mask_ratio_{ratio}']))
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'
    # CPU timings on a shared machine are only comparable at a similar load
    report = dict(config=vars(args), device=name, torch=torch.__version__,
                  torch_threads=torch.get_num_threads(), load_average=os.getloadavg(), runs=runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"softcon_step_{name.replace(' ', '_').lower()}.json"
    path.write_text(json.dumps(report, indent=2) + '\n')
    print(f'written to {path}')


if __name__ == '__main__':
    main()
