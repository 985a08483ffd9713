"""The contrastive steps never make the host wait for the device (counted on CPU tensors by
``HostSyncCounter``, which sees the same ops a GPU would have to sync for)."""
import torch
from mmpretrain.structures import DataSample

from eossl.engine.host_syncs import HostSyncCounter
from eossl.models.losses import SoftContrastiveLoss
from eossl.models.utils import all_gather_with_grad
from eossl.registry import MODELS
from tests.gloo import run_on_ranks


def test_counter_sees_item_boolean_index_and_nonzero():
    x = torch.randn(6)
    with HostSyncCounter() as syncs:
        float(x.sum()), x[x > 0], (x > 0).nonzero(), torch.where(x > 0, x, 0).sum()
    assert syncs.ops == {'_local_scalar_dense': 1, 'boolean index': 1, 'nonzero': 1}


def test_softcon_labels_and_loss_without_host_syncs():
    softcon = MODELS.build(dict(
        type='SoftCon', num_classes=5,
        backbone=dict(type='EOResNet', depth=18, in_channels=3),
        neck=dict(type='mmpretrain.NonLinearNeck', in_channels=512, hid_channels=16,
                  out_channels=8, with_avg_pool=False),
        head=dict(type='SoftContrastiveHead', loss=dict(type='SoftContrastiveLoss'))))
    samples = [DataSample().set_gt_label([0, 3]), DataSample(), DataSample().set_gt_label([4])]
    z1, z2 = torch.randn(3, 8), torch.randn(3, 8)
    with HostSyncCounter() as syncs:
        labels = softcon.multi_hot(samples, 3, torch.device('cpu'))
        for unlabeled in ('infonce', 'ignore'):
            SoftContrastiveLoss(unlabeled=unlabeled)(z1, z2, labels)
    assert syncs.total == 0, syncs.ops
    assert labels.tolist() == [[1, 0, 0, 1, 0], [0] * 5, [0, 0, 0, 0, 1]]


def _gather(rank: int, world: int) -> None:
    x = torch.full((2, 3), float(rank), requires_grad=True)
    with HostSyncCounter() as syncs:
        gathered = all_gather_with_grad(x)
    assert syncs.total == 0, syncs.ops
    assert gathered[:, 0].tolist() == [0.0, 0.0, 1.0, 1.0]


def test_all_gather_checks_batch_sizes_without_host_syncs():
    run_on_ranks(_gather, 2)
