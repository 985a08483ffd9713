"""SoftCon whole-step reference: the official SoftCon ViT and the loss as published.

``zhu-xlab/softcon`` releases backbones only (``models/dinov2``: DINOv2's ViT with LayerScale,
stochastic depth and no registers), no training code. So what is official here is the encoder:
``DinoVisionTransformer`` from the checkout (``NestedTensorBlock`` with memory-efficient
attention on its pure-torch path), given eossl's initial weights through ``eossl_to_softcon``.
Everything else is written here from the paper (arXiv 2405.20462) and the recipe header,
independently of eossl's modules:

- Siamese masking: CLS plus the kept patch tokens (position embeddings added before the drop)
  run through the official blocks; final norm; CLS token;
- the projector the recipe names (3 bias-free linear layers, BatchNorm after each, ReLU between,
  the last BatchNorm without affine parameters), as plain ``torch.nn`` layers;
- the soft contrastive loss: ``t_ij = cos(y_i, y_j)``, ``t_ii = 1``, rows normalised to sum 1,
  cross-entropy against ``softmax_j(ẑ_i·ẑ'_j / τ)``, averaged over both view orders; an
  unlabeled scene (all-zero labels) is an InfoNCE row and a negative for the others;
- stochastic depth: the official blocks' own (batch-subset, see :func:`step_seed`);
- AdamW (0.9, 0.95), weight decay 0.1 except norms, biases, ``pos_embed`` and ``cls_token``; lr
  on the recipe's warm-up + cosine schedule written in closed form, at epoch 50 of 100 with three
  iterations per epoch.

The recipe ``softcon_vits14_s2_100e_ssl4eo.py`` is reduced to a 2-block, 24-wide ViT on 56 px
(4 × 4 patches of 14), a 32-wide projector to 16; masks (kept patches) and stochastic-depth
draws are pinned on both sides (kept patches injected, the global seed set per step).
float64 throughout.
"""
import importlib
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .official import path_package
from .step_record import capture_grads, init_norms, record

OFFICIAL_REPO = 'zhu-xlab/softcon'
CHECKOUT_OPTION = 'softcon'  # eossl-parity-references --softcon PATH
RECIPE = 'configs/softcon/softcon_vits14_s2_100e_ssl4eo.py'
B, SIZE, EMBED, DEPTH, HEADS, HIDDEN, OUT = 4, 56, 24, 2, 2, 32, 16
KEEP = 8  # of 16 patches, mask_ratio 0.5
EPOCH, EPOCH_LENGTH, WARMUP, EPOCHS, LR, MIN_LR = 50, 3, 10, 100, 1.5e-4, 1e-6
LABELS: tuple[list[int], ...] = ([0, 2], [2], [], [1, 4, 8])  # one unlabeled scene, two overlapping
FULL = ('backbone.blocks.1.ls2.gamma', 'backbone.cls_token', 'neck.bn0.weight')


def reduced_model_cfg(model: dict) -> dict:
    """The recipe's model with a tiny ViT (no RGB checkpoint) and projector."""
    model = dict(model)
    model['backbone'] = dict(model['backbone'], img_size=SIZE, init_cfg=None, arch=dict(
        embed_dims=EMBED, num_layers=DEPTH, num_heads=HEADS, feedforward_channels=4 * EMBED))
    model['neck'] = dict(model['neck'], in_channels=EMBED, hid_channels=HIDDEN, out_channels=OUT)
    return model


def build_eossl(model_cfg: dict) -> torch.nn.Module:
    """eossl's model from seed 0 (the same draw in the generator and the test), float64."""
    import eossl
    from eossl.registry import MODELS
    eossl.register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.double()


def raw_views() -> list[torch.Tensor]:
    """Two views ``(B, 13, 56, 56)`` of S2 L1C reflectances (float32 values)."""
    gen = torch.Generator().manual_seed(41)
    return [torch.randint(0, 6000, (B, 13, SIZE, SIZE), generator=gen).float() for _ in range(2)]


def draws() -> dict[str, torch.Tensor]:
    """Per step: the kept patches ``(3, 2B, KEEP)`` of Siamese masking."""
    gen = torch.Generator().manual_seed(42)
    return dict(keep=torch.rand(3, 2 * B, 16, generator=gen).argsort(-1)[..., :KEEP])


def step_seed(step: int) -> int:
    """Global seed set before step ``step`` (0-based) on both sides: the last block's rate,
    ``linspace(0, 0.1, 2)[1]``, is 0.1 in float32 and so just above 0.1, which puts it on
    DINOv2's batch-subset stochastic depth (``randperm`` of the batch), the only draw left."""
    return 1000 + step


def lr(iteration: int) -> float:
    """The recipe's schedule at a global iteration (cosine phase), in closed form."""
    t = iteration / EPOCH_LENGTH - WARMUP
    return MIN_LR + (LR - MIN_LR) * 0.5 * (1 + math.cos(math.pi * t / (EPOCHS - WARMUP)))


