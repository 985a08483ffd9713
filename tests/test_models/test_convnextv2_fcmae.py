"""ConvNeXtV2FCMAE: masked (sparse-equivalent) and dense behaviour."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import ConvNeXt

from eossl.models.backbones import ConvNeXtV2FCMAE, MaskedConvNeXtV2Block
from eossl.models.backbones.convnextv2_masked_block import pool_active

ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])


def _backbone(**kwargs) -> ConvNeXtV2FCMAE:
    torch.manual_seed(0)
    model = ConvNeXtV2FCMAE(**{**dict(arch=ARCH, in_channels=5, patch_size=16,
                                      out_indices=(0, 1, 2, 3), out_norm=False), **kwargs})
    model.init_weights()
    with torch.no_grad():  # GRN starts at zero (identity): make it act
        for name, param in model.named_parameters():
            if 'grn' in name or name.endswith('norm.weight'):
                param.normal_(0.3, 0.5)
    return model.eval()


def _random_mask(batch: int, grid: tuple[int, int], seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(batch, *grid, generator=gen) < 0.5
    mask[:, 0, 0], mask[:, -1, -1] = False, True  # at least one visible and one masked cell
    return mask


@pytest.mark.parametrize('stem_type', ['mmearth', 'convnextv2'])
@pytest.mark.parametrize('grn_stats', ['sample', 'batch'])
@pytest.mark.parametrize('drop_zero_pixels', [False, True])
def test_masked_pixels_never_reach_visible_outputs(stem_type, grn_stats, drop_zero_pixels):
    model = _backbone(stem_type=stem_type, grn_stats=grn_stats,
                      drop_zero_pixels=drop_zero_pixels)
    x = torch.randn(2, 5, 64, 32)
    mask = _random_mask(2, (4, 2))
    pixel_mask = mask.repeat_interleave(16, 1).repeat_interleave(16, 2).unsqueeze(1)
    perturbed = torch.where(pixel_mask, torch.randn_like(x) * 1e4, x)
    perturbed[:, :, -1, -1] = torch.nan  # a masked pixel (the last cell is masked)
    with torch.no_grad():
        outs, outs_perturbed = model(x, mask), model(perturbed, mask)
    assert outs[-1].shape == (2, 32, 4, 2)
    for out, out_perturbed in zip(outs, outs_perturbed):
        assert torch.equal(out, out_perturbed)
    coarse = mask.unsqueeze(1).expand_as(outs[-1])
    assert torch.all(outs[-1][coarse] == 0) and torch.any(outs[-1][~coarse] != 0)


def test_all_visible_mask_equals_dense_forward():
    model = _backbone()
    x = torch.randn(2, 5, 32, 32)
    with torch.no_grad():
        masked = model(x, torch.zeros(2, 2, 2, dtype=torch.bool))
        dense = model(x)
    for a, b in zip(masked, dense):
        assert torch.equal(a, b)


def test_dense_mode_equals_mmpretrain_convnext_v2():
    ours = _backbone(stem_type='convnextv2', out_norm=True)
    ref = ConvNeXt(arch=ARCH, in_channels=5, stem_patch_size=2, use_grn=True,
                   layer_scale_init_value=0., out_indices=(0, 1, 2, 3),
                   gap_before_final_norm=False)
    ref.eval()  # mmpretrain's ConvNeXt.train() returns None, so no chaining
    state = {}
    for key, value in ours.state_dict().items():
        if key.startswith('stem.'):
            key = 'downsample_layers.0.' + key[len('stem.'):]
        elif key.startswith('downsample_layers.'):
            i = int(key.split('.')[1])
            key = f'downsample_layers.{i + 1}.' + key.split('.', 2)[2]
        state[key] = value
    ref.load_state_dict(state)
    x = torch.randn(2, 5, 32, 32)
    with torch.no_grad():
        for a, b in zip(ours(x), ref(x)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def _sparse_block_reference(block: MaskedConvNeXtV2Block, x: torch.Tensor,
                            active: torch.Tensor, stats: str) -> torch.Tensor:
    """The block as MinkowskiEngine computes it: features only at active coordinates; the
    depthwise conv sums over active neighbours; GRN (MinkowskiGRN) over the feature matrix."""
    coords = active[:, 0].nonzero().tolist()  # (b, y, x) of active sites
    feats = torch.stack([x[b, :, i, j] for b, i, j in coords])  # (N, C)
    index = {tuple(c): n for n, c in enumerate(coords)}
    weight, bias = block.depthwise_conv.weight[:, 0], block.depthwise_conv.bias  # (C, 7, 7)
    conv = []
    for b, i, j in coords:
        total = bias.clone()
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                n = index.get((b, i + dy, j + dx))
                if n is not None:
                    total = total + weight[:, dy + 3, dx + 3] * feats[n]
        conv.append(total)
    h = F.layer_norm(torch.stack(conv), (x.shape[1],), block.norm.weight, block.norm.bias,
                     block.norm.eps)
    h = block.act(block.pointwise_conv1(h))
    rows = [torch.tensor([c[0] == b for c in coords]) for b in range(x.shape[0])]
    groups = rows if stats == 'sample' else [torch.ones(len(coords), dtype=torch.bool)]
    normed = torch.empty_like(h)
    for group in groups:
        gx = h[group].norm(dim=0, keepdim=True)
        nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
        normed[group] = block.grn.gamma * (h[group] * nx) + block.grn.beta + h[group]
    out = feats + block.pointwise_conv2(normed)
    dense = torch.zeros_like(x)
    for n, (b, i, j) in enumerate(coords):
        dense[b, :, i, j] = out[n]
    return dense


@pytest.mark.parametrize('stats', ['sample', 'batch'])
def test_block_equals_sparse_computation_at_active_sites(stats):
    torch.manual_seed(0)
    block = MaskedConvNeXtV2Block(4, grn_stats=stats).eval()
    with torch.no_grad():
        for param in block.parameters():
            param.normal_(0, 0.5)
    active = (torch.rand(2, 1, 6, 6) < 0.5).float()
    x = torch.randn(2, 4, 6, 6) * active
    with torch.no_grad():
        torch.testing.assert_close(block(x, active),
                                   _sparse_block_reference(block, x, active, stats))


def test_strided_active_map_is_any_active_fine_site():
    active = torch.zeros(1, 1, 4, 4)
    active[0, 0, 1, 0] = 1  # one fine site in the top-left 2x2 window
    assert pool_active(active, 2)[0, 0].tolist() == [[1., 0.], [0., 0.]]


def test_drop_zero_pixels_makes_all_zero_visible_pixels_inactive():
    model = _backbone(drop_zero_pixels=True)
    x = torch.randn(1, 5, 32, 32)
    x[0, :, 3, 4] = 0
    x[0, 0, 5, 5] = 0  # one zero band is not nodata
    active = model.input_active_map(x, torch.zeros(1, 2, 2, dtype=torch.bool))
    assert active[0, 0, 3, 4] == 0 and active[0, 0, 5, 5] == 1 and active.sum() == 32 * 32 - 1


def test_dense_outputs_gap_and_frozen_stages():
    model = ConvNeXtV2FCMAE(arch='atto', in_channels=12, patch_size=8, out_indices=(1, 3),
                            gap_before_final_norm=True, frozen_stages=2)
    outs = model(torch.randn(2, 12, 56, 56))
    assert [o.shape for o in outs] == [(2, 80), (2, 320)]
    assert not any(p.requires_grad for p in model.stages[1].parameters())
    assert not any(p.requires_grad for p in model.initial_conv.parameters())
    assert all(p.requires_grad for p in model.stages[2].parameters())


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='multiple of 8'):
        ConvNeXtV2FCMAE(patch_size=12)
    with pytest.raises(ValueError, match='stem_type'):
        ConvNeXtV2FCMAE(stem_type='other')
    model = ConvNeXtV2FCMAE(arch=ARCH, in_channels=5, patch_size=16)
    with pytest.raises(ValueError, match='mask must be'):
        model(torch.randn(1, 5, 32, 32), torch.zeros(1, 3, 3, dtype=torch.bool))
