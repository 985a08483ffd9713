"""Does each method learn? Pretrain on structured scenes, probe frozen features on held-out ones.

Usage::

    python benchmarks/learning_signal.py --methods softcon,pera,dual_simclr|all --budget-s 30 \
        [--seeds 2] [--num-train 96 --num-test 64 --size 48] --out F.json

Per method and seed: structured scenes (:mod:`eossl.testing.structured_layouts`) are written in
the layout of the dataset the method's recipe reads (SSL4EO-S12 for SoftCon and PerA, SEN12MS
for Dual-SimCLR); the shipped recipe is trained on the train split with its model shrunk to a
CPU budget (see ``SHRINK``: backbone depth/width, crop sizes, prototypes) and everything else —
pipeline, loss, optimizer, schedule, hooks — as shipped, for ``--budget-s`` seconds (the epoch
running when the budget ends is finished). Frozen features of the train and held-out scenes
(the recipe's deterministic loading/normalisation steps, full scene, ``extract_feat`` pooled)
are then probed against the scene labels the generator saved:

- kNN (``eossl.evaluation.knn_scores``, k = 10) and a linear probe (torch logistic regression,
  L-BFGS, on standardised features) → dominant-class accuracy (%);
- a linear multi-label probe (BCE) → mAP (%) over the 7 classes;

for the pretrained backbone, the same model at random initialisation (same seed), and two
feature baselines from the scene arrays: the per-band mean spectrum (log S2 reflectance + S1 dB,
15 values) and the raw spectrum statistics (per band mean, std, 10/50/90th percentiles, 75
values). Not done yet: MP-MAE, the per-patch segmentation probe.
Results: JSON (every seed and mean ± std) and a PNG (linear accuracy vs pretraining seconds).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

REPO = Path(__file__).resolve().parents[1]
TINY_VIT = dict(embed_dims=64, num_layers=4, num_heads=4, _delete_=True)

# method → (recipe, layout writer, shrink options, eval pipeline prefix length, packed keys)
SHRINK = {
    'softcon': ('configs/softcon/softcon_rn50_s2_100e_ssl4eo.py', 'ssl4eo_s12', {
        'train_dataloader.dataset.pipeline.1.transforms.0.0.size': 32,
        'model.backbone.depth': 18, 'model.backbone.stem_channels': 16,
        'model.backbone.base_channels': 16, 'model.backbone.init_cfg': None,
        'model.neck.in_channels': 128, 'model.neck.hid_channels': 128,
        'model.neck.out_channels': 32, 'train_dataloader.batch_size': 32}, 1, ('img',)),
    'pera': ('configs/pera_vits.py', 'ssl4eo_s12', {
        'train_dataloader.batch_size': 16,
        'train_dataloader.dataset.pipeline.1.num_local': 2,
        'train_dataloader.dataset.pipeline.1.global_crop.size': 32,
        'train_dataloader.dataset.pipeline.1.local_crop.size': 16,
        'train_dataloader.dataset.pipeline.2.patch_size': 8,
        'model.num_local': 2, 'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 32,
        'model.backbone.patch_size': 8, 'model.head.in_channels': 64,
        'model.head.num_prototypes': 1024, 'model.head.hidden_channels': 128,
        'model.head.bottleneck_channels': 32, 'model.pixel_head.in_channels': 64,
        'model.pixel_head.patch_size': 8, 'model.pixel_head.hidden_channels': 64,
        'model.pixel_head.bottleneck_channels': 32}, 1, ('img',)),
    'dual_simclr': ('configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py', 'sen12ms', {
        'train_dataloader.dataset.pipeline.4.size': 32, 'train_dataloader.batch_size': 32,
        **{f'model.{m}_{part}': value for m in ('s1', 's2') for part, value in (
            ('backbone.depth', 18), ('backbone.stem_channels', 16),
            ('backbone.base_channels', 16), ('neck.in_channels', 128),
            ('neck.hid_channels', 128), ('neck.out_channels', 32))}}, 4, ('s1', 's2')),
}
RUNTIME = {'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
           'train_dataloader.pin_memory': False, 'train_cfg.max_epochs': 10000,
           'default_hooks.logger.interval': 10,
           'default_hooks.checkpoint': dict(type='ResumableCheckpointHook', interval=10 ** 6),
           'default_hooks.representation_monitor.warmup_iters': 10 ** 9}


class _Budget(Hook):
    """Ends training after the epoch during which ``seconds`` of training have passed."""

    priority = 'LOWEST'

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start, self.iters = seconds, 0.0, 0

    def before_train(self, runner) -> None:
        self.start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.iters += 1
        if time.perf_counter() - self.start > self.seconds:
            runner.train_loop._max_epochs = runner.epoch + 1  # finish this epoch, then stop


def write_data(layout: str, root: Path, args, seed: int) -> dict:
    """Structured scenes in ``layout`` under ``root`` (train + held-out split files, labels)."""
    from eossl.testing.structured_layouts import WRITERS
    kwargs = dict(modalities=('s2c',)) if layout == 'ssl4eo_s12' else {}
    return WRITERS[layout](root, args.num_train, args.num_test, args.size, seed, **kwargs)


def build_cfg(method: str, data: dict, root: Path, seed: int, work_dir: Path) -> Config:
    """The shipped recipe, shrunk, pointed at the train split of the structured data."""
    recipe, layout, shrink, _, _ = SHRINK[method]
    cfg = Config.fromfile(REPO / recipe)
    cfg.merge_from_dict({**RUNTIME, **shrink, 'train_dataloader.dataset.data_root': str(root),
                         'train_dataloader.dataset.split_file': str(data['split_train']),
                         'randomness.seed': seed})
    cfg.work_dir = str(work_dir)
    return cfg


@torch.no_grad()
def features(model, cfg: Config, method: str, root: Path, split_file: Path) -> torch.Tensor:
    """``(N, D)`` frozen features of a split, in the split file's order."""
    from eossl.registry import DATASETS
    _, _, _, prefix, keys = SHRINK[method]
    pipeline = [dict(step) for step in cfg.train_dataloader.dataset.pipeline[:prefix]]
    if method == 'pera':
        pipeline[0]['target_size'] = cfg.model.backbone.img_size
    pipeline.append(dict(type='PackEOInputs', keys=keys))
    dataset_cfg = dict(cfg.train_dataloader.dataset, data_root=str(root), pipeline=pipeline,
                       split_file=str(split_file))
    dataset_cfg.pop('labels_file', None)
    dataset_cfg.pop('unlabeled', None)
    dataset = DATASETS.build(dataset_cfg)
    collate = (default_collate if cfg.train_dataloader.get('collate_fn', {}).get('type')
               == 'default_collate' else pseudo_collate)
    model.eval()
    order = [line.strip() for line in split_file.read_text().splitlines() if line.strip()]
    by_id, feats = {}, []
    for i in range(len(dataset)):
        sample = dataset[i]
        by_id[sample['data_samples'].sample_id] = i
        feats.append(sample)
    out = []
    for start in range(0, len(feats), 32):
        batch = model.data_preprocessor(collate(feats[start:start + 32]), False)['inputs']
        feat = model.extract_feat(batch)
        if isinstance(feat, dict):
            feat = torch.cat([feat[k] for k in sorted(feat)], 1)
        if isinstance(feat, (tuple, list)):
            feat = feat[-1]
        if feat.dim() == 4:
            feat = feat.mean((2, 3))
        elif feat.dim() == 3:
            feat = feat[:, 0]
        out.append(feat.float())
    out = torch.cat(out)
    return out[[by_id[sid] for sid in order]]


