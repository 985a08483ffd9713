"""Dual-SimCLR in the benchmarks: the ResNet-50 S1/S2 recipe on SEN12MS (and its z-score
option in the learning signal, not part of ``--methods all``)."""
from .layouts import sen12ms
from .spec import Benchmark, SignalRun

THROUGHPUT = {
    'dual_simclr': Benchmark(
        'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py', sen12ms,
        'one S1 (2 bands) + one S2 (13 bands) crop; 2 × ResNet-50'),
}
LEARNING_SIGNAL = {
    'dual_simclr': SignalRun('configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py',
                             'sen12ms', eval_steps=4, keys=('s1', 's2'),
                             options={'train_dataloader.batch_size': 32}),
    # eossl option (named recipe): dataset z-scoring instead of the per-sample max normalisation
    'dual_simclr_zscore': SignalRun(
        'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms_zscore.py', 'sen12ms',
        eval_steps=3, keys=('s1', 's2'), options={'train_dataloader.batch_size': 32},
        shipped=False),
}
