"""PCA false colour of a backbone's patch features: the first three principal components of
the ``(D, h, w)`` feature map, each stretched to [0, 1], shown as R, G, B next to the input."""
from collections.abc import Sequence

import numpy as np

from .colour import false_colour, pyplot, stretch


def pca_rgb(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(D, h, w)`` → ``((3, h, w)`` component scores, ``(3,)`` explained variance ratios)``."""
    dims, h, w = features.shape
    if dims < 3:
        raise ValueError(f'PCA colouring needs >= 3 feature channels, got {dims}')
    cells = features.reshape(dims, -1).T.astype(np.float64)
    cells = cells - cells.mean(axis=0)
    _, singular, vt = np.linalg.svd(cells, full_matrices=False)
    variance = singular ** 2
    ratio = variance[:3] / max(variance.sum(), 1e-12)
    return (cells @ vt[:3].T).T.reshape(3, h, w), ratio


def save_pca_figure(image: np.ndarray, features: np.ndarray, out: str,
                    bands: Sequence[str] | None = None, title: str = '') -> None:
    """Input ``(C, H, W)`` false colour | PCA of ``features`` ``(D, h, w)``."""
    plt = pyplot()
    components, ratio = pca_rgb(features)
    rgb, band_title = false_colour(image, bands)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3.6))
    left.imshow(rgb, interpolation='nearest')
    left.set_title(f'input ({band_title})', fontsize=9)
    right.imshow(stretch(components), interpolation='nearest')
    right.set_title('features PCA: R=PC1 {:.0%} G=PC2 {:.0%} B=PC3 {:.0%}\n'.format(*ratio)
                    + f'{features.shape[0]} channels on a {features.shape[1]}x'
                    f'{features.shape[2]} grid', fontsize=8)
    for ax in (left, right):
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