def linear_probe(train_x, train_y, test_x, multi_label: bool, steps: int = 100) -> torch.Tensor:
    """Test scores of a logistic regression (L-BFGS, L2 1e-3) on standardised features."""
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    w = torch.zeros(train_x.shape[1], train_y.shape[1], requires_grad=True)
    b = torch.zeros(train_y.shape[1], requires_grad=True)
    optim = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn='strong_wolfe')

    def closure():
        optim.zero_grad()
        logits = train_x @ w + b
        loss = (F.binary_cross_entropy_with_logits(logits, train_y) if multi_label else
                F.cross_entropy(logits, train_y.argmax(1))) + 1e-3 * (w ** 2).sum()
        loss.backward()
        return loss
    optim.step(closure)
    return (test_x @ w + b).detach()


def probe(train_x, test_x, labels: dict) -> dict:
    """kNN accuracy, linear accuracy, linear multi-label mAP (all %) of train → test features."""
    from eossl.evaluation.knn import knn_metrics, knn_scores
    split = labels['split']
    onehot = torch.eye(labels['multi_hot'].shape[1])[torch.as_tensor(labels['dominant'])]
    multi = torch.as_tensor(labels['multi_hot']).float()
    tr, te = torch.as_tensor(split == 0), torch.as_tensor(split == 1)
    knn = knn_scores(train_x, onehot[tr], test_x, k=10)
    lin = linear_probe(train_x, onehot[tr], test_x, False)
    ml = linear_probe(train_x, multi[tr], test_x, True)
    return dict(knn_acc=knn_metrics(knn, onehot[te], False)['accuracy'],
                linear_acc=knn_metrics(lin, onehot[te], False)['accuracy'],
                linear_mAP=knn_metrics(ml, multi[te], True)['mAP'])