def _projector(neck_state: dict) -> nn.Module:
    layers = []
    for i, (cin, cout) in enumerate(((EMBED, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN, OUT))):
        layers += [nn.Linear(cin, cout, bias=False), nn.BatchNorm1d(cout, affine=i < 2)]
        if i < 2:
            layers.append(nn.ReLU())
    proj = nn.Sequential(*layers).double()
    names = ['fc0', 'bn0', '', 'fc1', 'bn1', '', 'fc2', 'bn2']
    proj.load_state_dict({f'{i}.{k.split(".", 1)[1]}': v for i, n in enumerate(names) if n
                          for k, v in neck_state.items() if k.split('.')[0] == n})
    return proj


def published_loss(z1: torch.Tensor, z2: torch.Tensor, labels: torch.Tensor,
                   tau: float) -> torch.Tensor:
    """SoftCon's soft-target contrastive loss (see the module docstring); the target matrix is
    computed in float32 (eossl's label vectors are float32), the rest in ``z``'s precision."""
    y = F.normalize(labels.float(), dim=1)
    sim = y @ y.T
    sim.fill_diagonal_(1.0)
    target = (sim / sim.sum(1, keepdim=True)).to(z1.dtype)
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    one = -(target * F.log_softmax(a @ b.T / tau, 1)).sum(1).mean()
    two = -(target * F.log_softmax(b @ a.T / tau, 1)).sum(1).mean()
    return (one + two) / 2


def _official_vit(root: Path, state: dict) -> nn.Module:
    from functools import partial
    for name in ('softcon_models', 'softcon_models.dinov2'):
        path_package(name, root / '/'.join(['models', 'dinov2'][:name.count('.') + 1]))
    vt = importlib.import_module('softcon_models.dinov2.vision_transformer')
    vit = vt.DinoVisionTransformer(
        img_size=SIZE, patch_size=14, in_chans=13, embed_dim=EMBED, depth=DEPTH, num_heads=HEADS,
        mlp_ratio=4, block_fn=partial(vt.Block, attn_class=vt.MemEffAttention),
        init_values=1e-5, drop_path_rate=0.1, block_chunks=0, num_register_tokens=0).double()
    vit.load_state_dict(state)
    return vit


def whole_step(root: Path) -> dict:
    """Losses, gradient / update norms and a few full tensors after 1 and 3 steps."""
    from mmengine.config import Config

    from eossl.checkpoints.softcon_layout import eossl_to_softcon
    cfg = Config.fromfile(str(Path(__file__).parents[2] / RECIPE))
    model = build_eossl(reduced_model_cfg(cfg.model.to_dict()))
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    views = [v.double() for v in model.data_preprocessor(
        {'inputs': [list(v) for v in raw_views()], 'data_samples': None}, True)['inputs']]
    labels = torch.zeros(B, 9, dtype=torch.float64)
    for i, classes in enumerate(LABELS):
        labels[i, classes] = 1.0
    d = draws()
    out = dict(names=np.array(names), init_norm=init_norms(initial, names), **{
        k: v.numpy() for k, v in d.items()})
    for steps in (1, 3):
        vit = _official_vit(root, eossl_to_softcon(model.state_dict()))
        proj = _projector({k[len('neck.'):]: v for k, v in model.state_dict().items()
                           if k.startswith('neck.')})
        params = {**{'backbone.' + k: p for k, p in vit.named_parameters()},
                  **{f'neck.{k}': p for k, p in _neck_names(proj)}}
        decay = [p for n, p in params.items() if n in names and not _no_decay(n)]
        rest = [p for n, p in params.items() if n in names and _no_decay(n)]
        optimizer = torch.optim.AdamW([dict(params=decay), dict(params=rest, weight_decay=0.)],
                                      lr=LR, betas=(0.9, 0.95), weight_decay=0.1)
        grads, hooks = capture_grads({n: params[n] for n in names})
        losses = []
        vit.train(), proj.train()
        for step in range(steps):
            for group in optimizer.param_groups:
                group['lr'] = lr(EPOCH * EPOCH_LENGTH + step)
            torch.manual_seed(step_seed(step))
            tokens = vit.prepare_tokens_with_masks(torch.cat(views))
            kept = tokens[:, 1:].gather(1, d['keep'][step].unsqueeze(-1).expand(-1, -1, EMBED))
            x = torch.cat([tokens[:, :1], kept], 1)
            for block in vit.blocks:
                x = block(x)
            z1, z2 = proj(vit.norm(x)[:, 0]).chunk(2)
            loss = published_loss(z1, z2, labels, cfg.model.head.loss.temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        for hook in hooks:
            hook.remove()
        out.update(record(f'step{steps}', names, params, initial, FULL, grads))
        out[f'step{steps}_losses'] = np.array(losses)
    return out


def _neck_names(proj: nn.Module):
    index = {0: 'fc0', 1: 'bn0', 3: 'fc1', 4: 'bn1', 6: 'fc2', 7: 'bn2'}
    for k, p in proj.named_parameters():
        i, rest = k.split('.', 1)
        yield f'{index[int(i)]}.{rest}', p


def _no_decay(name: str) -> bool:
    """The recipe's groups: no decay on norms, biases, position embedding and CLS token."""
    return (name.endswith('.bias') or 'norm' in name.split('.')[-2] or '.bn' in name
            or name.endswith(('pos_embed', 'cls_token')))
