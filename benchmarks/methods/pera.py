"""PerA in the benchmarks: the ViT-S/16 recipe on SSL4EO-S12 (throughput, learning signal)."""
from .layouts import ssl4eo
from .spec import Benchmark, SignalRun

THROUGHPUT = {
    'pera': Benchmark(
        'configs/pera_vits.py', ssl4eo,
        'student + teacher views of 2 global and (CPU: 2, recipe: 8) local 13-band crops; '
        'ViT-S/16'),
}
LEARNING_SIGNAL = {
    'pera': SignalRun('configs/pera/pera_vits16_s2_200e_ssl4eo.py', 'ssl4eo_s12', eval_steps=1,
                      keys=('img',), write=dict(modalities=('s2c',)),
                      options={'train_dataloader.batch_size': 16}, eval_size=32),
}
