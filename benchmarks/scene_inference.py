"""Tiled scene inference (``eossl.apis.predict_scene``): tiles/s and peak memory vs scene size.

Each case runs in a fresh process: the model is built, the process's peak-RSS mark is reset
(``/proc/self/clear_refs``), the whole scene is predicted tile by tile and written as a GeoTIFF,
and the peak RSS reached while predicting (``VmHWM``) is reported with the RSS just before
(torch, the model, Python) and the process's lifetime peak (``ru_maxrss``, which includes
importing torch). Scenes are seeded fake 13-band uint16 Sentinel-2 scenes
(:func:`eossl.testing.scenes.make_fake_scene`), written once to ``--workdir`` and reused.

Models (random weights; the I/O and blending are what is measured, the model sets the pace):

- ``fcn-tiny``: mmseg FCN on a one-stage 13-band ResNet-18 with 8 channels, 10 classes — the
  cheapest real segmentor, so the numbers show the tool's own cost;
- ``fcn-rn18-64``: the same with ResNet-18's 64 channels;
- ``pera-vits16``: the PerA ViT-S/16 recipe's backbone with ``--embed`` (384 features at 1/16).

    python benchmarks/scene_inference.py --sizes 2048 4096 10980 --model fcn-tiny --tile 512
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from common import RESULTS, write_results

REPO = Path(__file__).resolve().parents[1]
CHILD = r'''
import json, resource, sys, time
import torch
torch.set_num_threads({threads})
from mmengine.config import Config
from eossl.apis import init_model, predict_scene

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1])

torch.manual_seed(0)
config = {config!r}
cfg = Config(config) if isinstance(config, dict) else config
model = init_model(cfg)
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
before = status('VmRSS')
start = time.perf_counter()
info = predict_scene(model, {scene!r}, {out!r}, tile={tile}, overlap={overlap}, batch={batch},
                     embed={embed}, progress=False)
seconds = time.perf_counter() - start
info.update(seconds=seconds, tiles_per_s=info['tiles'] / seconds,
            megapixels_per_s=info['height'] * info['width'] * info['stride'] ** 2 / seconds / 1e6,
            rss_before_mib=before / 1024, peak_rss_predicting_mib=status('VmHWM') / 1024,
            lifetime_peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(info))
'''
S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


def fcn(width: int) -> dict:
    """The benchmark segmentor: FCN on a one-stage ResNet-18 of ``width`` channels."""
    return dict(default_scope='mmseg', model=dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='eossl.EOSegDataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                               bands=S2),
        backbone=dict(type='eossl.EOResNet', depth=18, bands=S2, num_stages=1, strides=(1, ),
                      dilations=(1, ), out_indices=(0, ), stem_channels=width,
                      base_channels=width),
        decode_head=dict(type='FCNHead', in_channels=width, in_index=0, channels=16,
                         num_convs=1, concat_input=False, num_classes=10,
                         norm_cfg=dict(type='BN'), align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole')))


MODELS = {
    'fcn-tiny': (fcn(8), False),
    'fcn-rn18-64': (fcn(64), False),
    'pera-vits16': (str(REPO / 'configs/pera/pera_vits16_s2_200e_ssl4eo.py'), True),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[2048, 4096])
    parser.add_argument('--model', choices=sorted(MODELS), default='fcn-tiny')
    parser.add_argument('--tile', type=int, default=512)
    parser.add_argument('--overlap', type=int, default=64)
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--workdir', default='/tmp/eossl_scene_benchmark')
    return parser.parse_args()


def scene_path(workdir: Path, size: int) -> Path:
    """The fake scene of side ``size`` (written on first use)."""
    from eossl.testing.scenes import make_fake_scene
    path = workdir / f'scene_{size}.tif'
    if not path.is_file():
        start = time.perf_counter()
        make_fake_scene(path, size, size)
        print(f'wrote {path} in {time.perf_counter() - start:.0f} s', flush=True)
    return path


def run_case(args: argparse.Namespace, size: int, workdir: Path) -> dict:
    config, embed = MODELS[args.model]
    code = CHILD.format(threads=args.threads, config=config, scene=str(scene_path(workdir, size)),
                        out=str(workdir / f'out_{args.model}_{size}.tif'), tile=args.tile,
                        overlap=args.overlap, batch=args.batch, embed=embed)
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=REPO, env={'OMP_NUM_THREADS': str(args.threads),
                                         'PATH': '/usr/bin:/bin'})
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row.update(size=size, bands=13, model=args.model, tile=args.tile, overlap=args.overlap,
               batch=args.batch, embed=embed, threads=args.threads)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    args = parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    rows = [run_case(args, size, workdir) for size in args.sizes]
    name = f'scene_inference_{args.model}'
    previous = RESULTS / f'{name}_cpu.json'
    kept = []
    if previous.is_file():  # keep rows of other sizes from earlier runs
        kept = [r for r in json.loads(previous.read_text()).get('rows', [])
                if (r['size'], r['tile']) not in {(s, args.tile) for s in args.sizes}]
    rows = sorted(kept + rows, key=lambda r: (r['tile'], r['size']))
    path = write_results(name, torch.device('cpu'), dict(rows=rows))
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
