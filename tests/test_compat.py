"""Tests for eossl.compat: mmcv.ops fallbacks, weights-only checkpoints, CPU DDP."""
import math
import os
import pickle
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mmcv
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel, MMDistributedDataParallel, is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (
    CheckpointLoader,
    _load_checkpoint,
    load_checkpoint,
)
from mmengine.utils.dl_utils import mmcv_full_available

import eossl  # noqa: F401  (installs the shims)
from eossl.checkpoints import UnsafeCheckpointError
from eossl.compat import install
from eossl.compat.mmcv_ops import CompiledOpsFallback, point_sample, sigmoid_focal_loss

from .gloo import run_on_ranks

lite_mmcv_only = pytest.mark.skipif(mmcv_full_available(),
                                    reason='mmcv has compiled ops: the fallback stays inactive')


# --- mmcv.ops fallbacks -------------------------------------------------------------------

def _bilinear(image: torch.Tensor, x: float, y: float) -> torch.Tensor:
    """Interpolate ``image`` (C, H, W) at pixel coordinates (x, y) strictly inside the grid."""
    x0, y0 = math.floor(x), math.floor(y)
    wx, wy = x - x0, y - y0
    x1, y1 = min(x0 + 1, image.shape[2] - 1), min(y0 + 1, image.shape[1] - 1)
    return ((1 - wy) * ((1 - wx) * image[:, y0, x0] + wx * image[:, y0, x1])
            + wy * ((1 - wx) * image[:, y1, x0] + wx * image[:, y1, x1]))


@pytest.mark.parametrize('align_corners', [False, True])
def test_point_sample_matches_manual_bilinear(align_corners: bool) -> None:
    image = torch.arange(12, dtype=torch.float64).reshape(1, 2, 2, 3) ** 2
    points = torch.tensor([[[0.25, 0.5], [0.5, 0.3], [0.7, 0.6]]], dtype=torch.float64)
    height, width = image.shape[2:]
    sampled = point_sample(image, points, align_corners=align_corners)
    assert sampled.shape == (1, 2, 3)
    for index, (px, py) in enumerate(points[0].tolist()):
        # Normalized → pixel coordinates, per grid_sample's two conventions.
        x, y = ((px * (width - 1), py * (height - 1)) if align_corners
                else (px * width - 0.5, py * height - 0.5))
        torch.testing.assert_close(sampled[0, :, index], _bilinear(image[0], x, y))


def test_point_sample_grid_points_match_grid_sample() -> None:
    torch.manual_seed(0)
    image = torch.randn(2, 3, 5, 4)
    points = torch.rand(2, 6, 7, 2)
    expected = F.grid_sample(image, 2 * points - 1, align_corners=False)
    torch.testing.assert_close(point_sample(image, points), expected)
    flat = point_sample(image, points.flatten(1, 2))
    torch.testing.assert_close(flat, expected.flatten(2))


def _focal_formula(logits: torch.Tensor, target: torch.Tensor, gamma: float,
                   alpha: float) -> torch.Tensor:
    """The element-wise focal loss, written out one element at a time, (N, C)."""
    rows = []
    for n in range(logits.shape[0]):
        row = []
        for c in range(logits.shape[1]):
            p = 1 / (1 + math.exp(-logits[n, c].item()))
            row.append(-alpha * (1 - p) ** gamma * math.log(p) if target[n] == c
                       else -(1 - alpha) * p ** gamma * math.log(1 - p))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('with_weight', [False, True])
def test_sigmoid_focal_loss_matches_formula(reduction: str, with_weight: bool) -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 4, dtype=torch.float64)
    # Index 4 == C is a background sample (all classes negative); not allowed with weights.
    target = torch.tensor([0, 3, 1] if with_weight else [0, 3, 4])
    weight = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64) if with_weight else None
    expected = _focal_formula(logits, target, gamma=1.5, alpha=0.3)
    if with_weight:
        expected = expected * weight[target].unsqueeze(1)
    expected = {'none': expected, 'sum': expected.sum(), 'mean': expected.sum() / 3}[reduction]
    loss = sigmoid_focal_loss(logits, target, 1.5, 0.3, weight, reduction)
    torch.testing.assert_close(loss, expected)


