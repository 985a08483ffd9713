"""SoftCon checkpoints ↔ eossl: same outputs after loading, lossless round trips, clear errors."""
import math
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
import torchvision

from eossl.checkpoints import eossl_to_softcon, softcon_to_eossl
from eossl.models.backbones import EOResNet, EOVisionTransformer

DIM, DEPTH, HEADS, PATCH, GRID, BANDS = 24, 2, 3, 14, 2, 2


def official_vit_state(chunked: bool = False) -> OrderedDict:
    """Random weights under DINOv2 / SoftCon key names and shapes (tiny ViT, 2 bands)."""
    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=gen) * 0.2

    state = OrderedDict(cls_token=rand(1, 1, DIM), pos_embed=rand(1, 1 + GRID * GRID, DIM),
                        mask_token=rand(1, DIM))
    state['patch_embed.proj.weight'] = rand(DIM, BANDS, PATCH, PATCH)
    state['patch_embed.proj.bias'] = rand(DIM)
    for i in range(DEPTH):
        block = f'blocks.0.{i}.' if chunked else f'blocks.{i}.'
        for norm in ('norm1', 'norm2'):
            state[f'{block}{norm}.weight'], state[f'{block}{norm}.bias'] = 1 + rand(DIM), rand(DIM)
        for name, (out, inp) in {'attn.qkv': (3 * DIM, DIM), 'attn.proj': (DIM, DIM),
                                 'mlp.fc1': (4 * DIM, DIM), 'mlp.fc2': (DIM, 4 * DIM)}.items():
            state[f'{block}{name}.weight'], state[f'{block}{name}.bias'] = rand(out, inp), rand(out)
        state[block + 'ls1.gamma'], state[block + 'ls2.gamma'] = rand(DIM), rand(DIM)
    state['norm.weight'], state['norm.bias'] = 1 + rand(DIM), rand(DIM)
    return state


