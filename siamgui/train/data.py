"""Class folders -> labelled items, the class-wise split, and the skipped-file summary.

A data folder holds one sub-folder per class (identity, speaker, character); deeper trees
are fine: every folder that directly holds media files is a class, and its first-level
folder is its *group* (an alphabet, a data set). Files directly in a data folder have no
class unless ``name_class`` (a regex whose first group is the class, e.g. FSDD's
``^\\d+_([a-z]+)_\\d+``) names it from the file name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamgui.errors import UserError
from siamgui.media.audio import AUDIO_SUFFIXES
from siamgui.media.classfolders import files_under
from siamgui.media.images import IMAGE_SUFFIXES


class TrainError(UserError):
    """A problem with the user's input, reported as one line (no traceback)."""


@dataclass(frozen=True)
class Item:
    path: Path
    label: str  # class, unique across data folders ("orl/s1")
    group: str  # data set or alphabet the class belongs to ("orl", "omniglot_background/Latin")


@dataclass
class Skipped:
    """Files and classes left out, with reasons, so the user sees what was not used."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, what: str) -> None:
        self.counts[reason] += 1
        if len(self.examples[reason]) < 3:
            self.examples[reason].append(what)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.counts:
            return "skipped: nothing"
        parts = [f"{n} {reason} (e.g. {', '.join(self.examples[reason])})" for reason, n in self.counts.most_common()]
        return "skipped: " + "; ".join(parts)

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def _suffixes(modality: str) -> tuple[str, ...]:
    return tuple(AUDIO_SUFFIXES if modality == "audio" else IMAGE_SUFFIXES)


def scan(roots: list[str | Path], modality: str, name_class: str | None = None,
         skipped: Skipped | None = None) -> list[Item]:
    """All media files of ``modality`` under ``roots`` as labelled items (sorted, deterministic)."""
    skipped = skipped if skipped is not None else Skipped()
    pattern = re.compile(name_class) if name_class else None
    items: list[Item] = []
    other = 0
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise TrainError(f"{root}: not a folder")
        if not any(root.iterdir()):
            raise TrainError(f"{root}: the folder is empty")
        other += sum(1 for _ in files_under(root, _suffixes("image" if modality == "audio" else "audio")))
        for p, rel in files_under(root, _suffixes(modality)):
            label = None
            if pattern is not None:
                m = pattern.search(p.name)
                if m:
                    label = f"{root.name}/{m.group(1)}"
            if label is None:
                if rel == Path("."):
                    skipped.add("files outside class folders", p.name)
                    continue
                label = f"{root.name}/{rel.as_posix()}"
            group = f"{root.name}/{rel.parts[0]}" if len(rel.parts) >= 2 else root.name
            items.append(Item(p, label, group))
    if not items:
        kind = "audio" if modality == "audio" else "image"
        if other:
            wrong = "image" if modality == "audio" else "audio"
            raise TrainError(f"{', '.join(map(str, roots))}: holds {wrong} files, but this preset trains on "
                             f"{kind} files (wrong modality: pick another --preset)")
        raise TrainError(f"{', '.join(map(str, roots))}: no {kind} files in class folders")
    return items


def by_class(items: list[Item]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        out[it.label].append(i)
    return dict(out)


def drop_small_classes(items: list[Item], min_samples: int, skipped: Skipped) -> list[Item]:
    """Classes with fewer than ``min_samples`` usable samples cannot make a pair: left out, counted."""
    keep = []
    for label, idx in by_class(items).items():
        if len(idx) < min_samples:
            skipped.add(f"classes with fewer than {min_samples} samples", label)
        else:
            keep.extend(items[i] for i in idx)
    return sorted(keep, key=lambda it: (it.label, str(it.path)))


def check_classes(items: list[Item], what: str = "usable") -> None:
    n = len({it.label for it in items})
    if n < 2:
        raise TrainError(f"need at least 2 {what} classes with 2+ samples each; found {n}")


def split_classes(items: list[Item], val_fraction: float, seed: int, by_group: bool = False,
                  val_groups: list[str] | None = None) -> tuple[list[str], list[str], dict]:
    """(train classes, validation classes, how) — by class, never by sample.

    ``by_group``: hold out whole groups (alphabets) — about ``val_fraction`` of them;
    otherwise hold out ``val_fraction`` of the classes of every group (stratified).
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for it in items:
        if it.label not in groups[it.group]:
            groups[it.group].append(it.label)
    rng = np.random.default_rng(seed)
    val: list[str] = []
    if val_groups:
        unknown = [g for g in val_groups if not any(g == k or k.endswith("/" + g) for k in groups)]
        if unknown:
            raise TrainError(f"--val-groups: no such group(s): {', '.join(unknown)}")
        chosen = [k for k in sorted(groups) if any(g == k or k.endswith("/" + g) for g in val_groups)]
        val = [c for k in chosen for c in groups[k]]
        how = {"rule": "held-out groups", "val_groups": chosen}
    elif by_group and len(groups) >= 4:
        names = sorted(groups)
        n = max(1, int(round(val_fraction * len(names))))
        chosen = sorted(rng.choice(names, size=n, replace=False).tolist())
        val = [c for k in chosen for c in groups[k]]
        how = {"rule": f"held-out groups ({n} of {len(names)}, seed {seed})", "val_groups": chosen}
    else:
        for k in sorted(groups):
            classes = sorted(groups[k])
            n = int(round(val_fraction * len(classes)))
            if len(classes) >= 2 and val_fraction > 0:
                n = min(max(n, 1), len(classes) - 1)
            val += sorted(rng.choice(classes, size=n, replace=False).tolist()) if n else []
        how = {"rule": f"{val_fraction:.0%} of the classes of every group held out (seed {seed})"}
    all_classes = sorted({it.label for it in items})
    val_set = set(val)
    train = [c for c in all_classes if c not in val_set]
    val = sorted(val_set)
    if len(train) < 2:
        raise TrainError(f"only {len(train)} training class(es) left after holding out {len(val)} for validation")
    how.update({"train_classes": len(train), "val_classes": len(val), "val_class_names": val})
    return train, val, how


def split_samples(items: list[Item], val_fraction: float, seed: int) -> tuple[list[int], list[int], dict]:
    """(train indices, validation indices, how) — ``val_fraction`` of every class's samples held out.

    For a closed set of classes (ten digits) that the app will only ever see: validation figures
    then measure new *images* of known classes, not one-shot learning of unseen classes.
    """
    if not 0 < val_fraction < 1:
        raise TrainError(f"--val-fraction must be between 0 and 1 for a split by sample (got {val_fraction})")
    rng = np.random.default_rng(seed)
    train: list[int] = []
    val: list[int] = []
    for label, idx in sorted(by_class(items).items()):
        n = min(max(1, int(round(val_fraction * len(idx)))), len(idx) - 1)
        picked = set(rng.choice(len(idx), size=n, replace=False).tolist())
        val += [i for q, i in enumerate(idx) if q in picked]
        train += [i for q, i in enumerate(idx) if q not in picked]
    classes = sorted(by_class(items))
    how = {"rule": f"{val_fraction:.0%} of the samples of every class held out (seed {seed}; split by sample: "
                   "the same classes are trained and validated, so this is not one-shot over unseen classes)",
           "split_by": "sample", "train_classes": len(classes), "val_classes": len(classes),
           "train_samples": len(train), "val_samples": len(val), "val_class_names": classes}
    return sorted(train), sorted(val), how
