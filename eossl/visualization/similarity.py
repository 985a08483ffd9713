"""Contrastive-method figures: SoftCon's label-similarity target next to the learned
cross-view similarity, and Dual-SimCLR's S1 → S2 retrieval (top-k neighbours)."""
from collections.abc import Sequence

import numpy as np

from .colour import false_colour, pyplot

MATCH, MISS = (0.17, 0.63, 0.17), (0.84, 0.15, 0.16)


def save_similarity_figure(target: np.ndarray, learned: np.ndarray, out: str,
                           names: Sequence[str] | None = None) -> None:
    """Two ``(B, B)`` heatmaps side by side (one colour scale): the target distribution over
    the batch per row and the model's, each with a colour bar; ``names`` label the scenes."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    top = float(max(target.max(), learned.max()))
    for ax, matrix, title in ((axes[0], target, 'target: label similarity (row-normalised)'),
                              (axes[1], learned, 'learned: softmax(cos(z1_i, z2_j) / T)')):
        shown = ax.imshow(matrix, cmap='viridis', vmin=0, vmax=top, interpolation='nearest')
        ax.set_title(title, fontsize=9)
        ax.set_xlabel('scene j (view 2)')
        ax.set_ylabel('scene i (view 1)')
        if names is not None and len(names) <= 16:
            ax.set_yticks(range(len(names)), names, fontsize=6)
        fig.colorbar(shown, ax=ax, fraction=0.046, label='probability')
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def save_retrieval_figure(queries: Sequence, gallery: Sequence, similarity: np.ndarray,
                          out: str, k: int = 3, query_bands: Sequence[str] | None = None,
                          gallery_bands: Sequence[str] | None = None) -> float:
    """Row i: query ``queries[i]`` ``(C1, H, W)`` and its ``k`` most similar gallery images
    (``similarity[i]`` over the gallery); a green frame marks the true pair (same index), red
    the others. Returns the top-1 accuracy over all queries."""
    plt = pyplot()
    k = min(k, len(gallery))
    ranks = np.argsort(-similarity, axis=1)[:, :k]
    accuracy = float((ranks[:, 0] == np.arange(len(queries))).mean())
    fig, axes = plt.subplots(len(queries), k + 1, figsize=(2.2 * (k + 1), 2.4 * len(queries)),
                             squeeze=False)
    for i, row in enumerate(axes):
        rgb, title = false_colour(queries[i], query_bands)
        row[0].imshow(rgb, interpolation='nearest')
        row[0].set_title(f'S1 query {i}\n{title}', fontsize=7)
        for rank, j in enumerate(ranks[i]):
            rgb, title = false_colour(gallery[j], gallery_bands)
            row[rank + 1].imshow(rgb, interpolation='nearest')
            row[rank + 1].set_title(f'#{rank + 1}: S2 {j} cos {similarity[i, j]:.2f}\n{title}',
                                    fontsize=7)
            colour = MATCH if j == i else MISS
            for spine in row[rank + 1].spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(4)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f'S1 -> S2 retrieval, top-1 accuracy {accuracy:.0%} '
                 '(green frame: the true pair, red: another scene)', fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return accuracy
