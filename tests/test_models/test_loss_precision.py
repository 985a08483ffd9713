"""Under bf16 autocast the losses, temperatures and PerA's centre stay fp32 (as the official
code keeps them): the loss of given embeddings equals its fp32 value."""
import torch

from eossl.models.heads import BottleneckProjector
from eossl.models.losses import (
    CenteredCrossEntropyLoss,
    CrossModalNTXentLoss,
    KoLeoLoss,
    SoftContrastiveLoss,
)

BF16 = dict(device_type='cpu', dtype=torch.bfloat16)


def _both(fn, *inputs):
    """``fn(*inputs)`` without and with bf16 autocast."""
    with torch.autocast(**BF16):
        mixed = fn(*inputs)
    return fn(*inputs), mixed


def test_contrastive_losses_at_low_temperature_are_fp32_under_autocast():
    torch.manual_seed(0)
    z1, z2 = torch.randn(64, 128), torch.randn(64, 128)
    labels = (torch.rand(64, 19) < 0.2).float()
    for loss, inputs in ((CrossModalNTXentLoss(temperature=0.07), (z1, z2)),  # Dual-SimCLR
                         (SoftContrastiveLoss(temperature=0.2), (z1, z2, labels)),
                         (KoLeoLoss(), (z1,))):
        fp32, mixed = _both(loss, *inputs)
        assert mixed.dtype == torch.float32
        torch.testing.assert_close(mixed, fp32, rtol=1e-6, atol=1e-6)


def test_pera_teacher_at_004_over_65536_prototypes_is_centred_and_sharpened_in_fp32():
    torch.manual_seed(0)
    # what the head hands the loss under autocast: bf16 cosine logits of 65 536 prototypes
    student = [torch.rand(8, 65536).mul(2).sub(1).bfloat16() for _ in range(2)]
    teacher = [torch.rand(8, 65536).mul(2).sub(1).bfloat16() for _ in range(2)]
    reference, centered = CenteredCrossEntropyLoss(65536), CenteredCrossEntropyLoss(65536)
    expected = reference([s.float() for s in student], [t.float() for t in teacher], 0.04)
    with torch.autocast(**BF16):
        loss = centered(student, teacher, 0.04)
    assert loss.dtype == centered.center.dtype == torch.float32
    torch.testing.assert_close(loss, expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(centered.center, reference.center, rtol=0, atol=0)


def test_fp32_prototypes_option_removes_the_bf16_rounding_of_the_logits():
    torch.manual_seed(0)
    x = torch.randn(16, 64)
    errors = {}
    for fp32 in (False, True):
        torch.manual_seed(1)
        head = BottleneckProjector(64, 65536, 128, 32, fp32_prototypes=fp32)
        with torch.no_grad():
            reference, mixed = _both(head, x)
        assert mixed.dtype == (torch.float32 if fp32 else torch.bfloat16)
        # the teacher's sharpened distribution at τ = 0.04, L1 distance per row
        errors[fp32] = (torch.softmax(mixed.float() / 0.04, -1) -
                        torch.softmax(reference / 0.04, -1)).abs().sum(-1).mean().item()
    assert errors[True] < 0.7 * errors[False], errors  # the rest: the bf16 MLP before it
