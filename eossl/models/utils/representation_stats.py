"""Health statistics of embeddings, for the algorithms' :meth:`monitor_values`.

Every function takes detached tensors of one observed iteration and returns scalar tensors keyed
by the names ``RepresentationMonitorHook`` logs (``train/<name>``) and checks against its
thresholds.
"""
import math

import torch
import torch.nn.functional as F


def embedding_stats(z: torch.Tensor) -> dict[str, torch.Tensor]:
    """``repr_std`` and ``repr_rank`` of embeddings ``(N, D)`` (more dims are flattened).

    ``repr_std``: mean over dimensions of the per-dimension std over the batch of the
    L2-normalised embeddings, times √D (1 ≈ isotropic, 0 = every sample maps to one point);
    ``repr_rank``: RankMe (Garrido et al. 2023), ``exp(entropy(σ / Σσ))`` of the singular values
    (1 = one direction; at most min(N, D)).
    """
    z = F.normalize(z.float().flatten(1), dim=1)
    std = z.std(0).mean() * math.sqrt(z.shape[1]) if z.shape[0] > 1 else z.new_zeros(())
    sigma = torch.linalg.svdvals(z)
    p = sigma / sigma.sum().clamp_min(1e-12) + 1e-12
    return dict(repr_std=std, repr_rank=torch.exp(-(p * p.log()).sum()))


def pair_stats(z1: torch.Tensor, z2: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean cosine similarity of positives (row i of both) and negatives (i ≠ j) of ``(B, D)``
    embeddings of two views / modalities: ``repr_pos_sim``, ``repr_neg_sim``, ``repr_sim_gap``."""
    sim = F.normalize(z1.float(), dim=1) @ F.normalize(z2.float(), dim=1).T
    pos = sim.diagonal().mean()
    n = sim.shape[0]
    neg = (sim.sum() - sim.diagonal().sum()) / max(n * n - n, 1)
    return dict(repr_pos_sim=pos, repr_neg_sim=neg, repr_sim_gap=pos - neg)


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of distributions ``(..., K)`` along the last dimension."""
    return -(p * p.clamp_min(1e-12).log()).sum(-1)


def prototype_stats(teacher: torch.Tensor, student_logits: torch.Tensor | None = None,
                    student_temp: float = 1.0) -> dict[str, torch.Tensor]:
    """Health of a self-distillation teacher's prototype distributions ``teacher`` ``(N, K)``.

    ``teacher_entropy``: mean entropy / ln K (1 = uniform: the teacher says nothing);
    ``teacher_batch_entropy``: entropy of the batch mean / ln K (0 = every sample on one
    prototype); with ``student_logits`` of the same shape, ``student_teacher_kl``:
    KL(teacher ‖ softmax(student / student_temp)) in nats.
    """
    log_k = math.log(teacher.shape[-1])
    out = dict(teacher_entropy=entropy(teacher).mean() / log_k,
               teacher_batch_entropy=entropy(teacher.mean(0)) / log_k)
    if student_logits is not None and student_logits.shape == teacher.shape:
        log_s = F.log_softmax(student_logits.float() / student_temp, dim=-1)
        out['student_teacher_kl'] = (teacher * (teacher.clamp_min(1e-12).log()
                                                - log_s)).sum(-1).mean()
    return out
