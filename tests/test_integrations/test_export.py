"""eossl-export: ONNX (ONNX Runtime on CPU) and ExportedProgram equal PyTorch within 1e-4 for a
backbone, a classifier and a segmentor; safetensors round-trips; metadata holds the contract."""
import numpy as np
import pytest
import torch

from eossl.apis import init_model
from eossl.cli import export as cli
from eossl.export import export_model, max_difference, read_metadata, run_export
from tests.test_apis.conftest import TINY_VIT, tiny_segmentor
from tests.tiny_checkpoints import write_tiny_vit_checkpoint, write_tiny_vit_recipe

EUROSAT_LINEAR = 'configs/benchmarks/classification/vits16_linear_eurosat.py'


@pytest.fixture(scope='module')
def tiny_vit(tmp_path_factory):
    folder = tmp_path_factory.mktemp('vit')
    recipe = write_tiny_vit_recipe(folder)
    return recipe, write_tiny_vit_checkpoint(recipe, folder / 'epoch_1.pth')


def test_backbone_onnx_and_exported_program_match_pytorch(tiny_vit, tmp_path, capsys):
    recipe, ckpt = tiny_vit
    model = init_model(recipe, ckpt)
    x = torch.randn(3, 13, 28, 28)  # traced at batch 2: the batch axis is dynamic
    for fmt, suffix in (('onnx', 'onnx'), ('exported-program', 'pt2')):
        out = tmp_path / f'vit.{suffix}'
        assert cli.main([str(recipe), str(ckpt), '--format', fmt, '--out', str(out)]) == 0
        assert max_difference(out, fmt, model, x) < 1e-4
        meta = read_metadata(out, fmt)
        assert meta['bands'] == list(model.bands) and meta['input_size'] == [28, 28]
        np.testing.assert_allclose(meta['mean'], model.mean.view(-1).numpy(), rtol=1e-6)
        assert meta['dynamic_axes']['x'] == ['batch']  # a ViT: fixed spatial size
    assert 'max |export - PyTorch|' in capsys.readouterr().out


def test_segmentor_has_dynamic_batch_and_size_in_onnx_and_exported_program(tmp_path):
    cfg = tiny_segmentor()
    cfg.dump(str(tmp_path / 'seg.py'))
    torch.manual_seed(0)
    model = init_model(tmp_path / 'seg.py')
    torch.save({'state_dict': model.network.state_dict()}, tmp_path / 'seg.pth')
    model = init_model(tmp_path / 'seg.py', tmp_path / 'seg.pth')
    for fmt in ('onnx', 'exported-program'):
        out = tmp_path / f'seg.{fmt}'
        meta = export_model(model, out, fmt, input_size=(32, 32))
        assert meta['dynamic_axes']['x'] == ['batch', 'height', 'width']
        x = torch.randn(1, 13, 48, 40)
        assert run_export(out, fmt, x)[0].shape == (1, 4, 48, 40)
        assert max_difference(out, fmt, model, x) < 1e-4
        assert read_metadata(out, fmt)['task'] == 'segmentation'


def test_classifier_onnx_and_safetensors(tmp_path, repo_root, tiny_vit):
    recipe = tmp_path / 'tiny_linear.py'
    recipe.write_text(f"_base_ = ['{repo_root / EUROSAT_LINEAR}']\n"
                      f"model = dict(backbone=dict(arch={TINY_VIT!r}, img_size=32),\n"
                      "             head=dict(in_channels=32))\n")
    torch.manual_seed(0)
    model = init_model(recipe)
    ckpt = tmp_path / 'linear.pth'
    torch.save({'state_dict': model.network.state_dict()}, ckpt)
    onnx_file = tmp_path / 'cls.onnx'
    argv = [str(recipe), str(ckpt), '--format', 'onnx', '--out', str(onnx_file)]
    with pytest.raises(ValueError):  # not this recipe's file (eossl-export: one line, exit 2)
        cli.main([*argv[:1], str(tiny_vit[1]), *argv[2:]])
    assert cli.main(argv) == 0
    meta = read_metadata(onnx_file, 'onnx')
    assert meta['task'] == 'classification' and meta['outputs'] == ['logits']
    assert run_export(onnx_file, 'onnx', torch.randn(4, 13, 32, 32))[0].shape == (4, 10)
    weights = tmp_path / 'cls.safetensors'
    export_model(model, weights, 'safetensors')
    assert read_metadata(weights, 'safetensors')['std'] == meta['std']
    torch.manual_seed(1)
    fresh = init_model(recipe)  # other random weights, replaced by the file's
    x = torch.randn(2, 13, 32, 32)
    with torch.no_grad():
        expected = model.network(x, mode='tensor').numpy()
    np.testing.assert_array_equal(run_export(weights, 'safetensors', x, fresh)[0], expected)
