"""Read an export back and compare it with PyTorch: ONNX Runtime (CPU), the loaded
ExportedProgram, or the safetensors weights loaded into a fresh copy of the network."""
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eossl.apis.model import EOInferenceModel

from .formats import EP_METADATA_FILE
from .graph import ExportGraph
from .metadata import METADATA_KEY


def read_metadata(path: str | Path, fmt: str) -> dict[str, Any]:
    """The metadata dict stored in an exported file."""
    if fmt == 'onnx':
        import onnx
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False)
                 .metadata_props}
        return json.loads(props[METADATA_KEY])
    if fmt == 'exported-program':
        extra = {EP_METADATA_FILE: ''}
        torch.export.load(str(path), extra_files=extra)
        return json.loads(extra[EP_METADATA_FILE])
    from safetensors import safe_open
    with safe_open(str(path), framework='pt') as handle:
        return json.loads(handle.metadata()[METADATA_KEY])


def run_export(path: str | Path, fmt: str, x: torch.Tensor,
               model: EOInferenceModel | None = None) -> list[np.ndarray]:
    """The outputs of the exported file on ``x`` (safetensors: loaded into ``model``'s graph)."""
    if fmt == 'onnx':
        import onnxruntime
        session = onnxruntime.InferenceSession(str(path), providers=['CPUExecutionProvider'])
        return session.run(None, {'x': x.numpy()})
    if fmt == 'exported-program':
        with torch.no_grad():
            return [o.numpy() for o in torch.export.load(str(path)).module()(x)]
    if model is None:
        raise ValueError('safetensors holds weights only: pass the model to load them into')
    from safetensors.torch import load_model
    graph = ExportGraph(model).eval()
    load_model(graph.net, str(path))
    with torch.no_grad():
        return [o.numpy() for o in graph(x)]


def max_difference(path: str | Path, fmt: str, model: EOInferenceModel,
                   x: torch.Tensor) -> float:
    """Largest absolute difference between the export and PyTorch on ``x``, over all outputs."""
    with torch.no_grad():
        expected = [o.numpy() for o in ExportGraph(model).eval()(x)]
    got = run_export(path, fmt, x, model)
    if [e.shape for e in expected] != [g.shape for g in got]:
        raise ValueError(f'{path}: output shapes {[g.shape for g in got]} differ from '
                         f'PyTorch {[e.shape for e in expected]}')
    return max(float(np.abs(e - g).max()) for e, g in zip(expected, got))
