"""Write a built recipe as ONNX, a ``torch.export`` ExportedProgram or safetensors.

Dynamic axes: the batch always; height and width too unless the backbone is a ViT, whose
position embedding takes a different path at its training grid than at any other grid (a
shape branch a traced graph cannot keep): a ViT export is fixed at the traced ``input_size``.
Which axes are dynamic is stored in the metadata (``dynamic_axes``) and checked by
:func:`check_export` at a second batch size (and size, where dynamic).
"""
from pathlib import Path
from typing import Any

import torch
from torch.export import Dim

from eossl.apis.model import EOInferenceModel

from .graph import ExportGraph, output_names
from .metadata import METADATA_KEY, export_metadata, metadata_json

FORMATS = ('onnx', 'exported-program', 'safetensors')
EP_METADATA_FILE = 'eossl_metadata.json'


def spatial_is_dynamic(model: EOInferenceModel) -> bool:
    """False for a backbone with a position embedding (ViT), True otherwise."""
    return not hasattr(model.feature_extractor, 'pos_embed')


def default_input_size(model: EOInferenceModel) -> tuple[int, int]:
    """The backbone's ``img_size`` when it has one, else 224."""
    size = getattr(model.feature_extractor, 'img_size', 224)
    size = size[0] if isinstance(size, (tuple, list)) else size
    return int(size), int(size)


def _dynamic_shapes(model: EOInferenceModel) -> tuple[dict, dict[str, list[str]]]:
    axes = {0: Dim('batch', min=1, max=4096)}
    names = {'x': ['batch'], 'outputs': ['batch']}
    if spatial_is_dynamic(model):
        axes.update({2: Dim.AUTO, 3: Dim.AUTO})
        names['x'] += ['height', 'width']
        if model.task == 'segmentation':  # logits at the input size
            names['outputs'] += ['height', 'width']
    return {'x': axes}, names


def export_model(model: EOInferenceModel, out: str | Path, fmt: str,
                 input_size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Export ``model`` to ``out`` in ``fmt`` (one of ``FORMATS``); returns the metadata.

    Args:
        model: from :func:`eossl.apis.init_model` (eval mode, CPU).
        out: the file to write (its folder is created).
        fmt: ``'onnx'``, ``'exported-program'`` (``torch.export.save``, ``.pt2``) or
            ``'safetensors'`` (the weights of the backbone / network, no graph).
        input_size: ``(H, W)`` traced; default: the backbone's ``img_size`` (224 without one).
    """
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {fmt!r}')
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    graph = ExportGraph(model).eval()
    height, width = input_size or default_input_size(model)
    size = (height, width)
    x = torch.zeros(2, len(model.bands), *size)
    with torch.no_grad():
        names = output_names(graph(x), model.task)
    shapes, axes = _dynamic_shapes(model)
    if fmt == 'safetensors':
        axes = {}
    meta = export_metadata(model, size, names, axes)
    text = metadata_json(meta)
    if fmt == 'safetensors':
        from safetensors.torch import save_model
        save_model(graph.net, str(out), metadata={METADATA_KEY: text, 'format': 'pt'})
    elif fmt == 'exported-program':
        program = torch.export.export(graph, (x, ), dynamic_shapes=shapes)
        torch.export.save(program, str(out), extra_files={EP_METADATA_FILE: text})
    else:
        _export_onnx(graph, x, out, shapes, names, text)
    return meta


def _export_onnx(graph: ExportGraph, x: torch.Tensor, out: Path, shapes: dict,
                 names: list[str], text: str) -> None:
    import onnx
    torch.onnx.export(graph, (x, ), str(out), input_names=['x'], output_names=names,
                      dynamic_shapes=shapes, dynamo=True, external_data=False)
    proto = onnx.load(str(out))
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, text
    onnx.save(proto, str(out))
