# Runtime of every downstream classification recipe: mmpretrain's default scope (eossl parts
# are named 'eossl.X'), validation each epoch, the best checkpoint kept, and two eossl checks
# that fail before training: a Pretrained checkpoint that does not fit the backbone (missing
# file, wrong prefix, other band count) and a head whose num_classes differs from the dataset.
default_scope = 'mmpretrain'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [dict(type='eossl.PretrainedCheckHook'), dict(type='eossl.NumClassesCheckHook'),
                dict(type='eossl.WidthCheckHook'), dict(type='eossl.EpochProgressHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo without CUDA
)
log_processor = dict(window_size=10)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmengine.Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
