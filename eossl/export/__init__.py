"""Export a trained eossl model (backbone, classifier or segmentor) to ONNX, an
ExportedProgram or safetensors, with its input contract in the file's metadata."""
from .check import max_difference, read_metadata, run_export
from .formats import FORMATS, export_model
from .graph import ExportGraph

__all__ = ['FORMATS', 'ExportGraph', 'export_model', 'max_difference', 'read_metadata',
           'run_export']
