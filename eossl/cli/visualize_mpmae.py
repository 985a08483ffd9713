"""Figure of an MP-MAE checkpoint: S2 input, masked input, reconstruction (a PNG).

``eossl-visualize-mpmae CONFIG CHECKPOINT --out fig.png
[--index 0 --num 4 --seed 0 --rgb 3 2 1 --cfg-options ...]``

Samples come from the recipe's training dataset (its pipeline, so a random crop is drawn with
``--seed``); the mask is drawn like in training. Each row shows one sample: RGB of the input,
the input with masked patches blacked out, the predicted image, and the prediction pasted into
the visible input. A per-patch normalized S2 head (``norm_per_patch``) is mapped back with each
patch's own mean and std, as MAE figures do. Colours: z-scores clipped to ±2 per band.
"""
import argparse

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

import eossl
from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.models.utils import patchify, unpatchify, upsample_grid
from eossl.utils import ensure_parent_dir
from eossl.visualization.recipe_samples import recipe_model, recipe_samples


def denormalize_patches(pred: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Undo per-patch normalization: ``pred`` ``(B, L, D)`` in target-patch units → pixels,
    with each target patch's valid-element mean and unbiased std (NaN-aware)."""
    valid = ~torch.isnan(target)
    values = torch.where(valid, target, torch.zeros_like(target))
    count = valid.sum(-1, keepdim=True).clamp(min=1)
    mean = values.sum(-1, keepdim=True) / count
    var = ((values - mean) * valid).pow(2).sum(-1, keepdim=True) / (count - 1).clamp(min=1)
    return pred * (var + eps).sqrt() + mean


def to_rgb(image: torch.Tensor, rgb: list[int]) -> np.ndarray:
    """``(C, H, W)`` z-scores → ``(H, W, 3)`` in [0, 1] (±2 std per band, NaN black)."""
    bands = torch.nan_to_num(image[rgb], nan=-2.).clamp(-2, 2)
    return ((bands + 2) / 4).permute(1, 2, 0).cpu().numpy()


def reconstruct(model, data: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(input (B, C, H, W), pixel mask (B, H, W) 1 = masked, prediction (B, C, H, W))``."""
    x = model.encoder_input(data['inputs'])
    p = model.backbone.patch_size
    grid = (x.shape[2] // p, x.shape[3] // p)
    mask = model.generate_mask(x.shape[0], grid, x.device)
    head = model.heads[model.input_key]
    with torch.no_grad():
        pred = model.predict_pretext(x, mask)[model.input_key]
    if getattr(head.loss_module, 'norm_per_patch', False):
        target = model.stack_targets(data['data_samples'], x.device)[model.input_key]
        pred = denormalize_patches(pred, patchify(target, p), head.loss_module.eps)
    return x, upsample_grid(mask, p), unpatchify(pred, p, grid)


def main(argv: list[str] | None = None) -> None:
    """Command line: write the reconstruction figure."""
    parser = argparse.ArgumentParser(description='MP-MAE input / mask / reconstruction figure')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', default='mpmae_reconstruction.png')
    parser.add_argument('--index', type=int, default=0, help='first dataset sample')
    parser.add_argument('--num', type=int, default=4, help='samples (rows)')
    parser.add_argument('--seed', type=int, default=0, help='seeds crops and masks')
    parser.add_argument('--rgb', type=int, nargs=3, default=[3, 2, 1],
                        help='input band indices shown as R G B (B4 B3 B2 in the 12-band order)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)

    eossl.register_all_modules()
    cfg = load_recipe(args.config, args.cfg_options)
    model = recipe_model(cfg, args.checkpoint)  # strict: a mismatch is an error, not a figure
    batch = pseudo_collate(recipe_samples(cfg, args.index, args.num, args.seed))
    x, mask, recon = reconstruct(model, model.data_preprocessor(batch, False))
    save_figure(x, mask, recon, args.rgb, ensure_parent_dir(args.out))
    print(f'wrote {args.out}')


def save_figure(x: torch.Tensor, mask: torch.Tensor, recon: torch.Tensor, rgb: list[int],
                out: str) -> None:
    """One row per sample: input, masked input, reconstruction, reconstruction + visible."""
    import matplotlib
    matplotlib.use('Agg')  # files only, no display
    import matplotlib.pyplot as plt

    titles = ('input', 'masked input', 'reconstruction', 'reconstruction + visible')
    count = x.shape[0]
    fig, axes = plt.subplots(count, 4, figsize=(12, 3 * count), squeeze=False)
    for row in range(count):
        m = mask[row].bool()
        panels = (x[row], torch.where(m, torch.nan, x[row]), recon[row],
                  torch.where(m, recon[row], x[row]))
        for col, (ax, panel) in enumerate(zip(axes[row], panels)):
            ax.imshow(to_rgb(panel, rgb))
            ax.set_axis_off()
            if row == 0:
                ax.set_title(titles[col])
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


if __name__ == '__main__':
    main()
