"""DeCUR references from ``zhu-xlab/DeCUR``: one training forward/backward of the official model.

The official ``models/decur.py`` ``DeCUR`` (ResNet-50 per modality, S1 2 bands, S2 13 bands,
shared projector, ``bt_loss_single`` / ``bt_loss_cross``) runs once in training mode on seeded
views; its weights are not downloaded but filled by :func:`seeded_tensor`, which the tests
re-create from the recorded key layout. Recorded: the inputs, the projections, the three loss
terms, the total, gradients of the projections and of a few weights, an eval-mode backbone
output, and the official state-dict layout (keys and shapes) for the converter tests.
"""
import importlib
import json
import math
import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.distributed as dist

from .official import arrays, path_package

OFFICIAL_REPO = 'zhu-xlab/DeCUR'
CHECKOUT_OPTION = 'decur'  # eossl-parity-references --decur PATH
B, SIZE, PROJECTOR, DIM_COMMON, LAMBD = 8, 16, '64-64-64', 48, 0.0051
GRADIENTS = ('backbone_1.conv1.weight', 'backbone_2.conv1.weight',
             'backbone_2.layer4.2.bn3.weight', 'projector1.1.weight', 'projector1.6.weight')


def seeded_tensor(index: int, key: str, shape: tuple[int, ...]) -> torch.Tensor:
    """The value of the ``index``-th key (sorted order) of the state dict: a fixed rule.

    Convolution / linear weights are He-scaled normals, BatchNorm weights ``1 + 0.1·N``, biases
    and running means ``0.1·N``, running variances in ``[0.5, ∞)``: activations stay O(1).
    """
    if key.endswith('num_batches_tracked'):
        return torch.tensor(0)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1000 + index))
    if key.endswith('running_var'):
        return x.abs() * 0.5 + 0.5
    if len(shape) == 1:
        return 1 + 0.1 * x if key.endswith('weight') else 0.1 * x
    return x * math.sqrt(2 / math.prod(shape[1:]))


def seeded_state(shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    """:func:`seeded_tensor` of every key of ``{key: shape}``."""
    return {k: seeded_tensor(i, k, tuple(shapes[k])) for i, k in enumerate(sorted(shapes))}


def _init_single_process_group() -> None:
    """The official loss all-reduces its correlation matrix: a one-rank gloo group."""
    if dist.is_initialized():
        return
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0,
                            world_size=1)


def _official_model(root: Path):
    """The official DeCUR module for S1/S2 ResNet-50 with a small projector, no downloads."""
    path_package('models', root / 'src' / 'pretrain' / 'models')
    module = importlib.import_module('models.decur')
    resnet50 = module.torchvision.models.resnet50
    # the official code asks for ImageNet weights; every weight is overwritten below anyway
    module.torchvision.models.resnet50 = lambda **kw: resnet50(
        zero_init_residual=kw.get('zero_init_residual', False))
    try:
        # batch_size · 4 is the official divisor of the correlation (4 GPUs): B scenes here
        args = SimpleNamespace(backbone='resnet50', mode=['s1', 's2c'], rda=False,
                               projector=PROJECTOR, batch_size=B // 4, dim_common=DIM_COMMON,
                               lambd=LAMBD, pretrained='')
        return module.DeCUR(args)
    finally:
        module.torchvision.models.resnet50 = resnet50


def references(root: Path) -> dict:
    """Run the official DeCUR on seeded views; see the module docstring for what is kept."""
    _init_single_process_group()
    model = _official_model(root)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    model.load_state_dict(seeded_state(shapes))
    gen = torch.Generator().manual_seed(26)
    views = [torch.randn(B, c, SIZE, SIZE, generator=gen) for c in (2, 2, 13, 13)]
    model.eval()  # before the training step updates the BatchNorm running statistics
    with torch.no_grad():
        eval_s2_features = model.backbone_2(views[2][:2])
    model.train()
    projections: list[torch.Tensor] = []

    def keep(module, inputs, output):
        output.retain_grad()
        projections.append(output)

    # projector1 and projector2 are two Sequentials of the same layers: calls in order
    handles = [p.register_forward_hook(keep) for p in (model.projector1, model.projector2)]
    loss1, loss2, loss12, on_diag12_c = model(*views)
    total = (loss1 + loss2 + loss12) / 3  # as pretrain_mm.py
    total.backward()
    for handle in handles:
        handle.remove()
    params = dict(model.named_parameters())
    out = arrays(**{f'view{i}': v for i, v in enumerate(views)},
                 **{f'z{i}': z for i, z in enumerate(projections)},
                 **{f'grad_z{i}': z.grad for i, z in enumerate(projections)},
                 loss_intra_s1=loss1, loss_intra_s2=loss2, loss_cross=loss12, total=total,
                 cross_common_on_diag=on_diag12_c, dim_common=DIM_COMMON, lambd=LAMBD,
                 **{f'grad.{k}': params[k].grad for k in GRADIENTS},
                 eval_s2_features=eval_s2_features)
    out['state_layout'] = np.array(json.dumps(shapes))
    out['projector'] = np.array(PROJECTOR)
    return out
