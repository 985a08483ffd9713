"""EOVisionTransformer: dense shapes, position-embedding interpolation, real sparsity."""
import pytest
import torch

from eossl.models.backbones import EOVisionTransformer

TINY = dict(embed_dims=32, num_layers=4, num_heads=4)


def tiny_vit(**kwargs) -> EOVisionTransformer:
    cfg = dict(arch=TINY, in_channels=5, img_size=32, patch_size=8)
    cfg.update(kwargs)
    return EOVisionTransformer(**cfg).eval()


@pytest.mark.parametrize('out_type,shape', [('cls_token', (2, 32)), ('avg_featmap', (2, 32)),
                                            ('featmap', (2, 32, 4, 4)), ('raw', (2, 19, 32))])
def test_dense_output_shapes(out_type, shape):
    vit = tiny_vit(out_type=out_type, num_register_tokens=2, out_indices=(1, -1))
    outs = vit(torch.randn(2, 5, 32, 32))
    assert len(outs) == 2 and all(o.shape == shape for o in outs)


def test_dinov2_key_names_and_presets():
    keys = set(tiny_vit(num_register_tokens=1).state_dict())
    for key in ('cls_token', 'pos_embed', 'mask_token', 'register_tokens',
                'patch_embed.proj.weight', 'blocks.3.norm1.weight', 'blocks.3.attn.qkv.weight',
                'blocks.3.attn.proj.bias',
                'blocks.3.ls1.gamma', 'blocks.3.norm2.bias', 'blocks.3.mlp.fc1.weight',
                'blocks.3.mlp.fc2.weight', 'blocks.3.ls2.gamma', 'norm.weight'):
        assert key in keys
    assert not any('ls1' in k for k in tiny_vit(layer_scale_init_value=None).state_dict())
    custom = EOVisionTransformer(dict(TINY, mlp_ratio=2.0), in_channels=1, img_size=32,
                                 patch_size=8)
    assert custom.blocks[0].mlp.fc1.out_features == 64
    small = EOVisionTransformer('small', bands=('B2', 'B3'), img_size=224, patch_size=14)
    assert small.pos_embed.shape == (1, 257, 384) and small.in_channels == 2
    assert torch.allclose(small.blocks[0].ls1.gamma, torch.full((384,), 1e-5))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='in_channels=3 but 2 bands'):
        tiny_vit(in_channels=3, bands=('VV', 'VH'))
    with pytest.raises(ValueError, match='not divisible by patch size'):
        tiny_vit()(torch.randn(1, 5, 30, 32))
    with pytest.raises(ValueError, match=r'expected input \(B, 5, H, W\)'):
        tiny_vit()(torch.randn(1, 4, 32, 32))


def test_pos_embed_interpolation_to_other_sizes():
    vit = tiny_vit()
    assert torch.equal(vit.patch_pos_embed((4, 4)), vit.pos_embed[:, 1:])
    pos = vit.patch_pos_embed((6, 2))
    assert pos.shape == (1, 12, 32)
    # a constant grid stays constant under interpolation: values come from the stored grid
    with torch.no_grad():
        vit.pos_embed[:, 1:] = 0.5
    assert torch.allclose(vit.patch_pos_embed((8, 8)), torch.full((1, 64, 32), 0.5))
    assert vit(torch.randn(1, 5, 48, 16))[0].shape == (1, 32)


def test_sparse_encoder_runs_on_visible_tokens_only():
    vit = tiny_vit(num_register_tokens=1)
    lengths = []
    vit.blocks[0].register_forward_pre_hook(lambda m, args: lengths.append(args[0].shape[1]))
    x = torch.randn(3, 5, 32, 32)
    keep = torch.stack([torch.randperm(16)[:3] for _ in range(3)])
    out = vit.encode(vit.select_tokens(vit.embed(x), keep))
    assert lengths == [1 + 1 + 3]  # CLS + register + visible count, not 1 + 1 + 16
    assert out.shape == (3, 5, 32)


def test_position_embedding_is_added_before_selection():
    vit = tiny_vit()
    x = torch.randn(2, 5, 32, 32)
    tokens = vit.embed(x)
    keep = torch.tensor([[5, 0], [15, 7]])
    picked = vit.select_tokens(tokens, keep)
    expected = vit.patch_embed(x) + vit.pos_embed[:, 1:]
    assert torch.allclose(picked[0, 1:], expected[0, [5, 0]])
    assert torch.allclose(picked[1, 1:], expected[1, [15, 7]])
    assert torch.allclose(picked[:, 0], (vit.cls_token + vit.pos_embed[:, :1])[:, 0].expand(2, -1))


def test_keeping_all_tokens_equals_dense_forward():
    vit = tiny_vit(out_type='raw', num_register_tokens=2)
    x = torch.randn(2, 5, 32, 32)
    keep = torch.arange(16).expand(2, -1)
    assert torch.allclose(vit.encode(vit.select_tokens(vit.embed(x), keep)), vit(x)[0], atol=1e-5)


def test_mask_tokens_join_at_insert_block():
    vit = tiny_vit()
    lengths = [[] for _ in vit.blocks]
    for i, block in enumerate(vit.blocks):
        block.register_forward_pre_hook(lambda m, args, i=i: lengths[i].append(args[0].shape[1]))
    x = torch.randn(2, 5, 32, 32)
    keep, hidden = torch.tensor([[0, 1, 2], [3, 4, 5]]), torch.tensor([[9, 10], [11, 12]])
    extra = vit.mask_tokens(hidden, (4, 4))
    expected = vit.mask_token + vit.pos_embed[0, 1:][hidden]
    assert torch.allclose(extra, expected)
    out = vit.encode(vit.select_tokens(vit.embed(x), keep), extra, insert_at=2)
    assert [length[0] for length in lengths] == [4, 4, 6, 6] and out.shape == (2, 6, 32)
    with pytest.raises(ValueError, match='insert_at'):
        vit.encode(vit.embed(x), extra, insert_at=4)


def test_drop_path_schedules():
    ramp = tiny_vit(drop_path_rate=0.3)
    uniform = tiny_vit(drop_path_rate=0.3, drop_path_uniform=True)
    assert [b.drop_path.p for b in ramp.blocks] == pytest.approx([0, 0.1, 0.2, 0.3])
    assert [b.drop_path.p for b in uniform.blocks] == pytest.approx([0.3] * 4)
