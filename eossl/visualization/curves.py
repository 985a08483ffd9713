"""Training curves from mmengine work dirs: one panel per scalar (loss, lr, ...), one line per
run, steps on x. Reads every ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON record
per logged step, as mmengine's ``LocalVisBackend`` writes it); a resumed run's files continue
each other."""
import json
from pathlib import Path

from .colour import pyplot


def read_scalars(work_dir: str | Path) -> dict[str, dict[int, float]]:
    """``{scalar: {step: value}}`` of every training record under ``work_dir``."""
    files = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    if not files:
        raise FileNotFoundError(f'{work_dir}: no */vis_data/scalars.json (an mmengine work dir '
                                'with LocalVisBackend, e.g. one written by eossl-train)')
    scalars: dict[str, dict[int, float]] = {}
    for path in files:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if 'step' not in record or 'loss' not in record and 'lr' not in record:
                continue  # validation records: other steps, other keys
            for key, value in record.items():
                if key not in ('step', 'epoch', 'iter') and isinstance(value, (int, float)):
                    scalars.setdefault(key, {})[record['step']] = float(value)
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
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel('iteration')
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
