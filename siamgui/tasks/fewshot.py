"""Few-shot classification on a Siamese encoder's embeddings: k examples per class, no retraining. No Qt.

The *support set* is a folder of class folders (``digits/0/*.png``, ``digits/1/*.png``, ...) with
a few examples each; every example is embedded once. A query is then named by one of three
classifiers on those embeddings:

* ``centroid``: the class whose mean unit embedding is nearest (prototypical networks);
* ``knn``: the class of the single nearest support example (k = 1);
* ``svm``: a linear support vector machine fitted on the support embeddings (scikit-learn, the
  optional ``fewshot`` extra: ``pip install "siamgui[fewshot]"``).

Queries are a folder of class folders (then accuracy, per-class accuracy and a confusion matrix)
or plain files (then predictions only). ``k_shot_curve`` draws N-way k-shot episodes from the
support set itself, so a learner sees how accuracy grows from one example per class to ten.

    support = embed_support(encoder, "digits/")
    result = classify(encoder, support, plan_queries(["queries/"], encoder.modality.suffixes), "centroid")
    result.accuracy, result.confusion, result.predictions[0].predicted
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from siamgui.core.compare import l2_normalise, pairwise
from siamgui.errors import UserError
from siamgui.media.classfolders import class_folders, files_under
from siamgui.media.medium import of_path, of_suffixes

CLASSIFIERS = ("centroid", "knn", "svm")
SVM_HINT = 'the svm classifier needs scikit-learn: pip install "siamgui[fewshot]" (or pip install scikit-learn)'
CHUNK = 64  # files prepared and embedded per step (progress is reported after each)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class FewShotError(UserError, ValueError):
    """Input that cannot be classified on (an empty class, one class only, files of another kind)."""


class Stopped(UserError):
    """The user cancelled (a user's doing, so no traceback anywhere)."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)


# --- reading the folders --------------------------------------------------------------------
def _kind(suffixes: Sequence[str]) -> str:
    """The word for the files a model reads ("image", "audio"), from its suffixes."""
    return of_suffixes(suffixes).file_word


def _wrong_kind(root: Path, suffixes: Sequence[str], model_name: str) -> FewShotError | None:
    """An error when ``root`` holds only files of another medium (a voice model on photos)."""
    medium = of_suffixes(suffixes)
    found = next((f for f, _ in files_under(root, medium.foreign_suffixes)), None)
    if found is not None:
        return FewShotError(medium.wrong_medium(root, model_name, of_path(found)))
    return None


def read_support(root: str | Path, suffixes: Sequence[str], model_name: str = "this model") -> dict[str, list[Path]]:
    """``{class: files}`` of a support folder, checked: two classes or more, none of them empty."""
    root = Path(root)
    if not root.is_dir():
        raise FewShotError(f"{root}: not a folder (the support set is a folder with one sub-folder per class)")
    classes, _loose = class_folders(root, suffixes)
    kind = _kind(suffixes)
    if not classes:
        raise _wrong_kind(root, suffixes, model_name) or FewShotError(
            f"{root}: no {kind} files in class folders; put a few examples of each class in its own folder "
            f"(e.g. {root.name}/cat/1{suffixes[0]}, {root.name}/dog/1{suffixes[0]})")
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not any(True for _ in files_under(sub, suffixes)):
            raise FewShotError(f"{sub}: the class folder is empty (no {kind} files); add examples or remove it")
    if len(classes) < 2:
        raise FewShotError(f"{root}: only one class ({next(iter(classes))}); few-shot classification needs "
                           "two classes or more")
    return classes


@dataclass
class Queries:
    """Files to classify, with their true class when they came from class folders."""

    files: list[Path]
    truth: list[str] | None = None  # one per file, or None (unlabelled)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def plan_queries(sources: Sequence[str | Path], suffixes: Sequence[str], model_name: str = "this model") -> Queries:
    """One folder of class folders (labelled) or files and folders of files (unlabelled)."""
    paths = [Path(s) for s in sources]
    if not paths:
        raise FewShotError("no queries: give a folder of class folders, or files")
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"not found: {p}")
    if len(paths) == 1 and paths[0].is_dir():
        root = paths[0]
        classes, loose = class_folders(root, suffixes)
        if classes:
            files = [f for c in classes for f in classes[c]]
            return Queries(files, [c for c in classes for _ in classes[c]],
                           [(str(f), "not in a class folder") for f in loose])
        if loose:
            return Queries(list(loose))
        raise _wrong_kind(root, suffixes, model_name) or FewShotError(f"{root}: no {_kind(suffixes)} files")
    files: list[Path] = []
    for p in paths:
        files += [f for f, _ in files_under(p, suffixes)] if p.is_dir() else [p]
    if not files:
        raise FewShotError(f"no {_kind(suffixes)} files among the queries")
    return Queries(files)


