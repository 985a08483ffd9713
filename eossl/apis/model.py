"""``init_model``: any eossl recipe plus a checkpoint → a model ready for :func:`embed` /
:func:`predict`, with the band names and per-band normalization its encoder was trained with.

A recipe is one of three kinds, told apart by the class its ``model.type`` names:

- a **classifier** (mmpretrain ``BaseClassifier``, e.g. ``EOImageClassifier``): the whole
  model is built and the checkpoint (a training checkpoint of that recipe) loaded strictly;
- a **segmentor** (mmseg ``BaseSegmentor``, e.g. ``EncoderDecoder``): the same;
- a **pretraining** algorithm (SoftCon, PerA, MP-MAE, Dual-SimCLR): only its backbone(s) are
  built and loaded through :func:`~eossl.checkpoints.backbone_extraction.extract_backbone`, so
  PerA gives its EMA teacher (``source='auto'``). Heads and decoders are never built.

The input contract (:mod:`eossl.apis.contract`) of a pretraining checkpoint comes from the
checkpoint itself (written at training time: bands, normalization — also a dataset's own
statistics file — and the backbone config as trained); a checkpoint from before contracts gets
it from the recipe, plus ``stats_file`` (a ``_band_stats.json``) for recipes that normalize with
their dataset's statistics (MP-MAE). A downstream recipe's contract is its preprocessor's.
When the checkpoint's folder holds the config its run saved (``work_dirs/<run>/<recipe>.py``,
with presets and overrides applied), that config is used instead of the recipe, and logged.
Users pass raw values (reflectance DN, dB) with the band names of their file.
"""
import logging
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from mmpretrain.models import BaseClassifier
from mmseg.models.segmentors import BaseSegmentor

from eossl.checkpoints.backbone_extraction import extract_backbone, strip_prefix
from eossl.models.weights import SCHEME, get_weights, is_weights_name, locate, weights_recipe

from .contract import ContractError, EncoderContract, InputContract, read_contract
from .contract_builder import contract_from_config, encoder_bands, read_band_stats
from .inference_model import TASKS, EOInferenceModel

__all__ = ['EOInferenceModel', 'TASKS', 'init_model', 'load_config', 'recipe_bands', 'task_of']


def load_config(config: str | Path | Config) -> Config:
    """A recipe from a path, an ``eossl::`` name (resolved by ``Config.fromfile``) or a Config."""
    if isinstance(config, Config):
        return config
    return Config.fromfile(str(config))


def saved_config(config: str | Path | Config, checkpoint: str | Path | None) -> Path | None:
    """The config a run saved beside ``checkpoint`` under the recipe's file name, if any (and
    not the recipe file itself)."""
    if checkpoint is None or isinstance(config, Config):
        return None
    name = Path(str(config).split('::')[-1]).name
    beside = Path(checkpoint).parent / name
    if not beside.is_file() or (Path(str(config)).is_file()
                                and beside.resolve() == Path(str(config)).resolve()):
        return None
    return beside


def recipe_bands(cfg: Config) -> tuple[str, ...]:
    """The band names (model order) a recipe's model expects (preprocessor bands, its stats
    source's stored order, else the backbone's bands)."""
    model = cfg.model
    for key in ('backbone', 's2_backbone', 's1_backbone'):
        if key in model:
            bands = encoder_bands(cfg, model[key])
            if bands:
                return bands
    raise ValueError(f'{cfg.filename}: cannot tell which bands the model expects: set '
                     'model.data_preprocessor.bands (or the backbone\'s bands)')


def task_of(cfg: Config) -> str:
    """``'classification'``, ``'segmentation'`` or ``'embedding'`` (a pretraining recipe)."""
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


def init_model(config: str | Path | Config | None, checkpoint: str | Path | None = None,
               device: str | torch.device = 'cpu', *, modality: str | None = None,
               source: str = 'auto', cfg_options: dict | None = None,
               download: bool = False,
               stats_file: str | Path | None = None) -> EOInferenceModel:
    """Build a recipe's model for inference (eval mode, no gradients needed).

    Args:
        config: recipe path, ``eossl::<name>``, a Config (a config saved beside the checkpoint
            under the recipe's name is preferred; see the module docstring), or a named weight
            of :mod:`eossl.models.weights` (``'softcon_vits14_s2'``): its encoder, bands and
            statistics, loaded from the local file (``checkpoint`` must then be None). None:
            the encoder(s) of a pretraining checkpoint with an input contract, from the
            checkpoint alone.
        checkpoint: a training checkpoint of the recipe (downstream: the whole model; pretraining:
            its backbone is extracted, PerA's EMA teacher by default) or, for a pretraining recipe,
            a backbone file from ``extract_backbone``. None keeps the constructor's random
            weights (a warning is logged): useful only for tests and throughput checks.
        device: where the model runs.
        modality: Dual-SimCLR pretraining recipes: ``'s1'`` or ``'s2'``; default: chosen from
            the band names of the data (:meth:`EOInferenceModel.select`).
        source: pretraining checkpoints with an EMA teacher: ``'auto'`` (teacher), ``'teacher'``
            or ``'student'``.
        cfg_options: overrides merged into the recipe (as ``--cfg-options``).
        download: a named weight that is not on this machine is fetched (hub cache) first;
            False (default) never touches the network.
        stats_file: a ``_band_stats.json`` (``{key: {mean: [...], std: [...]}}``) for a
            checkpoint without an input contract whose recipe normalizes with its dataset's
            statistics (MP-MAE); ignored when the checkpoint carries its contract.

    Raises:
        ValueError: naming the recipe / checkpoint for a recipe without bands or statistics, a
            modality that does not fit, or a checkpoint whose keys do not match the model.
    """
    if is_weights_name(config):
        if checkpoint is not None:
            raise ValueError(f'init_model({config!r}): a named weight brings its own file; '
                             f'got checkpoint={checkpoint!r} too')
        locate(get_weights(config), download=download)  # type: ignore[arg-type]  # fetched only when asked
        config, checkpoint = weights_recipe(config), f'{SCHEME}{config}'  # type: ignore[arg-type]
    if config is None:
        config = _contract_only_config(checkpoint)
    beside = saved_config(config, checkpoint)
    if beside is not None:
        print_log(f'init_model: using {beside}, the config saved beside the checkpoint by its '
                  f'run, instead of {config}', logger='current', level=logging.WARNING)
        config = beside
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'eossl')):
        task = task_of(cfg)
        if task == 'embedding':
            model = _pretraining(cfg, checkpoint, modality, source, stats_file)
        else:
            model = _downstream(cfg, checkpoint, task)
    if checkpoint is None:
        print_log(f'init_model: no checkpoint for {cfg.filename}; the weights are random',
                  logger='current', level=logging.WARNING)
    return model.to(device).eval()


