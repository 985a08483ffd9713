"""Scene prediction and embedding extraction with ``amp=True`` (bf16 autocast) agree with fp32."""
import numpy as np
import pytest
import rasterio
import torch

from eossl.apis import embed, init_model, predict_scene
from eossl.engine import precision

from .conftest import TINY_VIT, tiny_segmentor


def test_scene_probs_and_embeddings_under_amp_match_fp32(repo_root, scene, tmp_path,
                                                         monkeypatch):
    monkeypatch.setattr(precision, 'cpu_bf16_instructions', lambda: ['AMX-BF16'])
    torch.manual_seed(0)
    segmentor = init_model(tiny_segmentor(num_classes=4))
    probs = {}
    for amp in (False, True):
        out = tmp_path / f'probs_{amp}.tif'
        predict_scene(segmentor, scene, out, tile=96, overlap=32, probs=True, progress=False,
                      amp=amp)
        with rasterio.open(out) as dst:
            probs[amp] = dst.read()
    valid = np.isfinite(probs[False])
    assert np.array_equal(valid, np.isfinite(probs[True]))
    assert np.abs(probs[True][valid] - probs[False][valid]).max() < 0.05  # bf16: ~3 digits

    torch.manual_seed(0)
    vit = init_model(str(repo_root / 'configs/pera/pera_vits16_s2_200e_ssl4eo.py'),
                     cfg_options={'model.backbone.arch': TINY_VIT})
    fp32, mixed = (embed(vit, str(scene), amp=amp) for amp in (False, True))
    assert mixed['embedding'].dtype == np.float32
    cosine = np.dot(fp32['embedding'], mixed['embedding']) / (
        np.linalg.norm(fp32['embedding']) * np.linalg.norm(mixed['embedding']))
    assert cosine > 0.999


def test_amp_on_a_cpu_without_bf16_says_so(scene, tmp_path, monkeypatch):
    monkeypatch.setattr(precision, 'cpu_bf16_instructions', lambda: [])
    segmentor = init_model(tiny_segmentor(num_classes=4))
    with pytest.raises(RuntimeError, match='no bf16 matrix instructions'):
        predict_scene(segmentor, scene, tmp_path / 'x.tif', tile=96, overlap=32,
                      progress=False, amp=True)
