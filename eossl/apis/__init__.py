"""Apply a trained eossl model to your own data: one image or a whole scene.

- :func:`init_model`: a recipe (path or ``eossl::name``) + checkpoint → :class:`EOInferenceModel`;
- :func:`embed` / :func:`predict`: one image (CHW array or raster path) → features / scores / map;
- :func:`predict_scene`: a scene GeoTIFF → a georeferenced map (or feature map), tiled, blended,
  in bounded memory; :func:`write_pca_png` colours a feature map.
"""
from .contract import ContractError, EncoderContract, InputContract, read_contract
from .contract_builder import contract_from_config
from .inference import embed, predict
from .model import EOInferenceModel, init_model
from .pca import write_pca_png
from .scene import predict_scene

__all__ = ['ContractError', 'EOInferenceModel', 'EncoderContract', 'InputContract',
           'contract_from_config', 'embed', 'init_model', 'predict', 'predict_scene',
           'read_contract', 'write_pca_png']
