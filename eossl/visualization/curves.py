"""Training and validation curves from mmengine work dirs: one panel per scalar (loss, lr,
``val/accuracy/top1``, ``val/multi-label/mAP_present``, ``val/mIoU``...), one line per run.
Reads every ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON record per logged step,
as mmengine's ``LocalVisBackend`` writes it); a resumed run's files continue each other.
Training records are drawn over iterations; validation records (those without ``loss`` and
``lr``) over the step mmengine logged them at (the epoch, for epoch-based runs), their metrics
prefixed ``val/``.
"""
import json
from pathlib import Path

from .colour import pyplot

VAL = 'val/'
NOT_METRICS = ('step', 'epoch', 'iter', 'data_time', 'time')


def read_scalars(work_dir: str | Path) -> dict[str, dict[int, float]]:
    """``{scalar: {step: value}}`` of every training and (``val/``-prefixed) validation record
    under ``work_dir``."""
    files = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    if not files:
        raise FileNotFoundError(f'{work_dir}: no */vis_data/scalars.json (an mmengine work dir '
                                'with LocalVisBackend, e.g. one written by eossl-train)')
    scalars: dict[str, dict[int, float]] = {}
    for path in files:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if 'step' not in record:
                continue
            training = 'loss' in record or 'lr' in record
            for key, value in record.items():
                if isinstance(value, (int, float)) and (
                        key not in NOT_METRICS[:3] if training else key not in NOT_METRICS):
                    name = key if training else VAL + key
                    scalars.setdefault(name, {})[record['step']] = float(value)
    return scalars


def save_curves_figure(runs: dict[str, dict[str, dict[int, float]]], keys: list[str],
                       out: str, log_keys: tuple[str, ...] = ()) -> None:
    """One panel per key in ``keys``; each run in ``runs`` (``{label: read_scalars(...)}``) a
    line with a legend entry; keys in ``log_keys`` on a log y axis."""
    plt = pyplot()
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for label, scalars in runs.items():
            if key in scalars:
                steps = sorted(scalars[key])
                ax.plot(steps, [scalars[key][s] for s in steps], label=label, linewidth=2)
        ax.set_ylabel(key)
        ax.set_yscale('log' if key in log_keys else 'linear')
        ax.set_xlabel('validation step (epoch-based runs: epoch)' if key.startswith(VAL)
                      else 'iteration')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
