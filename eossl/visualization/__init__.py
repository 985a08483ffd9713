"""Drawing code of eossl's figures (matplotlib, Agg backend), one module per figure:

- :mod:`.colour`: band-named false colour shared by every figure;
- :mod:`.prediction_figures`: per-sample test figures (``eossl-test --show-dir``, drawn by the
  registered hook :class:`eossl.engine.PredictionFigureHook`);
- :mod:`.pera_masks`: PerA views and disjoint masks (``eossl-visualize-pera``);
- :mod:`.similarity`: SoftCon target vs learned similarity, Dual-SimCLR retrieval
  (``eossl-visualize-contrastive``);
- :mod:`.pca_features`: PCA false colour of patch features (``eossl-pca-features``);
- :mod:`.curves`: loss / lr curves of work dirs (``eossl-plot-curves``).

The MP-MAE reconstruction figure is ``eossl-visualize-mpmae``.
"""
