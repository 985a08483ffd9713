"""Scene inference memory does not grow with the scene's area (measured in a child process).

The child resets its peak-RSS mark (``/proc/self/clear_refs``) after importing torch and building
the model, so the peak it reports is the one reached while predicting: the import of torch alone
peaks higher than a whole small scene would need.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eossl.testing.scenes import make_fake_scene

CHILD = r'''
import json, sys
import torch
sys.path.insert(0, {tests!r})
from test_apis.conftest import tiny_segmentor
from eossl.apis import init_model, predict_scene

def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1])

torch.manual_seed(0)
model = init_model(tiny_segmentor(num_classes=4, width=8))
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')  # peak RSS := current RSS
before = status('VmRSS')
info = predict_scene(model, {scene!r}, {out!r}, tile=256, overlap=32, batch=2, probs=True,
                     progress=False)
info.update(rss_before_kib=before, peak_rss_kib=status('VmHWM'))
print(json.dumps(info))
'''


def _run(repo_root: Path, scene: Path, out: Path) -> dict:
    code = CHILD.format(tests=str(repo_root / 'tests'), scene=str(scene), out=str(out))
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=300, env={'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin:/bin'})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path('/proc/self/clear_refs').exists(),
                    reason='peak-RSS reset needs Linux /proc/self/clear_refs')
@pytest.mark.weight(40)
@pytest.mark.slow  # two scene predictions in fresh processes, ~50 s on 2 cores
def test_four_times_the_area_needs_less_than_1_3_times_the_memory(repo_root, tmp_path):
    small = make_fake_scene(tmp_path / 'small.tif', 1152, 1152)
    large = make_fake_scene(tmp_path / 'large.tif', 2304, 2304)
    run_small = _run(repo_root, small, tmp_path / 'small_out.tif')
    run_large = _run(repo_root, large, tmp_path / 'large_out.tif')
    assert (run_small['tiles'], run_large['tiles']) == (25, 121)  # 5 x 5 and 11 x 11 tiles
    assert run_large['peak_rss_kib'] < 1.3 * run_small['peak_rss_kib'], (run_small, run_large)
    # what predicting adds on top of the loaded model: the large scene's 13 float32 input bands
    # and 4 probability bands alone would be 344 MiB (4 x the small one's)
    grown = [run['peak_rss_kib'] - run['rss_before_kib'] for run in (run_small, run_large)]
    assert grown[1] < 1.3 * grown[0] + 16 * 1024, (run_small, run_large)
    assert grown[1] < 2304 * 2304 * 17 * 4 / 1024 / 3
