"""Published frozen-encoder numbers, printed beside eossl's when protocol and dataset match.

Each row names its source file. Values are in % (torchgeo-bench's fractions × 100).

- ``copernicus-l2``: ``zhu-xlab/Copernicus-FM``, ``Copernicus-Bench/results/README.md`` (frozen
  encoder, three-run mean ± sd): SoftCon ViT-B/14 (S1 / S2 weights) and random-init ViT-B/16.
  EuroSAT: OA; BigEarthNet: mAP; DFC2020: mIoU.
- ``frozen-probe-linear`` / ``frozen-probe-knn``: ``torchgeo/torchgeo-bench``,
  ``results/all_results.csv`` (GEO-Bench v1, full training set): SSL4EO-S12 ResNet-50 MoCo and
  the two floors ``rcf`` and ``imagestats``. m-eurosat: accuracy; m-bigearthnet: micro mAP.
"""
from dataclasses import dataclass

COPERNICUS_SOURCE = 'zhu-xlab/Copernicus-FM: Copernicus-Bench/results/README.md'
TORCHGEO_BENCH_SOURCE = 'torchgeo/torchgeo-bench: results/all_results.csv'


@dataclass(frozen=True)
class PublishedRow:
    """One published number: ``value`` (± ``sd`` over runs when given) of ``encoder``."""

    protocol: str
    dataset: str
    encoder: str
    metric: str
    value: float
    sd: float | None
    source: str


def _copernicus(encoder: str, values: dict[str, tuple[float, float]]) -> list[PublishedRow]:
    metric = {'eurosat': 'accuracy', 'bigearthnet': 'mAP', 'dfc2020': 'mIoU'}
    return [PublishedRow('copernicus-l2', name, encoder, metric[name.split('-')[0]], v, sd,
                         COPERNICUS_SOURCE) for name, (v, sd) in values.items()]


def _torchgeo(dataset: str, metric: str,
              rows: dict[str, tuple[float, float]]) -> list[PublishedRow]:
    out = []
    for encoder, (linear, knn) in rows.items():
        out += [PublishedRow('frozen-probe-linear', dataset, encoder, metric, linear, None,
                             TORCHGEO_BENCH_SOURCE),
                PublishedRow('frozen-probe-knn', dataset, encoder, metric, knn, None,
                             TORCHGEO_BENCH_SOURCE)]
    return out


PUBLISHED: tuple[PublishedRow, ...] = tuple(
    _copernicus('SoftCon ViT-B/14', {
        'eurosat-s1': (83.6, 0.1), 'eurosat-s2': (96.7, 0.0), 'bigearthnet-s1': (78.7, 0.0),
        'bigearthnet-s2': (83.6, 0.0), 'dfc2020-s1': (52.8, 0.6), 'dfc2020-s2': (64.1, 0.3)})
    + _copernicus('random ViT-B/16', {
        'eurosat-s1': (75.4, 0.4), 'eurosat-s2': (92.5, 0.1), 'bigearthnet-s1': (63.8, 0.1),
        'bigearthnet-s2': (71.6, 0.1), 'dfc2020-s1': (45.4, 0.1), 'dfc2020-s2': (62.3, 0.0)})
    + _torchgeo('m-eurosat', 'accuracy', {
        'SSL4EO-S12 RN50 MoCo': (95.4, 88.7), 'rcf': (91.0, 76.3),
        'imagestats': (86.5, 78.3)})
    + _torchgeo('m-bigearthnet', 'mAP_micro', {
        'SSL4EO-S12 RN50 MoCo': (66.0, 52.8), 'rcf': (62.5, 46.6),
        'imagestats': (49.0, 42.1)}))


def published_for(protocol: str, dataset: str) -> list[PublishedRow]:
    """The published rows of ``protocol`` on ``dataset`` (empty when none match)."""
    return [row for row in PUBLISHED if row.protocol == protocol and row.dataset == dataset]
