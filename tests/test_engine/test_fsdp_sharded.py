"""FSDP on 2 CPU gloo ranks: gradient clipping by the norm over all shards, and the EMA teacher
update shard by shard (only the small root unit is gathered)."""
from types import SimpleNamespace

import torch
import torch.distributed as dist
from mmengine.logging import MessageHub
from mmengine.model.wrappers import MMFullyShardedDataParallel
from torch import nn

from eossl.engine.fsdp import transformer_block_wrap_policy
from eossl.engine.hooks import TeacherEMAHook
from eossl.engine.optim_wrapper import EOOptimWrapper
from eossl.models.backbones.vit_blocks import Block
from tests.gloo import run_on_ranks
from tests.test_models.test_pera import tiny_pera

CPU = torch.device('cpu')


def _shard(model: nn.Module) -> MMFullyShardedDataParallel:
    return MMFullyShardedDataParallel(model, auto_wrap_policy=transformer_block_wrap_policy,
                                      device_id=CPU, use_orig_params=True)


def _blocks() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), Block(8, 2, mlp_ratio=2.0), Block(8, 2, mlp_ratio=2.0),
                         nn.Linear(8, 3))


def _clip(rank: int, world: int) -> None:
    reference = _blocks()
    model = _shard(_blocks())
    torch.manual_seed(1 + rank)  # each rank its own batch
    x = torch.randn(4, 5, 6)
    inputs = [torch.empty_like(x) for _ in range(world)]
    dist.all_gather(inputs, x)
    # the gradient FSDP averages over ranks, computed on one unsharded replica
    for part in inputs:
        (reference(part).square().mean() / world).backward()
    expected = torch.nn.utils.clip_grad_norm_(reference.parameters(), float('inf'))

    optim = EOOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1),
                           clip_grad=dict(max_norm=0.01))
    with optim.optim_context(model):
        loss = model(x).square().mean()
    optim.update_params(loss)
    logged = MessageHub.get_current_instance().get_scalar('train/grad_norm').current()
    assert abs(logged - float(expected)) < 1e-5 * float(expected), (logged, float(expected))
    # every shard moved by lr · clipped gradient: the unsharded SGD step
    torch.nn.utils.clip_grad_norm_(reference.parameters(), 0.01)
    with torch.no_grad():
        for p in reference.parameters():
            p.sub_(0.1 * p.grad)
    with MMFullyShardedDataParallel.summon_full_params(model):
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert torch.allclose(p, q, atol=1e-6), name


def _ema(rank: int, world: int) -> None:
    torch.manual_seed(0)
    model = tiny_pera()
    with torch.no_grad():  # the student moved away from its teacher, as after a step
        for p in model.student_parts().parameters():
            p.add_(0.1 * torch.randn_like(p))
    student = dict(model.student_parts().named_parameters())
    expected = {name: 0.9 * p.detach() + 0.1 * student[name].detach()
                for name, p in model.teacher.module.named_parameters()}
    blocks = model.teacher.module.backbone.blocks
    block_numel = sum(p.numel() for p in blocks.parameters())
    fsdp = _shard(model)
    seen = []
    update = model.teacher.update

    def recording_update(source, momentum):
        seen.append(sum(p.numel() for p in blocks.parameters()))
        update(source, momentum)

    model.teacher.update = recording_update
    runner = SimpleNamespace(model=fsdp, iter=0, max_iters=10,
                             message_hub=MessageHub.get_instance('test_fsdp_ema'))
    TeacherEMAHook(momentum=0.9, end_momentum=0.9).after_train_iter(runner, 0)
    held = torch.tensor(seen)
    dist.all_reduce(held)  # the ranks' shards add up to the blocks once: nothing was gathered
    assert held.tolist() == [block_numel], 'teacher blocks were gathered for the update'
    with MMFullyShardedDataParallel.summon_full_params(fsdp):
        for name, p in model.teacher.module.named_parameters():
            name = name.replace('_fsdp_wrapped_module.', '')
            assert torch.allclose(p, expected[name], atol=1e-6), name


def test_fsdp_clip_uses_the_norm_over_all_shards():
    run_on_ranks(_clip, 2)


def test_fsdp_teacher_update_runs_shard_by_shard():
    run_on_ranks(_ema, 2)