# --- embedding -----------------------------------------------------------------------------
def embed_files(encoder, files: Sequence[Path], progress: Progress | None = None,
                cancelled: Cancelled | None = None) -> tuple[np.ndarray, list[int], list[tuple[str, str]]]:
    """(embeddings of the usable files, their indices in ``files``, (file, why) for the rest)."""
    from siamgui.media.errors import MediaError

    kept: list[int] = []
    skipped: list[tuple[str, str]] = []
    chunks = []
    for start in range(0, len(files), CHUNK):
        if cancelled is not None and cancelled():
            raise Stopped()
        batch = []
        for i in range(start, min(start + CHUNK, len(files))):
            try:
                batch.append(encoder.prepare(files[i]))
                kept.append(i)
            except MediaError as exc:
                skipped.append((str(files[i]), str(exc)))
        if batch:
            chunks.append(encoder.embed_prepared(batch))
        if progress is not None:
            progress(min(start + CHUNK, len(files)), len(files))
    dim = encoder.card.embedding_dim or 0
    emb = np.concatenate(chunks) if chunks else np.zeros((0, dim), np.float32)
    return emb, kept, skipped


@dataclass
class SupportSet:
    """Embedded examples: ``embeddings[i]`` is ``files[i]`` of class ``classes[labels[i]]``."""

    classes: list[str]
    files: list[Path]
    labels: np.ndarray  # (N,) int
    embeddings: np.ndarray  # (N, D) unit vectors
    metric: str = "cosine"
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}


def embed_support(encoder, source: str | Path | dict[str, list[Path]], progress: Progress | None = None,
                  cancelled: Cancelled | None = None) -> SupportSet:
    """Embed a support folder (or ``{class: files}``); a class left with no usable file is an error."""
    suffixes = encoder.modality.suffixes
    by_class = source if isinstance(source, dict) else read_support(source, suffixes, encoder.name)
    if len(by_class) < 2:
        raise FewShotError("few-shot classification needs two classes or more in the support set")
    for c, fs in by_class.items():
        if not fs:
            raise FewShotError(f"the class {c!r} has no examples")
    classes = list(by_class)
    files = [Path(f) for c in classes for f in by_class[c]]
    labels = np.asarray([i for i, c in enumerate(classes) for _ in by_class[c]], np.int64)
    emb, kept, skipped = embed_files(encoder, files, progress, cancelled)
    labels = labels[kept]
    for i, c in enumerate(classes):
        if not (labels == i).any():
            why = next((w for f, w in skipped if Path(f) in set(by_class[c])), "no usable file")
            raise FewShotError(f"the class {c!r} has no usable example ({why})")
    return SupportSet(classes, [files[i] for i in kept], labels, emb, encoder.card.metric, skipped)


