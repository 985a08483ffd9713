"""Dual-SimCLR references from ``HSG-AIML/SSLTransformerRS``: the NT-Xent and whole training steps.

``references`` runs the official ``info_nce_loss`` on seeded embeddings. ``whole_step`` builds
the official ``DoubleResNetSimCLR`` (ResNet-18: the official script's other ``arch``, with its
2- and 13-channel ``conv1`` as ``train_resnet_backbone.py`` replaces them), copies in the initial
weights of eossl's shipped ResNet-50 recipe reduced to ResNet-18 (:func:`reduced_model_cfg`),
and runs the official ``SimCLRDoubleBackbone.train`` loop (Adam 3e-5, weight decay 1e-4, its
NaN check, ``zero_grad`` / ``backward`` / ``step``) for one and for three steps on one fixed
batch. ``views`` draws the official crop offsets of ``DFCDataset.__getitem__``.
"""
import importlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from .official import arrays
from .step_record import init_norms, record

OFFICIAL_REPO = 'HSG-AIML/SSLTransformerRS'
CHECKOUT_OPTION = 'ssltrs'  # eossl-parity-references --ssltrs PATH

B, D, TEMPERATURE = 6, 8, 0.07  # the official train_resnet_backbone.py temperature
RECIPE = 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py'
OFFICIAL = dict(lr=0.00003, weight_decay=1e-4, arch='resnet18')  # train_resnet_backbone.py
STEP_BATCH, STEP_SIZE = 4, 16
FULL = ('s1_backbone.bn1.weight', 's2_backbone.layer4.1.bn2.weight', 's2_neck.mlp.2.bias')


def references(root: Path) -> dict:
    """``info_nce_loss`` of ``[z1; z2]`` then cross-entropy, as ``SimCLRDoubleBackbone.train``."""
    module = _module(root, 'simclr_double_backbone')
    simclr = module.SimCLRDoubleBackbone.__new__(module.SimCLRDoubleBackbone)
    simclr.args = SimpleNamespace(batch_size=B, n_views=2, device='cpu', temperature=TEMPERATURE)
    torch.manual_seed(8)
    z1, z2 = torch.randn(B, D, requires_grad=True), torch.randn(B, D, requires_grad=True)
    logits, labels = simclr.info_nce_loss(torch.cat([z1, z2]))
    loss = F.cross_entropy(logits, labels)  # the official criterion, CrossEntropyLoss()
    loss.backward()
    return arrays(z1=z1, z2=z2, loss=loss, grad_z1=z1.grad, grad_z2=z2.grad,
                  temperature=TEMPERATURE)


def _module(root: Path, name: str):
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(name)


def reduced_model_cfg(model: dict) -> dict:
    """The recipe's model with ResNet-18 backbones (512-d features) instead of ResNet-50."""
    model = dict(model)
    for m in ('s1', 's2'):
        model[f'{m}_backbone'] = dict(model[f'{m}_backbone'], depth=18)
        model[f'{m}_neck'] = dict(model[f'{m}_neck'], in_channels=512, hid_channels=512)
    return model


def step_batch() -> dict[str, torch.Tensor]:
    """One fixed float64 batch as the official dataset returns it: per-sample max-normalised.

    The whole step runs in float64 on both sides: at this reduced size the last stage's
    BatchNorm normalises 4 values per channel (1 × 1 maps), which amplifies float32 rounding of
    different (yet equal in exact arithmetic) kernels to ~0.3 % of a gradient.
    """
    gen = torch.Generator().manual_seed(11)
    s1 = torch.rand(STEP_BATCH, 2, STEP_SIZE, STEP_SIZE, generator=gen)
    s2 = torch.rand(STEP_BATCH, 13, STEP_SIZE, STEP_SIZE, generator=gen)
    return dict(s1=(s1 / (s1.amax((2, 3), keepdim=True) + 1e-5)).double(),
                s2=(s2 / (s2.amax((2, 3), keepdim=True) + 1e-5)).double())


def build_eossl(model_cfg: dict) -> torch.nn.Module:
    """eossl's model, initialised from seed 0 (the same draw in the generator and the test),
    in float64 (see :func:`step_batch`)."""
    import eossl
    from eossl.registry import MODELS
    eossl.register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.double()


def official_name(name: str) -> str:
    """eossl parameter name → ``DoubleResNetSimCLR`` name (``backbone{1,2}``, ``fc``)."""
    modality, rest = name.split('.', 1)
    index = '1' if modality.startswith('s1') else '2'
    if modality.endswith('_neck'):
        rest = 'fc.' + rest[len('mlp.'):]
    return f'backbone{index}.{rest}'


