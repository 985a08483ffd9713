"""The official implementations' training steps at the side-by-side sizes.

Used by ``official_vs_eossl.py``.

Nothing of the official repositories is in this file: their sources are extracted at run time
from local git mirrors (``git archive HEAD`` of a bare repository, or a work tree used as is)
and imported; CUDA-only third-party imports are replaced by ``official_stubs``. Each builder
returns a :class:`sizes.Case`: the step to time, the modules whose parameters it trains, and
the configuration (official repo, commit, everything that was set).

Steps (fp32, as each repository's training loop runs by default on this CPU):

- ``pera``: ``Utils.builder`` net / loss / optimizer from ``Configs/pera_vitb.yaml`` resized to
  ViT-S/16; ``net(images)`` → ``PerALoss`` → backward → clip → optimizer (the builder's fused
  AdamW) → EMA of the teacher, as ``PretrainFrame.optimize`` (without CUDA autocast / DDP).
- ``pera_dense``: the same student and teacher ViTs on all tokens of every crop
  (``forward_features`` on the crop list) with PerA's DINO cls loss and KoLeo, no pixel head.
- ``dual_simclr``: ``DoubleResNetSimCLR(resnet50)`` with the stems of
  ``train_resnet_backbone.py`` (S1 2, S2 13 bands), ``SimCLRDoubleBackbone.info_nce_loss`` + CE,
  ``Adam(3e-5, wd 1e-4)``.
- ``mpmae``: ``models.fcmae.convnextv2_atto`` (``--sparse False``) with MMEarth's 12 output
  modalities and uncertainty weighting, AdamW over timm's ``param_groups_weight_decay`` (0.05).
"""
import importlib
import os
import subprocess
import sys
import tempfile
import types
from argparse import Namespace
from pathlib import Path

import official_stubs
from sizes import Case, Sizes

REPOS = {'pera': 'SathShen+PerA', 'dual_simclr': 'HSG-AIML+SSLTransformerRS',
         'mpmae': 'vishalned+MMEarth-train'}
REPOS['pera_dense'] = REPOS['pera']


def source(mirrors: Path, name: str) -> tuple[Path, str]:
    """``(folder to import from, commit)`` of ``mirrors/<name>/repo``.

    A bare repository is extracted once (``git archive HEAD``) to a cache folder keyed by its
    commit; a work tree is used in place.
    """
    repo = mirrors / name / 'repo'
    git = ['git', '--git-dir', str(repo / '.git' if (repo / '.git').is_dir() else repo)]
    head = subprocess.run([*git, 'rev-parse', 'HEAD'], capture_output=True, text=True)
    if head.returncode:
        raise FileNotFoundError(
            f'official code: {repo} is not a git repository ({head.stderr.strip()}); the mirror '
            f'root (--mirrors / EOSSL_OFFICIAL_MIRRORS) must hold <owner>+<name>/repo for {name}')
    sha = head.stdout.strip()
    if (repo / '.git').is_dir():
        return repo, sha
    dest = Path(tempfile.gettempdir()) / 'eossl-official-src' / f'{name}@{sha[:12]}'
    if not dest.is_dir():
        part = dest.with_suffix('.part')
        part.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run([*git, 'archive', 'HEAD'], capture_output=True, check=True)
        subprocess.run(['tar', '-x', '-C', str(part)], input=archive.stdout, check=True)
        part.rename(dest)
    return dest, sha


def _importable(src: Path, pydeps: Path | None, stubs: list[str]) -> None:
    official_stubs.install(stubs)
    if pydeps is not None:
        sys.path.insert(1, str(pydeps))
    sys.path.insert(0, str(src))


# --------------------------------------------------------------------------- PerA
def _pera(sizes: Sizes, mirrors: Path, pydeps: Path | None):
    import torch
    src, sha = source(mirrors, REPOS['pera'])
    _importable(src, pydeps, ['xformers'])
    from Utils.builder import build_loss, build_net, build_optimizer
    from Utils.config import base_cfg
    cfg = base_cfg.clone()
    cfg.merge_from_file(str(src / 'Configs' / 'pera_vitb.yaml'))
    cfg.merge_from_list(['NET.EMBED_DIM', 384, 'NET.DEPTH', 12, 'NET.NUM_HEADS', 6,
                         'AUG.GLOBAL_CROP_SIZE', sizes.pera_global,
                         'AUG.LOCAL_CROP_SIZE', sizes.pera_local,
                         'AUG.NUM_GLOBAL', 2, 'AUG.NUM_LOCAL', sizes.pera_nlocal,
                         'NET.DINO.HEAD_OUT_DIM', sizes.pera_prototypes])
    torch.manual_seed(0)
    net = build_net(cfg, is_pretrain=True).train()
    loss_fn = build_loss(cfg, is_pretrain=True)
    opt = build_optimizer(cfg, net.parameters())
    for group in opt.param_groups:  # the peak values PretrainFrame's schedulers set
        group['lr'] = cfg.LR_SCHEDULER.LEARNING_RATE
        group['weight_decay'] = cfg.WD_SCHEDULER.WEIGHT_DECAY
    momentum, clip = cfg.TM_SCHEDULER.TEACHER_MOMENTUM, cfg.GRADIENT_CLIPPING
    b, nl, gen = sizes.pera_batch, sizes.pera_nlocal, torch.Generator().manual_seed(0)

    def crops(n, px):
        return torch.randn(n * b, 3, px, px, generator=gen)

    images = {'S_global_crops': crops(2, sizes.pera_global),
              'T_global_crops': crops(2, sizes.pera_global),
              'S_local_crops': crops(nl, sizes.pera_local),
              'T_local_crops': crops(nl, sizes.pera_local)}

    def update(loss):
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        opt.zero_grad()
        with torch.no_grad():
            for q, k in zip(net.student.parameters(), net.teacher.parameters()):
                k.data.mul_(momentum).add_((1 - momentum) * q.detach().data)

    config = {'repo': 'SathShen/PerA', 'commit': sha, 'base_config': 'Configs/pera_vitb.yaml',
              'arch': 'ViT-S/16 (384, depth 12, 6 heads)', 'in_chans': 3, 'batch': b,
              'crops': f'2 x {sizes.pera_global} + {nl} x {sizes.pera_local} px',
              'prototypes': sizes.pera_prototypes, 'grad_clip': clip, 'ema_momentum': momentum,
              'optimizer': f'{type(opt).__name__} {opt.defaults.get("fused")=}'}
    return net, loss_fn, images, cfg.TT_SCHEDULER.TEACHER_TEMP, update, config


