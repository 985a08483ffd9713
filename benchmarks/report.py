"""Throughput plot and README tables from ``results/run_*.json``.

    python benchmarks/report.py [--update-readme]

Writes ``results/throughput_<device>.png`` (images/s vs batch size, one line per method, from
the ``baseline`` rows) and prints, or writes between the markers in ``benchmarks/README.md``,
one table per method (every measured row) and a table of fast-path speed-ups: a fast path's
images/s over the baseline's at the same batch size; for a reference path
(``naive_attention``, ``dense_views``) the baseline's over the reference's, i.e. what the
default fast path (SDPA, Siamese masking) gains.
"""
import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from common import RESULTS  # noqa: E402
from fast_paths import VARIANTS  # noqa: E402

README = RESULTS.parent / 'README.md'
START, END = '<!-- results:start -->', '<!-- results:end -->'


def load_rows() -> dict[str, list[dict]]:
    """``{device tag: rows}`` of every ``run_<method>_<device>.json``."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(RESULTS.glob('run_*.json')):
        for row in json.loads(path.read_text())['rows']:
            env = row['environment']
            tag = 'cpu' if env['device'] == 'cpu' else re.sub(r'\W+', '_', env['device_name'])
            rows[tag.lower()].append(row)
    return rows


def describe_device(row: dict) -> str:
    """The device name, with the torch thread count on a CPU."""
    env = row['environment']
    if env['device'] != 'cpu':
        return env['device_name']
    threads = row.get('torch_threads', env['torch_threads'])
    return f"{env['device_name']}, {threads} thread{'s' * (threads != 1)}"


def plot(tag: str, rows: list[dict]) -> Path:
    """Baseline images/s vs batch size per method (and size preset), log-log."""
    fig, ax = plt.subplots(figsize=(6, 4))
    lines = defaultdict(list)
    for row in rows:
        if row['variant'] == 'baseline' and not row['cfg_options']:
            lines[f"{row['method']} ({row['size']})"].append((row['batch_size'],
                                                              row['images_per_s']))
    for label, points in sorted(lines.items()):
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, marker='o', label=label)
    ax.set_xscale('log', base=2)
    ax.set_xticks(sorted({r['batch_size'] for r in rows}))
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel='batch size (per device)', ylabel='images / s', ylim=(0, None),
           title=f'training-step throughput, {describe_device(rows[0])}')
    ax.grid(True, alpha=0.3)
    ax.legend()
    path = RESULTS / f'throughput_{tag}.png'
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def method_table(rows: list[dict]) -> str:
    """Markdown: one line per measured row of one method."""
    lines = ['| device | size | variant | batch | images/s (median / best step) '
             '| peak memory (MiB) | fwd / bwd GFLOP | achieved GFLOP/s | GEMM GFLOP/s '
             '| FLOP/s ratio |',
             '|' + '---|' * 10]
    for r in sorted(rows, key=lambda r: (r['size'], r['variant'] != 'baseline', r['variant'],
                                         r['batch_size'])):
        memory = f"{r['peak_memory_mib']:.0f}" + (' RSS' if r['memory_kind'] == 'peak_rss' else '')
        lines.append(f"| {describe_device(r)} | {r['size']} | {r['variant']} | "
                     f"{r['batch_size']} | {r['images_per_s']:.2f} / "
                     f"{r.get('images_per_s_best', r['images_per_s']):.2f} | {memory} | "
                     f"{r['forward_gflop']:.1f} / {r['backward_gflop']:.1f} | "
                     f"{r['achieved_gflops']:.1f} | {r['gemm_gflops']:.0f} | "
                     f"{r['flops_ratio']:.1%} |")
    return '\n'.join(lines)


def speedup_table(rows: list[dict]) -> str:
    """Markdown: fast-path speed-ups (and memory ratios) against the same-batch baseline."""
    base = {(r['method'], r['size'], r['batch_size']): r for r in rows
            if r['variant'] == 'baseline' and not r['cfg_options']}
    lines = ['| method | size | batch | fast path | speed-up | peak memory (fast / slow) |',
             '|' + '---|' * 6]
    for r in sorted(rows, key=lambda r: (r['method'], r['variant'], r['batch_size'])):
        b = base.get((r['method'], r['size'], r['batch_size']))
        if r['variant'] == 'baseline' or b is None:
            continue
        reference = VARIANTS[r['variant']].reference
        fast, slow = (b, r) if reference else (r, b)
        speedup = r.get('speedup_interleaved')  # baseline time / variant time
        speedup = (1 / speedup if reference else speedup) if speedup else \
            fast['images_per_s'] / slow['images_per_s']
        name = {'naive_attention': 'SDPA (vs naive attention)',
                'dense_views': 'Siamese masking 0.5 (vs dense views)'}.get(r['variant'],
                                                                           r['variant'])
        lines.append(f"| {r['method']} | {r['size']} | {r['batch_size']} | {name} | "
                     f"{speedup:.2f}× | {fast['peak_memory_mib'] / slow['peak_memory_mib']:.2f} |")
    return '\n'.join(lines)


def markdown(all_rows: dict[str, list[dict]]) -> str:
    """Every device's tables, methods in a fixed order."""
    parts = []
    for tag, rows in sorted(all_rows.items()):
        for method in ('dual_simclr', 'softcon', 'pera', 'mpmae'):
            own = [r for r in rows if r['method'] == method]
            if own:
                parts.append(f'#### {method} — {tag}\n\n{method_table(own)}')
        parts.append(f'#### fast paths — {tag}\n\n{speedup_table(rows)}')
    return '\n\n'.join(parts)


def main(argv: list[str] | None = None) -> None:
    """Command line: write the plots, print or insert the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--update-readme', action='store_true',
                        help=f'replace the text between {START} and {END} in {README.name}')
    args = parser.parse_args(argv)
    all_rows = load_rows()
    for tag, rows in all_rows.items():
        print(f'wrote {plot(tag, rows)}')
    text = markdown(all_rows)
    if not args.update_readme:
        print(text)
        return
    readme = README.read_text()
    head, rest = readme.split(START, 1)
    README.write_text(f'{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}')
    print(f'updated {README}')


if __name__ == '__main__':
    main()
