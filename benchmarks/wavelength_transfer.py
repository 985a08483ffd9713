"""Transfer to unseen band subsets: wavelength stem vs fixed stem (band-name fill) vs random init.

Usage (one process per seed keeps each run short; ``--merge`` writes the table's summary)::

    python benchmarks/wavelength_transfer.py --seeds 0 [--steps 150] [--num-train 192 \
        --num-test 96] [--threads 2] [--timing] --out seed0.json
    python benchmarks/wavelength_transfer.py --merge seed0.json seed1.json seed2.json \
        --out benchmarks/results/wavelength_transfer.json

Per seed, structured scenes (:func:`eossl.testing.structured_layouts.make_structured_ssl4eo_s12`,
the learning-signal benchmark's SSL4EO-S12 scenes, 48 px) are z-scored with the SSL4EO-S12 L1C
statistics. A tiny ViT (D 64, 4 blocks, patch 8) is pretrained on the 13 L1C bands of the train
scenes for ``--steps`` steps with eossl's ``SoftCon`` algorithm in its label-free mode (two
32 px crops with flips and per-band brightness / contrast jitter, Siamese masking 0.5, InfoNCE:
``target='onehot'``), AdamW 1e-3, batch 32 — once with the fixed stem and once with the wavelength
stem (``patch_embed='wavelength'``), and once more with the wavelength stem and a per-batch mix
of band sets (L1C 13 / L2A 12 / RGBN 4, as ``SensorMixDataPreprocessor``). The frozen CLS
features of the whole 48 px scenes are probed (``learning_signal_probes.scene_probe``: kNN and
ridge-linear dominant-class accuracy, linear multi-label mAP; fitted on train scenes, scored on
held-out ones) with the input reduced to each probe band set:

- ``L1C-13`` (all), ``L2A-12`` (no B10), ``no60m-10`` (no B1 B9 B10), ``RGBN-4`` (B2 B3 B4 B8),
  ``RGB-3`` (B4 B3 B2);
- wavelength stems get exactly those bands with their names (no stem change);
- the fixed stem gets them through band-name adaptation: ``FillMissingBands`` puts the bands
  it has in the 13-band order and fills the others with NaN, which the data preprocessor turns
  into 0 (the band mean) after normalization;
- random init: the same two architectures, untrained, probed the same way.

Also timed: one training step (forward + backward + AdamW) of the tiny model and of a ViT-S/16
at 96 px, fixed vs wavelength stem (the stem's extra cost is generating the kernels, once per
step, independent of the batch). Writes JSON and a PNG (linear accuracy per band set).
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from eossl.datasets.bands import band_names, band_stats
from eossl.datasets.transforms import FillMissingBands
from eossl.models.utils import set_input_bands
from eossl.registry import MODELS
from eossl.testing.structured_layouts import make_structured_ssl4eo_s12
from learning_signal_probes import scene_probe

L1C = band_names('s2_l1c')
PROBE_SETS = {'L1C-13': L1C, 'L2A-12': band_names('s2_l2a'),
              'no60m-10': tuple(b for b in L1C if b not in ('B1', 'B9', 'B10')),
              'RGBN-4': ('B2', 'B3', 'B4', 'B8'), 'RGB-3': ('B4', 'B3', 'B2')}
MIX_SETS = (L1C, band_names('s2_l2a'), ('B2', 'B3', 'B4', 'B8'))
TINY = dict(embed_dims=64, num_layers=4, num_heads=4)


def build(stem: str, arch: dict | str = TINY, img_size: int = 32,
          patch: int = 8) -> torch.nn.Module:
    """The SoftCon model (label-free InfoNCE) with a tiny ViT of the given stem."""
    dims = arch['embed_dims'] if isinstance(arch, dict) else 384
    model = MODELS.build(dict(
        type='SoftCon', num_classes=None, mask_ratio=0.5,
        backbone=dict(type='EOVisionTransformer', arch=arch, bands=L1C, img_size=img_size,
                      patch_size=patch, out_type='cls_token', patch_embed=stem),
        neck=dict(type='mmpretrain.NonLinearNeck', in_channels=dims, hid_channels=128,
                  out_channels=32, num_layers=2, with_avg_pool=False,
                  norm_cfg=dict(type='BN1d')),
        head=dict(type='SoftContrastiveHead',
                  loss=dict(type='SoftContrastiveLoss', temperature=0.2, target='onehot'))))
    model.init_weights()
    return model


def load_scenes(root: Path, args, seed: int) -> tuple[torch.Tensor, dict]:
    """``(N, 13, 48, 48)`` z-scored L1C scenes and the probe labels of one seed."""
    out = make_structured_ssl4eo_s12(root, args.num_train, args.num_test, size=48, seed=seed,
                                     modalities=('s2c', ))
    labels = dict(np.load(out['labels']))
    means, stds = band_stats('ssl4eo_s12', 's2_l1c')
    dn = torch.as_tensor(labels['s2']).float() * 10000
    x = (dn - torch.tensor(means).view(1, -1, 1, 1)) / torch.tensor(stds).view(1, -1, 1, 1)
    return x, labels


def views(batch: torch.Tensor, size: int = 32) -> list[torch.Tensor]:
    """Two augmented views ``(B, C, size, size)``: random crop, h/v flip, per-band jitter."""
    out = []
    for _ in range(2):
        b, c, h, w = batch.shape
        i, j = np.random.randint(0, h - size + 1), np.random.randint(0, w - size + 1)
        v = batch[:, :, i:i + size, j:j + size]
        if np.random.rand() < 0.5:
            v = v.flip(-1)
        if np.random.rand() < 0.5:
            v = v.flip(-2)
        gain = 1 + 0.4 * (torch.rand(b, c, 1, 1) * 2 - 1)
        bias = 0.4 * (torch.rand(b, c, 1, 1) * 2 - 1)
        out.append(v * gain + bias)
    return out


def pretrain(model: torch.nn.Module, x: torch.Tensor, steps: int, mix: bool,
             batch: int = 32) -> dict:
    """``steps`` AdamW steps of the SoftCon loss on random train batches; losses and time."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    model.train()
    losses, start = [], time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch, ))
        bands = MIX_SETS[np.random.randint(len(MIX_SETS))] if mix else L1C
        keep = [L1C.index(b) for b in bands]
        if mix:
            set_input_bands(model, bands)
        loss = model.loss(views(x[idx][:, keep]), None)['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    set_input_bands(model, None)
    return dict(seconds=time.perf_counter() - start, loss_start=float(np.mean(losses[:10])),
                loss_end=float(np.mean(losses[-10:])))


def adapt_fixed(x: torch.Tensor, bands: tuple[str, ...]) -> torch.Tensor:
    """Band-name adaptation of a subset for a 13-band fixed stem: FillMissingBands (NaN), then
    NaN → 0 as the data preprocessor does after normalization."""
    fill = FillMissingBands(L1C)
    out = [fill.transform(dict(img=s.numpy(), img_bands=bands))['img'] for s in x]
    return torch.nan_to_num(torch.as_tensor(np.stack(out)), nan=0.0)


@torch.no_grad()
def features(model: torch.nn.Module, x: torch.Tensor, stem: str,
             bands: tuple[str, ...]) -> torch.Tensor:
    """Frozen CLS features ``(N, D)`` of the scenes reduced to ``bands``."""
    model.eval()
    subset = x[:, [L1C.index(b) for b in bands]]
    if stem == 'fixed':
        inputs = adapt_fixed(subset, bands)
    else:
        set_input_bands(model, bands)
        inputs = subset
    feats = torch.cat([model.backbone(chunk)[-1] for chunk in inputs.split(64)])
    set_input_bands(model, None)
    return feats


def probe(model: torch.nn.Module, x: torch.Tensor, labels: dict, stem: str) -> dict:
    """``{probe set: scene_probe metrics}`` of a model."""
    split = torch.as_tensor(labels['split'])
    out = {}
    for name, bands in PROBE_SETS.items():
        f = features(model, x, stem, bands)
        out[name] = scene_probe(f[split == 0], f[split == 1], labels)
    return out


ARMS = {'wavelength': ('wavelength', False), 'wavelength_mix': ('wavelength', True),
        'fixed_fill': ('fixed', False)}


def run_seed(seed: int, args, scratch: Path) -> dict:
    """All arms of one seed: pretrained and random-init probes."""
    x, labels = load_scenes(scratch / f'seed{seed}', args, seed)
    train = x[torch.as_tensor(labels['split'] == 0)]
    result = {}
    for arm, (stem, mix) in ARMS.items():
        torch.manual_seed(seed)
        np.random.seed(seed)
        model = build(stem)
        if not mix:  # the random init of each architecture, once
            result[f'random_{stem}'] = dict(probe=probe(model, x, labels, stem))
        log = pretrain(model, train, args.steps, mix)
        result[arm] = dict(probe=probe(model, x, labels, stem), **log)
        print(f'seed {seed} {arm}: {log["seconds"]:.0f} s, loss {log["loss_start"]:.3f} -> '
              f'{log["loss_end"]:.3f}; linear acc ' + ', '.join(
                  f'{k} {v["linear_acc"]:.1f}' for k, v in result[arm]['probe'].items()),
              flush=True)
    return result


def step_time(stem: str, arch: dict | str, img: int, batch: int, repeats: int = 3) -> float:
    """Median seconds of one training step (both views) at ``img`` px, batch ``batch``."""
    torch.manual_seed(0)
    model = build(stem, arch, img_size=img, patch=16 if arch == 'small' else 8).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 13, img, img)
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        loss = model.loss([x, x.flip(-1)], None)['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:  # the first step warms up
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def summarise(runs: list[dict]) -> dict:
    """Mean ± std over seeds of every arm, probe set and metric."""
    out = {}
    for arm in runs[0]:
        out[arm] = {}
        for name in PROBE_SETS:
            out[arm][name] = {m: (float(np.mean(v)), float(np.std(v))) for m, v in (
                (m, [r[arm]['probe'][name][m] for r in runs]) for m in runs[0][arm]['probe'][name])}
    return out


def plot(summary: dict, path: Path) -> None:
    """Grouped bars per probe band set and arm (mean ± std over seeds): linear accuracy and
    linear mAP."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    arms = list(summary)
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    width = 0.8 / len(arms)
    for ax, metric, label in zip(axes, ('linear_acc', 'linear_mAP'),
                                 ('held-out linear accuracy (%)', 'held-out linear mAP (%)')):
        for i, arm in enumerate(arms):
            means = [summary[arm][s][metric][0] for s in PROBE_SETS]
            stds = [summary[arm][s][metric][1] for s in PROBE_SETS]
            ax.bar(np.arange(len(PROBE_SETS)) + i * width, means, width, yerr=stds, label=arm,
                   capsize=2)
        ax.set_xticks(np.arange(len(PROBE_SETS)) + 0.4 - width / 2, list(PROBE_SETS))
        ax.set_ylabel(label)
        ax.set_ylim(30 if metric == 'linear_acc' else 60, None)
    axes[0].set_title('Pretrained on 13 L1C bands, probed on band subsets')
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', default='0,1,2', help='comma-separated seeds to run')
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--num-train', type=int, default=192)
    parser.add_argument('--num-test', type=int, default=96)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--timing', action='store_true', help='also time the training step')
    parser.add_argument('--merge', type=Path, nargs='+', default=None,
                        help='only merge these result files (one per seed run) into --out')
    parser.add_argument('--out', type=Path, default=Path('benchmarks/results/'
                                                         'wavelength_transfer.json'))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.merge:
        parts = [json.loads(p.read_text()) for p in args.merge]
        result = dict(args=[p['args'] for p in parts], runs=[r for p in parts for r in p['runs']],
                      step_time_s={k: v for p in parts for k, v in p['step_time_s'].items()},
                      seconds=[p['seconds'] for p in parts])
    else:
        import eossl
        eossl.register_all_modules()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            runs = [run_seed(int(seed), args, Path(scratch)) for seed in args.seeds.split(',')]
        timing = {f'{name}_{stem}': step_time(stem, arch, img, batch)
                  for name, arch, img, batch in (('tiny32px_b32', TINY, 32, 32),
                                                 ('vits16_96px_b8', 'small', 96, 8))
                  for stem in ('fixed', 'wavelength')} if args.timing else {}
        result = dict(args={k: str(v) for k, v in vars(args).items()}, runs=runs,
                      step_time_s=timing, seconds=time.perf_counter() - start)
    result['summary'] = summarise(result['runs'])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    plot(result['summary'], args.out.with_suffix('.png'))
    print(json.dumps(dict(summary=result['summary'], step_time_s=result['step_time_s']),
                     indent=1))


if __name__ == '__main__':
    main()
