"""MP-MAE references from ``vishalned/MMEarth-train``: masks, pretext losses, decoder heads."""
import importlib
from argparse import Namespace
from pathlib import Path

import torch
from torch import nn

from .official import arrays, path_package

OFFICIAL_REPO = 'vishalned/MMEarth-train'
CHECKOUT_OPTION = 'mmearth'  # eossl-parity-references --mmearth PATH

PIXEL = dict(sentinel2=12, sentinel1=8, aster=2, canopy_height_eth=2)
CLASSES = dict(dynamic_world=9, esa_worldcover=11)
ONEHOT = dict(biome=14, eco_region=846)
VALUES = dict(lat=2, lon=2, month=2, era5=12)
TASKS = (*PIXEL, *CLASSES, *ONEHOT, *VALUES)  # the order of the shipped all-modality recipes
N, P, SIZE = 4, 8, 16  # 2 × 2 patch grid


def _import(root: Path):
    path_package('mmearth', root)
    path_package('mmearth.models', root / 'models')
    fcmae = importlib.import_module('mmearth.models.fcmae')
    custom_loss = importlib.import_module('mmearth.custom_loss')
    return fcmae, custom_loss


def _masks(fcmae) -> dict:
    """``gen_random_mask`` at 0.6 on the 7 × 7 grids of 112 px / 16 and 56 px / 8 inputs."""
    out = {}
    for size, patch in ((112, 16), (56, 8)):
        torch.manual_seed(5)
        holder = Namespace(patch_size=patch)
        out[f'mask_{size}'] = fcmae.FCMAE.gen_random_mask(holder, torch.zeros(N, 12, size, size),
                                                          0.6)
    return arrays(**out)


def _targets() -> dict[str, torch.Tensor]:
    """Seeded targets with nodata: NaN pixels and values, −1 labels, an all-zero one-hot."""
    t = {}
    for name, c in PIXEL.items():
        x = torch.randn(N, c, SIZE, SIZE)
        x[torch.rand_like(x) < 0.1] = float('nan')
        x[0, :, :P, :P] = float('nan')  # a wholly missing patch
        t[name] = x
    for name, k in CLASSES.items():
        y = torch.randint(0, k, (N, 1, SIZE, SIZE))
        y[torch.rand(y.shape) < 0.2] = -1
        t[name] = y
    for name, k in ONEHOT.items():
        y = nn.functional.one_hot(torch.randint(0, k, (N,)), k).float()
        y[1] = 0.  # all-zero one-hot
        t[name] = y
    for name, k in VALUES.items():
        x = torch.randn(N, k)
        x[2, 0] = float('nan')
        t[name] = x
    return t


def _losses(fcmae, custom_loss) -> dict:
    """The official ``FCMAE.forward`` loss path on given predictions (encoder/decoder replaced)."""
    model = fcmae.FCMAE.__new__(fcmae.FCMAE)
    nn.Module.__init__(model)
    model.args = Namespace(out_modalities=dict.fromkeys(TASKS), loss_aggr='uncertainty')
    model.patch_size, model.norm_pix_loss = P, True
    model.out_chans = {**PIXEL, **CLASSES, **ONEHOT, **VALUES}
    model.random_crop = fcmae.RandomCrop((SIZE, SIZE))  # full size: identity
    model.loss_fn = custom_loss.UncertaintyWeightingStrategy(len(TASKS))
    with torch.no_grad():
        model.loss_fn.log_vars.copy_(torch.randn(len(TASKS)) * 0.3)
    mask = torch.tensor([[1., 0., 1., 1.], [0., 1., 1., 0.], [1., 1., 0., 0.], [1., 0., 0., 1.]])
    preds = {}
    for name in TASKS:
        if name in PIXEL or name in CLASSES:
            c = PIXEL.get(name) or CLASSES[name]
            preds[name] = torch.randn(N, P * P * c, SIZE // P, SIZE // P, requires_grad=True)
        else:
            k = ONEHOT.get(name) or VALUES[name]
            preds[name] = torch.randn(N, k, requires_grad=True)
    model.forward_encoder = lambda imgs, ratio: (None, mask)
    model.forward_decoder = lambda x, m: dict(preds)
    targets = _targets()
    total, _, _, parts, log_vars, _ = model({k: v.clone() for k, v in targets.items()})
    total.backward()
    out = arrays(loss_mask=mask, loss_total=total, log_vars=torch.tensor(log_vars))
    out.update(arrays(**{f'target.{k}': v for k, v in targets.items()}))
    out.update(arrays(**{f'pred.{k}': v for k, v in preds.items()}))
    out.update(arrays(**{f'grad.{k}': v.grad for k, v in preds.items()}))
    out.update(arrays(**{f'loss.{k}': v for k, v in parts.items()}))
    return out


def _decoder(fcmae) -> dict:
    """Official decoder + S1 / biome / lat heads (official init) on a given encoder map."""
    args = Namespace(modalities=dict(sentinel2=list(range(12)), sentinel1=list(range(8)),
                                     biome=None, lat=[0, 1]),
                     out_modalities=dict(sentinel1=None, biome=None, lat=None),
                     use_orig_stem=False, loss_aggr='unweighted')
    torch.manual_seed(6)
    model = fcmae.FCMAE(img_size=SIZE, depths=[1, 1, 1, 1], dims=[8, 8, 8, 8],
                        decoder_embed_dim=8, patch_size=P, args=args, sparse=False)
    x, mask = torch.randn(N, 8, 2, 2), torch.tensor([[1., 0., 1., 1.]] * N)
    preds = model.forward_decoder(x, mask)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('encoder.')}
    out = arrays(dec_x=x, dec_mask=mask)
    out.update(arrays(**{f'dec_pred.{k}': v for k, v in preds.items()}))
    out.update(arrays(**{f'dec_state.{k}': v for k, v in state.items()}))
    return out


def references(root: Path) -> dict:
    """All MP-MAE reference arrays, drawn from fixed seeds."""
    fcmae, custom_loss = _import(root)
    out = _masks(fcmae)
    torch.manual_seed(7)
    out.update(_losses(fcmae, custom_loss))
    out.update(_decoder(fcmae))
    return out
