"""What every exported file says about its input: the recipe's input contract and the graph.

The same fields eossl checkpoints carry (``bands``, ``mean``, ``std``, ``input_size``,
``modality``) plus ``task``, ``outputs``, ``dynamic_axes`` and the recipe text, so a deployment
can normalise raw data exactly as training did. Stored as one JSON string under the key
``eossl`` (ONNX ``metadata_props``, safetensors ``__metadata__``, an ``eossl_metadata.json`` extra
file of an ExportedProgram archive).
"""
import json
from typing import Any

from eossl.apis.model import EOInferenceModel
from eossl.version import __version__

METADATA_KEY = 'eossl'


def export_metadata(model: EOInferenceModel, input_size: tuple[int, int],
                    outputs: list[str], dynamic_axes: dict[str, list[str]]) -> dict[str, Any]:
    """The metadata dict of an export of ``model`` traced at ``input_size`` (H, W)."""
    return dict(
        eossl_version=__version__, task=model.task, bands=list(model.bands),
        mean=model.mean.view(-1).tolist(), std=model.std.view(-1).tolist(),
        input_size=list(input_size), modality=model.cfg.get('modality'),
        classes=list(model.classes) if model.classes else None,
        input='x: (B, C, H, W) float32, (raw - mean) / std per band, NaN -> 0',
        outputs=outputs, dynamic_axes=dynamic_axes,
        recipe=str(model.cfg.filename), recipe_text=model.cfg.pretty_text)


def metadata_json(metadata: dict[str, Any]) -> str:
    """The JSON string stored under :data:`METADATA_KEY`."""
    return json.dumps(metadata, sort_keys=True)