def test_sigmoid_focal_loss_gradient_matches_mmcv_backward() -> None:
    torch.manual_seed(0)
    logits = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([2, 0, 3, 1])
    gamma, alpha = 2.0, 0.25
    sigmoid_focal_loss(logits, target, gamma, alpha, None, 'sum').backward()
    p = logits.detach().sigmoid()
    positive = F.one_hot(target, 4)[:, :3].bool()
    # mmcv's hand-derived CUDA backward (sigmoid_focal_loss_cuda_kernel.cuh).
    expected = torch.where(positive,
                           -alpha * (1 - p) ** gamma * (1 - p - gamma * p * p.log()),
                           -(1 - alpha) * p ** gamma * (gamma * (1 - p) * (1 - p).log() - p))
    torch.testing.assert_close(logits.grad, expected)


def test_sigmoid_focal_loss_rejects_bad_input() -> None:
    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError, match='background'):
        sigmoid_focal_loss(logits, torch.tensor([0, 3]), weight=torch.ones(3))
    with pytest.raises(ValueError, match=r'\[0, 3\]'):
        sigmoid_focal_loss(logits, torch.tensor([0, 4]))
    with pytest.raises(ValueError, match='int64 target'):
        sigmoid_focal_loss(logits, torch.zeros(2))


def test_mmseg_models_import_and_keep_their_op_guards() -> None:
    import mmseg.models  # noqa: F401
    from mmseg.models.decode_heads import cc_head, psa_head
    from mmseg.models.utils import point_sample as mmseg_point_sample_module
    assert mmseg_point_sample_module.point_sample is mmcv.ops.point_sample
    if not mmcv_full_available():
        assert cc_head.CrissCrossAttention is None and psa_head.PSAMask is None


def test_mmseg_focal_loss_runs_and_its_two_paths_agree() -> None:
    from mmseg.models.losses import FocalLoss
    from mmseg.models.losses.focal_loss import py_sigmoid_focal_loss
    from mmseg.models.losses.focal_loss import sigmoid_focal_loss as mmseg_op_path
    torch.manual_seed(0)
    pred = torch.randn(2, 3, 4, 4)
    one_hot_map = F.one_hot(torch.randint(0, 3, (2, 4, 4)), 3).permute(0, 3, 1, 2).float()
    loss = FocalLoss(gamma=2.0, alpha=0.25)(pred, one_hot_map)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss > 0
    # mmseg's GPU path calls mmcv.ops.sigmoid_focal_loss; it must agree with its pure-PyTorch one.
    logits, labels = torch.randn(6, 3), torch.tensor([0, 2, 1, 1, 0, 2])
    one_hot = F.one_hot(labels, 3).float()
    for alpha in (0.25, [0.2, 0.5, 0.8]):
        torch.testing.assert_close(mmseg_op_path(logits, labels, one_hot, alpha=alpha),
                                   py_sigmoid_focal_loss(logits, one_hot, alpha=alpha))


@lite_mmcv_only
def test_unknown_op_raises_clear_module_not_found_error() -> None:
    try:
        from mmcv.ops import PSAMask  # noqa: F401
    except ModuleNotFoundError as error:
        message = str(error)
    else:
        pytest.fail('importing a compiled op from the fallback must fail')
    assert 'PSAMask' in message and 'full mmcv build with compiled ops' in message
    assert not hasattr(mmcv.ops, '__path__')


@lite_mmcv_only
def test_install_registers_fallback_when_compiled_ops_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, 'mmcv.ops')
    monkeypatch.delattr(mmcv, 'ops')
    install()
    fallback = sys.modules['mmcv.ops']
    assert isinstance(fallback, CompiledOpsFallback) and mmcv.ops is fallback
    install()
    assert sys.modules['mmcv.ops'] is fallback


