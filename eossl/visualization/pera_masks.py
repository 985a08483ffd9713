"""PerA's aligned views and disjoint patch sets, one row per crop slot.

Per slot: the student view, the teacher view (same crop and flip, different photometric
jitter), and the patch grid coloured by set: student-visible, predicted (the student regresses
their pixels; global slots only), teacher-visible, and hidden from both (local slots' middle
band). Pixel areas of the four colours are the patch fractions of the sets.
"""
from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Patch

from .colour import false_colour, pyplot

SET_COLOURS = {'student': (0.12, 0.47, 0.71), 'predict': (1.0, 0.5, 0.05),
               'teacher': (0.17, 0.63, 0.17), 'hidden': (0.8, 0.8, 0.8)}


def mask_image(masks: dict, slot: int, grid: tuple[int, int], patch: int) -> np.ndarray:
    """``(H, W, 3)`` of slot ``slot``: each patch painted with the colour of its set."""
    cells = np.empty(grid[0] * grid[1], object)
    cells[:] = 'hidden'
    for name in ('student', 'predict', 'teacher'):
        cells[np.asarray(masks[name][slot], np.int64)] = name
    rgb = np.array([SET_COLOURS[c] for c in cells]).reshape(*grid, 3)
    return rgb.repeat(patch, axis=0).repeat(patch, axis=1)


def save_pera_figure(views: Sequence, masks: dict, patch: int, out: str,
                     bands: Sequence[str] | None = None) -> None:
    """``views``: the student views of every slot then the teacher views, each ``(C, H, W)``;
    ``masks``: ``{'student'|'predict'|'teacher': [patch indices per slot]}``."""
    plt = pyplot()
    slots = len(views) // 2
    fig, axes = plt.subplots(slots, 3, figsize=(9, 3 * slots), squeeze=False)
    for slot in range(slots):
        student, teacher = views[slot], views[slots + slot]
        grid = (student.shape[-2] // patch, student.shape[-1] // patch)
        rgb_s, title = false_colour(student, bands)
        rgb_t, _ = false_colour(teacher, bands)
        fractions = {k: len(masks[k][slot]) / (grid[0] * grid[1]) for k in masks}
        kind = 'global' if fractions.get('predict', 0) else 'local'
        panels = ((rgb_s, f'slot {slot} ({kind}) student view\n{title}'),
                  (rgb_t, f'slot {slot} teacher view'),
                  (mask_image(masks, slot, grid, patch),
                   'student {student:.0%} / predict {predict:.0%} / teacher {teacher:.0%}'
                   .format(**fractions)))
        for ax, (panel, text) in zip(axes[slot], panels):
            ax.imshow(panel, interpolation='nearest')
            ax.set_title(text, fontsize=8)
            ax.set_axis_off()
    fig.legend(handles=[Patch(color=c, label=k) for k, c in SET_COLOURS.items()],
               loc='lower center', ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(out, dpi=80)
    plt.close(fig)
