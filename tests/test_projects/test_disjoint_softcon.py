"""projects/disjoint_softcon: an out-of-tree method assembled from eossl components by config.

The project's config loads its algorithm through ``custom_imports`` and takes everything else —
PerA's aligned views and disjoint masks, SoftCon's neck, head and loss, the ViT, the BigEarthNet
dataset — from the eossl registries. On the real BigEarthNet example patches one step must give
a finite loss that reaches the backbone, and each view must be encoded from its own patch set
only.
"""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from eossl.registry import DATASETS, MODELS

CONFIG = 'projects/disjoint_softcon/configs/disjoint-softcon_vits16_s2_demo_bigearthnet.py'


@pytest.fixture
def setup(repo_root, bigearthnet_example, monkeypatch):
    """The project's model and one packed batch of four real patches."""
    monkeypatch.syspath_prepend(str(repo_root))  # as PYTHONPATH=. does for tools/train.py
    cfg = Config.fromfile(repo_root / CONFIG)  # runs custom_imports
    dataset_cfg = dict(cfg.train_dataloader.dataset, data_root=str(bigearthnet_example))
    dataset = DATASETS.build(dataset_cfg)
    np.random.seed(0)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    return model, pseudo_collate([dataset[i] for i in range(4)]), cfg


def test_project_config_uses_eossl_components_only_besides_its_algorithm(setup):
    model, _, cfg = setup
    assert type(model).__module__.startswith('projects.disjoint_softcon')
    assert (type(model.head).__name__, type(model.head.loss_module).__name__) == \
        ('SoftContrastiveHead', 'SoftContrastiveLoss')
    steps = [step['type'] for step in cfg.train_dataloader.dataset.pipeline]
    assert steps == ['LoadMultiBandImage', 'AlignedMultiViews', 'DisjointMaskGenerator',
                     'PackEOInputs']


def test_one_step_gives_a_finite_loss_that_reaches_the_backbone(setup):
    model, batch, _ = setup
    data = model.data_preprocessor(batch, True)
    loss = model(**data, mode='loss')['loss']
    assert torch.isfinite(loss)
    loss.backward()
    assert model.backbone.patch_embed.proj.weight.grad.abs().sum() > 0


def test_each_view_is_encoded_from_its_own_patches_only(setup):
    model, batch, _ = setup
    data = model.data_preprocessor(batch, True)
    first, second = data['inputs']
    masks = [sample.disjoint_masks for sample in data['data_samples']]
    student = [set(m['student'][0].tolist()) for m in masks]
    teacher = [set(m['teacher'][0].tolist()) for m in masks]
    assert all(not s & t and len(s | t) == 49 for s, t in zip(student, teacher))  # 7 x 7

    def loss_with(first_view, second_view) -> torch.Tensor:
        with torch.no_grad():
            return model(inputs=[first_view, second_view], data_samples=data['data_samples'],
                         mode='loss')['loss']

    def noise_on(view: torch.Tensor, patches: list[set[int]]) -> torch.Tensor:
        out = view.clone()
        for row, hidden in enumerate(patches):
            for p in hidden:
                r, c = divmod(p, 7)
                out[row, :, r * 16:(r + 1) * 16, c * 16:(c + 1) * 16] = torch.randn(
                    view.shape[1], 16, 16)
        return out

    reference = loss_with(first, second)
    # pixels the first view must not see (the teacher's patches) and vice versa
    torch.testing.assert_close(loss_with(noise_on(first, teacher), noise_on(second, student)),
                               reference)
    assert not torch.allclose(loss_with(noise_on(first, student), second), reference)


def test_project_algorithm_reads_the_masks_and_refuses_other_fields(setup):
    model, data, _ = setup
    assert model.consumed_fields() == {'disjoint_masks'}
    model.check_fields(data['data_samples'])  # the project's own pipeline packs what it reads
    data['data_samples'][0].set_field(1, 'sentinel1')
    with pytest.raises(ValueError, match=r"DisjointSoftCon: .*\['sentinel1'\]"):
        model(data['inputs'], data['data_samples'], mode='loss')
