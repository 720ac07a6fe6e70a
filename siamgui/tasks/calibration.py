"""Calibrate a threshold on the user's own data: pairs in, distances, ROC and rates out. No Qt.

Two kinds of input:

* a folder with one sub-folder per class (``people/alice/*.jpg``, ``people/bob/*.jpg``; nested
  layouts such as ``ALPHABET/character01/*.png`` work too: every folder that directly holds
  media files is a class, named by its path under the root). Every usable file is embedded
  once, then genuine (same class) and impostor (different class) pairs are drawn: balanced,
  capped and seeded, so the same folder always gives the same figures.
* a labelled pairs CSV with columns ``a,b,label`` (1 = same), paths relative to the CSV,
  the format ``siamgui compare --pairs`` reads.

Files that cannot be used (corrupt, no face found, silent...) are skipped and reported, never
fatal. Long recordings can be cut into fixed-length segments (``segment_s``) so one recording
per speaker still gives genuine pairs.

    plan = plan_folder("people/", encoder.card.modality)
    cal = calibrate(encoder, plan, progress=lambda done, total: ..., cancelled=event.is_set)
    cal.auc, cal.eer, cal.threshold_at_far(0.01), cal.rates_at(0.3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from siamgui.core import metrics
from siamgui.errors import UserError
from siamgui.core.compare import distance as pair_distance
from siamgui.core.pairs import PairsError, read_pairs, resolve
from siamgui.media.classfolders import class_folders
from siamgui.media.limits import MAX_AUDIO_S
from siamgui.media.errors import MediaError
from siamgui.media.medium import Medium, medium as medium_of

CHUNK = 32  # items prepared and embedded per step (progress is reported after each)
DEFAULT_MAX_PAIRS = 2000  # genuine + impostor
DEFAULT_MAX_FILES = 1000
DEFAULT_TARGET_FAR = 0.01
# Segment lengths: shorter than half a second holds no voice to judge (and 1e-9 s would plan
# billions of segments); longer than a clip may be is never decoded whole.
MIN_SEGMENT_S = 0.5
MAX_SEGMENT_S = MAX_AUDIO_S


class CalibrationError(UserError, ValueError):
    """Input that cannot be calibrated on, with a message for the user."""


class Cancelled(Exception):
    """The user stopped the calibration."""


@dataclass(frozen=True)
class Item:
    """One thing to embed: a file, or a segment of a recording."""

    path: Path
    label: str = ""  # class name ("" for pairs read from a CSV)
    start: float | None = None  # seconds, for audio segments
    length: float | None = None

    @property
    def name(self) -> str:
        base = str(self.path)
        return base if self.start is None else f"{base}@{self.start:.1f}s"


@dataclass
class Plan:
    """What to embed and, for a pairs CSV, which pairs to judge."""

    source: Path
    kind: str  # "folder" | "pairs"
    items: list[Item]
    pairs: np.ndarray | None = None  # (P, 2) indices into items (pairs CSV only)
    labels: np.ndarray | None = None  # (P,) 1 = same (pairs CSV only)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # found but left out, with why
    classes: int = 0
    found_items: int = 0  # usable files (or segments) in the folder before sampling down to max_files
    found_classes: int = 0
    max_files: int | None = None  # the cap the sample was drawn under


@dataclass
class Calibration:
    """Distances of judged pairs and everything a user needs to pick a threshold."""

    model_name: str
    model_hash: str
    metric: str
    default_threshold: float
    source: str
    kind: str
    items: list[Item]  # the items that embedded fine, in order of ``embeddings``
    embeddings: np.ndarray  # (N, D)
    pairs: np.ndarray  # (P, 2) indices into items
    labels: np.ndarray  # (P,) bool, True = same class
    distances: np.ndarray  # (P,)
    skipped: list[tuple[str, str]]  # (file, why) for everything left out
    seconds: float = 0.0
    found_items: int = 0  # files the folder held (before sampling); 0 when nothing was sampled
    found_classes: int = 0
    planned_items: int = 0  # files drawn from them
    max_files: int | None = None
    max_pairs: int = 0  # pairs asked for

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, bool)
        self.distances = np.asarray(self.distances, np.float64)
        self.roc = metrics.roc(self.distances, self.labels)
        self.auc = metrics.roc_auc(self.distances, self.labels)
        self.eer, self.eer_threshold = metrics.eer(self.distances, self.labels)

    @property
    def same(self) -> np.ndarray:
        return self.distances[self.labels]

    @property
    def different(self) -> np.ndarray:
        return self.distances[~self.labels]

    @property
    def classes(self) -> list[str]:
        return [it.label for it in self.items]

    def threshold_at_far(self, target_far: float = DEFAULT_TARGET_FAR) -> float:
        """The largest threshold whose false-accept rate on these pairs is at most ``target_far``."""
        return metrics.threshold_at_far(self.distances, self.labels, target_far)

    def rates_at(self, threshold: float) -> dict[str, float]:
        """accuracy, far (false-accept rate) and frr (false-reject rate) at ``threshold``."""
        return metrics.rates_at(self.distances, self.labels, threshold)

    def summary(self, target_far: float = DEFAULT_TARGET_FAR, threshold: float | None = None) -> dict:
        chosen = self.threshold_at_far(target_far) if threshold is None else float(threshold)
        n_classes = len({it.label for it in self.items if it.label})
        return {
            "model": self.model_name, "model_hash": self.model_hash, "metric": self.metric,
            "source": self.source, "kind": self.kind,
            "items": len(self.items), "segments": any(it.start is not None for it in self.items),
            "classes": n_classes, "skipped": len(self.skipped),
            "pairs": {"same": int(self.labels.sum()), "different": int((~self.labels).sum())},
            "auc": self.auc, "eer": self.eer, "eer_threshold": self.eer_threshold,
            "target_far": None if threshold is not None else target_far,
            "threshold": chosen, "rates": self.rates_at(chosen),
            "default_threshold": self.default_threshold, "default_rates": self.rates_at(self.default_threshold),
            "seconds": self.seconds,
        }


# --- planning ------------------------------------------------------------------------------
def suffixes_for(modality: Medium | str) -> tuple[str, ...]:
    """The file endings calibration collects for a medium (a Medium, or its name as a card stores it)."""
    return medium_of(modality).suffixes


def plan(source: str | Path, modality: Medium | str, **kwargs) -> Plan:
    """A folder of class folders or a labelled pairs CSV, whichever ``source`` is; ``modality``
    is the medium the model reads (a Medium, or its name as a card stores it)."""
    p = Path(source)
    if p.is_dir():
        return plan_folder(p, modality, **kwargs)
    if p.is_file():
        if p.suffix.lower() not in (".csv", ".tsv", ".txt"):
            raise CalibrationError(f"{p.name}: give a folder with one sub-folder per class, or a pairs CSV")
        kwargs.pop("max_files", None)
        kwargs.pop("seed", None)
        return plan_pairs_csv(p, modality, segment_s=kwargs.get("segment_s"))
    raise FileNotFoundError(f"not found: {p}")


def plan_folder(root: str | Path, modality: Medium | str, max_files: int | None = DEFAULT_MAX_FILES, seed: int = 0,
                segment_s: float | None = None) -> Plan:
    """Every folder under ``root`` that directly holds media files is a class.

    When there are more than ``max_files`` items, classes are visited in a seeded random order
    and each keeps an equal share (at least two, so it can form a genuine pair).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"folder not found: {root}")
    check_segment(segment_s)
    medium = medium_of(modality)
    wanted = medium.suffixes
    by_class, loose = class_folders(root, wanted)
    skipped: list[tuple[str, str]] = [(str(f), "not in a class folder") for f in loose]
    if not by_class:
        raise CalibrationError(f"{root}: no {medium.file_word} files in sub-folders; put one folder per class "
                               f"(e.g. {root.name}/alice/1{wanted[0]}, {root.name}/bob/1{wanted[0]})")
    items_by_class = {c: _items(files, c, medium, segment_s, skipped) for c, files in by_class.items()}
    usable = {c: its for c, its in items_by_class.items() if its}
    if len(usable) < 2:
        raise CalibrationError(f"{root}: found {len(usable)} class folder(s); calibration needs at least two "
                               "classes to form different pairs")
    if not any(len(its) >= 2 for its in usable.values()):
        hint = " (cut recordings with a segment length)" if medium.segmentable else ""
        raise CalibrationError(f"{root}: every class has one file; same pairs need two or more per class{hint}")
    items = _cap(usable, max_files, seed)
    return Plan(source=root, kind="folder", items=items, skipped=skipped, classes=len({i.label for i in items}),
                found_items=sum(len(v) for v in usable.values()), found_classes=len(usable), max_files=max_files)


