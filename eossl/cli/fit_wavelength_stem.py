"""Turn a fixed-stem backbone checkpoint into a wavelength-stem one (the stem fitted, no data).

``eossl-fit-wavelength-stem RECIPE FIXED.pth OUT.pth [--prefix
backbone.] [--bands B1 B2 ...]``

``RECIPE``'s ``model.backbone`` (with ``patch_embed='wavelength'`` forced, its ``init_cfg``
dropped) is built; ``FIXED.pth``'s first layer is fitted into the wavelength stem on the fixed
layer's bands (``--bands``, default the recipe backbone's ``bands``) by
:func:`eossl.models.utils.wavelength_fit.load_fixed_stem_checkpoint`, every other tensor is copied.
``OUT.pth`` holds ``{'state_dict': {'backbone.…': tensor}, 'meta': {...}}``: a wavelength recipe
starts from it with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
Dual-SimCLR recipes: give ``--backbone-key s1_backbone`` or ``s2_backbone``.
"""
import argparse
from collections.abc import Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from eossl.models.utils.wavelength_fit import load_fixed_stem_checkpoint
from eossl.registry import MODELS
from eossl.utils import ensure_parent_dir


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line; returns the ``meta`` written (with the fit error of every stem)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('recipe', help='recipe whose model.backbone describes the encoder')
    parser.add_argument('src', help='fixed-stem checkpoint (.pth)')
    parser.add_argument('dst', help='wavelength-stem backbone checkpoint to write')
    parser.add_argument('--prefix', default=None,
                        help="keep only keys with this prefix (e.g. 'backbone.')")
    parser.add_argument('--bands', nargs='+', default=None,
                        help="the fixed first layer's bands in order (default: the recipe's)")
    parser.add_argument('--backbone-key', default='backbone',
                        help='key of the backbone under model (s1_backbone / s2_backbone)')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.recipe)
    init_default_scope(cfg.get('default_scope', 'eossl'))
    if args.backbone_key not in cfg.model:
        raise KeyError(f'{args.recipe}: model has no {args.backbone_key!r}; keys: '
                       f'{sorted(cfg.model)}')
    backbone_cfg = dict(cfg.model[args.backbone_key], patch_embed='wavelength')
    backbone_cfg.pop('init_cfg', None)
    backbone = MODELS.build(backbone_cfg)
    errors = load_fixed_stem_checkpoint(backbone, args.src, bands=args.bands, prefix=args.prefix)
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    meta = {'fitted_from': args.src, 'recipe': args.recipe, 'fit_error': errors}
    torch.save({'state_dict': state, 'meta': meta}, ensure_parent_dir(args.dst))
    print(f'{args.src}: wrote {len(state)} tensors to {args.dst}; wavelength stems fitted to the '
          f'fixed kernels, largest weight difference {max(errors.values()):.1e}')
    return meta


if __name__ == '__main__':
    main()
