"""The input contract of a checkpoint: what its encoder(s) expect of raw input pixels.

Every training checkpoint carries one under ``checkpoint['meta']['input_contract']``
(:class:`~eossl.engine.hooks.InputContractHook`), so an encoder applies to a scene, a probe or a
benchmark without its training dataset, even when the normalization came from the dataset's
own statistics file (MMEarth's ``_band_stats.json``) rather than the recipe. The stored dict::

    {'version': 1, 'method': 'MPMAE',
     'encoders': {NAME: {            # 'backbone', or 's1' / 's2' for Dual-SimCLR
         'backbone_key': 'backbone', # the model field the encoder was built from
         'backbone': {...},          # its config, as trained (presets and overrides applied)
         'bands': ['B1', ...],       # model order
         'value_transforms': [...],  # per-image rules before mean/std (ClipValues, PerSampleMax…)
         'mean': [...], 'std': [...],# z-score after them (identity: 0 / 1)
         'product_stats': {'l1c': {'mean', 'std'}, 'l2a': {...}},  # MMEarth: per S2 product
         'stats_source': 'recipe (ssl4eo_s12:s2_l1c)' | '<file>_band_stats.json',
         'nodata': 'NaN → 0 after normalization (the band mean)',
         'input_size': 56, 'patch_size': 8}}}

Read with :func:`read_contract` (``None`` for a checkpoint from before contracts) and
:meth:`InputContract.from_dict`; an older checkpoint gets its contract from
:func:`~eossl.apis.contract_builder.contract_from_config` with ``--stats FILE``.
"""
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from eossl.datasets.bands import normalize_band_name

CONTRACT_KEY = 'input_contract'
VERSION = 1
NODATA_RULE = 'NaN → 0 after normalization (the band mean)'
# MMEarth (MP-MAE) normalizes S2 with the statistics of each sample's product; a scene with the
# cirrus band B10 is L1C, one without it L2A (L2A products drop B10)
PRODUCT_BAND = ('B10', 'l1c', 'l2a')


class ContractError(ValueError):
    """A checkpoint's contract (or its absence) does not let the input be prepared."""


@dataclass
class EncoderContract:
    """What one encoder of a checkpoint expects; see the module docstring for each field."""

    backbone_key: str
    backbone: dict
    bands: list[str]
    mean: list[float]
    std: list[float]
    value_transforms: list[dict] = field(default_factory=list)
    product_stats: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    stats_source: str = 'recipe'
    nodata: str = NODATA_RULE
    input_size: int | None = None
    patch_size: int | None = None

    def stats_for(self, names: Sequence[str] | None) -> tuple[list[float], list[float], str]:
        """``(mean, std, product)`` for data with band ``names``: the product's statistics
        when the contract has several (``''`` when it has one set)."""
        if not self.product_stats:
            return self.mean, self.std, ''
        band, with_it, without = PRODUCT_BAND
        given = {normalize_band_name(n) for n in names or ()}
        product = with_it if names is None or band in given else without
        if product not in self.product_stats:
            product = next(iter(self.product_stats))
        stats = self.product_stats[product]
        return stats['mean'], stats['std'], product


@dataclass
class InputContract:
    """A checkpoint's encoders and what each expects."""

    method: str
    encoders: dict[str, EncoderContract]
    version: int = VERSION

    def to_dict(self) -> dict:
        """A JSON-able dict (what the checkpoint stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping, where: str = 'checkpoint') -> 'InputContract':
        """Parse a stored contract (a newer version or a missing field: :class:`ContractError`)."""
        if int(data.get('version', 0)) > VERSION:
            raise ContractError(f'{where}: input contract version {data.get("version")} is newer '
                                f'than this eossl reads ({VERSION}); upgrade eossl')
        try:
            encoders = {name: EncoderContract(**dict(enc))
                        for name, enc in dict(data['encoders']).items()}
            return cls(method=str(data['method']), encoders=encoders)
        except (KeyError, TypeError) as err:
            raise ContractError(f'{where}: malformed input contract ({err})') from err

    def choose(self, name: str | None, band_names: Sequence[str] | None,
               where: str) -> str:
        """The encoder to use: ``name`` when given, the only one, or the one whose bands all
        appear among ``band_names`` (Dual-SimCLR: an S1 or an S2 scene)."""
        names = list(self.encoders)
        if name is not None:
            if name not in self.encoders:
                raise ContractError(f'{where}: modality {name!r} is not an encoder of this '
                                    f'checkpoint; it has {names}')
            return name
        if len(names) == 1:
            return names[0]
        shown = 'the data has no band names'
        if band_names is not None:
            given = {normalize_band_name(b) for b in band_names}
            fits = [n for n in names if set(self.encoders[n].bands) <= given]
            if len(fits) == 1:
                return fits[0]
            shown = f'the data\'s bands {list(band_names)} fit {len(fits)} of them'
        raise ContractError(f'{where}: the checkpoint has encoders {names} and {shown}: pass '
                            f'--modality ({"/".join(names)})')


def read_contract(checkpoint: str | Path | Mapping) -> InputContract | None:
    """The contract of a checkpoint (a path or a loaded dict); ``None`` when it has none."""
    if isinstance(checkpoint, Mapping):
        ckpt, where = checkpoint, 'checkpoint'
    else:
        from mmengine.runner.checkpoint import CheckpointLoader
        ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
        where = str(checkpoint)
    meta = ckpt.get('meta') if isinstance(ckpt, Mapping) else None
    data = (meta or {}).get(CONTRACT_KEY)
    return None if data is None else InputContract.from_dict(data, where)


def single_backbone_contract(contract: InputContract,
                             modality: str | None) -> InputContract | None:
    """The contract of a backbone file holding one encoder under ``backbone.*`` (what
    ``eossl-extract-backbone`` writes for one backbone, or ``--modality s1|s2``); None when the
    file holds two (Dual-SimCLR ``both``)."""
    if len(contract.encoders) == 1:
        name = next(iter(contract.encoders))
    elif modality in contract.encoders:
        name = modality
    else:
        return None
    encoder = replace(contract.encoders[name], backbone_key='backbone')
    return InputContract(contract.method, {name: encoder})
