"""mmengine's optimizer constructor with the per-parameter groups merged by hyper-parameters."""
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from eossl.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MergedGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` whose ``paramwise_cfg`` groups share hyper-parameters.

    With a ``paramwise_cfg`` mmengine makes one parameter group per parameter (190 for MP-MAE's
    ConvNeXt V2 atto), so multi-tensor (``foreach``) and fused optimizer kernels, which run once
    per group, degenerate into one launch per tensor. This constructor applies exactly the same
    rules, then merges the groups whose options (``lr``, ``weight_decay``, ``decay_mult``-derived
    values, ...) are all equal into one group, in order of first appearance; parameters keep
    their order within a group. Every parameter gets the same ``lr`` / ``weight_decay`` as with
    the default constructor, and since Adam(W)/SGD update each tensor from its own state and its
    group's options, the updates are the same. Param schedulers scale every group alike, so the
    merged groups stay equal. (Optimizer state dicts list groups: a checkpoint written with the
    default constructor does not load into a merged optimizer, and vice versa.)

    Without a ``paramwise_cfg`` it is the default constructor (one group already).

    Config: ``optim_wrapper = dict(..., constructor='eossl.MergedGroupsOptimWrapperConstructor')``.
    """

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: int | float | None = None) -> None:
        """mmengine's groups of ``module`` appended to ``params``, merged at the top call."""
        if prefix:  # a recursive call of the default rules on a child module
            return super().add_params(params, module, prefix, is_dcn_module)
        per_param: list[dict] = []
        super().add_params(per_param, module, prefix, is_dcn_module)
        params.extend(merge_groups(per_param))


def merge_groups(groups: list[dict]) -> list[dict]:
    """Groups with equal options (every key but ``params``) merged, in first-appearance order."""
    merged: dict[tuple, dict] = {}
    for group in groups:
        options = {k: v for k, v in group.items() if k != 'params'}
        key = tuple(sorted((k, _hashable(v)) for k, v in options.items()))
        if key in merged:
            merged[key]['params'].extend(group['params'])
        else:
            merged[key] = {'params': list(group['params']), **options}
    return list(merged.values())


def _hashable(value):
    """Group options as dict keys (betas come as lists from configs)."""
    return tuple(value) if isinstance(value, list) else value