def test_install_never_shadows_working_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    working = types.ModuleType('mmcv.ops')
    working.point_sample = lambda *args, **kwargs: 'compiled'
    monkeypatch.setitem(sys.modules, 'mmcv.ops', working)
    monkeypatch.setattr(mmcv, 'ops', working, raising=False)
    install()
    assert sys.modules['mmcv.ops'] is working and mmcv.ops is working


# --- checkpoints under weights_only=True ----------------------------------------------------

class _TinyModel(BaseModel):
    """y = Linear(2 → 1)(x); the loss is mean(y²)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs: torch.Tensor, data_samples: object = None,
                mode: str = 'loss') -> dict:
        return {'loss': self.linear(inputs).pow(2).mean()}


def _runner(work_dir: Path, max_iters: int, **kwargs: Any) -> Runner:
    return Runner(
        model=_TinyModel(), work_dir=str(work_dir),
        # Runners sharing a name would share MessageHub/logger instances.
        experiment_name=f'{work_dir.parent.name}-{work_dir.name}',
        train_dataloader=dict(dataset=[{'inputs': torch.full((2,), float(i))} for i in range(4)],
                              batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        **kwargs)


class _Reduces:
    """Pickles as ``function(*args)``, so unpickling calls ``function``: a crafted checkpoint."""

    def __init__(self, function: object, *args: object) -> None:
        self.call = function, args

    def __reduce__(self) -> tuple:
        return self.call


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The iter_2.pth an mmengine Runner saves after 2 iterations of :class:`_TinyModel`."""
    work_dir = tmp_path_factory.mktemp('trained') / 'work'
    _runner(work_dir, max_iters=2).train()
    return work_dir / 'iter_2.pth'


def test_runner_resumes_under_weights_only(trained_checkpoint: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = trained_checkpoint
    assert torch.serialization.get_unsafe_globals_in_checkpoint(checkpoint) == []
    load_kwargs = []
    real_load = torch.load

    def spy_load(*args: Any, **kwargs: Any) -> Any:
        load_kwargs.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy_load)
    resumed = _runner(tmp_path / 'second', max_iters=4, resume=True, load_from=str(checkpoint))
    resumed.train()
    assert load_kwargs and all(kwargs.get('weights_only') is not False for kwargs in load_kwargs)
    assert resumed.iter == 4
    losses, counts = resumed.message_hub.get_scalar('train/loss').data
    assert len(losses) == 4 and counts.sum() == 4  # 2 restored from the checkpoint + 2 new


def test_checkpoint_pickled_with_numpy1_module_paths_loads(trained_checkpoint: Path,
                                                           tmp_path: Path) -> None:
    # numpy < 2 pickles _reconstruct/scalar under numpy.core.multiarray instead of numpy._core.
    numpy1_checkpoint = tmp_path / 'numpy1.pth'
    with zipfile.ZipFile(trained_checkpoint) as source, \
            zipfile.ZipFile(numpy1_checkpoint, 'w') as copy:
        for record in source.infolist():
            data = source.read(record)
            if record.filename.endswith('/data.pkl'):
                data = data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
                assert b'numpy.core.multiarray' in data
            copy.writestr(record, data)
    message_hub = _load_checkpoint(str(numpy1_checkpoint))['message_hub']
    assert message_hub['log_scalars']['train/loss'].data[0].shape == (2,)


@pytest.mark.parametrize('load', [
    lambda path: _load_checkpoint(path),
    lambda path: load_checkpoint(nn.Linear(2, 1), path),
    lambda path: CheckpointLoader.load_checkpoint(path),
], ids=['_load_checkpoint', 'load_checkpoint', 'CheckpointLoader'])
def test_malicious_checkpoint_is_refused(tmp_path: Path, load: Callable[[str], object]) -> None:
    marker, checkpoint = tmp_path / 'pwned', tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Reduces(open, str(marker), 'w')}, checkpoint)
    with pytest.raises(pickle.UnpicklingError) as raised:  # what torch.load itself raises
        load(str(checkpoint))
    assert isinstance(raised.value, UnsafeCheckpointError)
    message = str(raised.value)
    assert str(checkpoint) in message and 'io.open' in message  # how pickle names open()
    assert 'safety' in message and 'eossl-softcon-to-eossl' in message
    assert not marker.exists()


