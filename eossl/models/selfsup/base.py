"""Base class of every eossl pretraining algorithm: what a method owns and declares."""
from abc import abstractmethod
from collections import OrderedDict
from typing import Any, ClassVar

import torch
from mmengine.config import Config
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from eossl.models.utils.band_routing import route_batch_bands

EOInputs = torch.Tensor | list[torch.Tensor] | dict[str, torch.Tensor | list[torch.Tensor]]


class BaseEOSelfSupervisor(BaseModel):
    """Wires backbone(s) → neck → head; a subclass implements ``extract_feat`` and ``loss``.

    Like mmpretrain's ``BaseSelfSupervisor`` it has only the ``tensor`` and ``loss`` modes, but
    its inputs may be one tensor ``(B, C, H, W)``, a list of views, or a dict of modalities
    (``{'s1': (B, 2, H, W), 's2': (B, 13, H, W)}``), and it logs every loss term averaged over
    all ranks so a distributed run's log equals a single-process run with the same global batch.

    Every ``loss`` step first checks the data fields of the data samples (what
    ``PackEOInputs(algorithm_keys=...)`` packed) against :meth:`consumed_fields`: a field the
    algorithm would not read (e.g. PerA's ``disjoint_masks`` handed to plain SoftCon, which would
    then silently train without them) is an error naming it. ``gt_label`` is exempt: datasets
    pack it whenever they have labels, and label-free methods may ignore it.

    Wavelength stems (``patch_embed='wavelength'``) receive the bands each batch names in its
    data samples' metainfo before every forward (:mod:`eossl.models.utils.band_routing`).

    A method owns its specifics and generic code only asks for them (``docs/adding_a_method.md``):
    :attr:`slug` and :attr:`own_files` (which files are the method's own), :meth:`consumed_fields`
    (what it reads from the data), :meth:`monitor_taps` / :meth:`monitor_values` (its health
    signals, read by ``RepresentationMonitorHook``), :meth:`cpu_overrides` (its recipes at CPU
    sizes, read by ``--preset cpu-tiny`` and the benchmarks) and :meth:`probe_features` (frozen
    features for the learning-signal probes). Nothing outside the method's own files names its
    class or reaches into its attributes.
    """

    #: data fields every algorithm may receive without reading them
    IMPLICIT_FIELDS = frozenset({'gt_label'})
    #: the method's short name (``'pera'``): its recipes are ``configs/<slug>/``, its docs page
    #: ``docs/methods/<slug>.md``, its parity generator ``eossl/parity/<slug>.py``, its benchmark
    #: spec ``benchmarks/methods/<slug>.py``; a file whose path has ``<slug>`` as a part delimited
    #: by ``/``, ``_``, ``-`` or ``.`` belongs to the method. Empty: not a shipped method (a base
    #: or a project's variant, which inherits nothing of this). Set in the class body only.
    slug: ClassVar[str] = ''
    #: repository-relative paths of this method's files whose names do not carry the slug (its
    #: loss, head and neck modules, e.g. ``'eossl/models/losses/koleo_loss.py'``)
    own_files: ClassVar[tuple[str, ...]] = ()

    def consumed_fields(self) -> set[str]:
        """Names of the DataSample data fields this algorithm reads (besides ``gt_label``)."""
        return set()

    def monitor_taps(self) -> dict[str, tuple[torch.nn.Module, str]]:
        """Modules whose tensors the health monitor keeps: ``{name: (module, 'input' | 'output')}``.

        ``RepresentationMonitorHook`` registers a forward hook on each and, in an observed
        iteration, keeps (detached) the first positional input or the output of the module's first
        call, as it is (a tensor, or a tuple / list of tensors), under ``name``; the kept values
        go to :meth:`monitor_values`. Default: none (the hook logs that it has nothing to watch).
        """
        return {}

    def monitor_values(self, seen: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Health monitors ``{name: scalar tensor}`` of one observed iteration.

        Args:
            seen: what the taps of :meth:`monitor_taps` kept in that iteration (a tap whose
                module did not run is missing: return ``{}`` then).

        Returns:
            scalars logged as ``train/<name>``; the hook checks the known names against its
            thresholds (``repr_std``, ``repr_rank``, ``repr_sim_gap``, ``teacher_entropy``,
            ``teacher_batch_entropy``; :mod:`eossl.models.utils.representation_stats` computes
            the generic ones).
        """
        return {}

    @classmethod
    def cpu_overrides(cls, cfg: Config, size: str, notes: list[str]) -> dict[str, Any]:
        """Recipe overrides that run ``cfg`` (a recipe of this method) on a CPU at ``size``.

        The one place that shrinks the method's recipes, read by ``--preset cpu-tiny``, the
        throughput benchmark and the learning-signal benchmark (:mod:`.cpu_sizes`):

        - ``'tiny'``: a run of seconds (``--preset cpu-tiny``, ``gpu_check --smoke``): tiny widths
          and images, any architecture;
        - ``'probe'``: the learning-signal benchmark: minutes on a CPU, still able to learn;
        - ``'bench'``: the throughput benchmark's CPU size: the recipe's architecture, smaller
          crops / prototype counts.

        Keys are dotted config paths keyed by field name; a segment ``[Type]`` stands for the one
        dict of that ``type`` under that point (searched depth-first through nested lists and
        dicts, e.g. ``'train_dataloader.dataset.pipeline.[DisjointMaskGenerator].patch_size'``),
        never a list position. Values derivable from the backbone (heads' ``in_channels``) are
        left out: the algorithm fills them from its backbone. Append a line to ``notes`` for
        each change beyond sizes (printed by the preset).

        Raises:
            NotImplementedError: the method has no CPU sizes (the default).
        """
        raise NotImplementedError(
            f'{cls.__name__}.cpu_overrides: the method declares no CPU sizes; implement the '
            'classmethod cpu_overrides(cfg, size, notes) (docs/adding_a_method.md)')

    def probe_features(self, inputs: EOInputs) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Frozen features of a batch for linear / kNN probes, per modality.

        Returns:
            ``{modality: (scene features (B, D), feature map (B, C, h, w))}``. Default: the last
            output of :meth:`extract_feat` as the map and its spatial mean as the scene feature,
            under ``'s2'`` (one-modality methods); a method with other features overrides it.
        """
        out = self.extract_feat(inputs)
        feat = out[-1] if isinstance(out, (tuple, list)) else out
        if not isinstance(feat, torch.Tensor) or feat.dim() != 4:
            raise NotImplementedError(
                f'{type(self).__name__}.probe_features: extract_feat gives no (B, C, h, w) map; '
                'override probe_features')
        return {'s2': (feat.mean((2, 3)), feat)}

    @staticmethod
    def from_backbone(cfg: dict, field: str, value: Any, where: str, source: str) -> dict:
        """``cfg`` with ``field`` filled from the backbone: a value one need not keep equal by hand.

        Args:
            cfg: a part's config (e.g. the head's), not modified.
            field: its key (``'in_channels'``).
            value: the backbone's value (``backbone.embed_dims``).
            where / source: the two config paths, for the error (``'model.head.in_channels'``,
                ``'model.backbone.embed_dims'``).

        Raises:
            ValueError: the recipe sets ``field`` to another value (``None`` or absent: filled).
        """
        given = cfg.get(field)
        if given is not None and given != value:
            raise ValueError(f'{where}={given!r} does not match {source}={value!r}; leave '
                             f'{where} out (it is filled from the backbone) or set both equal')
        return {**cfg, field: value}

    def check_fields(self, data_samples: list[DataSample] | None) -> None:
        """Raise if the data samples carry a data field this algorithm does not consume."""
        if not data_samples:
            return
        unused = set(data_samples[0].keys()) - self.consumed_fields() - self.IMPLICIT_FIELDS
        if unused:
            raise ValueError(
                f'{type(self).__name__}: the data samples carry {sorted(unused)}, which this '
                f'algorithm does not use (it reads {sorted(self.consumed_fields()) or "none"}); '
                'remove them from PackEOInputs(algorithm_keys=...) or pick the algorithm that '
                'consumes them')

    def forward(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
                mode: str = 'tensor'):
        """``tensor``: features from :meth:`extract_feat`; ``loss``: a dict of loss terms."""
        route_batch_bands(self, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            self.check_fields(data_samples)
            return self.loss(inputs, data_samples)
        raise RuntimeError(f'{type(self).__name__}.forward: invalid mode "{mode}", '
                           'expected "tensor" or "loss"')

    @abstractmethod
    def extract_feat(self, inputs: EOInputs):
        """Backbone features used downstream."""

    @abstractmethod
    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None) -> dict:
        """A dict of named loss terms (keys containing ``loss`` are summed for the update)."""

    def parse_losses(self, losses: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum the loss terms; log values are detached and averaged across ranks."""
        loss, log_vars = super().parse_losses(losses)
        if get_world_size() > 1:
            names = list(log_vars)
            stacked = torch.stack([log_vars[k].detach().float().reshape(()) for k in names])
            all_reduce(stacked, op='mean')
            log_vars = OrderedDict(zip(names, stacked.unbind()))
        return loss, log_vars