# --- classifiers ---------------------------------------------------------------------------
class Classifier:
    """fit on support embeddings, then ``predict`` -> (class index, distance or score) per query."""

    name = ""
    score_kind = "distance"  # "distance" (lower is nearer) or "score" (higher is surer)

    def fit(self, emb: np.ndarray, labels: np.ndarray, n_classes: int, metric: str) -> "Classifier":
        raise NotImplementedError

    def predict(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class Centroid(Classifier):
    name = "centroid"

    def fit(self, emb, labels, n_classes, metric):
        self.metric = metric
        self.centres = l2_normalise(np.stack([emb[labels == i].mean(0) for i in range(n_classes)]))
        return self

    def predict(self, q):
        d = pairwise(q, self.centres, self.metric)
        best = np.argmin(d, axis=1)
        return best, d[np.arange(len(q)), best]


class NearestNeighbour(Classifier):
    name = "knn"

    def fit(self, emb, labels, n_classes, metric):
        self.emb, self.labels, self.metric = emb, labels, metric
        return self

    def predict(self, q):
        d = pairwise(q, self.emb, self.metric)
        j = np.argmin(d, axis=1)
        return self.labels[j], d[np.arange(len(q)), j]


class SVM(Classifier):
    """A linear SVM (one-vs-rest, scikit-learn's LinearSVC) on the unit embeddings."""

    name = "svm"
    score_kind = "score"

    def __init__(self, c: float = 1.0):
        try:
            from sklearn.svm import LinearSVC
        except ImportError:
            raise FewShotError(SVM_HINT) from None
        self._svc = LinearSVC(C=c)

    def fit(self, emb, labels, n_classes, metric):
        self.n = n_classes
        self._svc.fit(emb, labels)
        return self

    def predict(self, q):
        s = np.asarray(self._svc.decision_function(q))
        if s.ndim == 1:  # two classes: one signed score
            best = (s > 0).astype(np.int64)
            return self._svc.classes_[best], np.abs(s)
        j = np.argmax(s, axis=1)
        return self._svc.classes_[j], s[np.arange(len(q)), j]


def make_classifier(name: str) -> Classifier:
    """``centroid`` | ``knn`` | ``svm`` (FewShotError with the install line when scikit-learn is missing)."""
    if name == "centroid":
        return Centroid()
    if name == "knn":
        return NearestNeighbour()
    if name == "svm":
        return SVM()
    raise FewShotError(f"unknown classifier {name!r} (choose {', '.join(CLASSIFIERS)})")


def svm_installed() -> bool:
    """Whether scikit-learn is installed, without importing it (seconds): for a UI deciding what to offer."""
    import importlib.util

    return importlib.util.find_spec("sklearn") is not None


def svm_available() -> bool:
    try:
        import sklearn.svm  # noqa: F401
    except ImportError:
        return False
    return True


# --- classification ------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    file: str
    predicted: str
    score: float  # distance (centroid, knn) or decision score (svm)
    truth: str | None = None


@dataclass
class FewShotResult:
    classifier: str
    score_kind: str
    classes: list[str]
    predictions: list[Prediction]
    query_embeddings: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)
    confusion: np.ndarray | None = None  # (C, C): rows true class, columns predicted (labelled queries)
    seconds: float = 0.0

    @property
    def labelled(self) -> bool:
        return self.confusion is not None

    @property
    def accuracy(self) -> float | None:
        if self.confusion is None or self.confusion.sum() == 0:
            return None
        return float(np.trace(self.confusion) / self.confusion.sum())

    @property
    def per_class(self) -> dict[str, float | None]:
        if self.confusion is None:
            return {}
        rows = self.confusion.sum(1)
        return {c: (float(self.confusion[i, i] / rows[i]) if rows[i] else None) for i, c in enumerate(self.classes)}

    def as_dict(self) -> dict:
        """What ``siamgui fewshot --json`` prints."""
        return {
            "classifier": self.classifier, "classes": self.classes, "accuracy": self.accuracy,
            "per_class": self.per_class or None,
            "confusion": self.confusion.tolist() if self.confusion is not None else None,
            "score": self.score_kind,
            "predictions": [{"file": p.file, "predicted": p.predicted, self.score_kind: round(p.score, 6),
                             **({"truth": p.truth} if p.truth is not None else {})} for p in self.predictions],
            "skipped": [{"file": f, "why": w} for f, w in self.skipped], "seconds": round(self.seconds, 3),
        }


def fit(support: SupportSet, classifier: str = "centroid") -> Classifier:
    clf = make_classifier(classifier)
    return clf.fit(support.embeddings, support.labels, len(support.classes), support.metric)


def classify(encoder, support: SupportSet, queries: Queries, classifier: str = "centroid",
             progress: Progress | None = None, cancelled: Cancelled | None = None) -> FewShotResult:
    """Embed the queries and name each one's class; with true classes, the confusion matrix too."""
    import time

    t0 = time.perf_counter()
    if queries.truth is not None:
        unknown = sorted(set(queries.truth) - set(support.classes))
        if unknown:
            raise FewShotError(f"query class(es) not in the support set: {', '.join(unknown[:5])}"
                               f"{' ...' if len(unknown) > 5 else ''}")
    clf = fit(support, classifier)
    emb, kept, skipped = embed_files(encoder, queries.files, progress, cancelled)
    if not kept:
        raise FewShotError(f"no usable query file ({skipped[0][1] if skipped else 'none given'})")
    best, score = clf.predict(emb) if len(emb) else (np.zeros(0, int), np.zeros(0))
    truth = [queries.truth[i] for i in kept] if queries.truth is not None else None
    preds = [Prediction(str(queries.files[i]), support.classes[int(b)], float(s), truth[n] if truth else None)
             for n, (i, b, s) in enumerate(zip(kept, best, score))]
    confusion = None
    if truth is not None:
        index = {c: i for i, c in enumerate(support.classes)}
        confusion = np.zeros((len(support.classes),) * 2, np.int64)
        for t, b in zip(truth, best):
            confusion[index[t], int(b)] += 1
    return FewShotResult(classifier, clf.score_kind, list(support.classes), preds, emb,
                         queries.skipped + skipped, confusion, time.perf_counter() - t0)


