"""MP-MAE whole-step reference: the official MMEarth sparse FCMAE and ``train_one_epoch``.

The official model (``models/fcmae.py`` with ``SparseConvNeXtV2``) runs unchanged on
:mod:`eossl.parity.minkowski` (MinkowskiEngine's semantics, independently implemented). It is
built at a reduced size the official code accepts (depths 1-1-1-1, 32 px, patch 8: a 4 × 4 mask
grid, decoder width 16) with the S2 target and uncertainty weighting of the shipped recipe
``mpmae_convnextv2-atto_s2_200e_mmearth-56.py``, given eossl's initial weights (through the
``mmearth_to_eossl`` converter, inverted element by element), and trained by the official
``engine_pretrain.train_one_epoch``: AdamW (0.9, 0.95) over timm's weight-decay groups, lr
``1.5e-4 × batch / 256`` on the per-iteration warm-up + cosine schedule, here at epoch 50 of
200 (cosine phase), three iterations per epoch. Its masks are drawn once and injected on both
sides. float64 throughout.
"""
import importlib
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch

from .official import path_package, stub_library
from .step_record import capture_grads, init_norms, record

RECIPE = 'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py'
B, SIZE, PATCH, DEPTHS, DIMS, DECODER = 4, 32, 8, [1, 1, 1, 1], [8, 12, 16, 20], 16
EPOCH, EPOCH_LENGTH, BASE_LR = 50, 3, 1.5e-4
FULL = ('backbone.initial_conv.0.weight', 'backbone.stages.3.0.grn.gamma', 'neck.mask_token',
        'heads.sentinel2.conv.bias', 'loss_weighting.log_vars')


def reduced_model_cfg(model: dict) -> dict:
    """The recipe's model with the reduced encoder / decoder widths."""
    model = dict(model)
    model['backbone'] = dict(model['backbone'], arch=dict(depths=DEPTHS, channels=DIMS))
    model['neck'] = dict(model['neck'], in_channels=DIMS[-1], embed_dim=DECODER)
    model['heads'] = {k: dict(h, in_channels=DECODER) for k, h in model['heads'].items()}
    return model


def lr() -> float:
    """The official ``args.lr = blr × effective batch / 256`` (eossl: ``auto_scale_lr``)."""
    return BASE_LR * B / 256


def step_batch() -> torch.Tensor:
    """One z-scored S2 batch ``(B, 12, 32, 32)`` in eossl's (L1C) band order, float64."""
    return torch.randn(B, 12, SIZE, SIZE, generator=torch.Generator().manual_seed(21)).double()


def build_eossl(model_cfg: dict) -> torch.nn.Module:
    """eossl's model from seed 0 (the same draw in the generator and the test), float64."""
    import eossl
    from eossl.registry import MODELS
    eossl.register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.double()


def _to_official(eossl_state: dict, official_state: dict) -> dict:
    """eossl weights in the official layout: the converter applied to element indices."""
    from eossl.cli.mmearth_to_eossl import convert
    ids, start = {}, 0
    for key, value in official_state.items():
        ids[key] = torch.arange(start, start + value.numel()).reshape(value.shape)
        start += value.numel()
    flat = torch.full((start, ), float('nan'), dtype=torch.float64)
    for key, index in convert(ids).items():
        flat[index.reshape(-1)] = eossl_state[key].detach().double().reshape(-1)
    if flat.isnan().any():
        raise ValueError('some official weights have no eossl counterpart')
    return {k: flat[i.reshape(-1)].reshape(i.shape) for k, i in ids.items()}


def _official(root: Path):
    from . import minkowski
    minkowski.install()
    stub_library('tensorboardX')
    for name in [n for n in sys.modules if n.split('.')[0] in ('mmearth', 'engine_pretrain')]:
        del sys.modules[name]  # imported against the import-only MinkowskiEngine stand-in
    path_package('mmearth', root)
    path_package('mmearth.models', root / 'models')
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return (importlib.import_module('mmearth.models.fcmae'),
            importlib.import_module('mmearth.custom_loss'),
            importlib.import_module('engine_pretrain'))


