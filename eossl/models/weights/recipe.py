"""An encoder-only recipe for a named weight, so :func:`eossl.apis.init_model` takes a name."""
from mmengine.config import Config

from .catalogue import get_weights
from .resolve import SCHEME


def weights_recipe(name: str) -> Config:
    """A Config whose model is the entry's backbone with its bands and statistics.

    ``model.type`` is the backbone's own type, which :func:`~eossl.apis.init_model` treats as an
    embedding model (neither classifier nor segmentor); ``filename`` is ``weights://NAME``.

    Raises:
        ValueError: the entry has no normalisation statistics (MMEarth): use
            :func:`~eossl.models.weights.build_backbone` and normalise yourself.
    """
    entry = get_weights(name)
    if entry.mean is None:
        raise ValueError(f'weights {name!r} publish no normalisation statistics eossl can use '
                         f'({entry.note}); build the encoder with '
                         'eossl.models.weights.build_backbone(name) and normalise yourself')
    preprocessor = dict(type='eossl.EODataPreprocessor', bands=list(entry.bands),
                        mean=list(entry.mean), std=list(entry.std))
    model = dict(type=entry.backbone['type'], backbone=dict(entry.backbone),
                 data_preprocessor=preprocessor)
    return Config(dict(default_scope='eossl', model=model), filename=f'{SCHEME}{name}',
                  cfg_text=f'# the encoder of the named weights {name}\n')
