"""``init_model``: any eossl recipe plus a checkpoint → a model ready for :func:`embed` /
:func:`predict`, with the band names and per-band statistics of the recipe.

A recipe is one of three kinds, told apart by the class its ``model.type`` names:

- a **classifier** (mmpretrain ``BaseClassifier``, e.g. ``EOImageClassifier``): the whole
  model is built and the checkpoint (a training checkpoint of that recipe) loaded strictly;
- a **segmentor** (mmseg ``BaseSegmentor``, e.g. ``EncoderDecoder``): the same;
- a **pretraining** algorithm (SoftCon, PerA, MP-MAE, Dual-SimCLR): only its backbone is built
  and loaded through :func:`~eossl.models.utils.backbone_extraction.extract_backbone`, so PerA
  gives its EMA teacher (``source='auto'``) and Dual-SimCLR the backbone of ``modality``.
  Projection heads, prototypes and decoders are never built.

The input contract comes from the recipe, not from the user: the bands (in model order) are
``model.data_preprocessor.bands``, else the stored order of its ``stats`` source, else the
backbone's ``bands``; mean/std are the preprocessor's own buffers. Users pass raw values
(reflectance DN, dB) with the band names of their file.
"""
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from mmpretrain.models import BaseClassifier
from mmseg.models.segmentors import BaseSegmentor
from torch import nn

from eossl.datasets.bands import resolve_band_order, split_spec, stored_band_order
from eossl.models.utils.backbone_extraction import extract_backbone, strip_prefix
from eossl.models.weights import SCHEME, get_weights, is_weights_name, locate, weights_recipe

TASKS = ('embedding', 'classification', 'segmentation')


