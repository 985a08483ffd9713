"""One named set of weights: what it is, where it comes from and what input it expects.

A :class:`WeightsEntry` carries the same input-contract fields that eossl writes into its
checkpoints' ``meta`` (``bands``, ``mean``, ``std``, ``input_size``, ``modality``), so a named
weight and an eossl checkpoint describe their input the same way.
"""
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# converters every entry may name; a method's own are declared by its official_<slug>.py
GENERIC_CONVERTERS = ('dinov2', 'eossl')


@dataclass(frozen=True)
class WeightsEntry:
    """A catalogue entry.

    Attributes:
        name: the catalogue name (``'softcon_vits14_s2'``).
        method: the pretraining method (``'SoftCon'``, ``'MP-MAE'``, ``'DINOv2'``, or the
            algorithm type of a registered eossl run).
        architecture: human-readable architecture (``'ViT-S/14'``).
        backbone: the eossl backbone config that loads the converted weights (``type`` plus
            constructor arguments, mmengine registry style).
        bands: band names in the order the first layer expects.
        modality: ``'s2_l1c'``, ``'s2_l2a'``, ``'s1_grd'`` or ``'rgb'``.
        input_size: the pretraining image side in pixels.
        mean, std: per-band normalisation statistics in raw units (``(x - mean) / std``); None
            when the source publishes none eossl can express (see ``note``).
        url: where the original file is published.
        hf_repo, hf_filename: the Hugging Face hub location, when the file is hosted there
            (``download=True`` fetches through ``huggingface_hub``).
        sha256: hex digest of the original file; None when the publisher gives none (then the
            download is checked by the hub's own transfer checks only, and that is logged).
        converter: how the original file becomes an eossl backbone state dict: one of
            ``GENERIC_CONVERTERS`` (``'eossl'``: already eossl, the backbone is extracted;
            ``'dinov2'``: DINOv2 / torchvision key names) or a method's (its
            ``official_<slug>.py`` ``CONVERTERS``).
        direct_download: ``url`` is the file itself (not on the hub): ``download=True`` fetches
            it with ``torch.hub.download_url_to_file``.
        path: registered eossl checkpoints: the local file.
        note: what a user must know (normalisation conventions, manual download).
    """

    name: str
    method: str
    architecture: str
    backbone: Mapping[str, Any]
    bands: tuple[str, ...]
    modality: str
    input_size: int
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    url: str | None
    sha256: str | None
    converter: str
    hf_repo: str | None = None
    hf_filename: str | None = None
    direct_download: bool = False
    path: str | None = None
    note: str = ''
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.converter:
            raise ValueError(f'weights {self.name!r}: no converter named')
        if (self.mean is None) != (self.std is None):
            raise ValueError(f'weights {self.name!r}: give both mean and std or neither')
        for stats, label in ((self.mean, 'mean'), (self.std, 'std')):
            if stats is not None and len(stats) != len(self.bands):
                raise ValueError(f'weights {self.name!r}: {len(stats)} {label} values for '
                                 f'{len(self.bands)} bands {list(self.bands)}')
        if self.sha256 is not None and (len(self.sha256) != 64
                                        or any(c not in '0123456789abcdef' for c in self.sha256)):
            raise ValueError(f'weights {self.name!r}: sha256 must be 64 lower-case hex digits, '
                             f'got {self.sha256!r}')

    @property
    def downloadable(self) -> bool:
        """Whether ``download=True`` can fetch the file."""
        return self.hf_repo is not None or (self.direct_download and self.url is not None)

    @property
    def in_channels(self) -> int:
        """Number of input bands."""
        return len(self.bands)

    def input_contract(self) -> dict[str, Any]:
        """The fields eossl checkpoints carry in ``meta``: bands, mean, std, input_size,
        modality."""
        return dict(bands=list(self.bands),
                    mean=None if self.mean is None else list(self.mean),
                    std=None if self.std is None else list(self.std),
                    input_size=self.input_size, modality=self.modality)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists)."""
        data = asdict(self)
        data['backbone'] = dict(self.backbone)
        data['extra'] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> 'WeightsEntry':
        """The inverse of :meth:`to_dict`; ``where`` names the file in errors."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f'{where}: unknown fields {unknown} in weights entry '
                             f'{data.get("name")!r}; expected some of {sorted(known)}')
        values = dict(data)
        values['bands'] = tuple(values['bands'])
        for key in ('mean', 'std'):
            if values.get(key) is not None:
                values[key] = tuple(float(v) for v in values[key])
        try:
            return cls(**values)
        except TypeError as err:
            raise ValueError(f'{where}: weights entry {data.get("name")!r}: {err}') from err
