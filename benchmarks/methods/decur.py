"""DeCUR in the benchmarks: the official SSL4EO-S12 S1/S2 ResNet-50 recipe (throughput) and the
same recipe at its CPU probe size (learning signal: probes of S1, S2 and their concatenation)."""
from pathlib import Path

from .spec import Benchmark, SignalRun

RECIPE = 'configs/decur/decur_rn50_s1s2_100e_ssl4eo.py'
# no ImageNet file needed to time a step (the official start; random init here)
NO_IMAGENET = {f'model.{m}_backbone.init_cfg': None for m in ('s1', 's2')}


def ssl4eo_s1s2(root: Path, samples: int) -> Path:
    """SSL4EO-S12 S1 GRD + S2 L1C of the same locations: 264 px GeoTIFFs, two seasons."""
    from eossl.testing import make_fake_ssl4eo_s12
    make_fake_ssl4eo_s12(root, num_locations=samples, seasons=2, size=264,
                         modalities=('s1', 's2c'))
    return root


THROUGHPUT = {
    'decur': Benchmark(RECIPE, ssl4eo_s1s2,
                       'two views of S1 (2 bands) and two of S2 L1C (13 bands), each season drawn '
                       'per view; 2 × ResNet-50, projector 8192-8192-8192',
                       options=NO_IMAGENET),
}
LEARNING_SIGNAL = {
    # eval steps: the loading of every view's season, then the two-sigma scaling of S1 and S2
    'decur': SignalRun(RECIPE, 'ssl4eo_s12', eval_steps=3, keys=('s1', 's2'),
                       options={**NO_IMAGENET, 'train_dataloader.batch_size': 32}),
}
