"""DeCUR: decoupling common and unique representations of S1 and S2 (Wang et al., ECCV 2024)."""
from typing import Any, ClassVar

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

# the data components of DeCUR's recipes register with the method (their folders are not scanned)
import eossl.datasets.ssl4eo_s12_pairs  # noqa: F401
import eossl.datasets.transforms.modality_views  # noqa: F401
from eossl.models.utils.representation_stats import embedding_stats
from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs

MODALITIES = ('s1', 's2')


@MODELS.register_module()
class DeCUR(BaseEOSelfSupervisor):
    """One backbone per modality, a Barlow-Twins projector, DeCUR's decoupled correlation head.

    Each scene comes as two augmented views of its S1 image and two of its S2 image. Every view
    goes separately through its modality's backbone and the projector (as the official
    ``DeCUR.forward``: BatchNorm statistics are those of one view batch). The head's loss makes
    each modality invariant to its augmentations and splits the cross-modal correlation of the
    first views into common dimensions (aligned across S1 and S2) and unique ones (decorrelated).

    Inputs: ``{'s1': [(B, C1, H, W), (B, C1, H, W)], 's2': [(B, C2, H, W), (B, C2, H, W)]}``, as
    packed by ``ModalityViews`` + ``PackEOInputs(keys=('s1', 's2'))``.

    Args:
        s1_backbone: S1 backbone config (``EOResNet``; official: ResNet-50, VV/VH).
        s2_backbone: S2 backbone config (official: ResNet-50, 13 L1C bands).
        neck: projector config taking ``((B, C, h, w),)``, e.g. ``mmpretrain.NonLinearNeck``
            with three layers (official: 2048 → 8192 → 8192 → 8192). ``in_channels`` may be left
            out: it is the backbone's feature width.
        head: :class:`~eossl.models.heads.DeCURHead` config (owns the loss).
        shared_neck: one projector for both modalities. ``True`` is the official behaviour
            (its ``projector1`` and ``projector2`` are built from the same layer objects, so
            they are one module); ``False`` (eossl option) gives each modality its own.
        data_preprocessor: normally ``eossl.EODataPreprocessor`` with per-modality statistics.
        init_cfg: mmengine initialization config.
    """

    slug: ClassVar[str] = 'decur'
    own_files: ClassVar[tuple[str, ...]] = (
        'eossl/datasets/ssl4eo_s12_pairs.py', 'eossl/datasets/transforms/modality_views.py')

    def __init__(self, s1_backbone: dict, s2_backbone: dict, neck: dict, head: dict,
                 shared_neck: bool = True, data_preprocessor: dict | None = None,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.s1_backbone = MODELS.build(s1_backbone)
        self.s2_backbone = MODELS.build(s2_backbone)
        width = self.s1_backbone.feat_dim
        if self.s2_backbone.feat_dim != width:
            raise ValueError(f'DeCUR: model.s1_backbone gives {width}-d features and '
                             f'model.s2_backbone {self.s2_backbone.feat_dim}-d; the projector '
                             'takes both, so they must be equal')
        neck = self.from_backbone(neck, 'in_channels', width, 'model.neck.in_channels',
                                  'model.s1_backbone.feat_dim')
        self.s1_neck = MODELS.build(neck)
        self.s2_neck = self.s1_neck if shared_neck else MODELS.build(neck)
        self.head = MODELS.build(head)
        self.shared_neck = shared_neck

    def extract_feat(self, inputs: EOInputs) -> dict[str, torch.Tensor]:
        """What downstream gets: each modality's globally pooled last backbone stage.

        Args:
            inputs: ``{'s1': x, 's2': x}`` with ``x`` one ``(B, C, H, W)`` batch or a list of
                views (the first view is used).

        Returns:
            ``{'s1': (B, C_s1), 's2': (B, C_s2)}`` (2048 each for ResNet-50).
        """
        views = _views(inputs, minimum=1)
        return {m: _pool(self._backbone(m)(views[m][0])[-1]) for m in MODALITIES}

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
             **kwargs) -> dict[str, torch.Tensor]:
        """The head's three loss terms (and two logged halves) of the four projections."""
        views = _views(inputs, minimum=2)
        z = {m: tuple(self._neck(m)(self._backbone(m)(v))[0] for v in views[m][:2])
             for m in MODALITIES}
        return self.head.loss(z['s1'], z['s2'])

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{'s1': (scene, map), 's2': (scene, map), 's1s2': (concatenated scenes, S2 map)}``."""
        views = _views(inputs, minimum=1)
        maps = {m: self._backbone(m)(views[m][0])[-1] for m in MODALITIES}
        scenes = {m: _pool(maps[m]) for m in MODALITIES}
        return {'s1': (scenes['s1'], maps['s1']), 's2': (scenes['s2'], maps['s2']),
                's1s2': (torch.cat([scenes['s1'], scenes['s2']], dim=1), maps['s2'])}

    def monitor_taps(self) -> dict[str, tuple[torch.nn.Module, str]]:
        """The first call of each backbone in a step: view 1 of S1 and of S2."""
        return {'s1': (self.s1_backbone, 'output'), 's2': (self.s2_backbone, 'output')}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``repr_std`` / ``repr_rank`` of the pooled S2 features (checked by the monitor) and
        ``repr_std_s1`` / ``repr_rank_s1`` of the S1 ones (logged)."""
        if set(MODALITIES) - set(seen):
            return {}
        values = embedding_stats(_pool(seen['s2'][-1]))
        values.update({f'{k}_s1': v for k, v in embedding_stats(_pool(seen['s1'][-1])).items()})
        return values

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """Tiny ResNet-18s and projector (``'tiny'``, ``'probe'``) or the recipe's ResNets at
        64 px crops with a 512-d projector (``'bench'``); see the base class."""
        from eossl.engine.preset_data import SIZE  # the side of the tiles the preset generates
        crops = {'tiny': 32, 'probe': 48, 'bench': 64}[size]
        pipeline = 'train_dataloader.dataset.pipeline.[ModalityViews].pipelines'
        out: dict = {f'{pipeline}.{m}.[EORandomResizedCrop].size': crops for m in MODALITIES}
        out['train_dataloader.dataset.pipeline.[LoadPairedModalities].target_size'] = SIZE
        width = 512 if size == 'bench' else 32
        out.update({'model.neck.hid_channels': width, 'model.neck.out_channels': width,
                    'model.head.loss.dim_common': width * 7 // 8})
        for m in MODALITIES:
            backbone = cfg.model[f'{m}_backbone']
            if backbone.get('init_cfg'):
                out[f'model.{m}_backbone.init_cfg'] = None
                notes.append(f'model.{m}_backbone.init_cfg dropped: random init (the ImageNet '
                             'checkpoint is not needed for a CPU-sized run)')
            if backbone.get('norm_cfg', {}).get('type') == 'SyncBN':
                out[f'model.{m}_backbone.norm_cfg'] = dict(type='BN')
            if size != 'bench':
                out.update({f'model.{m}_backbone.depth': 18,
                            f'model.{m}_backbone.base_channels': 8 if size == 'tiny' else 16,
                            f'model.{m}_backbone.stem_channels': 8 if size == 'tiny' else 16})
        if cfg.model.neck.get('norm_cfg', {}).get('type') == 'SyncBN':
            out['model.neck.norm_cfg'] = dict(type='BN1d')
        notes.append(f'projector {width}-{width}-{width}, {width * 7 // 8} common dimensions '
                     '(the recipe\'s 7/8)' + ('' if size == 'bench' else
                                              '; ResNet-18s of base width '
                                              f'{8 if size == "tiny" else 16}'))
        return out

    def _backbone(self, modality: str) -> torch.nn.Module:
        return self.s1_backbone if modality == 's1' else self.s2_backbone

    def _neck(self, modality: str) -> torch.nn.Module:
        return self.s1_neck if modality == 's1' else self.s2_neck


def _views(inputs: EOInputs, minimum: int) -> dict[str, list[torch.Tensor]]:
    """``{'s1': [views], 's2': [views]}`` checked to hold ``minimum`` views of the same B scenes."""
    if not isinstance(inputs, dict) or set(MODALITIES) - set(inputs):
        found = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f'DeCUR: inputs must be a dict with keys {MODALITIES} (ModalityViews + '
                         f'PackEOInputs(keys=("s1", "s2"))), got {found}')
    views = {m: [inputs[m]] if isinstance(inputs[m], torch.Tensor) else list(inputs[m])
             for m in MODALITIES}
    batches = [v.shape[0] if isinstance(v, torch.Tensor) and v.dim() == 4 else None
               for m in MODALITIES for v in views[m]]
    if any(len(views[m]) < minimum for m in MODALITIES) or None in batches or \
            len(set(batches)) != 1:
        shapes = {m: [tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
                      for v in views[m]] for m in MODALITIES}
        raise ValueError(f'DeCUR: inputs["s1"] and inputs["s2"] must each be a list of at least '
                         f'{minimum} (B, C, H, W) view batches with one B, got {shapes}')
    return views


def _pool(feat: torch.Tensor) -> torch.Tensor:
    """Global average pool ``(B, C, H, W)`` → ``(B, C)``; ``(B, C)`` passes through."""
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat
