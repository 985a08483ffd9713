# Runtime of every downstream segmentation recipe: mmseg's default scope (eossl parts are named
# 'eossl.X'), iteration-based logging and checkpoints, and two eossl checks that fail before
# training: a Pretrained checkpoint that does not fit the backbone (missing file, wrong prefix,
# other band count) and a decode head whose num_classes differs from the dataset's classes.
default_scope = 'mmseg'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [dict(type='eossl.PretrainedCheckHook'), dict(type='eossl.NumClassesCheckHook'),
                dict(type='eossl.WidthCheckHook'), dict(type='eossl.EpochProgressHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo without CUDA
)
log_processor = dict(by_epoch=False)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
