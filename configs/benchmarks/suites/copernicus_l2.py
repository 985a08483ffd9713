# Copernicus-Bench level-2 under its own protocol (copernicus-l2): each task trained and tested
# by its recipe under configs/benchmarks/copernicus_l2/ through mmengine's Runner (frozen encoder;
# linear on the mean patch tokens / Feature2Pyramid + UPerHead + FCN auxiliary; 50 epochs), the
# encoder's architecture and weights substituted in. The published Copernicus-Bench rows
# (results/README.md) print beside eossl's at fraction 1 when no schedule field is shrunk.
# data_root holds the unzipped Copernicus-Bench folders (eossl-benchmark --data-root sets it).
# An encoder runs the tasks whose recipe reads its bands (an S2 encoder: the S2 tasks).
#   eossl-benchmark --encoder configs/benchmarks/encoders/softcon_vitb14_s2.py \
#       --weights B13_vitb14_softcon.pth --weights-format softcon \
#       --suite configs/benchmarks/suites/copernicus_l2.py --data-root data/copernicus_bench
default_scope = 'eossl'
data_root = 'data/copernicus_bench'
_recipe = 'copernicus_l2/softcon-vitb14_{}.py'
_metric = dict(eurosat='accuracy/top1', bigearthnet='multi-label/mAP', dfc2020='mIoU')
_folder = dict(eurosat='eurosat_{}', bigearthnet='bigearthnet_s1s2', dfc2020='dfc2020_s1s2')
_head = dict(eurosat='linear', bigearthnet='linear', dfc2020='upernet')

tasks = [dict(name=f'{name}-{sensor}', recipe=_recipe.format(f'{_head[name]}_{name}-{sensor}'),
              data_root=_folder[name].format(sensor), metric=_metric[name])
         for name in ('eurosat', 'bigearthnet', 'dfc2020') for sensor in ('s1', 's2')]
protocols = ['copernicus-l2']
fractions = [1.0]
seeds = [0, 1, 2]  # Copernicus-Bench: three runs, mean ± sd
floors = ['random']
# the protocol's schedule; eossl-benchmark --max-epochs or e.g. schedule=dict(max_epochs=1,
# batch_size=4, head_channels=16, num_workers=0) shrink it (recorded, marked not comparable)
schedule = dict()
