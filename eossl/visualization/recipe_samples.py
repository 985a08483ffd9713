"""A recipe's model and a few of its training samples, for the figure commands."""
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from eossl.registry import DATASETS, MODELS


def recipe_model(cfg: Config, checkpoint: str | None) -> torch.nn.Module:
    """``cfg.model`` in eval mode with ``checkpoint`` loaded (None: random weights)."""
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.eval()


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
