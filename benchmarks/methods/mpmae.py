"""MP-MAE in the benchmarks: the S2-only and all-modality ConvNeXt V2-atto recipes on MMEarth."""
from .layouts import mmearth, mmearth_128
from .spec import Benchmark, SignalRun

THROUGHPUT = {
    'mpmae': Benchmark(
        'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py', mmearth,
        'one 56 px 12-band S2 crop, mask ratio 0.6; ConvNeXt V2 atto (FCMAE)'),
    'mpmae_all': Benchmark(
        'configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py', mmearth_128,
        'one 112 px 12-band S2 crop and its 12 pretext targets; ConvNeXt V2 atto (FCMAE)',
        gpu_check=False),
}
LEARNING_SIGNAL = {
    'mpmae': SignalRun('configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-56.py',
                       'mmearth', eval_steps=1, keys=('sentinel2',),
                       options={'train_dataloader.batch_size': 32}),
}
