"""An mmseg segmentor (default scope 'mmseg') uses an eossl backbone reached as 'eossl.EOResNet'.

Proves that ``import eossl`` alone makes mmsegmentation importable on mmcv-lite (the compat layer)
and that eossl backbones plug into mmseg's ``EncoderDecoder`` by a prefixed type name.
"""
import torch
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope

import eossl  # noqa: F401  (installs the compat layer before mmseg is imported)


def _segmentor_cfg(num_classes: int) -> dict:
    """ResNet-18 on 13 S2 bands with an FCN head on the last stage (stride 32)."""
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 13, std=[1.0] * 13,
                               bgr_to_rgb=False, size_divisor=32),
        backbone=dict(type='eossl.EOResNet', depth=18, in_channels=13, out_indices=(0, 1, 2, 3)),
        decode_head=dict(type='FCNHead', in_channels=512, in_index=3, channels=32, num_convs=1,
                         num_classes=num_classes, norm_cfg=dict(type='BN'), align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True)),
        train_cfg=dict(), test_cfg=ConfigDict(mode='whole'))  # mmseg reads test_cfg.mode


def test_encoder_decoder_with_eossl_backbone_runs():
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS as MMSEG_MODELS
    from mmseg.structures import SegDataSample

    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MMSEG_MODELS.build(_segmentor_cfg(num_classes=5))
        assert type(model.backbone).__name__ == 'EOResNet'
        inputs = torch.rand(2, 13, 64, 64)

        logits = model(inputs, mode='tensor')
        assert logits.shape == (2, 5, 2, 2)

        samples = []
        for _ in range(2):
            sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                                 pad_shape=(64, 64)))
            sample.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 64, 64)))
            samples.append(sample)
        losses = model(inputs, samples, mode='loss')
        assert torch.isfinite(losses['decode.loss_ce'])
        losses['decode.loss_ce'].backward()
        assert model.backbone.conv1.weight.grad.abs().sum() > 0

        model.eval()
        with torch.no_grad():
            predictions = model(inputs, mode='predict')
        assert predictions[0].pred_sem_seg.data.shape == (1, 64, 64)
