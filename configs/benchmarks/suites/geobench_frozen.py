# GEO-Bench v1 classification tasks (m-eurosat, m-bigearthnet) under torchgeo-bench's frozen
# probe: the rows torchgeo-bench publishes (results/all_results.csv) print beside eossl's at
# fraction 1. data_root = GEO-Bench's classification_v1.0 folder (eossl-benchmark --data-root).
default_scope = 'eossl'
data_root = 'data/geobench/classification_v1.0'
_load = [dict(type='eossl.LoadGeoBenchSample')]

datasets = [
    dict(name='m-eurosat', task='classification',
         dataset=dict(type='eossl.GeoBenchDataset', data_root='m-eurosat', pipeline=_load)),
    dict(name='m-bigearthnet', task='classification', multi_label=True,
         dataset=dict(type='eossl.GeoBenchDataset', data_root='m-bigearthnet', pipeline=_load)),
]
protocols = ['frozen-probe-linear', 'frozen-probe-knn']
fractions = [0.1, 1.0]
seeds = [0, 1, 2]
floors = ['random', 'imagestats', 'rcf']
missing_bands = 'fill'
bootstrap_draws = 1000
