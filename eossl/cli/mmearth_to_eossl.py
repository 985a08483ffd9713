"""Convert an official MMEarth (MP-MAE) pretraining checkpoint to eossl's MPMAE key layout.

``eossl-mmearth-to-eossl checkpoint-199.pth out.pth``

The official model (``vishalned/MMEarth-train``, ``models/fcmae.py``) stores:

- ``encoder.*``: the sparse (MinkowskiEngine) ConvNeXt V2 — ``initial_conv`` / ``stem`` (or
  ``stem_orig``), ``downsample_layers.i.{0.ln, 1}``, ``stages.i.j.{dwconv, norm.ln,
  pwconv1.linear, grn, pwconv2.linear}``. A Minkowski convolution kernel is ``(k·k, in, out)``
  (depthwise: ``(k·k, C)``) with the kernel offsets enumerated first spatial axis fastest, its
  bias ``(1, out)``; GRN ``gamma``/``beta`` are ``(1, C)``. A dense encoder (``--sparse False``)
  uses ``.weight`` tensors that need only the renames.
- ``proj``, ``mask_token``, ``decoder_dict.<modality>.0.*`` (one dense block shared by every
  modality, stored once per modality), ``pred_dict.<modality>`` (1×1 conv or linear),
  ``layer_norm_tmp`` (one LayerNorm shared by the image-level heads) and ``loss_fn.log_vars``.

eossl differences handled here: S2 input bands are reordered from MMEarth's stored order
(B8A before B8) to L1C order in the first conv and in the S2 pixel head; the shared image-level
LayerNorm is copied into each image-level head; log-variances are reordered from the official
task order (the order of ``pred_dict``) to ``--task-order``. Unknown keys are an error.
"""
import argparse
import pathlib
from collections import OrderedDict

import torch

from eossl.checkpoints import safe_torch_load
from eossl.utils import ensure_parent_dir

OFFICIAL_S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8A', 'B8', 'B9', 'B11', 'B12')
EOSSL_S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
# what the official save_model pickles besides tensors: its argparse arguments
OFFICIAL_EXTRA_GLOBALS = (argparse.Namespace, pathlib.PosixPath, pathlib.PurePosixPath)
IMAGE_LEVEL = ('biome', 'eco_region', 'lat', 'lon', 'month', 'era5')
TASK_ORDER = ('sentinel2', 'sentinel1', 'aster', 'canopy_height_eth', 'dynamic_world',
              'esa_worldcover', 'biome', 'eco_region', 'lat', 'lon', 'month', 'era5')
RENAMES = (('.dwconv.', '.depthwise_conv.'), ('.pwconv1.', '.pointwise_conv1.'),
           ('.pwconv2.', '.pointwise_conv2.'), ('.ln.', '.'), ('.linear.', '.'),
           ('stem_orig.', 'stem.'))


def minkowski_to_dense(kernel: torch.Tensor) -> torch.Tensor:
    """Minkowski kernel ``(k·k, in, out)`` → ``(out, in, k, k)``; depthwise ``(k·k, C)`` →
    ``(C, 1, k, k)``. Offset ``i = x·k + y`` (first spatial axis ``y`` fastest) is ``[y, x]``."""
    if kernel.dim() == 2:
        kernel = kernel.unsqueeze(1)
    kk, cin, cout = kernel.shape
    k = round(kk ** 0.5)
    if k * k != kk:
        raise ValueError(f'kernel of shape {tuple(kernel.shape)} is not a square k·k kernel')
    return kernel.permute(2, 1, 0).reshape(cout, cin, k, k).transpose(2, 3).contiguous()


def _block_key(key: str) -> str:
    for old, new in RENAMES:
        key = key.replace(old, new)
    return key


def _encoder(key: str, value: torch.Tensor) -> tuple[str, torch.Tensor]:
    """One ``encoder.*`` entry → ``backbone.*`` with dense shapes."""
    name = 'backbone.' + _block_key(key[len('encoder.'):])
    if name.endswith('.kernel'):
        return name[:-len('kernel')] + 'weight', minkowski_to_dense(value)
    return name, _flat_if_vector(name, value)


def _flat_if_vector(name: str, value: torch.Tensor) -> torch.Tensor:
    """GRN ``gamma``/``beta`` (``(1, C)`` sparse, ``(1, 1, 1, C)`` dense) and Minkowski biases
    ``(1, C)`` → ``(C,)``."""
    if name.endswith(('.gamma', '.beta')) or (name.endswith('.bias') and value.dim() > 1):
        return value.reshape(-1)
    return value


