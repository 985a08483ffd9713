"""Named weights: the official SoftCon, MMEarth and DINOv2 backbones and the eossl checkpoints
a user registers, each with its input contract, source, sha256 and converter.

``get_weights(name)`` describes one, ``build_backbone(name)`` builds and loads it,
``init_model(name)`` (:mod:`eossl.apis`) gives an inference model, and
``checkpoint='weights://NAME'`` works wherever mmengine reads a checkpoint. Nothing downloads
unless ``download=True`` / ``eossl-list-weights --download NAME``.
"""
from .catalogue import get_weights, is_weights_name, list_weights, weights_dir
from .entry import WeightsEntry
from .official import OFFICIAL_WEIGHTS
from .recipe import weights_recipe
from .register import register_checkpoint
from .resolve import (
                      SCHEME,
                      WeightsNotFoundError,
                      build_backbone,
                      install_weights_scheme,
                      load_weights,
                      locate,
                      weights_checkpoint,
)

install_weights_scheme()

__all__ = ['OFFICIAL_WEIGHTS', 'SCHEME', 'WeightsEntry', 'WeightsNotFoundError',
           'build_backbone', 'get_weights', 'install_weights_scheme', 'is_weights_name',
           'list_weights', 'load_weights', 'locate', 'register_checkpoint',
           'weights_checkpoint', 'weights_dir', 'weights_recipe']
