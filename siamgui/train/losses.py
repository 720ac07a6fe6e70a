"""Metric-learning losses on L2-normalised embeddings of a P x K batch.

- ``contrastive``: all pairs in the batch, same pairs pulled together, different pairs pushed
  beyond ``margin`` (Hadsell et al. 2006, the seeds' loss).
- ``triplet-hard``: batch-hard triplets (hardest positive, hardest negative per anchor).
- ``triplet-semihard``: for each positive pair the hardest negative farther than the positive
  (FaceNet), falling back to the hardest negative.
- ``quadruplet``: the triplet term plus a second one pushing apart two negatives of two other
  classes, ``[d(a,p) - d(n1,n2) + margin/2]+`` (Chen et al. 2017, "Beyond triplet loss", one of
  the seeds' losses): the gap between classes must exceed the spread within a class everywhere,
  not only around the anchor. Batch-hard: the hardest positive, negative and negative pair.
- ``proto``: softmax over leave-one-out class prototypes with a learned scale and bias (the
  GE2E / N-pair / prototypical-network family): every sample must be closer to its own class's
  centre than to any other class in the batch.
- ``cosface`` / ``arcface``: margin softmax over a learned centre per training class (Wang et al.
  2018, additive cosine margin; Deng et al. 2019, additive angular margin): what face and speaker
  recognition train with. They see every training class, not only the batch's, so they need the
  number of classes and the class ids across the whole training set.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from siamgui.train.loss_names import GLOBAL, LOSSES  # noqa: F401 - the names live where torch is not needed


def _dist(e: torch.Tensor) -> torch.Tensor:
    """Euclidean distances between unit vectors, differentiable at 0."""
    cos = e @ e.t()
    return torch.sqrt(torch.clamp(2.0 - 2.0 * cos, min=1e-12))


class Contrastive(nn.Module):
    def __init__(self, margin: float = 0.8):
        super().__init__()
        self.margin = margin

    def forward(self, e, y):
        d = _dist(e)
        same = y[:, None] == y[None, :]
        eye = torch.eye(len(y), dtype=torch.bool, device=e.device)
        pos = d[same & ~eye] ** 2
        neg = F.relu(self.margin - d[~same]) ** 2
        return pos.mean() + neg.mean()


class TripletHard(nn.Module):
    def __init__(self, margin: float = 0.3):
        super().__init__()
        self.margin = margin

    def forward(self, e, y):
        d = _dist(e)
        same = y[:, None] == y[None, :]
        eye = torch.eye(len(y), dtype=torch.bool, device=e.device)
        hardest_pos = (d * (same & ~eye)).max(dim=1).values
        hardest_neg = (d + 4.0 * same).min(dim=1).values
        return F.relu(hardest_pos - hardest_neg + self.margin).mean()


class TripletSemiHard(nn.Module):
    def __init__(self, margin: float = 0.3):
        super().__init__()
        self.margin = margin

    def forward(self, e, y):
        d = _dist(e)
        same = y[:, None] == y[None, :]
        eye = torch.eye(len(y), dtype=torch.bool, device=e.device)
        a, p = torch.nonzero(same & ~eye, as_tuple=True)
        dap = d[a, p]  # (T,)
        dan = d[a]  # (T, B)
        neg = ~same[a]
        semi = neg & (dan > dap[:, None])
        big = torch.full_like(dan, 4.0)
        semi_min = torch.where(semi, dan, big).min(dim=1).values
        hard_min = torch.where(neg, dan, big).min(dim=1).values
        dneg = torch.where(semi.any(dim=1), semi_min, hard_min)
        return F.relu(dap - dneg + self.margin).mean()


class Quadruplet(nn.Module):
    """Batch-hard quadruplet loss: ``[d(a,p) - d(a,n1) + m1]+ + [d(a,p) - d(n1,n2) + m2]+``.

    For each anchor: its hardest positive ``p``, its hardest negative ``n1``, and the closest pair
    ``(n1, n2)`` of two samples from two classes other than the anchor's and each other's. The
    second margin is smaller (the paper's m2 < m1), so the triplet term dominates.
    """

    def __init__(self, margin: float = 0.3, margin2: float | None = None):
        super().__init__()
        self.margin = margin
        self.margin2 = margin / 2 if margin2 is None else margin2

    def forward(self, e, y):
        d = _dist(e)
        same = y[:, None] == y[None, :]
        eye = torch.eye(len(y), dtype=torch.bool, device=e.device)
        hardest_pos = (d * (same & ~eye)).max(dim=1).values  # (B,)
        hardest_neg = (d + 4.0 * same).min(dim=1).values  # (B,)
        # closest pair of samples of two different classes, neither the anchor's: (B, B, B) masks
        other = ~same  # other[a, i]: i is not of a's class
        pair_ok = other[:, :, None] & other[:, None, :] & ~same[None, :, :]
        pair_d = torch.where(pair_ok, d[None, :, :].expand(len(y), -1, -1), torch.full_like(pair_ok, 4.0, dtype=d.dtype))
        hardest_pair = pair_d.flatten(1).min(dim=1).values
        has_pair = pair_ok.flatten(1).any(dim=1)  # needs three classes in the batch
        first = F.relu(hardest_pos - hardest_neg + self.margin)
        second = torch.where(has_pair, F.relu(hardest_pos - hardest_pair + self.margin2), torch.zeros_like(first))
        return (first + second).mean()


class Proto(nn.Module):
    def __init__(self, scale: float = 10.0, bias: float = -5.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(scale)))
        self.b = nn.Parameter(torch.tensor(float(bias)))

    def forward(self, e, y):
        classes = int(y.max()) + 1
        onehot = F.one_hot(y, classes).float()  # (B, P)
        sums = onehot.t() @ e  # (P, D)
        counts = onehot.sum(0)  # (P,)
        cent = F.normalize(sums / counts[:, None], dim=1)
        own = F.normalize((sums[y] - e) / (counts[y] - 1).clamp(min=1)[:, None], dim=1)  # leave-one-out
        cos = e @ cent.t()
        cos_own = (e * own).sum(1)
        cos = cos.scatter(1, y[:, None], cos_own[:, None])
        logits = torch.clamp(self.w, min=1e-3) * cos + self.b
        return F.cross_entropy(logits, y)


class MarginSoftmax(nn.Module):
    """Softmax over cosines to one learned unit centre per class, with a margin on the true class.

    ``kind="cos"``: logit s * (cos - m) for the true class (CosFace / AM-softmax);
    ``kind="arc"``: s * cos(theta + m) (ArcFace), falling back to CosFace's form past theta > pi - m
    so the logit stays monotonic. Embeddings are unit vectors already (the encoder normalises).
    """

    def __init__(self, classes: int, dim: int, margin: float, scale: float = 30.0, kind: str = "cos"):
        super().__init__()
        if classes < 2:
            raise ValueError("margin softmax needs at least two training classes")
        self.centres = nn.Parameter(torch.randn(classes, dim) * 0.01)
        self.margin, self.scale, self.kind = float(margin), float(scale), kind

    def forward(self, e, y):
        cos = F.normalize(e, dim=1) @ F.normalize(self.centres, dim=1).t()
        true = cos.gather(1, y[:, None]).squeeze(1)
        if self.kind == "arc":
            theta = torch.acos(true.clamp(-1 + 1e-6, 1 - 1e-6))
            target = torch.where(theta + self.margin < torch.pi, torch.cos(theta + self.margin),
                                 true - self.margin * math.sin(self.margin))
        else:
            target = true - self.margin
        logits = cos.scatter(1, y[:, None], target[:, None]) * self.scale
        return F.cross_entropy(logits, y)


def make(name: str, margin: float | None = None, classes: int = 0, dim: int = 0) -> nn.Module:
    """The loss called ``name``; ``classes`` and ``dim`` size the centres of the margin-softmax losses."""
    if name == "cosface":
        return MarginSoftmax(classes, dim, 0.35 if margin is None else margin, kind="cos")
    if name == "arcface":
        return MarginSoftmax(classes, dim, 0.5 if margin is None else margin, kind="arc")
    if name == "contrastive":
        return Contrastive(0.8 if margin is None else margin)
    if name == "triplet-hard":
        return TripletHard(0.3 if margin is None else margin)
    if name == "triplet-semihard":
        return TripletSemiHard(0.3 if margin is None else margin)
    if name == "quadruplet":
        return Quadruplet(0.3 if margin is None else margin)
    if name == "proto":
        return Proto()
    raise ValueError(f"unknown loss {name!r} (known: {', '.join(LOSSES)})")
