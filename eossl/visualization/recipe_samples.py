"""A recipe's model and a few of its training samples, for the figure commands."""
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict

from eossl.registry import DATASETS, MODELS


def recipe_model(cfg: Config, checkpoint: str | None) -> torch.nn.Module:
    """``cfg.model`` in eval mode with ``checkpoint`` loaded strictly (None: random weights).

    A figure of a model that does not match its checkpoint would show an untrained network
    without a word, so every key and shape must match.

    Raises:
        ValueError: naming the checkpoint, the recipe and the first differing keys.
    """
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        mismatch = state_mismatch(model.state_dict(), state)
        if mismatch:
            raise ValueError(f'{checkpoint} does not match the model of {cfg.filename} (a '
                             f'checkpoint of another recipe or of other overrides?): {mismatch}')
        load_state_dict(model, state, strict=True)
        print(f'loaded {len(state)} tensors of {checkpoint}')
    return model.eval()


def state_mismatch(expected: dict, found: dict, show: int = 3) -> str:
    """What differs between a model's ``state_dict()`` and a checkpoint's: missing and
    unexpected keys and shape mismatches, counted, the first ``show`` of each named; '' when
    they match."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    shapes = [f'{k} {tuple(found[k].shape)} in the checkpoint, {tuple(v.shape)} in the model'
              for k, v in expected.items()
              if k in found and hasattr(found[k], 'shape') and found[k].shape != v.shape]
    parts = [f'{len(items)} {what} ({"; ".join(items[:show])}{", ..." * (len(items) > show)})'
             for what, items in (('missing keys', missing), ('unexpected keys', unexpected),
                                 ('shape mismatches', shapes)) if items]
    return ', '.join(parts)


def recipe_samples(cfg: Config, index: int, num: int, seed: int) -> list[dict]:
    """Samples ``index .. index + num - 1`` (fewer at the end) of the recipe's training dataset
    through its pipeline, seeded so that random crops and masks repeat; not collated."""
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    count = min(num, len(dataset) - index)
    if count < 1:
        raise ValueError(f'--index {index} is past the {len(dataset)} samples of the dataset')
    np.random.seed(seed)
    torch.manual_seed(seed)
    return [dataset[index + i] for i in range(count)]
