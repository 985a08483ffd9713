"""Write the encoder's input contract into every checkpoint the run saves."""
import logging

from mmengine.hooks import Hook
from mmengine.logging import print_log

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
        """Build the contract. A recipe it cannot describe (e.g. an out-of-tree method without
        a ``backbone`` field) trains on, with a warning naming what is missing: its
        checkpoints are then applied with their recipe, as before contracts."""
        from eossl.apis.contract import ContractError
        from eossl.apis.contract_builder import contract_from_config
        from eossl.apis.model import task_of
        if task_of(runner.cfg) != 'embedding':
            return
        dataset = runner.train_dataloader.dataset
        stats = getattr(dataset, 'band_stats', None)
        root = getattr(dataset, 'data_root', '')
        try:
            self.contract = contract_from_config(
                runner.cfg, unwrap(runner.model).data_preprocessor, stats or None,
                stats_file=f'{root}/*_band_stats.json' if stats else '_band_stats.json'
            ).to_dict()
        except (ContractError, KeyError, ValueError) as err:
            print_log(f'InputContractHook: the checkpoints will carry no input contract: {err}',
                      logger='current', level=logging.WARNING)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add the contract to the checkpoint's ``meta``."""
        if self.contract is not None:
            checkpoint.setdefault('meta', {})['input_contract'] = self.contract