class EOInferenceModel(nn.Module):
    """A built recipe for inference: the network, its backbone and its input contract.

    Attributes:
        task: ``'embedding'`` (pretraining recipe: backbone only), ``'classification'`` or
            ``'segmentation'``.
        network: the whole downstream model (None for a pretraining recipe).
        backbone: the feature extractor (``network.backbone`` for a downstream model).
        bands: band names the first layer expects, in order.
        mean, std: ``(C, 1, 1)`` per-band statistics of the recipe's preprocessor.
        classes: class names of a downstream recipe's dataset, when it names them.
        cfg: the resolved recipe.
    """

    def __init__(self, task: str, backbone: nn.Module, bands: Sequence[str],
                 mean: torch.Tensor, std: torch.Tensor, cfg: Config,
                 network: nn.Module | None = None,
                 classes: Sequence[str] | None = None) -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f'task must be one of {TASKS}, got {task!r}')
        if len(bands) != mean.shape[0]:
            raise ValueError(f'{cfg.filename}: the recipe names {len(bands)} bands {list(bands)} '
                             f'but its preprocessor has {mean.shape[0]} means')
        self.task, self.bands, self.cfg = task, tuple(bands), cfg
        self.classes = tuple(classes) if classes else None
        self.network = network
        self.backbone = backbone if network is None else None
        self.register_buffer('mean', mean.float().view(-1, 1, 1), persistent=False)
        self.register_buffer('std', std.float().view(-1, 1, 1), persistent=False)

    @property
    def feature_extractor(self) -> nn.Module:
        """The backbone (the downstream network's own one when there is a network)."""
        return self.backbone if self.network is None else self.network.backbone

    @property
    def device(self) -> torch.device:
        return self.mean.device

    def normalize(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw ``(B, C, H, W)`` in model band order → ``(x − mean) / std``, NaN → 0 (as the
        recipe's preprocessor does: missing pixels become the band mean)."""
        x = raw.to(self.device, torch.float32) - self.mean  # a new tensor: raw is untouched
        x.div_(self.std)
        return x.masked_fill_(torch.isnan(x), 0.0)


def load_config(config: str | Path | Config) -> Config:
    """A recipe from a path, an ``eossl::`` name (resolved by ``Config.fromfile``) or a Config."""
    if isinstance(config, Config):
        return config
    return Config.fromfile(str(config))


def recipe_bands(cfg: Config) -> tuple[str, ...]:
    """The band names (model order) a recipe's model expects; see the module docstring."""
    model = cfg.model
    pre = model.get('data_preprocessor') or {}
    if pre.get('bands') and not isinstance(pre['bands'], dict):
        return resolve_band_order(pre['bands'])
    if isinstance(pre.get('stats'), str) and ':' in pre['stats']:
        return stored_band_order(*split_spec(pre['stats']))
    for key in ('backbone', 's2_backbone', 's1_backbone'):
        bands = (model.get(key) or {}).get('bands')
        if bands:
            return resolve_band_order(bands)
    raise ValueError(f'{cfg.filename}: cannot tell which bands the model expects: set '
                     'model.data_preprocessor.bands (or the backbone\'s bands)')


def _preprocessor_stats(preprocessor: nn.Module, modality: str | None,
                        where: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``(C, 1, 1)`` mean/std buffers of an eossl preprocessor (any of its three kinds)."""
    for mean_name, std_name in ((f'mean_{modality}', f'std_{modality}'), ('mean', 'std'),
                                ('band_mean', 'band_std')):
        mean, std = getattr(preprocessor, mean_name, None), getattr(preprocessor, std_name, None)
        if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor):
            return mean.detach().cpu().view(-1), std.detach().cpu().view(-1)
    raise ValueError(f'{where}: model.data_preprocessor ({type(preprocessor).__name__}) holds '
                     'no per-band mean/std; inference needs the recipe\'s normalization')


def _task_of(cfg: Config) -> str:
    model_type = cfg.model['type']
    with MODELS.switch_scope_and_registry(None) as registry:  # the recipe's default scope
        cls = registry.get(model_type) if isinstance(model_type, str) else model_type
    if cls is None:
        raise KeyError(f'{cfg.filename}: model type {model_type!r} is not registered')
    if issubclass(cls, BaseClassifier):
        return 'classification'
    if issubclass(cls, BaseSegmentor):
        return 'segmentation'
    return 'embedding'


def _pretraining_backbone(cfg: Config, modality: str | None) -> tuple[str, dict]:
    """``(state-dict prefix role, backbone config)`` of a pretraining recipe."""
    model = cfg.model
    if 'backbone' in model:
        if modality is not None:
            raise ValueError(f'{cfg.filename}: modality={modality!r} is for Dual-SimCLR recipes '
                             '(s1_backbone / s2_backbone); this recipe has one backbone')
        return 'backbone', model.backbone
    present = [m for m in ('s1', 's2') if f'{m}_backbone' in model]
    if not present:
        raise ValueError(f'{cfg.filename}: model has no backbone (nor s1_backbone/s2_backbone)')
    if modality not in present:
        raise ValueError(f'{cfg.filename}: a two-backbone recipe: pass modality= one of '
                         f'{present}, got {modality!r}')
    return modality, model[f'{modality}_backbone']


def _load_backbone(backbone: nn.Module, checkpoint: str, modality: str | None,
                   source: str) -> None:
    """Load a pretraining (or backbone-only) checkpoint into ``backbone`` strictly."""
    ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
    state, info = extract_backbone(ckpt, modality=modality, source=source)
    try:
        load_state_dict(backbone, strip_prefix(state, 'backbone.'), strict=True)
    except RuntimeError as err:
        raise ValueError(f'{checkpoint}: its backbone ({info["taken_from"]}) does not match the '
                         f"recipe's backbone {type(backbone).__name__}: {err}") from err
    print_log(f'init_model: backbone from {checkpoint} ({info["taken_from"]})', logger='current',
              level=logging.INFO)


def init_model(config: str | Path | Config, checkpoint: str | Path | None = None,
               device: str | torch.device = 'cpu', *, modality: str | None = None,
               source: str = 'auto', cfg_options: dict | None = None,
               download: bool = False) -> EOInferenceModel:
    """Build a recipe's model for inference (eval mode, no gradients needed).

    Args:
        config: recipe path, ``eossl::<name>``, a Config, or a named weight of
            :mod:`eossl.models.weights` (``'softcon_vits14_s2'``): its encoder, bands and
            statistics, loaded from the local file (``checkpoint`` must then be None).
        checkpoint: a training checkpoint of the recipe (downstream: the whole model; pretraining:
            its backbone is extracted, PerA's EMA teacher by default) or, for a pretraining recipe,
            a backbone file from ``extract_backbone``. None keeps the constructor's random
            weights (a warning is logged): useful only for tests and throughput checks.
        device: where the model runs.
        modality: Dual-SimCLR pretraining recipes: ``'s1'`` or ``'s2'``.
        source: pretraining checkpoints with an EMA teacher: ``'auto'`` (teacher), ``'teacher'``
            or ``'student'``.
        cfg_options: overrides merged into the recipe (as ``--cfg-options``).
        download: a named weight that is not on this machine is fetched (hub cache) first;
            False (default) never touches the network.

    Raises:
        ValueError: naming the recipe for a recipe without bands or statistics, a modality that
            does not fit, or a checkpoint whose keys do not match the model.
    """
    if is_weights_name(config):
        if checkpoint is not None:
            raise ValueError(f'init_model({config!r}): a named weight brings its own file; '
                             f'got checkpoint={checkpoint!r} too')
        locate(get_weights(config), download=download)  # fetched only when asked
        config, checkpoint = weights_recipe(config), f'{SCHEME}{config}'
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'eossl')):
        return _build(cfg, checkpoint, device, modality, source)


def _build(cfg: Config, checkpoint: str | Path | None, device: str | torch.device,
           modality: str | None, source: str) -> EOInferenceModel:
    """:func:`init_model` under the recipe's default scope."""
    where = cfg.filename or 'recipe'
    task = _task_of(cfg)
    pre_cfg = cfg.model.get('data_preprocessor')
    if pre_cfg is None:
        raise ValueError(f'{where}: model.data_preprocessor is missing; inference needs the '
                         "recipe's per-band normalization")
    preprocessor = MODELS.build(pre_cfg)
    network = backbone = None
    if task == 'embedding':
        role, backbone_cfg = _pretraining_backbone(cfg, modality)
        backbone = MODELS.build(backbone_cfg)
        if checkpoint is not None:
            _load_backbone(backbone, checkpoint, None if role == 'backbone' else role, source)
        stats_key = None if role == 'backbone' else role
    else:
        modalities = [m for m in getattr(preprocessor, 'modalities', []) if m is not None]
        if modalities:
            raise ValueError(f'{where}: a model on several modalities {modalities} (dict '
                             'inputs); eossl.apis runs single-input models: use a recipe on '
                             "one modality, or the pretraining recipe with modality='s1'/'s2'")
        network = MODELS.build(cfg.model)
        if checkpoint is not None:
            ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
            state = ckpt.get('state_dict', ckpt)
            state = {k: v for k, v in state.items() if not k.startswith('data_preprocessor.')}
            try:
                load_state_dict(network, state, strict=True)
            except RuntimeError as err:
                raise ValueError(f'{checkpoint}: does not match the model of {where} (expected a '
                                 f'checkpoint trained with this recipe): {err}') from err
        stats_key = None
    if checkpoint is None:
        print_log(f'init_model: no checkpoint for {where}; the weights are random',
                  logger='current', level=logging.WARNING)
    mean, std = _preprocessor_stats(preprocessor, stats_key, where)
    bands = recipe_bands(cfg) if stats_key is None else resolve_band_order(
        cfg.model[f'{stats_key}_backbone']['bands'])
    classes = _recipe_classes(cfg) if task != 'embedding' else None
    model = EOInferenceModel(task, backbone if backbone is not None else nn.Identity(), bands,
                             mean, std, cfg, network=network, classes=classes)
    return model.to(device).eval()


def _recipe_classes(cfg: Config) -> tuple[str, ...] | None:
    """Class names from the recipe's test/val/train dataset metainfo, when given there."""
    for split in ('test', 'val', 'train'):
        dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset') or {}
        classes = (dataset.get('metainfo') or {}).get('classes')
        if classes:
            return tuple(classes)
    return None
