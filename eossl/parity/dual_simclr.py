"""Dual-SimCLR reference from ``HSG-AIML/SSLTransformerRS``: the NT-Xent of S1/S2 embeddings."""
import importlib
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from .official import arrays

OFFICIAL_REPO = 'HSG-AIML/SSLTransformerRS'
CHECKOUT_OPTION = 'ssltrs'  # eossl-parity-references --ssltrs PATH

B, D, TEMPERATURE = 6, 8, 0.07  # the official train_resnet_backbone.py temperature


def references(root: Path) -> dict:
    """``info_nce_loss`` of ``[z1; z2]`` then cross-entropy, as ``SimCLRDoubleBackbone.train``."""
    sys.path.insert(0, str(root))
    module = importlib.import_module('simclr_double_backbone')
    simclr = module.SimCLRDoubleBackbone.__new__(module.SimCLRDoubleBackbone)
    simclr.args = SimpleNamespace(batch_size=B, n_views=2, device='cpu', temperature=TEMPERATURE)
    torch.manual_seed(8)
    z1, z2 = torch.randn(B, D, requires_grad=True), torch.randn(B, D, requires_grad=True)
    logits, labels = simclr.info_nce_loss(torch.cat([z1, z2]))
    loss = F.cross_entropy(logits, labels)  # the official criterion, CrossEntropyLoss()
    loss.backward()
    return arrays(z1=z1, z2=z2, loss=loss, grad_z1=z1.grad, grad_z2=z2.grad,
                  temperature=TEMPERATURE)