def test_runner_resume_refuses_malicious_checkpoint(tmp_path: Path) -> None:
    marker, checkpoint = tmp_path / 'pwned', tmp_path / 'evil.pth'
    torch.save({'meta': {}, 'payload': _Reduces(open, str(marker), 'w')}, checkpoint)
    runner = _runner(tmp_path / 'work', max_iters=2, resume=True, load_from=str(checkpoint))
    with pytest.raises(UnsafeCheckpointError, match='io.open'):
        runner.train()
    assert not marker.exists()


def test_getattr_in_checkpoints_reaches_only_history_buffer_methods(tmp_path: Path) -> None:
    allowed, refused = tmp_path / 'allowed.pth', tmp_path / 'refused.pth'
    torch.save({'method': _Reduces(getattr, HistoryBuffer, 'mean')}, allowed)
    torch.save({'method': _Reduces(getattr, HistoryBuffer, '__init__')}, refused)
    assert _load_checkpoint(str(allowed))['method'] is HistoryBuffer.mean
    with pytest.raises(UnsafeCheckpointError, match='__init__'):
        _load_checkpoint(str(refused))


def test_load_from_plain_state_dict(tmp_path: Path) -> None:
    source = _TinyModel()
    nn.init.constant_(source.linear.weight, 3.0)
    nn.init.constant_(source.linear.bias, -1.0)
    torch.save(source.state_dict(), tmp_path / 'weights.pth')
    runner = _runner(tmp_path / 'work', max_iters=2, load_from=str(tmp_path / 'weights.pth'))
    runner.load_or_resume()
    for name, tensor in source.state_dict().items():
        torch.testing.assert_close(runner.model.state_dict()[name], tensor)


# --- DDP on CPU ----------------------------------------------------------------------------

def _ddp_worker(rank: int, world_size: int) -> None:
    """One gloo rank: wrap a Linear as mmengine's Runner would, backprop a rank-specific input."""
    with pytest.raises(ValueError, match='device_ids'):  # the gap: plain wrapper refuses CPU
        MMDistributedDataParallel(module=nn.Linear(2, 1), device_ids=[rank])
    model = nn.Linear(2, 1, bias=False)
    wrapped = MMENGINE_MODEL_WRAPPERS.build(
        dict(type='eossl.DeviceAgnosticDDP', broadcast_buffers=False),
        default_args=dict(module=model, device_ids=[rank]))  # what Runner.wrap_model passes
    assert is_model_wrapper(wrapped)
    wrapped(torch.full((1, 2), float(rank + 1))).sum().backward()
    # d(w·x)/dw = x per rank; DDP all-reduces the mean over ranks: (1 + 2) / 2.
    torch.testing.assert_close(model.weight.grad, torch.full((1, 2), 1.5))


def test_device_agnostic_ddp_averages_gradients_on_cpu() -> None:
    run_on_ranks(_ddp_worker, 2)


def test_commands_start_without_the_install_mmcv_warning(repo_root: Path) -> None:
    """mmcv-lite is what eossl requires; every command used to warn "install mmcv rather than
    mmcv-lite" at start-up (mmcv's transformer bricks, imported by mmpretrain)."""
    done = subprocess.run([sys.executable, '-W', 'default', '-c', 'import eossl'],
                          capture_output=True, text=True, cwd=repo_root,
                          env={**os.environ, 'PYTHONPATH': str(repo_root)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'mmcv-lite' not in done.stderr and 'MultiScaleDeformableAttention' not in done.stderr
