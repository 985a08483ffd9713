"""PerA references from ``SathShen/PerA``: loss, heads, masks, patchify, drop path, pos-embed."""
import importlib
from functools import partial
from pathlib import Path
from types import SimpleNamespace as NS

import torch
from torch import nn

from .official import arrays, path_package

OFFICIAL_REPO = 'SathShen/PerA'
CHECKOUT_OPTION = 'pera'  # eossl-parity-references --pera PATH

K, B, N_GLOBAL, N_LOCAL, TEACHER_TEMP = 64, 4, 2, 3, 0.04
HEAD = dict(in_dim=8, nlayers=3, hidden_dim=16, bottleneck_dim=8)
PATCH = 4  # tiny ViT: 56 px globals (196 patches), 24 px locals (36 patches)


def _import(root: Path):
    for name in ('Networks', 'Networks/DinoV2', 'Networks/PerA', 'Utils', 'Utils/loss'):
        path_package(name.replace('/', '.'), root / name)
    return NS(loss=importlib.import_module('Utils.loss.pera_loss.pera_loss'),
              koleo=importlib.import_module('Utils.loss.pera_loss.koleo_loss'),
              cls_head=importlib.import_module('Networks.PerA.layers.cls_head'),
              pixel_head=importlib.import_module('Networks.PerA.layers.pixel_head'),
              block=importlib.import_module('Networks.DinoV2.layers.block'),
              vit=importlib.import_module('Networks.DinoV2.vision_transformer'),
              pera=importlib.import_module('Networks.PerA.pera'))


def _loss_steps(mods) -> dict:
    """Two steps of the official PerALoss (the second one with a non-zero center)."""
    loss_fn = mods.loss.PerALoss(N_GLOBAL, N_LOCAL, K)
    out = {}
    for step in (1, 2):
        s_g = torch.randn(N_GLOBAL * B, K, requires_grad=True)
        s_l = torch.randn(N_LOCAL * B, K, requires_grad=True)
        t_g, t_l = torch.randn(N_GLOBAL * B, K) * 3, torch.randn(N_LOCAL * B, K) * 3
        pred = torch.randn(B, 5, 48, requires_grad=True)
        target = torch.randn(B, 5, 48)
        total, parts = loss_fn(dict(local_cls_tokens=s_l, global_cls_tokens=s_g,
                                    global_pred_tokens=pred, global_patch_target=target),
                               dict(local_cls_tokens=t_l, global_cls_tokens=t_g), TEACHER_TEMP)
        total.backward()
        pixel = loss_fn.mae_loss_weight * loss_fn.patch_loss(pred, target)
        koleo = sum(loss_fn.koleo_loss(p) for p in s_g.chunk(N_GLOBAL))
        out.update(arrays(**{f'step{step}_{k}': v for k, v in dict(
            s_g=s_g, s_l=s_l, t_g=t_g, t_l=t_l, pred=pred, target=target, total=total,
            dino=parts['local_dino_loss'] + parts['global_dino_loss'],
            koleo=loss_fn.koleo_loss_weight * koleo, pixel=pixel, grad_s_g=s_g.grad,
            grad_s_l=s_l.grad, grad_pred=pred.grad).items()}))
    return out


def _heads(mods) -> dict:
    """Official prototype and pixel heads: weights, an input and their outputs."""
    cls = mods.cls_head.PerA_cls_head(out_dim=K, **HEAD)
    pix = mods.pixel_head.PerA_pixel_head(out_dim=PATCH ** 2 * 3, **HEAD)
    x = torch.randn(6, HEAD['in_dim'])
    out = arrays(head_x=x, cls_y=cls(x), pixel_y=pix(x))
    out.update(arrays(**{f'cls.{k}': v for k, v in cls.state_dict().items()}))
    out.update(arrays(**{f'pixel.{k}': v for k, v in pix.state_dict().items()}))
    return out


def _vit_pieces(mods) -> dict:
    """Mask-set sizes, patchify, a drop-path block in training and pos-embed interpolation."""
    cfg = NS(AUG=NS(GLOBAL_CROP_SIZE=56), NET=NS(
        PATCH_SIZE=PATCH, EMBED_DIM=8, DEPTH=2, NUM_HEADS=2, MLP_RATIO=4.0, DROP_PATH_RATE=0.3,
        DINO=NS(HEAD_OUT_DIM=K, NUM_HEAD_LAYERS=3, HEAD_HIDDEN_DIM=16, HEAD_BOTTLENECK_DIM=8),
        PERA=NS(S_RATIO=0.2, T_RATIO=0.6)))
    model = mods.pera.PerA(cfg)
    out = {}
    for name, size, is_global in (('global', 56, True), ('local', 24, False)):
        s_crops, t_crops = torch.randn(2, 3, size, size), torch.randn(2, 3, size, size)
        s_in, t_in, l_in, _, _ = model.mask_patch_pair_embed(s_crops, t_crops, is_global)
        out[f'mask_{name}'] = arrays(x=[(size // PATCH) ** 2, s_in.shape[1] - 1,
                                        0 if l_in is None else l_in.shape[1],
                                        t_in.shape[1] - 1])['x']
    images = torch.randn(2, 3, 16, 16)
    out.update(arrays(patchify_x=images, patchify_y=model.patchify(images)))
    # as DinoV2VisionTransformer builds its blocks: LayerNorm eps 1e-6, qkv bias
    block = mods.block.Block(dim=8, num_heads=2, mlp_ratio=4.0, qkv_bias=True, drop_path=0.3,
                             norm_layer=partial(nn.LayerNorm, eps=1e-6))
    block.train()
    x = torch.randn(6, 5, 8)
    torch.manual_seed(3)
    out.update(arrays(block_x=x, block_y=block(x)))
    out.update(arrays(**{f'block.{k}': v for k, v in block.state_dict().items()}))
    vit = model.student.backbone
    tokens = torch.zeros(1, 1 + 36, 8)
    out.update(arrays(pos_embed=vit.pos_embed, pos_local=vit.interpolate_pos_encoding(
        tokens, 24, 24)))
    return out


def references(root: Path) -> dict:
    """All PerA reference arrays, drawn from fixed seeds."""
    mods = _import(root)
    torch.manual_seed(0)
    out = _loss_steps(mods)
    torch.manual_seed(1)
    out.update(_heads(mods))
    torch.manual_seed(2)
    out.update(_vit_pieces(mods))
    return out