def nearest_examples(support: SupportSet, query: np.ndarray, n: int = 3) -> list[tuple[Path, str, float]]:
    """The ``n`` support examples nearest to one query embedding: (file, class, distance)."""
    d = pairwise(query[None], support.embeddings, support.metric)[0]
    order = np.argsort(d, kind="stable")[:n]
    return [(support.files[j], support.classes[int(support.labels[j])], float(d[j])) for j in order]


# --- the k-shot curve ----------------------------------------------------------------------
@dataclass(frozen=True)
class CurvePoint:
    k: int
    accuracy: float
    episodes: int


def k_shot_curve(support: SupportSet, ks: Sequence[int] = tuple(range(1, 11)), n_way: int | None = None,
                 episodes: int = 200, classifier: str = "centroid", seed: int = 0,
                 cancelled: Cancelled | None = None) -> tuple[int, list[CurvePoint]]:
    """(N, points): N-way k-shot accuracy for each k, on episodes drawn from the support set.

    Each episode picks N classes, k examples of each as the support and one other example of
    each as the query (seeded, so the curve is the same every time). A k larger than a class's
    examples minus one is left out: there would be no query left.
    """
    counts = np.bincount(support.labels, minlength=len(support.classes))
    n = min(len(support.classes), 10) if n_way is None else int(n_way)
    if n < 2:
        raise FewShotError("the k-shot curve needs two classes or more")
    make_classifier(classifier)  # fails early without scikit-learn
    points = []
    for k in ks:
        eligible = np.nonzero(counts >= k + 1)[0]
        if len(eligible) < n:
            break
        rng = np.random.default_rng([seed, k])
        correct = total = 0
        for _ in range(episodes):
            if cancelled is not None and cancelled():
                raise Stopped()
            picked = rng.choice(eligible, size=n, replace=False)
            s_idx, q_idx, y_s, y_q = [], [], [], []
            for j, c in enumerate(picked):
                pool = np.nonzero(support.labels == c)[0]
                draw = rng.choice(pool, size=k + 1, replace=False)
                s_idx += list(draw[:k])
                y_s += [j] * k
                q_idx.append(draw[k])
                y_q.append(j)
            clf = make_classifier(classifier).fit(support.embeddings[s_idx], np.asarray(y_s), n, support.metric)
            got, _ = clf.predict(support.embeddings[q_idx])
            correct += int((np.asarray(got) == np.asarray(y_q)).sum())
            total += n
        points.append(CurvePoint(int(k), correct / total, episodes))
    if not points:
        raise FewShotError(f"the k-shot curve needs {n} classes with 2 or more examples each")
    return n, points


def curve_stop_reason(support: SupportSet, n_way: int, points: Sequence[CurvePoint], k_max: int = 10) -> str:
    """Why the k-shot curve ends before ``k_max`` ("" when it reaches it): each episode needs k
    examples of a class to learn from and one more to test with, in ``n_way`` classes."""
    if not points or points[-1].k >= k_max:
        return ""
    last = points[-1].k
    need = last + 2
    counts = list(support.counts.values())
    if max(counts) < need:
        per = f"{max(counts)} examples per class" if min(counts) == max(counts) else \
            f"at most {max(counts)} examples in a class"
        return (f"The curve stops at k = {last}: the support set has {per}, and k = {last + 1} needs {need} "
                f"(k to learn from, one to test).")
    enough = sum(c >= need for c in counts)
    return (f"The curve stops at k = {last}: k = {last + 1} needs {n_way} classes with {need} examples or more "
            f"(k to learn from, one to test), and only {enough} of the support's classes have that many.")

