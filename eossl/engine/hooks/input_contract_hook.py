"""Write the encoder's input contract into every checkpoint the run saves."""
from mmengine.hooks import Hook

from eossl.registry import HOOKS

from .schedule import unwrap


@HOOKS.register_module()
class InputContractHook(Hook):
    """Store :func:`~eossl.apis.contract_builder.contract_from_config` of the run under
    ``checkpoint['meta']['input_contract']`` (see :mod:`eossl.apis.contract`).

    Built once, before training, from the run's resolved config, the model's built data
    preprocessor and — when the train dataset normalizes with its own statistics file
    (MMEarth's ``_band_stats.json``) — that dataset's parsed statistics, so a checkpoint applies
    to new data without the dataset. Downstream (classifier / segmentor) runs carry none: their
    checkpoints are applied with their own recipe's preprocessor.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.contract: dict | None = None

    def before_train(self, runner) -> None:
        """Build the contract (errors name the recipe: a run that cannot describe its input
        would write checkpoints no inference path can use)."""
        from eossl.apis.contract_builder import contract_from_config, encoder_fields
        from eossl.apis.model import task_of
        if task_of(runner.cfg) != 'embedding':
            return
        encoder_fields(runner.cfg)
        dataset = runner.train_dataloader.dataset
        stats = getattr(dataset, 'band_stats', None)
        root = getattr(dataset, 'data_root', '')
        self.contract = contract_from_config(
            runner.cfg, unwrap(runner.model).data_preprocessor, stats or None,
            stats_file=f'{root}/*_band_stats.json' if stats else '_band_stats.json').to_dict()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add the contract to the checkpoint's ``meta``."""
        if self.contract is not None:
            checkpoint.setdefault('meta', {})['input_contract'] = self.contract
