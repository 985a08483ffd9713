"""The official code and eossl, one training step each at equal configuration, side by side.

For every paired case the official implementation (``official_cases.py``, imported at run time
from local git mirrors of the official repositories) and eossl (``eossl_cases.py``, the shipped
recipe at the same sizes) are built and timed, each in a fresh subprocess, one right after the
other; the sequence is repeated ``--rounds`` times and in ABBA order (odd rounds run eossl
first), so load from other processes on a shared machine hits both sides alike. eossl-only
cases (PerA on 13 bands, which the official code cannot run) follow in each round.

Reported per case: median s/step over all timed steps of all rounds for each side, the ratio
official ÷ eossl (> 1: eossl faster) and its per-round values (the spread), the same ratio of
the fastest steps and of the median process CPU time per step (both less sensitive to other
processes taking the cores than the median wall time), the parameter counts
of both sides (total, trainable, and *trained*: the values the first step changed, which must
match; a mismatch is flagged), peak RSS, and the 1-minute load average before and after every
subprocess. The JSON goes to ``--out`` (default ``benchmarks/results/official_vs_eossl_cpu.json``).

Both sides run as their own training commands would: eossl's steps keep freed memory in the
process as ``eossl-train`` does (``eossl.engine.cpu_allocator``); ``--retain-freed-memory both``
gives the official side the same allocator setting, which isolates the models' own difference.

Set-up: the official repositories as ``<mirrors>/<owner>+<name>/repo`` (bare git or a work
tree): ``SathShen+PerA``, ``HSG-AIML+SSLTransformerRS``, ``vishalned+MMEarth-train``; their
pure-python dependencies in a side folder (never the venv)::

    pip install --target "$PYDEPS" --no-deps timm kornia-rs termcolor yacs pyyaml packaging \\
        tqdm lightning-utilities "kornia==0.7.4" "torchmetrics==1.4.0.post0"
    python benchmarks/official_vs_eossl.py --mirrors /work/.mirror --pydeps "$PYDEPS" \\
        --rounds 2 --steps 10 --warmup 2 --threads 2

(``--mirrors`` / ``--pydeps`` default to ``$EOSSL_OFFICIAL_MIRRORS`` / ``$EOSSL_OFFICIAL_PYDEPS``.)
"""
import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path

from sizes import Sizes

HERE = Path(__file__).resolve().parent
PAIRED = ('pera', 'pera_dense', 'dual_simclr', 'mpmae')
EOSSL_ONLY = ('pera_13band', )
SIDES = ('official', 'eossl')
DEFAULT_OUT = HERE / 'results' / 'official_vs_eossl_cpu.json'
RESULT_TAG = '@@RESULT@@'


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--cases', default=','.join(PAIRED), type=_case_list(PAIRED),
                   help=f'paired cases, comma-separated, from {PAIRED}')
    p.add_argument('--eossl-only', default=','.join(EOSSL_ONLY), type=_case_list(EOSSL_ONLY),
                   help="eossl-only cases ('' for none)")
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--no-abba', dest='abba', action='store_false',
                   help='always run the official side first (default: ABBA order)')
    p.add_argument('--steps', type=int, default=10, help='timed steps per subprocess')
    p.add_argument('--warmup', type=int, default=2,
                   help='untimed steps first (the first one counts the parameters it updates)')
    p.add_argument('--threads', type=int, default=2,
                   help='torch / OpenMP threads of every timed subprocess')
    p.add_argument('--mirrors', default=os.environ.get('EOSSL_OFFICIAL_MIRRORS'),
                   help='folder holding <owner>+<name>/repo of each official repository')
    p.add_argument('--pydeps', default=os.environ.get('EOSSL_OFFICIAL_PYDEPS'),
                   help="pip --target folder of the official code's pure-python dependencies")
    p.add_argument('--retain-freed-memory', choices=('eossl', 'both', 'none'), default='eossl',
                   help="which sides keep freed memory in the process as eossl-train does "
                   "(eossl.engine.cpu_allocator); 'both' compares the models alone")
    p.add_argument('--out', type=Path, default=DEFAULT_OUT)
    p.add_argument('--timeout', type=int, default=1800, help='seconds per subprocess')
    for f in fields(Sizes):
        p.add_argument('--' + f.name.replace('_', '-'), type=int, default=f.default)
    p.add_argument('--child', default=None, help='internal: SIDE:CASE to time in this process')
    args = p.parse_args(argv)
    if min(args.rounds, args.steps, args.warmup, args.threads) < 1:
        p.error('--rounds, --steps, --warmup and --threads must be >= 1')
    if args.cases and not args.child and not args.mirrors:
        p.error('paired cases run the official code: give --mirrors or set '
                'EOSSL_OFFICIAL_MIRRORS (or --cases "" for eossl only)')
    return args


