"""Several augmented views of each modality of a scene: mmpretrain's ``MultiView`` for dicts."""
import copy
from collections.abc import Mapping, Sequence

from mmcv.transforms import BaseTransform, Compose

from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ModalityViews(BaseTransform):
    """``num_views`` views of each modality, each from its own run of that modality's pipeline.

    mmpretrain's ``MultiView`` collects only ``results['img']``; multimodal methods (DeCUR) need
    two views of each of ``'s1'`` and ``'s2'``. For view ``v`` of modality ``key``,
    ``pipelines[key]`` runs on a deep copy of the incoming results and its ``results[key]`` is
    kept; each run draws its own random parameters, so views and modalities are augmented
    independently. View ``v ≥ 1`` starts from ``results['<key>/<v>']`` instead of
    ``results[key]`` when it is there (another image of the scene loaded for that view, e.g.
    the season :class:`~eossl.datasets.SSL4EOS12Pairs` drew for it, read by
    ``LoadPairedModalities``); otherwise every view starts from ``results[key]``.

    Output: ``results[key]`` = ``[view 0, view 1, ...]`` (``(C, H, W)`` arrays) for every key of
    ``pipelines``; the other keys each view's run wrote (band names, shapes) come from view 0;
    the ``'<key>/<v>'`` sources (and their ``_bands`` / ``_shape``) are dropped.

    Args:
        pipelines: ``{key: [transform configs]}``; each must leave a ``(C, H, W)`` array in
            ``results[key]``.
        num_views: views per modality.
    """

    def __init__(self, pipelines: Mapping[str, Sequence[dict]], num_views: int = 2) -> None:
        if not pipelines or any(isinstance(p, dict) for p in pipelines.values()):
            raise ValueError('ModalityViews: pipelines must map each modality key to a list of '
                             f'transform configs, got {pipelines!r}')
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f'ModalityViews: num_views must be a positive int, got {num_views!r}')
        self.pipelines = {key: Compose(list(cfgs)) for key, cfgs in pipelines.items()}
        self.num_views = num_views

    def _view_input(self, results: dict, key: str, view: int) -> dict:
        """A deep copy of ``results`` without the view sources, ``results[key]`` being this
        view's own source when one was loaded for it."""
        copied = {k: v for k, v in results.items() if not self._is_source(k)}
        own = f'{key}/{view}'
        if view > 0 and own in results:
            for suffix in ('', '_bands', '_shape'):
                if own + suffix in results:
                    copied[key + suffix] = results[own + suffix]
        return copy.deepcopy(copied)

    def _is_source(self, name: str) -> bool:
        """``'<key>/<v>'`` (or its ``_bands`` / ``_shape``) for a key of ``pipelines``."""
        head, _, tail = name.partition('/')
        return head in self.pipelines and tail.split('_')[0].isdigit()

    def transform(self, results: dict) -> dict | None:
        """Results with each modality key replaced by its list of views."""
        merged = {k: v for k, v in results.items() if not self._is_source(k)}
        for key, pipeline in self.pipelines.items():
            views = []
            for view in range(self.num_views):
                out = pipeline(self._view_input(results, key, view))
                if out is None:
                    return None  # a transform rejected the sample (mmcv convention)
                if key not in out:
                    raise KeyError(f'ModalityViews: the {key!r} pipeline wrote no results[{key!r}] '
                                   f'(keys: {sorted(out)})')
                if view == 0:
                    merged.update((k, v) for k, v in out.items() if k not in self.pipelines)
                views.append(out[key])
            merged[key] = views
        return merged

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_views={self.num_views}, pipelines={self.pipelines})'