def check_segment(segment_s: float | None) -> None:
    """CalibrationError unless ``segment_s`` is None or a length from MIN_SEGMENT_S to MAX_SEGMENT_S."""
    if segment_s is not None and not MIN_SEGMENT_S <= segment_s <= MAX_SEGMENT_S:  # NaN fails both
        raise CalibrationError(f"the segment length must be from {MIN_SEGMENT_S:g} to {MAX_SEGMENT_S:g} seconds, "
                               f"got {segment_s!r}")


def _items(files: Sequence[Path], label: str, medium: Medium, segment_s: float | None,
           skipped: list[tuple[str, str]]) -> list[Item]:
    if not medium.segmentable or not segment_s:
        return [Item(f, label) for f in files]
    out = []
    for f in files:
        try:
            duration = medium.duration(f)
        except MediaError as exc:
            skipped.append((str(f), str(exc)))
            continue
        n = int(duration // segment_s + (1 if duration % segment_s >= segment_s / 2 else 0))
        if n <= 1:
            out.append(Item(f, label))
        else:
            out += [Item(f, label, start=k * segment_s, length=segment_s) for k in range(n)]
    return out


def _cap(by_class: dict[str, list[Item]], max_files: int | None, seed: int) -> list[Item]:
    total = sum(len(v) for v in by_class.values())
    if not max_files or total <= max_files:
        return [it for c in sorted(by_class) for it in by_class[c]]
    rng = np.random.default_rng(seed)
    names = sorted(by_class)
    order = [names[i] for i in rng.permutation(len(names))]
    multi = [c for c in order if len(by_class[c]) >= 2]
    per_class = max(2, max_files // max(1, len(multi)))
    chosen: dict[str, list[Item]] = {}
    budget = max_files
    for c in multi + [c for c in order if len(by_class[c]) < 2]:
        if budget < 2 and len(chosen) >= 2:
            break
        its = by_class[c]
        k = min(len(its), per_class, max(budget, 1))
        idx = np.sort(rng.choice(len(its), size=k, replace=False))
        chosen[c] = [its[i] for i in idx]
        budget -= k
    return [it for c in sorted(chosen) for it in chosen[c]]


def plan_pairs_csv(path: str | Path, modality: Medium | str, segment_s: float | None = None) -> Plan:
    """Labelled pairs from a pairs CSV (read by siamgui.core.pairs); paths relative to the CSV."""
    try:
        parsed = read_pairs(path, need_label=True)
    except PairsError as exc:
        raise CalibrationError(str(exc)) from None
    src = parsed.path
    index: dict[str, int] = {}
    items: list[Item] = []
    pairs, labels = [], []
    for row in parsed.pairs:
        ids = []
        for name in (row.a, row.b):
            p = resolve(name, src.parent)
            if str(p) not in index:
                index[str(p)] = len(items)
                items.append(Item(p))
            ids.append(index[str(p)])
        pairs.append(ids)
        labels.append(bool(row.label))
    lab = np.asarray(labels, bool)
    if lab.all() or not lab.any():
        raise CalibrationError(f"{src.name}: needs both same (1) and different (0) pairs")
    return Plan(source=src, kind="pairs", items=items, pairs=np.asarray(pairs, np.int64), labels=lab)


# --- embedding -----------------------------------------------------------------------------
def embed_items(encoder, items: Sequence[Item], progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None,
                chunk: int = CHUNK) -> tuple[np.ndarray, list[int], list[tuple[str, str]]]:
    """Embed each item once, in batches. Returns (embeddings of the usable items, their indices, skipped)."""
    total = len(items)
    vectors: list[np.ndarray] = []
    ok: list[int] = []
    skipped: list[tuple[str, str]] = []
    if progress:
        progress(0, total)
    audio_cache: dict[Path, Any] = {}
    medium = encoder.modality.medium
    for start in range(0, total, chunk):
        if cancelled is not None and cancelled():
            raise Cancelled()
        prepared, idx = [], []
        for i in range(start, min(start + chunk, total)):
            item = items[i]
            try:
                prepared.append(encoder.prepare(_cached_source(item, audio_cache, medium)))
                idx.append(i)
            except (MediaError, OSError) as exc:
                skipped.append((item.name, _reason(exc, item)))
        if prepared:
            vectors.append(encoder.embed_prepared(prepared))
            ok += idx
        if progress:
            progress(min(start + chunk, total), total)
    emb = np.concatenate(vectors) if vectors else np.zeros((0, encoder.card.embedding_dim), np.float32)
    return emb, ok, skipped


def _cached_source(item: Item, cache: dict[Path, Any], medium: Medium):
    """A file, or the one segment of a recording to embed, decoded alone (``medium.window``):
    memory follows the segment, never the recording (``cache`` is kept for callers; unused)."""
    if item.start is None:
        return item.path
    return medium.window(item.path, item.start, item.length)


def _reason(exc: BaseException, item: Item) -> str:
    msg = str(exc).strip() or type(exc).__name__
    name = item.path.name
    return msg[len(name) + 2:] if msg.startswith(name + ": ") else msg


# --- pairs ---------------------------------------------------------------------------------
def folder_pairs(labels: Sequence[str], max_pairs: int = DEFAULT_MAX_PAIRS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Balanced genuine / impostor index pairs over items with class ``labels``; seeded, no repeats."""
    lab = np.asarray(labels)
    rng = np.random.default_rng(seed)
    classes = {c: np.nonzero(lab == c)[0] for c in dict.fromkeys(labels)}
    n = len(lab)
    n_genuine_possible = sum(len(v) * (len(v) - 1) for v in classes.values()) // 2
    n_impostor_possible = (n * (n - 1)) // 2 - n_genuine_possible
    half = max(1, max_pairs // 2)
    n_pairs = min(n_genuine_possible, half, n_impostor_possible)
    if n_pairs == 0:
        raise CalibrationError("no same pairs could be formed: every class has only one usable file")
    if n_pairs > LARGE_PAIRS or n_genuine_possible > LARGE_PAIRS * 4:
        return _drawn_pairs(lab, list(classes.values()), n_pairs, rng)
    genuine = [(int(i), int(j)) for idx in classes.values() for a, i in enumerate(idx) for j in idx[a + 1:]]
    if len(genuine) > n_pairs:
        genuine = [genuine[k] for k in np.sort(rng.choice(len(genuine), size=n_pairs, replace=False))]
    impostor: set[tuple[int, int]] = set()
    if n_impostor_possible <= 4 * n_pairs:  # small: enumerate and sample
        every = [(i, j) for i in range(n) for j in range(i + 1, n) if lab[i] != lab[j]]
        impostor = {every[k] for k in rng.choice(len(every), size=n_pairs, replace=False)}
    else:  # large: draw until enough distinct pairs
        while len(impostor) < n_pairs:
            need = (n_pairs - len(impostor)) * 2 + 8
            a, b = rng.integers(0, n, size=need), rng.integers(0, n, size=need)
            for i, j in zip(a.tolist(), b.tolist()):
                if lab[i] != lab[j]:
                    impostor.add((min(i, j), max(i, j)))
                    if len(impostor) == n_pairs:
                        break
    imp = sorted(impostor)
    pairs = np.asarray(genuine + imp, np.int64)
    same = np.r_[np.ones(len(genuine), bool), np.zeros(len(imp), bool)]
    return pairs, same


LARGE_PAIRS = 500_000  # above this, pairs are drawn as numbers in arrays: 10M pairs as tuples took 2 GB


def _drawn_pairs(lab: np.ndarray, classes: list[np.ndarray], n_pairs: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_pairs`` distinct genuine and as many distinct impostor pairs, drawn at random and kept
    as int64 keys (i * n + j): memory is 16 bytes a pair, never a Python tuple per possible pair."""
    n = len(lab)
    sizes = np.array([len(v) for v in classes], np.int64)
    members, offsets = np.concatenate(classes), np.r_[0, np.cumsum(sizes)[:-1]]
    weight = sizes * (sizes - 1) / 2.0

    def every(same: bool) -> np.ndarray:  # all the keys, when the pairs asked for are most of them
        if same:
            parts = [idx[a] * n + idx[b] for idx in classes for a, b in [np.triu_indices(len(idx), 1)]]
        else:
            parts = [i * n + (np.nonzero(lab[i + 1:] != lab[i])[0] + i + 1) for i in range(n)]
        return np.sort(np.concatenate(parts).astype(np.int64))

    def draw(same: bool) -> np.ndarray:
        keys = np.empty(0, np.int64)
        possible = int(weight.sum()) if same else n * (n - 1) // 2 - int(weight.sum())
        if 2 * n_pairs >= possible:  # drawing at random would take ages to find the last few
            keys = every(same)
        while len(keys) < n_pairs:
            need = (n_pairs - len(keys)) * 2 + 8
            if same:  # a class by its number of pairs, then two of its members
                c = rng.choice(len(classes), size=need, p=weight / weight.sum())
                i = members[offsets[c] + (rng.random(need) * sizes[c]).astype(np.int64)]
                j = members[offsets[c] + (rng.random(need) * sizes[c]).astype(np.int64)]
                ok = i != j
            else:
                i, j = rng.integers(0, n, size=need), rng.integers(0, n, size=need)
                ok = lab[i] != lab[j]
            lo, hi = np.minimum(i, j)[ok], np.maximum(i, j)[ok]
            keys = np.unique(np.r_[keys, lo * n + hi])
        if len(keys) > n_pairs:
            keys = np.sort(rng.choice(keys, size=n_pairs, replace=False))
        return np.stack([keys // n, keys % n], axis=1)

    genuine, impostor = draw(True), draw(False)
    pairs = np.concatenate([genuine, impostor]).astype(np.int64)
    same = np.r_[np.ones(len(genuine), bool), np.zeros(len(impostor), bool)]
    return pairs, same


# --- the whole job -------------------------------------------------------------------------
def calibrate(encoder, source: "str | Path | Plan", max_pairs: int = DEFAULT_MAX_PAIRS,
              max_files: int | None = DEFAULT_MAX_FILES, seed: int = 0, segment_s: float | None = None,
              progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> Calibration:
    """Embed, pair, measure. ``progress(done, total)`` after each batch; ``cancelled()`` -> Cancelled."""
    import time

    t0 = time.perf_counter()
    p = source if isinstance(source, Plan) else plan(source, encoder.card.modality, max_files=max_files,
                                                     seed=seed, segment_s=segment_s)
    emb, ok, skipped = embed_items(encoder, p.items, progress, cancelled)
    skipped = p.skipped + skipped
    items = [p.items[i] for i in ok]
    if p.kind == "pairs":
        new_index = {old: new for new, old in enumerate(ok)}
        keep = np.array([a in new_index and b in new_index for a, b in p.pairs], bool)
        if not keep.any():
            raise CalibrationError(f"{p.source.name}: none of the pairs could be embedded"
                                   + (f" (first problem: {skipped[0][0]}: {skipped[0][1]})" if skipped else ""))
        pairs = np.array([[new_index[a], new_index[b]] for a, b in p.pairs[keep]], np.int64)
        labels = p.labels[keep]
        if labels.all() or not labels.any():
            raise CalibrationError(f"{p.source.name}: after skipping unusable files, only "
                                   f"{'same' if labels.all() else 'different'} pairs are left")
    else:
        labels_of = [it.label for it in items]
        if len(set(labels_of)) < 2:
            raise CalibrationError(f"{p.source}: fewer than two classes have usable files"
                                   + (f" ({len(skipped)} skipped, e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else ""))
        pairs, labels = folder_pairs(labels_of, max_pairs, seed)
    d = _distances(emb, pairs, encoder.card.metric)
    return Calibration(
        model_name=encoder.name, model_hash=encoder.model_hash, metric=encoder.card.metric,
        default_threshold=float(encoder.card.threshold), source=str(p.source), kind=p.kind, items=items,
        embeddings=emb, pairs=pairs, labels=labels, distances=d, skipped=skipped,
        seconds=time.perf_counter() - t0, found_items=p.found_items, found_classes=p.found_classes,
        planned_items=len(p.items), max_files=p.max_files, max_pairs=max_pairs,
    )


DISTANCE_CHUNK = 65536  # pairs gathered at once: 900000 pairs gathered whole took 1 GB


def _distances(emb: np.ndarray, pairs: np.ndarray, metric: str) -> np.ndarray:
    """The distance of every pair, a chunk of pairs at a time (memory follows the chunk, not the pairs)."""
    out = np.empty(len(pairs), np.float64)
    for lo in range(0, len(pairs), DISTANCE_CHUNK):
        part = pairs[lo:lo + DISTANCE_CHUNK]
        out[lo:lo + len(part)] = np.asarray(pair_distance(emb[part[:, 0]], emb[part[:, 1]], metric),
                                            np.float64).reshape(-1)
    return out


def auc_text(auc: float) -> str:
    """The ROC AUC to three places, with more only where three would round a non-perfect AUC up to
    1 (an AUC of 1.0000 beside an EER of 0.30% reads as a contradiction)."""
    if auc >= 1.0:
        return "1"
    for places in range(3, 7):
        text = f"{auc:.{places}f}"
        if float(text) < 1.0:
            return text
    return "> 0.999999"


def sampling_note(res: Calibration) -> str:
    """What was left out by design, in words: the files sampled (how, and how to use more) and
    why fewer pairs were formed than asked. "" when every file and every asked pair was used."""
    notes = []
    if res.kind == "folder" and res.found_items > res.planned_items:
        classes = len({it.label for it in res.items})
        notes.append(f"Sampled {res.planned_items:,} of {res.found_items:,} files ({classes:,} of "
                     f"{res.found_classes:,} classes, at random with a fixed seed, an equal share each): "
                     f"raise the file limit to use more")
    same = int(res.labels.sum())
    if res.kind == "folder" and res.max_pairs > DEFAULT_MAX_PAIRS and 2 * same < res.max_pairs - 1:
        notes.append(f"{res.max_pairs:,} pairs asked, but these files give only {same:,} same pairs "
                     "(and as many different ones)")
    return ". ".join(notes) + ("." if notes else "")


def histogram(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Fraction of ``values`` in each bin (sums to 1 when all fall inside)."""
    values = np.asarray(values, np.float64)
    counts, _ = np.histogram(values, bins=bins)
    return counts / max(1, len(values))
