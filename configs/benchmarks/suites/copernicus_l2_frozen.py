# Copernicus-Bench level-2 tasks (EuroSAT, BigEarthNet v2, DFC2020; S1 and S2) under the
# frozen-probe protocol (torchgeo-bench's method: cached features, kNN k=5, swept logistic
# regression; cell probes for DFC2020). data_root holds the unzipped Copernicus-Bench folders
# (eurosat_s1, eurosat_s2, bigearthnet_s1s2, dfc2020_s1s2); eossl-benchmark --data-root sets it.
# An encoder only sees the datasets whose bands it shares (an S2 encoder: the S2 tasks).
default_scope = 'eossl'
data_root = 'data/copernicus_bench'


def _load(modality: str) -> list:
    return [dict(type='eossl.LoadMultiBandImage', modality=modality)]


datasets = [
    dict(name='eurosat-s1', task='classification',
         dataset=dict(type='eossl.CopernicusBenchEuroSAT', data_root='eurosat_s1',
                      modality='s1', pipeline=_load('s1'))),
    dict(name='eurosat-s2', task='classification',
         dataset=dict(type='eossl.CopernicusBenchEuroSAT', data_root='eurosat_s2',
                      modality='s2', pipeline=_load('s2'))),
    dict(name='bigearthnet-s1', task='classification', multi_label=True,
         dataset=dict(type='eossl.CopernicusBenchBigEarthNet', data_root='bigearthnet_s1s2',
                      modality='s1', pipeline=_load('s1'))),
    dict(name='bigearthnet-s2', task='classification', multi_label=True,
         dataset=dict(type='eossl.CopernicusBenchBigEarthNet', data_root='bigearthnet_s1s2',
                      modality='s2', pipeline=_load('s2'))),
    dict(name='dfc2020-s1', task='segmentation',
         dataset=dict(type='eossl.CopernicusBenchDFC2020', data_root='dfc2020_s1s2',
                      modality='s1', pipeline=_load('s1') + [
                          dict(type='eossl.LoadLandCoverMap', modality='dfc',
                               label_map='dfc2020')])),
    dict(name='dfc2020-s2', task='segmentation',
         dataset=dict(type='eossl.CopernicusBenchDFC2020', data_root='dfc2020_s1s2',
                      modality='s2', pipeline=_load('s2') + [
                          dict(type='eossl.LoadLandCoverMap', modality='dfc',
                               label_map='dfc2020')])),
]
protocols = ['frozen-probe-linear', 'frozen-probe-knn']
fractions = [0.1, 1.0]
seeds = [0, 1, 2]
floors = ['random', 'imagestats', 'rcf']
missing_bands = 'fill'
bootstrap_draws = 1000
