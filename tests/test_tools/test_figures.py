"""The figure commands on generated data: each writes a PNG whose pixels show what it claims
(colours of known areas are counted in the saved image)."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from eossl.cli import pca_features, plot_curves, visualize_contrastive, visualize_pera
from eossl.visualization.pera_masks import SET_COLOURS
from eossl.visualization.similarity import MATCH, MISS, save_retrieval_figure

PERA = 'configs/pera_vits.py'
SOFTCON_DEMO = 'configs/softcon/softcon_vits14_s2_demo_bigearthnet.py'
DUAL_DEMO = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert('RGB')).astype(int)


def count(image: np.ndarray, colour, tol: int = 4) -> int:
    rgb = np.round(np.asarray(colour) * 255).astype(int)
    return int((np.abs(image - rgb).sum(-1) <= tol).sum())


def test_pera_mask_figure_areas_match_the_mask_ratios(tmp_path, repo_root):
    from eossl.testing import make_fake_ssl4eo_s12
    make_fake_ssl4eo_s12(tmp_path / 'data', num_locations=2, seasons=1, size=48,
                         modalities=('s2c', ))
    out = tmp_path / 'figs' / 'pera.png'
    pipeline = 'train_dataloader.dataset.pipeline'
    visualize_pera.main([str(repo_root / PERA), '--out', str(out), '--cfg-options',
                         f'train_dataloader.dataset.data_root={tmp_path / "data"}',
                         f'{pipeline}.1.num_local=0', f'{pipeline}.2.teacher_ratio=0.5',
                         f'{pipeline}.2.student_ratio=0.25',
                         f'{pipeline}.0.target_size=96', f'{pipeline}.1.global_crop.size=64',
                         f'{pipeline}.2.patch_size=8'])
    image = pixels(out)
    areas = {k: count(image, c) for k, c in SET_COLOURS.items()}
    total = areas['student'] + areas['predict'] + areas['teacher']
    # two global slots of 8x8 patches: 25 % student, 25 % predicted, 50 % teacher
    assert total > 5000
    assert areas['student'] / total == pytest.approx(0.25, abs=0.02)
    assert areas['predict'] / total == pytest.approx(0.25, abs=0.02)
    assert areas['teacher'] / total == pytest.approx(0.5, abs=0.02)


def write_run(work_dir, losses, accuracies=(50.0, )):
    (work_dir / '20260101_000000' / 'vis_data').mkdir(parents=True)
    lines = [json.dumps(dict(step=i + 1, loss=v, lr=1e-3 * (i + 1))) for i, v in
             enumerate(losses)] + [json.dumps({'step': i + 1, 'accuracy/top1': v, 'time': 0.1})
                                   for i, v in enumerate(accuracies)]
    (work_dir / '20260101_000000' / 'vis_data' / 'scalars.json').write_text('\n'.join(lines))


def test_curves_overlay_every_run(tmp_path):
    write_run(tmp_path / 'a', [3, 2, 1])
    write_run(tmp_path / 'b', [4, 3, 2])
    out = tmp_path / 'new' / 'curves.png'
    plot_curves.main([str(tmp_path / 'a'), str(tmp_path / 'b'), '--keys', 'loss', 'lr',
                      '--out', str(out)])
    image = pixels(out)
    blue, orange = (0.12, 0.467, 0.706), (1.0, 0.498, 0.055)  # tab:blue / tab:orange lines
    assert count(image, blue, 8) > 300 and count(image, orange, 8) > 300
    with pytest.raises(SystemExit):
        plot_curves.main([str(tmp_path / 'a'), '--keys', 'accuracy/top5'])
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        plot_curves.main([str(tmp_path)])


def test_pca_features_colours_two_regions_apart(tmp_path, repo_root):
    from eossl.testing import write_geotiff
    bands = ('B2', 'B3', 'B4', 'B8')
    image = np.full((4, 32, 32), 0.1, np.float32)
    image[:, :, 16:] = np.array([0.9, 0.2, 0.7, 0.3], np.float32)[:, None, None]
    path = tmp_path / 'scene.tif'
    write_geotiff(path, image, band_names=bands)
    recipe = tmp_path / 'recipe.py'
    recipe.write_text(
        "default_scope = 'eossl'\n"
        "model = dict(type='SoftCon', num_classes=None, data_preprocessor=dict("
        "type='eossl.EODataPreprocessor', mean=[0.5] * 4, std=[0.25] * 4),\n"
        f"    backbone=dict(type='EOResNet', depth=18, bands={bands}, out_indices=(1, )),\n"
        "    neck=dict(type='mmpretrain.NonLinearNeck', in_channels=128, hid_channels=8,"
        " out_channels=8, with_avg_pool=False),\n"
        "    head=dict(type='SoftContrastiveHead', loss=dict(type='SoftContrastiveLoss')))\n")
    out = tmp_path / 'pca.png'
    torch.manual_seed(0)
    pca_features.main([str(recipe), 'none', str(path), '--out', str(out)])
    from eossl.visualization.pca_features import pca_rgb
    assert out.stat().st_size > 0
    features = np.random.default_rng(0).normal(size=(8, 4, 4))
    features[:, :, 2:] += 10 * np.arange(8)[:, None, None]
    components, ratio = pca_rgb(features)
    assert ratio[0] > 0.9  # the two halves are the main direction
    assert np.sign(components[0, :, :2]).mean() == -np.sign(components[0, :, 2:]).mean()


def test_retrieval_frames_true_pairs_green(tmp_path):
    s1, s2 = torch.rand(3, 2, 16, 16), torch.rand(3, 4, 16, 16)
    similarity = np.eye(3) + 0.1  # every query's best match is its own pair
    out = tmp_path / 'r.png'
    accuracy = save_retrieval_figure(s1, s2, similarity, str(out), k=2,
                                     query_bands=('VV', 'VH'),
                                     gallery_bands=('B2', 'B3', 'B4', 'B8'))
    image = pixels(out)
    assert accuracy == 1.0
    # 3 green frames (rank 1) and 3 red frames (rank 2) of the same size
    assert count(image, MATCH, 6) == pytest.approx(count(image, MISS, 6), rel=0.1)
    assert count(image, MATCH, 6) > 300


@pytest.mark.parametrize('recipe, options', [
    (SOFTCON_DEMO, ['model.backbone.arch=dict(embed_dims=32, num_layers=1, num_heads=2, '
                    '_delete_=True)',
                    'model.neck.in_channels=32', 'model.backbone.img_size=56',
                    'train_dataloader.dataset.pipeline.1.transforms.0.0.size=56']),
    (DUAL_DEMO, [])])
def test_contrastive_figures_run_on_the_demo_recipes(tmp_path, repo_root, bigearthnet_example,
                                                     recipe, options):
    out = tmp_path / 'c.png'
    visualize_contrastive.main([str(repo_root / recipe), 'none', '--num', '4', '--out',
                                str(out), '--cfg-options',
                                f'train_dataloader.dataset.data_root={bigearthnet_example}',
                                *options])
    image = pixels(out)
    assert image.shape[0] > 200 and image.std() > 10


def test_softcon_target_is_the_label_cosine_row_normalised():
    from eossl.models.losses import SoftContrastiveLoss
    labels = torch.tensor([[1., 0.], [1., 1.], [0., 1.]])
    target = SoftContrastiveLoss().targets(labels, labels, torch.arange(3), 3)
    cos = 2 ** -0.5
    expected = torch.tensor([[1, cos, 0], [cos, 1, cos], [0, cos, 1]])
    assert torch.allclose(target, expected / expected.sum(1, keepdim=True))


def test_contrastive_figure_refuses_a_checkpoint_of_another_recipe(tmp_path, repo_root,
                                                                   bigearthnet_example):
    """It used to load non-strictly and silently: a figure of an untrained model, exit 0."""
    from mmengine.config import Config

    from eossl.registry import MODELS
    cfg = Config.fromfile(str(repo_root / DUAL_DEMO))
    cfg.model.s1_neck.out_channels = cfg.model.s2_neck.out_channels = 64
    checkpoint = tmp_path / 'narrow.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)
    out = tmp_path / 'c.png'
    with pytest.raises(ValueError, match=r'narrow\.pth does not match .*4 shape mismatches '
                                         r'\(s1_neck\.mlp\.[0-9.]*weight \(64, 512\) in the '
                                         r'checkpoint, \(128, 512\) in the model'):
        visualize_contrastive.main([str(repo_root / DUAL_DEMO), str(checkpoint), '--out',
                                    str(out), '--cfg-options',
                                    f'train_dataloader.dataset.data_root={bigearthnet_example}'])
    assert not out.exists()


def test_curves_plot_validation_metrics(tmp_path):
    """Validation records used to be dropped: no way to plot accuracy or mAP over epochs."""
    from eossl.visualization.curves import read_scalars
    write_run(tmp_path / 'a', [3, 2, 1, 1], accuracies=(40.0, 60.0, 80.0))
    scalars = read_scalars(tmp_path / 'a')
    assert scalars['val/accuracy/top1'] == {1: 40.0, 2: 60.0, 3: 80.0}
    assert 'val/time' not in scalars and scalars['loss'][4] == 1
    out = tmp_path / 'val.png'
    plot_curves.main([str(tmp_path / 'a'), '--keys', 'accuracy/top1', '--out', str(out)])
    blue = (0.12, 0.467, 0.706)
    assert count(pixels(out), blue, 8) > 200  # the validation line is drawn
