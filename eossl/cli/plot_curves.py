"""Plot training (loss / lr / schedules) and validation metric curves of work dirs, overlaid.

``eossl-plot-curves work_dirs/a work_dirs/b --keys loss lr val/multi-label/mAP_present
--out curves.png``

Each work dir is a run (its ``*/vis_data/scalars.json``); ``--labels`` names them in the legend
(default: the folder names). Validation metrics are ``val/<metric>`` (``val/accuracy/top1``,
``val/mIoU``; the bare metric name works too). Without ``--keys`` every scalar of the first run
is drawn, training and validation.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

from eossl.utils import ensure_parent_dir
from eossl.visualization.curves import VAL, read_scalars, save_curves_figure


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: write the figure; returns its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', help='mmengine work dirs, one per run')
    parser.add_argument('--keys', nargs='+', help='scalars to draw (default: all)')
    parser.add_argument('--labels', nargs='+', help='legend names, one per work dir')
    parser.add_argument('--log', nargs='*', default=['lr'], help='keys on a log y axis')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    labels = args.labels or [Path(w).name for w in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        parser.error(f'--labels: {len(labels)} names for {len(args.work_dirs)} work dirs')
    runs = {label: read_scalars(w) for label, w in zip(labels, args.work_dirs)}
    logged = set().union(*runs.values())
    keys = [k if k in logged or VAL + k not in logged else VAL + k for k in args.keys] \
        if args.keys else sorted(next(iter(runs.values())))
    missing = [k for k in keys if not any(k in r for r in runs.values())]
    if missing:
        parser.error(f'--keys {missing}: logged by no run; logged: '
                     f'{sorted(logged)}')
    save_curves_figure(runs, keys, ensure_parent_dir(args.out), tuple(args.log))
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