def pera(sizes: Sizes, mirrors: Path, pydeps: Path | None) -> Case:
    net, loss_fn, images, teacher_temp, update, config = _pera(sizes, mirrors, pydeps)

    def step():
        student, teacher = net(images)
        update(loss_fn(student, teacher, teacher_temp)[0])

    return Case(step, [net], config)


def pera_dense(sizes: Sizes, mirrors: Path, pydeps: Path | None) -> Case:
    import torch
    net, loss_fn, images, teacher_temp, update, config = _pera(sizes, mirrors, pydeps)
    ng, nl = 2, sizes.pera_nlocal

    def cls_tokens(branch, prefix):
        out = branch.backbone.forward_features(
            [images[f'{prefix}_global_crops'], images[f'{prefix}_local_crops']], [None, None])
        return [branch.cls_head(o['x_norm_clstoken']) for o in out]

    def step():
        with torch.no_grad():
            t_global, t_local = cls_tokens(net.teacher, 'T')
        s_global, s_local = cls_tokens(net.student, 'S')
        t_cls = loss_fn.teacher_centering({'global_cls_tokens': t_global,
                                           'local_cls_tokens': t_local}, teacher_temp)
        loss = (loss_fn.dino_loss(s_local.chunk(nl), t_cls[ng:])
                + loss_fn.dino_loss(s_global.chunk(ng), t_cls[:ng])) / (ng + nl)
        loss = loss + loss_fn.koleo_loss_weight * sum(loss_fn.koleo_loss(p)
                                                      for p in s_global.chunk(ng))
        update(loss)

    config = dict(config, variant='all tokens of every crop, DINO cls loss + KoLeo of PerALoss')
    return Case(step, [net], config)


