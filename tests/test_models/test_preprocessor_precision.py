"""The data preprocessor prepares inputs in fp32 even inside a training step's bf16 autocast."""
import torch
from mmengine.dataset import pseudo_collate

from tests.test_models.test_batch_views import preprocessor, samples


def test_view_cutting_under_autocast_equals_fp32():
    pre = preprocessor()
    fp32 = pre(pseudo_collate(samples(True)), training=True)['inputs']
    # mmengine's train_step runs the preprocessor inside the optimizer wrapper's autocast
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = pre(pseudo_collate(samples(True)), training=True)['inputs']
    assert len(mixed) == len(fp32) == 10
    for ours, reference in zip(mixed, fp32):
        assert ours.dtype == torch.float32
        torch.testing.assert_close(ours, reference, rtol=0, atol=0)
