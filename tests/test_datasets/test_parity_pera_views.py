"""PerA views: eossl's recipes vs the official ``PerAAugmentation``, compared statistically.

``tests/data/parity/pera_views.npz`` holds 1000 draws (× 10 slots) of the official pipeline of
SathShen/PerA (``eossl-parity-references --pera``, :mod:`eossl.parity.pera_views`)
on a 48 × 64 image: per slot the crop box, the flips, and per branch whether it is jittered,
grayscale, the four factors and the op order. Here the recipes' ``AlignedMultiViews`` runs on
an image of that size with its random draws recorded (the jitter's pixel work is skipped: it
draws nothing; its arithmetic is compared on the official 8-bit cases instead).

Tests (α = 1e-3 each; eossl draws are seeded, so the outcome is fixed): two-sample
Kolmogorov–Smirnov for crop area fraction, log aspect, crop centre (y, x) per slot kind and for
each jitter factor; Fisher's exact test for flip, jitter, grayscale rates; χ² homogeneity for
the op order (24 permutations). Power with n = 1000 official and m = 500 eossl images: KS
rejects at α once the two CDFs differ by more than 0.075 (crops of global slots, 2000 vs 1000),
0.038 (local slots), 0.040 (student factors, ~7200 vs ~3600) or 0.11 (teacher factors, ~1000
vs ~500); the rate tests detect (power 0.8) differences of 0.036 in a flip rate, 0.022 in the
teacher's jitter rate (0.1) and 0.022 in the grayscale rate (0.08). Two tests show the
comparison fails for the band-safe multispectral recipe (a documented eossl choice: no
grayscale, no saturation / hue, no op order) and for a changed crop scale.
"""
import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as F
from mmengine.config import Config
from PIL import Image
from scipy import stats

import eossl
from eossl.datasets.transforms.rgb_jitter import OPS, RandomRGBColorJitter
from eossl.registry import TRANSFORMS

ROOT = Path(__file__).parents[2]
REF = np.load(ROOT / 'tests/data/parity/pera_views.npz')
OFFICIAL = {k[len('draws/'):]: REF[k] for k in REF.files if k.startswith('draws/')}
RGB_RECIPE, S2_RECIPE = 'configs/pera/pera_vitb16_rgb_200e_official.py', 'configs/pera_vits.py'
ALPHA, NUM_IMAGES = 1e-3, 500
PERMUTATIONS = {p: i for i, p in enumerate(itertools.permutations(range(4)))}


def views_step(recipe: str, **crop_overrides) -> dict:
    cfg = Config.fromfile(str(ROOT / recipe))
    step = dict(next(s for s in cfg.train_pipeline if s['type'] == 'AlignedMultiViews'))
    for kind, size in (('global_crop', 32), ('local_crop', 16)):  # sizes draw nothing
        step[kind] = dict(step[kind], size=size, **crop_overrides.get(kind, {}))
    return dict(step, batch_augment=False)


def _branch(params: dict | None) -> tuple[bool, bool, list, list]:
    """applied, grayscale, factors (brightness, contrast, saturation, hue), op order."""
    factors, order = [np.nan] * 4, [-1] * 4
    if params is None:
        return False, False, factors, order
    if params.get('gray'):
        return True, True, factors, order
    if 'order' in params:  # RandomRGBColorJitter
        for op in params['order']:
            factors[OPS.index(op)] = params[op]
        return True, False, factors, [OPS.index(op) for op in params['order']]
    # RandomBandBrightnessContrast: both at once, one factor pair per band (band 0 here)
    return True, False, [params['brightness'][0], params['contrast'][0], np.nan, np.nan], \
        [0, 1, -1, -1]


def eossl_draws(step: dict, bands: int, num_images: int = NUM_IMAGES, seed: int = 0) -> dict:
    """The recipe's draws, recorded per slot in the layout of the official file."""
    eossl.register_all_modules()
    views = TRANSFORMS.build(step)
    log = []

    def record(name, method):
        def call(*args, **kwargs):
            value = method(*args, **kwargs)
            log.append((name, value))
            return value
        return call

    for geometry in (views.global_geometry, views.local_geometry):
        geometry.transforms[0].box = record('box', geometry.transforms[0].box)
        geometry.transforms[1].directions = record('flip', geometry.transforms[1].directions)
    for name, pipeline in (('student', views.student_pipeline),
                           ('teacher', views.teacher_pipeline)):
        jitter = pipeline.transforms[0]
        jitter.params = record(name, jitter.params)
        jitter.apply = lambda array, params, scale: array  # draws nothing; pixels tested below
    height, width = (int(v) for v in REF['source_shape'])
    image = np.random.default_rng(seed).uniform(0, 10000, (bands, height, width)).astype(
        np.float32)
    rows = {k: [] for k in OFFICIAL}
    np.random.seed(seed)
    for _ in range(num_images):
        log.clear()
        views.transform(dict(img=image))
        for slot in range(0, len(log), 4):
            (_, box), (_, flips), (_, student), (_, teacher) = log[slot:slot + 4]
            rows['box'].append([int(round(v)) for v in box])
            rows['hflip'].append('horizontal' in flips)
            rows['vflip'].append('vertical' in flips)
            for prefix, params in (('s', student), ('t', teacher)):
                applied, gray, factors, order = _branch(params)
                rows[f'{prefix}_applied'].append(applied)
                rows[f'{prefix}_factors'].append(factors)
                rows[f'{prefix}_order'].append(order)
                if prefix == 's':
                    rows['s_gray'].append(gray)
    slots = OFFICIAL['box'].shape[1]
    return {k: np.asarray(v).reshape(num_images, slots, *np.shape(v)[1:])
            for k, v in rows.items()}