def _contract_only_config(checkpoint: str | Path | None) -> Config:
    """A config naming only the method of a checkpoint that carries its input contract."""
    contract = read_contract(checkpoint) if checkpoint is not None else None
    if contract is None:
        raise ContractError(f'{checkpoint}: no recipe given and the checkpoint carries no input '
                            'contract (trained before contracts): pass its recipe')
    return Config(dict(default_scope='eossl', model=dict(type=contract.method)))


def _contract(cfg: Config, ckpt: dict | None, checkpoint: str | Path | None,
              stats_file: str | Path | None) -> InputContract:
    """The checkpoint's own contract, else the recipe's (with ``stats_file``)."""
    stored = read_contract(ckpt) if ckpt is not None else None
    if stored is not None:
        print_log(f'init_model: input contract of {checkpoint} '
                  f'({", ".join(stored.encoders)})', logger='current')
        return stored
    stats = read_band_stats(stats_file) if stats_file is not None else None
    try:
        return contract_from_config(cfg, band_stats=stats, stats_file=str(stats_file))
    except ContractError as err:
        what = f'{checkpoint} carries no input contract and ' if checkpoint else ''
        raise ContractError(f'{what}{err}') from err


def _pretraining(cfg: Config, checkpoint: str | Path | None, modality: str | None,
                 source: str, stats_file: str | Path | None) -> EOInferenceModel:
    ckpt = (CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
            if checkpoint is not None else None)
    contract = _contract(cfg, ckpt, checkpoint, stats_file)
    names = [contract.choose(modality, None, cfg.filename or str(checkpoint))] if modality or \
        len(contract.encoders) == 1 else list(contract.encoders)
    contract = InputContract(contract.method, {n: contract.encoders[n] for n in names})
    backbones = {}
    for name in names:
        spec: EncoderContract = contract.encoders[name]
        backbone = MODELS.build(spec.backbone)
        if ckpt is not None:
            role = None if spec.backbone_key == 'backbone' else name
            state, info = extract_backbone(ckpt, modality=role, source=source)
            try:
                load_state_dict(backbone, strip_prefix(state, 'backbone.'), strict=True)
            except RuntimeError as err:
                raise ValueError(f'{checkpoint}: its backbone ({info["taken_from"]}) does not '
                                 f'match {spec.backbone_key} of {cfg.filename}; a run with '
                                 '--preset or --cfg-options saved its own config as '
                                 f'work_dirs/<run>/<recipe>.py: use that one: {err}') from err
            print_log(f'init_model: {name} from {checkpoint} ({info["taken_from"]})',
                      logger='current', level=logging.INFO)
        backbones[name] = backbone
    return EOInferenceModel('embedding', backbones, contract, cfg)


def _downstream(cfg: Config, checkpoint: str | Path | None, task: str) -> EOInferenceModel:
    where = cfg.filename or 'recipe'
    pre_cfg = cfg.model.get('data_preprocessor')
    if pre_cfg is None:
        raise ValueError(f'{where}: model.data_preprocessor is missing; inference needs the '
                         "recipe's per-band normalization")
    preprocessor = MODELS.build(pre_cfg)
    modalities = [m for m in getattr(preprocessor, 'modalities', []) if m is not None]
    if modalities:
        raise ValueError(f'{where}: a model on several modalities {modalities} (dict inputs); '
                         'eossl.apis runs single-input models: use a recipe on one modality, or '
                         "the pretraining recipe with modality='s1'/'s2'")
    contract = contract_from_config(cfg, preprocessor)
    if contract.encoders['backbone'].stats_source.startswith('none'):
        raise ValueError(f'{where}: model.data_preprocessor ({type(preprocessor).__name__}) '
                         "holds no per-band mean/std; inference needs the recipe's normalization")
    network = MODELS.build(cfg.model)
    if checkpoint is not None:
        ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        state = {k: v for k, v in state.items() if not k.startswith('data_preprocessor.')}
        try:
            load_state_dict(network, state, strict=True)
        except RuntimeError as err:
            raise ValueError(f'{checkpoint}: does not match the model of {where} (expected a '
                             'checkpoint trained with this recipe; a run with --preset or '
                             '--cfg-options saved its own config as work_dirs/<run>/<recipe>.py: '
                             f'use that one): {err}') from err
    return EOInferenceModel(task, {}, contract, cfg, network=network,
                            classes=_recipe_classes(cfg))


def _recipe_classes(cfg: Config) -> tuple[str, ...] | None:
    """Class names from the recipe's test/val/train dataset metainfo, when given there."""
    for split in ('test', 'val', 'train'):
        dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset') or {}
        classes = (dataset.get('metainfo') or {}).get('classes')
        if classes:
            return tuple(classes)
    return None
