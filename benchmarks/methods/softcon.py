"""SoftCon in the benchmarks: ViT-S/14 (throughput) and ResNet-50 (learning signal) recipes."""
from .layouts import ssl4eo
from .spec import Benchmark, SignalRun

THROUGHPUT = {
    'softcon': Benchmark(
        'configs/softcon/softcon_vits14_s2_100e_ssl4eo.py', ssl4eo,
        'two 13-band views (Siamese masking 0.5); ViT-S/14',
        options={'model.backbone.init_cfg': None}),  # no DINOv2 file needed to time a step
}
LEARNING_SIGNAL = {
    'softcon': SignalRun('configs/softcon/softcon_rn50_s2_100e_ssl4eo.py', 'ssl4eo_s12',
                         eval_steps=1, keys=('img',), write=dict(modalities=('s2c',)),
                         options={'train_dataloader.batch_size': 32}),
}