def _case_list(allowed: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        names = [c.strip() for c in text.split(',') if c.strip()]
        unknown = [c for c in names if c not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f'unknown case(s) {unknown}; choose from {allowed}')
        return names
    return parse


def schedule(cases: list[str], only: list[str], rounds: int,
             abba: bool) -> list[tuple[int, str, str]]:
    """``(round, case, side)`` in run order: each pair back to back, reversed in odd rounds."""
    order = []
    for r in range(rounds):
        sides = SIDES[::-1] if abba and r % 2 else SIDES
        order += [(r, case, side) for case in cases for side in sides]
        order += [(r, case, 'eossl') for case in only]
    return order


# --------------------------------------------------------------------------- one subprocess
def time_child(side: str, case: str, args: argparse.Namespace) -> dict:
    """Build ``case`` of ``side`` in this process and time ``args.steps`` steps."""
    import torch
    torch.set_num_threads(args.threads)
    if args.retain_freed_memory == 'both' or args.retain_freed_memory == side:
        _cpu_allocator().retain_freed_memory()
    sizes = Sizes(**{f.name: getattr(args, f.name) for f in fields(Sizes)})
    if side == 'official':
        import official_cases
        built = official_cases.build(case, sizes, args.mirrors, args.pydeps)
    else:
        import eossl_cases
        built = eossl_cases.build(case, sizes)
    updated = built.step_and_count_updated()  # the first warm-up step
    for _ in range(args.warmup - 1):
        built.step()
    times, cpu_times = [], []
    for _ in range(args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        built.step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return {'status': 'ok', 'step_s': times, 'cpu_s': cpu_times,
            'params': dict(built.param_counts(), updated=updated), 'config': built.config,
            'torch_threads': torch.get_num_threads(),
            'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cpu_allocator():
    """``eossl/engine/cpu_allocator.py`` loaded as a file: the official side imports no eossl."""
    spec = importlib.util.spec_from_file_location(
        'cpu_allocator', HERE.parent / 'eossl' / 'engine' / 'cpu_allocator.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_subprocess(side: str, case: str, argv: list[str], args: argparse.Namespace) -> dict:
    """One ``--child`` run with the thread count fixed in its environment."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               PYTHONWARNINGS='ignore')
    cmd = [sys.executable, str(Path(__file__).resolve()), *argv, '--child', f'{side}:{case}']
    load_before, start = os.getloadavg()[0], time.time()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
        res = (json.loads(lines[-1][len(RESULT_TAG):]) if lines else
               {'status': 'failed', 'error': f'exit {proc.returncode}',
                'stderr_tail': proc.stderr[-3000:]})
    except subprocess.TimeoutExpired:
        res = {'status': 'failed', 'error': f'timeout after {args.timeout} s'}
    res.update(side=side, case=case, wall_s=round(time.time() - start, 1),
               load1=[round(load_before, 2), round(os.getloadavg()[0], 2)])
    return res


# --------------------------------------------------------------------------- aggregation
def aggregate(runs: list[dict]) -> list[dict]:
    """One row per case: pooled medians per side, official ÷ eossl, per-round ratios, params."""
    rows = []
    for case in dict.fromkeys(r['case'] for r in runs):
        row = {'case': case}
        for side in SIDES:
            ok = [r for r in runs if r['case'] == case and r['side'] == side
                  and r['status'] == 'ok']
            errors = [r.get('error') for r in runs if r['case'] == case and r['side'] == side
                      and r['status'] != 'ok']
            if errors:
                row[f'{side}_errors'] = errors
            if ok:
                steps = [t for r in ok for t in r['step_s']]
                row[side] = {'median_step_s': statistics.median(steps), 'min_step_s': min(steps),
                             'max_step_s': max(steps), 'n_steps': len(steps),
                             'median_cpu_s': statistics.median(t for r in ok for t in r['cpu_s']),
                             'round_medians_s': {r['round']: statistics.median(r['step_s'])
                                                 for r in ok},
                             'params': ok[0]['params'],
                             'peak_rss_mib': max(r['peak_rss_mib'] for r in ok),
                             'load1': [x for r in ok for x in r['load1']]}
        if 'official' in row and 'eossl' in row:
            o, e = row['official'], row['eossl']
            row['ratio_official_over_eossl'] = o['median_step_s'] / e['median_step_s']
            row['ratio_of_min_step'] = o['min_step_s'] / e['min_step_s']
            row['ratio_of_cpu_time'] = o['median_cpu_s'] / e['median_cpu_s']
            row['round_ratios'] = [o['round_medians_s'][k] / e['round_medians_s'][k]
                                   for k in sorted(o['round_medians_s'])
                                   if k in e['round_medians_s']]
            row['params_match'] = o['params']['updated'] == e['params']['updated']
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table of :func:`aggregate` rows."""
    lines = ['| case | official s/step | eossl s/step | official ÷ eossl | per round | '
             'min step, CPU time | params trained official / eossl | load1 min–max |',
             '|---|---|---|---|---|---|---|---|']
    for row in rows:
        o, e = row.get('official'), row.get('eossl')
        ratio = row.get('ratio_official_over_eossl')
        loads = [x for s in (o, e) if s for x in s['load1']]
        params = ' / '.join(f"{s['params']['updated']:,}" if s else '–' for s in (o, e))
        if o and e and not row['params_match']:
            params += ' **(differ)**'
        lines.append(' | '.join([
            f"| {row['case']}", f"{o['median_step_s']:.2f}" if o else '–',
            f"{e['median_step_s']:.2f}" if e else '–',
            f'**{ratio:.2f}**' if ratio else '–',
            ', '.join(f'{x:.2f}' for x in row.get('round_ratios', [])) or '–',
            f"{row['ratio_of_min_step']:.2f}, {row['ratio_of_cpu_time']:.2f}" if ratio else '–',
            params,
            f'{min(loads):.1f}–{max(loads):.1f} |' if loads else '– |']))
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child:
        side, case = args.child.split(':')
        print(RESULT_TAG + json.dumps(time_child(side, case, args)), flush=True)
        return
    out = {'started': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'nproc': os.cpu_count(),
           'args': {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
           'sizes': asdict(Sizes(**{f.name: getattr(args, f.name) for f in fields(Sizes)})),
           'runs': []}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for rnd, case, side in schedule(args.cases, args.eossl_only, args.rounds, args.abba):
        res = run_subprocess(side, case, argv, args)
        res['round'] = rnd
        out['runs'].append(res)
        ok = res['status'] == 'ok'
        what = (f"{statistics.median(res['step_s']):.3f} s/step" if ok
                else f"{res['error']} {res.get('stderr_tail', '')}")
        print(f'[round {rnd}] {case:>12} {side:>8}: {what}'
              + f" (load1 {res['load1'][0]}→{res['load1'][1]})", file=sys.stderr, flush=True)
        args.out.write_text(json.dumps(out, indent=1))
    out['summary'] = aggregate(out['runs'])
    out['finished'] = time.strftime('%Y-%m-%dT%H:%M:%S%z')
    args.out.write_text(json.dumps(out, indent=1))
    print(table(out['summary']))
    print(f'\nJSON: {args.out}')


if __name__ == '__main__':
    main()
