"""Per-sample figures of a test run (``eossl-test --show-dir``).

- segmentation: input false colour | label map | predicted map, one colour per class (tab20),
  a legend naming the classes, ignored pixels black;
- classification: input false colour | the ``topk`` highest class scores as bars, then the
  scores of the ground-truth classes outside the top k; ground-truth classes green, others grey.
"""
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.patches import Patch

from .colour import false_colour, pyplot

IGNORED = (0.0, 0.0, 0.0)


def class_colours(num_classes: int) -> np.ndarray:
    """``(num_classes, 3)`` RGB in [0, 1]: matplotlib's tab20 colours, cycled."""
    from matplotlib import colormaps
    table = colormaps['tab20'].colors  # type: ignore[attr-defined]
    return np.array([table[i % len(table)] for i in range(num_classes)])


def colour_map(labels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """``(H, W)`` class indices → ``(H, W, 3)``; indices outside the classes black."""
    out = np.zeros(labels.shape + (3, ))
    known = (labels >= 0) & (labels < len(colours))
    out[known] = colours[labels[known]]
    out[~known] = IGNORED
    return out


def save_segmentation_figure(image: torch.Tensor, label: np.ndarray | None, pred: np.ndarray,
                             out: str, classes: Sequence[str],
                             bands: Sequence[str] | None = None) -> None:
    """``image`` ``(C, H, W)``, ``label`` / ``pred`` ``(H, W)`` class indices → a PNG."""
    plt = pyplot()
    colours = class_colours(len(classes))
    rgb, band_title = false_colour(image, bands)
    panels = [(rgb, f'input ({band_title})')]
    if label is not None:
        panels.append((colour_map(label, colours), 'label'))
    panels.append((colour_map(pred, colours), 'prediction'))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 2, 3.4))
    for ax, (panel, title) in zip(axes, panels):
        ax.imshow(panel, interpolation='nearest')
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    shown = np.unique(np.concatenate([pred.ravel()] + ([] if label is None else
                                                        [label.ravel()])))
    handles = [Patch(color=colours[i], label=classes[i]) for i in shown if 0 <= i < len(classes)]
    handles.append(Patch(color=IGNORED, label='ignored'))
    fig.legend(handles=handles, loc='center right', fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.savefig(out, dpi=80)
    plt.close(fig)


def save_classification_figure(image: torch.Tensor, scores: np.ndarray, truth: Sequence[int],
                               out: str, classes: Sequence[str],
                               bands: Sequence[str] | None = None, topk: int = 5) -> None:
    """``image`` ``(C, H, W)``, ``scores`` ``(num_classes,)``, ``truth`` class indices → PNG."""
    plt = pyplot()
    rgb, band_title = false_colour(image, bands)
    ranked = [int(i) for i in np.argsort(-scores)]
    order = ranked[:topk] + [i for i in ranked[topk:] if i in set(truth)]  # truth always shown
    order = np.array(order)  # type: ignore[assignment]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2),
                                      gridspec_kw=dict(width_ratios=(1, 1.4)))
    left.imshow(rgb, interpolation='nearest')
    left.set_title(f'input ({band_title})', fontsize=9)
    left.set_axis_off()
    colours = ['tab:green' if i in set(truth) else 'tab:gray' for i in order]
    right.barh(range(len(order)), scores[order], color=colours)
    right.set_yticks(range(len(order)), [classes[i] for i in order], fontsize=7)
    right.invert_yaxis()
    right.set_xlim(0, max(1.0, float(scores[order].max())))
    right.set_xlabel('score')
    right.set_title(f'top {min(topk, len(order))} classes and the ground truth', fontsize=9)
    right.legend(handles=[Patch(color='tab:green', label='ground truth'),
                          Patch(color='tab:gray', label='not in ground truth')],
                 fontsize=7, loc='lower right')
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
