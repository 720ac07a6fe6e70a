"""The losses ``siamgui-train`` knows, by name, with a line on each (no torch here: the listing
``siamgui-train --list`` and the argument parser read these without loading the network code)."""

from __future__ import annotations

LOSS_NOTES: dict[str, str] = {
    "proto": "softmax over leave-one-out class prototypes in the batch (GE2E / prototypical networks): "
             "each sample nearer its own class's centre than any other",
    "triplet-semihard": "for each positive pair the hardest negative farther than the positive (FaceNet)",
    "triplet-hard": "batch-hard triplets: the hardest positive and hardest negative of each anchor",
    "contrastive": "all pairs of the batch: same pulled together, different pushed beyond the margin "
                   "(Hadsell et al. 2006, the seeds' loss)",
    "quadruplet": "the triplet term plus one pushing apart two negatives of two other classes (Chen et al. 2017)",
    "cosface": "margin softmax over a learned centre per training class, additive cosine margin (Wang et al. 2018)",
    "arcface": "margin softmax over a learned centre per training class, additive angular margin (Deng et al. 2019)",
}
LOSSES: tuple[str, ...] = tuple(LOSS_NOTES)
GLOBAL: tuple[str, ...] = ("cosface", "arcface")  # losses that take class ids over the whole training set