def crop_statistics(draws: dict, kind: str) -> dict[str, np.ndarray]:
    """Area fraction, log aspect and normalized centre of the crops of one slot kind."""
    height, width = (int(v) for v in REF['source_shape'])
    box = draws['box'][:, :2] if kind == 'global' else draws['box'][:, 2:]
    top, left, h, w = (box[..., i].ravel().astype(float) for i in range(4))
    return dict(area=h * w / (height * width), log_aspect=np.log(w / h),
                centre_y=(top + h / 2) / height, centre_x=(left + w / 2) / width)


def rate_p(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Fisher's exact p-value of equal rates of two boolean samples."""
    table = [[int(ours.sum()), int((~ours).sum())], [int(theirs.sum()), int((~theirs).sum())]]
    return float(stats.fisher_exact(table).pvalue)


def p_values(draws: dict) -> dict[str, float]:
    """Every comparison of ``draws`` against the official draws."""
    out = {}
    for kind in ('global', 'local'):
        ours, theirs = crop_statistics(draws, kind), crop_statistics(OFFICIAL, kind)
        for name in ours:
            out[f'{kind} {name}'] = stats.ks_2samp(ours[name], theirs[name]).pvalue
    for name in ('hflip', 'vflip', 's_applied', 't_applied'):
        out[name] = rate_p(draws[name].ravel(), OFFICIAL[name].ravel())
    out['s_gray | applied'] = rate_p(draws['s_gray'][draws['s_applied']],
                                     OFFICIAL['s_gray'][OFFICIAL['s_applied']])
    for prefix in ('s', 't'):
        jittered = [d[f'{prefix}_applied'] & (~d['s_gray'] if prefix == 's' else True)
                    for d in (draws, OFFICIAL)]
        for op, name in enumerate(OPS):
            ours, theirs = (d[f'{prefix}_factors'][m][:, op] for d, m in zip(
                (draws, OFFICIAL), jittered))
            out[f'{prefix} {name}'] = (stats.ks_2samp(ours, theirs).pvalue
                                       if np.isfinite(ours).all() and len(ours) else 0.0)
        counts = [np.bincount([PERMUTATIONS.get(tuple(int(v) for v in row), 24)
                               for row in d[f'{prefix}_order'][m]], minlength=25)
                  for d, m in zip((draws, OFFICIAL), jittered)]
        used = (counts[0] + counts[1]) > 0
        out[f'{prefix} order'] = stats.chi2_contingency(np.array(counts)[:, used]).pvalue
    return out


@pytest.fixture(scope='module')
def single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_rgb_recipe_uses_the_official_augmentation_settings():
    step = views_step(RGB_RECIPE)
    assert (step['num_global'], step['num_local']) == (REF['aug/num_global'], REF['aug/num_local'])
    for kind in ('global', 'local'):
        assert np.allclose(step[f'{kind}_crop']['scale'], REF[f'aug/{kind}_scale'])
        assert np.allclose(step[f'{kind}_crop']['ratio'], REF[f'aug/{kind}_ratio'])
    for branch in ('student_pipeline', 'teacher_pipeline'):
        jitter = step[branch][0]
        assert jitter['type'] == 'RandomRGBColorJitter'
        for name in ('brightness', 'contrast', 'saturation', 'hue'):
            assert np.isclose(jitter[name], REF[f'aug/{name}']), name


def test_rgb_recipe_views_match_the_official_distributions(single_thread):
    p = p_values(eossl_draws(views_step(RGB_RECIPE), bands=3))
    failed = {k: v for k, v in p.items() if v < ALPHA}
    assert not failed, failed


def test_band_safe_multispectral_jitter_is_detected_as_different(single_thread):
    """The documented eossl choice of the 13-band recipes: per-band brightness / contrast, no
    grayscale, no saturation / hue, no op order; geometry and factor ranges stay official."""
    p = p_values(eossl_draws(views_step(S2_RECIPE), bands=13))
    assert {k for k, v in p.items() if v < ALPHA} == {
        's_gray | applied', 's saturation', 's hue', 's order', 't saturation', 't hue',
        't order'}


def test_a_changed_crop_scale_is_detected(single_thread):
    step = views_step(RGB_RECIPE, global_crop=dict(scale=(0.3, 1.0)))
    p = p_values(eossl_draws(step, bands=3, num_images=NUM_IMAGES // 2))
    assert p['global area'] < ALPHA and p['local area'] > ALPHA


def _case(case: str) -> dict:
    factors = REF[f'pixels/{case}/factors']
    return dict(gray=False, order=[OPS[i] for i in REF[f'pixels/{case}/order']],
                **{name: float(v) for name, v in zip(OPS, factors)})


CASES = sorted({k.split('/')[1] for k in REF.files if k.startswith('pixels/')} - {'input', 'gray'},
               key=int)


def test_rgb_jitter_pixels_match_the_official_8bit_ops(single_thread):
    """The official jitter is torchvision's PIL ops with the drawn factors in the drawn order
    (replayed exactly). eossl runs torchvision's float ops: grayscale equals the 8-bit one up
    to its rounding (≤ 1.05 / 255); brightness, contrast and saturation up to that and the
    rounding of the 8-bit gray image or mean they blend with (≤ 1.5 / 255); PIL's hue shift is
    truncated to whole 1/255 turns (up to 6 / 255 on a saturated colour) and goes through an
    8-bit HSV round trip (about 12 / 255 more): ≤ 20 / 255, mean ≤ 2 / 255 (these saturated
    random colours are the worst case). Four ops in a row: ≤ 24 / 255, mean ≤ 2.5 / 255."""
    image = REF['pixels/input']
    floats = image.transpose(2, 0, 1).astype(np.float32)
    jitter = RandomRGBColorJitter(max_value=255)
    for case in CASES:
        params = _case(case)
        replay = Image.fromarray(image)
        for name in params['order']:
            replay = getattr(F, f'adjust_{name}')(replay, params[name])
        np.testing.assert_array_equal(np.asarray(replay), REF[f'pixels/{case}/output'])
        for name in OPS:  # each op alone against torchvision's PIL op
            ours = jitter.apply(floats, {**params, 'order': [name]}, 1.0)
            pil = np.asarray(getattr(F, f'adjust_{name}')(Image.fromarray(image), params[name]))
            gap = np.abs(ours.transpose(1, 2, 0) - pil)
            assert gap.max() <= (20 if name == 'hue' else 1.5), (case, name, gap.max())
            assert gap.mean() <= 2, (case, name, gap.mean())
        gap = np.abs(jitter.apply(floats, params, 1.0).transpose(1, 2, 0)
                     - REF[f'pixels/{case}/output'])
        assert gap.max() <= 24 and gap.mean() <= 2.5, (case, gap.max(), gap.mean())
    gray = jitter.apply(floats, dict(gray=True), 1.0).transpose(1, 2, 0)
    np.testing.assert_allclose(gray, REF['pixels/gray'], rtol=0, atol=1.05)


def test_mask_sets_have_the_official_shares_and_uniform_positions():
    """Per slot kind, the recipe's ``DisjointMaskGenerator`` (patch 4 here) gives the official
    set sizes in every draw, and each patch is as often in each set as in 1000 official draws
    (χ² homogeneity over the patches, α = 1e-3; it detects e.g. one patch of 64 drawn twice
    as often as the others)."""
    cfg = Config.fromfile(str(ROOT / RGB_RECIPE))
    step = next(s for s in cfg.train_pipeline if s['type'] == 'DisjointMaskGenerator')
    generator = TRANSFORMS.build(dict(step, patch_size=4))
    np.random.seed(0)
    for kind, num in (('global', 64), ('local', 16)):
        counts = {name: np.zeros(num, np.int64) for name in ('student', 'predict', 'teacher')}
        draws = REF['masks/global/student'].sum() // REF['masks/global/student_size']
        for _ in range(int(draws)):
            for name, idx in generator.split(num, predict=kind == 'global').items():
                assert len(idx) == int(REF[f'masks/{kind}/{name}_size']), (kind, name)
                counts[name][idx] += 1
        for name, ours in counts.items():
            theirs = REF[f'masks/{kind}/{name}']
            if theirs.sum() == 0:  # nothing predicted in local slots, on both sides
                assert ours.sum() == 0
                continue
            assert stats.chi2_contingency(np.stack([ours, theirs])).pvalue > ALPHA, (kind, name)