# --------------------------------------------------------------------------- Dual-SimCLR
def dual_simclr(sizes: Sizes, mirrors: Path, pydeps: Path | None) -> Case:
    import torch
    import torchvision.models as tvm
    src, sha = source(mirrors, REPOS['dual_simclr'])
    _importable(src, pydeps, ['wandb', 'tensorboard'])
    for name in ('resnet18', 'resnet50'):  # torchvision >= 0.15 dropped `pretrained=`
        setattr(tvm, name, _weights_none(getattr(tvm, name)))
    from resnet_simclr import DoubleResNetSimCLR
    from simclr_double_backbone import SimCLRDoubleBackbone
    torch.manual_seed(0)
    model = DoubleResNetSimCLR(base_model='resnet50', out_dim=128)
    # the stems train_resnet_backbone.py sets: S1 2 bands, S2 13 bands
    model.backbone1.conv1 = torch.nn.Conv2d(2, 64, 7, 2, 3, bias=False)
    model.backbone2.conv1 = torch.nn.Conv2d(13, 64, 7, 2, 3, bias=False)
    model.train()
    opt = torch.optim.Adam(model.parameters(), 0.00003, weight_decay=1e-4)
    criterion = torch.nn.CrossEntropyLoss()
    b, px = sizes.simclr_batch, sizes.simclr_px
    trainer = Namespace(args=Namespace(batch_size=b, n_views=2, device='cpu', temperature=0.07))
    gen = torch.Generator().manual_seed(0)
    batch = {'s1': torch.randn(b, 2, px, px, generator=gen),
             's2': torch.randn(b, 13, px, px, generator=gen)}

    def step():  # SimCLRDoubleBackbone.train, one batch
        out = model(batch)
        logits, labels = SimCLRDoubleBackbone.info_nce_loss(trainer, torch.cat([out['s1'],
                                                                                out['s2']]))
        loss = criterion(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    config = {'repo': 'HSG-AIML/SSLTransformerRS', 'commit': sha,
              'model': 'DoubleResNetSimCLR(resnet50, out_dim=128)', 'batch': b,
              'inputs': f'S1 {b}x2x{px}x{px} + S2 {b}x13x{px}x{px}',
              'loss': 'info_nce_loss(T=0.07) + CrossEntropyLoss', 'optimizer': 'Adam 3e-5 wd 1e-4'}
    return Case(step, [model], config)


def _weights_none(builder):
    def build(*args, pretrained: bool = False, **kwargs):
        return builder(*args, weights=None, **kwargs)
    return build


# --------------------------------------------------------------------------- MP-MAE
def mpmae(sizes: Sizes, mirrors: Path, pydeps: Path | None) -> Case:
    import torch
    src, sha = source(mirrors, REPOS['mpmae'])
    _importable(src, pydeps, ['MinkowskiEngine'])
    package = types.ModuleType('mmearth_train')  # models/fcmae.py imports `..MODALITIES`
    package.__path__ = [str(src)]
    sys.modules['mmearth_train'] = package
    modalities = importlib.import_module('mmearth_train.MODALITIES')
    fcmae = importlib.import_module('mmearth_train.models.fcmae')
    from custom_loss import UncertaintyWeightingStrategy
    from timm.optim import param_groups_weight_decay
    args = Namespace(inp_modalities=modalities.INP_MODALITIES,
                     out_modalities=modalities.OUT_MODALITIES,
                     modalities_full=modalities.MODALITIES_FULL, use_orig_stem=False,
                     loss_aggr='uncertainty')
    args.modalities = {**args.inp_modalities, **args.out_modalities}
    torch.manual_seed(0)
    # main_pretrain.py defaults: patch 16, mask 0.6, decoder depth 1 / dim 512, no norm_pix_loss
    model = fcmae.convnextv2_atto(
        mask_ratio=0.6, decoder_depth=1, decoder_embed_dim=512, norm_pix_loss=False,
        patch_size=16, img_size=sizes.mm_px, args=args, sparse=False,
        loss_fn=UncertaintyWeightingStrategy(len(args.out_modalities))).train()
    b = sizes.mm_batch
    lr = 1.5e-4 * b / 256
    opt = torch.optim.AdamW(param_groups_weight_decay(model, 0.05), lr=lr, betas=(0.9, 0.95))
    batch = _mmearth_batch(args, b, sizes.mm_tile)

    def step():  # engine_pretrain.train_one_epoch, fp32, update_freq 1
        loss = model({k: v.clone() for k, v in batch.items()}, mask_ratio=0.6)[0]
        loss.backward()
        opt.step()
        opt.zero_grad()

    config = {'repo': 'vishalned/MMEarth-train', 'commit': sha, 'sparse': False, 'batch': b,
              'model': 'models.fcmae.convnextv2_atto (FCMAE)', 'out_modalities': list(batch),
              'input': f'sentinel2 {b}x12x{sizes.mm_tile} px, cropped to {sizes.mm_px} px by FCMAE',
              'optimizer': f'AdamW lr {lr:.2e} betas (0.9, 0.95), param_groups_weight_decay 0.05'}
    return Case(step, [model], config)


def _mmearth_batch(args: Namespace, b: int, px: int) -> dict:
    """Synthetic targets of every output modality, in the shapes and dtypes the loss expects."""
    import torch
    gen = torch.Generator().manual_seed(0)
    classes = {'dynamic_world': 9, 'esa_worldcover': 11, 'biome': 14, 'eco_region': 846}
    batch = {}
    for name, bands in args.out_modalities.items():
        channels = len(args.modalities_full[name] if bands == 'all' else bands)
        if name in ('dynamic_world', 'esa_worldcover'):
            batch[name] = torch.randint(0, classes[name], (b, 1, px, px), generator=gen)
        elif name in ('biome', 'eco_region'):
            labels = torch.randint(0, classes[name], (b, ), generator=gen)
            batch[name] = torch.nn.functional.one_hot(labels, classes[name]).float()
        elif name in ('lat', 'lon', 'month', 'era5'):
            batch[name] = torch.randn(b, channels, generator=gen)
        else:
            batch[name] = torch.randn(b, channels, px, px, generator=gen)
    return batch


BUILDERS = {'pera': pera, 'pera_dense': pera_dense, 'dual_simclr': dual_simclr, 'mpmae': mpmae}


def build(case: str, sizes: Sizes, mirrors: str | None, pydeps: str | None) -> Case:
    """The official ``case`` (a key of :data:`BUILDERS`) from the mirrors under ``mirrors``."""
    if not mirrors:
        raise FileNotFoundError('official code: give the mirror root with --mirrors or '
                                'EOSSL_OFFICIAL_MIRRORS (a folder of <owner>+<name>/repo)')
    if pydeps and not os.path.isdir(pydeps):
        raise FileNotFoundError(f'official code: --pydeps {pydeps} is not a folder (the '
                                'pip --target folder with timm, kornia==0.7.4, ...)')
    return BUILDERS[case](sizes, Path(mirrors), Path(pydeps) if pydeps else None)