def _official_run(root: Path, state: dict, steps: int, workdir: str):
    models = _module(root, 'resnet_simclr')
    trainer = _module(root, 'simclr_double_backbone')
    wandb = sys.modules['wandb']
    wandb.log = lambda *args, **kwargs: None  # type: ignore[attr-defined]  # logging only
    model = models.DoubleResNetSimCLR(base_model=OFFICIAL['arch'], out_dim=128)
    for backbone, channels in (('backbone1', 2), ('backbone2', 13)):
        getattr(model, backbone).conv1 = torch.nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
    model.double().load_state_dict(state, strict=True)
    optimizer = torch.optim.Adam(model.parameters(), OFFICIAL['lr'],
                                 weight_decay=OFFICIAL['weight_decay'])
    simclr = trainer.SimCLRDoubleBackbone.__new__(trainer.SimCLRDoubleBackbone)
    losses = []

    def criterion(logits, labels):
        loss = F.cross_entropy(logits, labels)
        losses.append(float(loss.detach()))
        return loss

    simclr.__dict__.update(
        model=model, optimizer=optimizer, criterion=criterion, use_logging=False,
        run_name='parity', writer=SimpleNamespace(log_dir=workdir),
        scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=903, eta_min=0),
        args=SimpleNamespace(batch_size=STEP_BATCH, n_views=2, device='cpu', epochs=1,
                             temperature=TEMPERATURE, log_every_n_steps=1000, arch='resnet18',
                             disable_cuda=False))
    batch = step_batch()
    simclr.train([{k: v.clone() for k, v in batch.items()} for _ in range(steps)])
    return dict(model.named_parameters()), losses


def whole_step(root: Path) -> dict:
    """Losses, gradient / update norms and a few full tensors after 1 and 3 official steps."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(Path(__file__).parents[2] / RECIPE))
    model = build_eossl(reduced_model_cfg(cfg.model.to_dict()))
    names = [n for n, _ in model.named_parameters()]
    initial = {n: p.detach().clone().contiguous() for n, p in model.named_parameters()}
    state = {official_name(k): v.contiguous() for k, v in model.state_dict().items()}
    out = dict(names=np.array(names), init_norm=init_norms(initial, names))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)  # the official loop saves a checkpoint to ./checkpoints
        os.makedirs('checkpoints')
        try:
            for steps in (1, 3):
                params, losses = _official_run(root, state, steps, workdir)
                params = {n: params[official_name(n)] for n in names}
                out[f'step{steps}_losses'] = np.array(losses, np.float64)
                out.update(record(f'step{steps}', names, params, initial, FULL))
        finally:
            os.chdir(cwd)
    return out


VIEW_DRAWS = 2000


class _Scenes:
    """Stands for ``DFCSEN12MSDataset``: random SEN12MS patches, records the read window."""

    def __init__(self) -> None:
        self.windows: list[tuple[int, int]] = []
        self.rng = np.random.default_rng(5)

    def get_s1_s2_lc_dfc_quad(self, *args, window=None, **kwargs):
        self.windows.append((int(window.col_off), int(window.row_off)))
        size = (int(window.height), int(window.width))
        s1 = self.rng.uniform(-30, 5, (2, *size))
        s2 = self.rng.uniform(0, 12000, (13, *size))
        lc = self.rng.integers(1, 11, (1, *size))  # DFC classes, as the reader maps them
        return s1, s2, lc, None


def views(root: Path) -> dict:
    """``VIEW_DRAWS`` official training samples (``DFCDataset.__getitem__``, mode ``sen12ms``,
    128 px, clipping and per-sample max normalisation on): crop offsets ``(x, y)`` and the per-band
    maxima of the returned S1 / S2 views. pandas / albumentations are only used by the dataset's
    set-up, which is skipped (import-only stand-ins)."""
    from .official import stub_library
    for name in ('pandas', 'albumentations', 'albumentations.pytorch'):
        top = name.split('.')[0]
        missing = top in sys.modules or importlib.util.find_spec(top) is None
        if name not in sys.modules and missing:
            stub_library(name)
    module = _module(root, 'dfc_dataset')
    dataset = module.DFCDataset.__new__(module.DFCDataset)
    scenes = _Scenes()
    observation = SimpleNamespace(Season='Seasons.SPRING', Scene=1, ID=1)
    dataset.__dict__.update(
        observations=SimpleNamespace(iloc=[observation]), image_px_size=128, mode='sen12ms',
        data=scenes, clip_sample_values=True, moby_transform=None, transforms=None,
        simclr_dataset=False, normalize=False,
        base_transform=lambda a: torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 0))))
    np.random.seed(6)
    s1_max, s2_max = [], []
    for _ in range(VIEW_DRAWS):
        sample = dataset[0]
        s1_max.append(sample['s1'].amax((1, 2)).numpy())
        s2_max.append(sample['s2'].amax((1, 2)).numpy())
    return dict(offsets=np.array(scenes.windows), s1_max=np.array(s1_max),
                s2_max=np.array(s2_max), size=np.array(128))