def _permute_s2(weight: torch.Tensor, dim: int, group: int, order: list[int]) -> torch.Tensor:
    """Reorder the band index inside each group of ``group`` channels along ``dim``."""
    shape = weight.shape
    split = shape[:dim] + (shape[dim] // group, group) + shape[dim + 1:]
    index = torch.tensor(order)
    return weight.reshape(split).index_select(dim + 1, index).reshape(shape)


def _decoder_and_heads(state: dict) -> OrderedDict:
    """``proj``, ``mask_token``, the shared decoder block and the heads."""
    out = OrderedDict()
    modalities = list(dict.fromkeys(k.split('.')[1] for k in state if k.startswith('pred_dict.')))
    blocks = [k for k in state if k.startswith('decoder_dict.')]
    for key in blocks:
        rest = key.split('.', 2)[2]
        reference = f"decoder_dict.{blocks[0].split('.')[1]}.{rest}"
        if reference not in state or not torch.equal(state[key], state[reference]):
            raise ValueError(f'{key} differs from {reference}: MMEarth shares one decoder block')
        name = 'neck.blocks.' + _block_key('.' + rest)[1:]
        out[name] = _flat_if_vector(name, state[key])
    for key, value in state.items():
        if key.startswith(('proj.', 'mask_token')):
            out['neck.' + key] = value
        elif key.startswith('pred_dict.'):
            _, modality, param = key.split('.')
            layer = 'fc' if modality in IMAGE_LEVEL else 'conv'
            out[f'heads.{modality}.{layer}.{param}'] = value
        elif key.startswith('layer_norm_tmp.') and any(m in IMAGE_LEVEL for m in modalities):
            out[f'image_norm.{key.split(".")[1]}'] = value  # MPMAE(image_norm='shared')
    return out


def convert(state: dict, task_order: tuple[str, ...] = TASK_ORDER,
            official_s2: tuple[str, ...] = OFFICIAL_S2_BANDS,
            eossl_s2: tuple[str, ...] = EOSSL_S2_BANDS) -> OrderedDict:
    """Official MMEarth ``state_dict`` → eossl ``MPMAE`` ``state_dict``."""
    known = ('encoder.', 'proj.', 'mask_token', 'decoder_dict.', 'pred_dict.', 'layer_norm_tmp.',
             'loss_fn.log_vars')
    unknown = [k for k in state if not k.startswith(known)]
    if unknown:
        raise KeyError(f'not an MMEarth pretraining checkpoint: unexpected keys {unknown[:8]}')
    order = [official_s2.index(b) for b in eossl_s2]
    out = OrderedDict(_encoder(k, v) for k, v in state.items() if k.startswith('encoder.'))
    out.update(_decoder_and_heads(state))
    first = ('backbone.initial_conv.0.weight' if 'backbone.initial_conv.0.weight' in out
             else 'backbone.stem.0.weight')
    out[first] = _permute_s2(out[first], 1, out[first].shape[1], order)
    for param in ('weight', 'bias'):
        key = f'heads.sentinel2.conv.{param}'
        if key in out:
            out[key] = _permute_s2(out[key], 0, len(order), order)
    if 'loss_fn.log_vars' in state:
        official = list(dict.fromkeys(k.split('.')[1] for k in state if k.startswith('pred_dict.')))
        mine = [t for t in task_order if t in official]
        if sorted(mine) != sorted(official):
            raise ValueError(f'--task-order {list(task_order)} must contain every modality of '
                             f'the checkpoint {official}')
        out['loss_weighting.log_vars'] = state['loss_fn.log_vars'][
            [official.index(t) for t in mine]]
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: convert SRC (official checkpoint) into DST (``{'state_dict', 'meta'}``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (e.g. checkpoint-199.pth)')
    parser.add_argument('dst', help='eossl checkpoint to write')
    parser.add_argument('--task-order', nargs='+', default=list(TASK_ORDER),
                        help='order of the heads in the eossl recipe (for the log-variances)')
    args = parser.parse_args(argv)
    # official checkpoints also pickle their training arguments (an argparse.Namespace of
    # plain values, paths among them): allowed, and nothing else beyond the weights-only set
    checkpoint = safe_torch_load(args.src, extra_globals=OFFICIAL_EXTRA_GLOBALS)
    state = checkpoint.get('model', checkpoint.get('state_dict', checkpoint))
    converted = convert(state, tuple(args.task_order))
    torch.save({'state_dict': converted,
                'meta': {'converted_from': args.src, 's2_bands': list(EOSSL_S2_BANDS)}},
               ensure_parent_dir(args.dst))
    print(f'wrote {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