def baselines(labels: dict) -> dict:
    """Probe metrics of the mean-spectrum and raw-spectrum-statistics features."""
    s2 = np.log(labels['s2'].clip(1e-4)).reshape(*labels['s2'].shape[:2], -1)
    s1 = labels['s1'].reshape(*labels['s1'].shape[:2], -1)
    pixels = np.concatenate([s2, s1], 1)  # (N, 15, H·W)
    mean = pixels.mean(2)
    raw = np.concatenate([mean, pixels.std(2),
                          *np.percentile(pixels, [10, 50, 90], axis=2)], 1)
    split = labels['split']
    out = {}
    for name, x in (('mean_spectrum', mean), ('raw_spectrum', raw)):
        x = torch.as_tensor(x).float()
        out[name] = probe(x[split == 0], x[split == 1], labels)
    return out


def run_one(method: str, args, seed: int, scratch: Path) -> dict:
    """Pretrain ``method`` once and probe it, its random init and the baselines."""
    root = scratch / f'{method}_{seed}'
    data = write_data(SHRINK[method][1], root / 'data', args, seed)
    labels = dict(np.load(data['labels']))
    cfg = build_cfg(method, data, root / 'data', seed, root / 'work')
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()

    def evaluate() -> dict:
        tr = features(runner.model, cfg, method, root / 'data', data['split_train'])
        te = features(runner.model, cfg, method, root / 'data', data['split_test'])
        return probe(tr, te, labels)
    random_init = evaluate()
    budget = _Budget(args.budget_s)
    runner.register_hook(budget)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    return dict(seed=seed, pretrained=evaluate(), random_init=random_init,
                baselines=baselines(labels), train_seconds=seconds, iterations=budget.iters,
                epochs=runner.epoch)


def summarise(runs: list[dict]) -> dict:
    """mean ± std over seeds of every metric."""
    def stats(values):
        values = np.asarray(values, float)
        return dict(mean=float(values.mean()),
                    std=float(values.std(ddof=1)) if len(values) > 1 else 0.0)
    out = {}
    for part in ('pretrained', 'random_init'):
        out[part] = {k: stats([r[part][k] for r in runs]) for k in runs[0][part]}
    for name in runs[0]['baselines']:
        out[name] = {k: stats([r['baselines'][name][k] for r in runs])
                     for k in runs[0]['baselines'][name]}
    return out


def plot(results: dict, path: Path) -> None:
    """Linear-probe accuracy vs pretraining seconds, one marker per method and seed."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method, entry in results['methods'].items():
        for run in entry['runs']:
            ax.scatter(run['train_seconds'], run['pretrained']['linear_acc'], label=method)
            ax.scatter(0, run['random_init']['linear_acc'], marker='x', color='gray')
    base = [r['baselines']['mean_spectrum']['linear_acc'] for e in results['methods'].values()
            for r in e['runs']]
    ax.axhline(np.mean(base), ls='--', color='k', label='mean spectrum')
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=7)
    ax.set_xlabel('pretraining seconds (CPU)')
    ax.set_ylabel('held-out linear acc. (%)')
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', default='all')
    parser.add_argument('--budget-s', type=float, default=30.0)
    parser.add_argument('--seeds', type=int, default=2)
    parser.add_argument('--num-train', type=int, default=96)
    parser.add_argument('--num-test', type=int, default=64)
    parser.add_argument('--size', type=int, default=48)
    parser.add_argument('--scratch', default='/tmp/eossl_learning_signal')
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    methods = list(SHRINK) if args.methods == 'all' else args.methods.split(',')
    unknown = set(methods) - set(SHRINK)
    if unknown:
        raise SystemExit(f'unknown methods {sorted(unknown)}; choose from {sorted(SHRINK)}')
    import eossl  # noqa: F401  (registers the components)
    init_default_scope('eossl')
    from common import environment
    results = dict(args=vars(args), environment=environment(torch.device('cpu')), methods={})
    for method in methods:
        runs = [run_one(method, args, seed, Path(args.scratch)) for seed in range(args.seeds)]
        results['methods'][method] = dict(runs=runs, summary=summarise(runs))
        print(method, json.dumps(results['methods'][method]['summary'], indent=1))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float) + '\n')
    plot(results, out.with_suffix('.png'))
    print(f'wrote {out} and {out.with_suffix(".png")}')


if __name__ == '__main__':
    main()
