# Runtime shared by every eossl pretraining recipe: logging, checkpoints, seeding, dist backend.
default_scope = 'eossl'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # atomic files + every rank's random states, so a killed run resumes exactly; SIGTERM /
    # Ctrl-C save iter_N.pth and stop (stop_signals=() keeps Python's handling)
    checkpoint=dict(type='ResumableCheckpointHook', interval=1, max_keep_ckpts=3),
    # DistSamplerSeedHook + epoch and mid-epoch position of streaming datasets (ShardedDataset)
    sampler_seed=dict(type='DataStateHook'),
    # eossl reliability hooks live here, not in custom_hooks: a recipe's own custom_hooks list
    # replaces the base list, while this dict merges. Both are free per iteration (the
    # non-finite check reads the floats the RuntimeInfoHook already synced for logging).
    non_finite_loss=dict(type='NonFiniteLossHook'),
    checkpoint_layout=dict(type='CheckpointLayoutHook'),
    # each backbone's input channels vs the data's bands, named, at the first forward
    band_check=dict(type='BandCheckHook'),
    # each neck / head layer's input width vs what it was built for, with the in_channels
    # field to change, at the first forward
    width_check=dict(type='WidthCheckHook'),
    # the encoder's bands and normalization (recipe or dataset statistics) in every checkpoint
    input_contract=dict(type='InputContractHook'),
    # a progress bar over each epoch's iterations, when stderr is a terminal
    progress=dict(type='EpochProgressHook'),
    # embedding std, RankMe, positive/negative similarity gap, PerA teacher entropy and KL,
    # logged every 50 iterations; warns when a run looks collapsed (after 1000 iterations)
    representation_monitor=dict(type='RepresentationMonitorHook', interval=50, action='warn'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no CUDA device is present
    dist_cfg=dict(backend='nccl'),
)

log_processor = dict(window_size=10)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# diff_rank_seed: every rank seeds with seed + rank (as the official FCMAE and DINOv2 code), so
# masks, crops and drop-path subsets differ between ranks; the sampler's shuffle seed stays shared
randomness = dict(seed=0, diff_rank_seed=True, deterministic=False)