def reference_cls(state: dict, x: torch.Tensor) -> torch.Tensor:
    """DINOv2's forward written from the raw weights: final-normed CLS token (B, D)."""
    tokens = F.conv2d(x, state['patch_embed.proj.weight'], state['patch_embed.proj.bias'],
                      stride=PATCH).flatten(2).transpose(1, 2)
    tokens = torch.cat([state['cls_token'].expand(x.shape[0], -1, -1), tokens], 1)
    tokens = tokens + state['pos_embed']
    b, n, _ = tokens.shape
    for i in range(DEPTH):
        p = {k[len(f'blocks.{i}.'):]: v for k, v in state.items() if k.startswith(f'blocks.{i}.')}
        h = F.layer_norm(tokens, (DIM,), p['norm1.weight'], p['norm1.bias'], eps=1e-6)
        q, k, v = F.linear(h, p['attn.qkv.weight'], p['attn.qkv.bias']).reshape(
            b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) / math.sqrt(DIM // HEADS)).softmax(-1)
        h = (attn @ v).transpose(1, 2).reshape(b, n, DIM)
        tokens = tokens + p['ls1.gamma'] * F.linear(h, p['attn.proj.weight'], p['attn.proj.bias'])
        h = F.layer_norm(tokens, (DIM,), p['norm2.weight'], p['norm2.bias'], eps=1e-6)
        h = F.linear(F.gelu(F.linear(h, p['mlp.fc1.weight'], p['mlp.fc1.bias'])),
                     p['mlp.fc2.weight'], p['mlp.fc2.bias'])
        tokens = tokens + p['ls2.gamma'] * h
    return F.layer_norm(tokens, (DIM,), state['norm.weight'], state['norm.bias'], eps=1e-6)[:, 0]


def eossl_vit() -> EOVisionTransformer:
    return EOVisionTransformer(dict(embed_dims=DIM, num_layers=DEPTH, num_heads=HEADS),
                               in_channels=BANDS, img_size=GRID * PATCH, patch_size=PATCH).eval()


@pytest.mark.parametrize('chunked', [False, True])
def test_vit_loads_and_matches_the_reference_forward(chunked):
    official = official_vit_state(chunked)
    vit = eossl_vit()
    vit.load_state_dict(softcon_to_eossl(official), strict=True)
    x = torch.randn(3, BANDS, GRID * PATCH, GRID * PATCH)
    with torch.no_grad():
        torch.testing.assert_close(vit(x)[0], reference_cls(official_vit_state(), x),
                                   atol=1e-5, rtol=1e-4)


def test_vit_round_trip_is_lossless():
    official = official_vit_state()
    training_checkpoint = {'state_dict': {**{'backbone.' + k: v for k, v in
                                             softcon_to_eossl(official).items()},
                                          'neck.fc0.weight': torch.zeros(4, DIM)}}
    back = eossl_to_softcon(training_checkpoint)
    assert list(back) == list(official)
    assert all(torch.equal(back[k], official[k]) for k in official)


def _randomized_resnet50(num_classes: int | None = None) -> torchvision.models.ResNet:
    """The official RN50: torchvision with a 13-band conv1 and, by default, no classifier."""
    model = torchvision.models.resnet50(num_classes=num_classes or 1000)
    model.conv1 = torch.nn.Conv2d(13, 64, 7, 2, 3, bias=False)
    if num_classes is None:
        model.fc = torch.nn.Identity()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if 'running' in name:
                buffer.copy_(torch.rand(buffer.shape, generator=gen) * 0.2
                             + (0.9 if 'var' in name else 0.0))
    return model.eval()


@pytest.mark.parametrize('num_classes', [None, 10])
def test_resnet50_loads_and_matches_torchvision(num_classes):
    official_model = _randomized_resnet50(num_classes)
    resnet = EOResNet(50, in_channels=13, out_indices=(3, ))
    resnet.load_state_dict(softcon_to_eossl(official_model.state_dict()), strict=True)
    resnet.eval()
    official_model.fc = torch.nn.Identity()
    x = torch.randn(2, 13, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(resnet(x)[-1].mean(dim=(2, 3)), official_model(x))

    exported = eossl_to_softcon({'backbone.' + k: v for k, v in resnet.state_dict().items()})
    fresh = _randomized_resnet50()
    fresh.fc = torch.nn.Identity()
    fresh.load_state_dict(exported, strict=True)  # what the official notebook does
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), official_model(x))


def test_unknown_keys_and_register_tokens_are_refused():
    state = official_vit_state()
    state['head.weight'] = torch.zeros(2, DIM)
    with pytest.raises(ValueError, match=r'outside the vit backbone layout: head\.weight'):
        softcon_to_eossl(state)
    with pytest.raises(ValueError, match='not a SoftCon/eossl backbone'):
        softcon_to_eossl({'encoder.weight': torch.zeros(1)})
    registers = dict(official_vit_state(), register_tokens=torch.zeros(1, 4, DIM))
    with pytest.raises(ValueError, match='register tokens'):
        eossl_to_softcon(registers)


def test_command_line_tools_round_trip(repo_root, tmp_path):
    official = official_vit_state()
    src = tmp_path / 'B2_tiny_softcon.pth'
    torch.save(official, src)
    subprocess.run([sys.executable, '-m', 'eossl.cli.softcon_to_eossl', str(src),
                    str(tmp_path / 'eossl.pth'), '--prefix', 'backbone.'], check=True,
                   capture_output=True, text=True)
    converted = torch.load(tmp_path / 'eossl.pth', weights_only=True)
    assert converted['meta']['arch'] == 'vit' and converted['meta']['in_channels'] == BANDS
    assert set(converted['state_dict']) == {'backbone.' + k for k in official}
    run = subprocess.run([sys.executable, '-m', 'eossl.cli.eossl_to_softcon',
                          str(tmp_path / 'eossl.pth'), str(tmp_path / 'back.pth')], check=True,
                         capture_output=True, text=True)
    assert 'vit backbone' in run.stdout
    back = torch.load(tmp_path / 'back.pth', weights_only=True)
    assert list(back) == list(official) and all(torch.equal(back[k], official[k]) for k in back)