def _official_run(root: Path, eossl_state: dict, masks: torch.Tensor, steps: int):
    from timm.optim import param_groups_weight_decay

    from eossl.cli.mmearth_to_eossl import EOSSL_S2_BANDS, OFFICIAL_S2_BANDS
    fcmae, custom_loss, engine = _official(root)
    args = Namespace(modalities=dict(sentinel2=list(range(12))), out_modalities=dict(
        sentinel2=None), use_orig_stem=False, loss_aggr='uncertainty', update_freq=1,
        no_ffcv=True, mask_ratio=0.6, lr=lr(), min_lr=0., warmup_epochs=40, epochs=200)
    model = fcmae.FCMAE(img_size=SIZE, depths=DEPTHS, dims=DIMS, decoder_embed_dim=DECODER,
                        patch_size=PATCH, norm_pix_loss=True, args=args, sparse=True,
                        loss_fn=custom_loss.UncertaintyWeightingStrategy(1)).double()
    model.load_state_dict(_to_official(eossl_state, model.state_dict()))
    queue = list(masks)
    model.gen_random_mask = lambda x, ratio: queue.pop(0).to(x.dtype)
    losses, forward = [], model.forward

    def recorded(*a, **kw):
        out = forward(*a, **kw)
        losses.append(dict(loss=float(out[0].detach()),
                           sentinel2_err=float(out[3]['sentinel2'].detach())))
        return out

    model.forward = recorded
    order = [EOSSL_S2_BANDS.index(b) for b in OFFICIAL_S2_BANDS]
    loader = [(None, dict(sentinel2=step_batch()[:, order].clone())) for _ in range(steps)]
    optimizer = torch.optim.AdamW(param_groups_weight_decay(model, 0.05), lr=args.lr,
                                  betas=(0.9, 0.95))
    params = dict(model.named_parameters())
    grads, hooks = capture_grads(params)
    engine.train_one_epoch(model, args.modalities, loader, optimizer, torch.device('cpu'),
                           EPOCH, False, engine.helpers.NativeScalerWithGradNormCount('cpu'),
                           args=args)
    for hook in hooks:
        hook.remove()
    return model, params, grads, losses


def whole_step(root: Path) -> dict:
    """Masks, losses, gradient / update norms and a few full tensors after 1 and 3 steps."""
    from mmengine.config import Config

    from eossl.cli.mmearth_to_eossl import convert
    cfg = Config.fromfile(str(Path(__file__).parents[2] / RECIPE))
    model = build_eossl(reduced_model_cfg(cfg.model.to_dict()))
    names = [n for n, _ in model.named_parameters()]
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    fcmae = _official(root)[0]
    torch.manual_seed(31)
    masks = torch.stack([fcmae.FCMAE.gen_random_mask(Namespace(patch_size=PATCH),
                                                     step_batch(), 0.6) for _ in range(3)])
    out = dict(names=np.array(names), init_norm=init_norms(initial, names), masks=masks.numpy())
    for steps in (1, 3):
        official, params, grads, losses = _official_run(root, model.state_dict(), masks, steps)
        state = official.state_dict()
        params = convert({k: v.detach() for k, v in state.items()})
        grads = convert({k: grads.get(k, torch.zeros_like(v)) for k, v in state.items()})
        out.update(record(f'step{steps}', names, params, initial, FULL, grads))
        out[f'step{steps}_losses'] = np.array([[s['loss'], s['sentinel2_err']] for s in losses])
    return out



VIEW_DRAWS = 2000


def views(root: Path) -> dict:
    """The official view randomness of the 56 px / patch 8 run: ``FCMAE.forward``'s kornia
    ``RandomCrop`` of the 64 px MMEarth64 tiles (offsets ``(x, y)`` per sample) and
    ``gen_random_mask`` at ratio 0.6 on the 7 × 7 grid, ``VIEW_DRAWS`` samples each."""
    fcmae = _official(root)[0]
    torch.manual_seed(51)
    crop = fcmae.RandomCrop((56, 56))
    params = crop.generate_parameters(torch.Size((VIEW_DRAWS, 12, 64, 64)))
    masks = fcmae.FCMAE.gen_random_mask(Namespace(patch_size=8),
                                        torch.zeros(VIEW_DRAWS, 12, 56, 56), 0.6)
    return dict(offsets=params['src'][:, 0].long().numpy(), masks=masks.bool().numpy(),
                tile=np.array(64), size=np.array(56))
