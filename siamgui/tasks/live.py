"""Live verification loops: camera frames or microphone chunks in, verdicts out. No Qt.

Two threads per source: one reads the device at its own rate and hands each frame to the
preview callback; the other takes only the newest frame (latest wins, no backlog), finds the
face, embeds it and compares. Every result carries the sequence number and time of the frame
it was computed from, so a view never draws a stale verdict over a newer frame.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from siamgui.core.compare import Verdict, from_cosine
from siamgui.media.audio import AudioClip
from siamgui.media.errors import MediaError
from siamgui.media.face_tracker import FaceTracker, box_of
from siamgui.media.faces import Box
from siamgui.media.utterances import UtteranceSegmenter

MAX_FACES = 8  # faces followed and named at once in Live


class LatestSlot:
    """Holds one item; a new put replaces the old one (a slow consumer skips, never lags)."""

    def __init__(self):
        self._item = None
        self._cond = threading.Condition()
        self.replaced = 0

    def put(self, item) -> None:
        with self._cond:
            if self._item is not None:
                self.replaced += 1
            self._item = item
            self._cond.notify()

    def take(self, timeout: float = 0.5):
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


class Smoother:
    """Median of the last few distances, so the verdict does not flicker."""

    def __init__(self, window: int = 5):
        self.values: deque[float] = deque(maxlen=window)

    def add(self, value: float) -> float:
        self.values.append(value)
        return float(np.median(self.values))

    def reset(self) -> None:
        self.values.clear()


@dataclass
class FaceResult:
    """One face of one frame: its track, where it is, what the encoder saw, and how it was judged.

    In Verify mode ``distance`` is to the reference; in Identify mode to the nearest enrolled
    person (``name``), with ``matches`` the nearest few. ``smoothed`` is the median over the
    track's own window, and the verdict is judged on it, so one face's name never leaks into
    another's and a single odd frame does not flip it."""

    track: int  # stable while this face stays in view (0: kinds that do not track faces)
    box: Box | None  # in frame pixels
    crop: np.ndarray | None = None  # the picture the encoder saw (None: not embedded this frame)
    colour: str = "grey"  # channel order of ``crop`` (see Prepared.colour)
    embedding: np.ndarray | None = None
    distance: float | None = None  # this frame's distance (to the reference, or to ``name``)
    smoothed: float | None = None  # median over the track's smoothing window
    verdict: Verdict | None = None  # judged on ``smoothed``
    name: str | None = None  # Identify: the nearest person (known only when the verdict says same)
    matches: list[tuple[str, float]] = field(default_factory=list)  # Identify: nearest people, smoothed
    judged: bool = False  # Verify: the face held against the reference (the others are only boxed)
    message: str = ""  # e.g. "the face is too small to judge"

    @property
    def label(self) -> str:
        """What to write beside the box in Identify mode: the person's name, or "unknown"."""
        if self.verdict is None or self.name is None:
            return "unknown" if self.embedding is not None else ""
        return self.name if self.verdict.same else "unknown"


@dataclass
class FrameResult:
    """Everything judged on one frame: a view draws the boxes, their colours and the verdict from
    this one object, so the box colour and the verdict beside it never come from different frames.
    The single-face fields (box, crop, verdict, ...) are those of the judged face (Verify) or the
    largest face (Identify)."""

    seq: int  # the frame this result belongs to
    captured: float  # perf_counter() when the frame was read
    done: float  # perf_counter() when the result was ready
    faces: list[FaceResult] = field(default_factory=list)  # largest first
    identify: bool = False  # judged against the gallery (True) or the reference (False)
    message: str = ""  # e.g. "no face in view", "no reference"
    generation: int = 0  # the verifier's settings it was judged with (see FaceVerifier.generation)

    @property
    def main(self) -> FaceResult | None:
        """The judged face in Verify mode, the largest in Identify mode."""
        return next((f for f in self.faces if f.judged), self.faces[0] if self.faces else None)

    def _main(self, attr: str, default=None):
        m = self.main
        return default if m is None else getattr(m, attr)

    box = property(lambda self: self._main("box"))
    crop = property(lambda self: self._main("crop"))
    colour = property(lambda self: self._main("colour", "grey"))
    embedding = property(lambda self: self._main("embedding"))
    distance = property(lambda self: self._main("distance"))
    smoothed = property(lambda self: self._main("smoothed"))
    verdict = property(lambda self: self._main("verdict"))
    track = property(lambda self: self._main("track"))


@dataclass(frozen=True)
class PeopleSnapshot:
    """The enrolled people of one model, read once from the gallery (off the UI thread), so every
    frame compares all its faces with everyone in one matrix product, with no database read."""

    pids: np.ndarray  # (rows,) person id of each stored embedding
    vecs: np.ndarray  # (rows, D) L2-normalised embeddings
    people: tuple[int, ...]  # distinct person ids, in column order
    names: tuple[str, ...]  # their names
    metric: str

    def __post_init__(self) -> None:
        # rows grouped by person (in column order), so each person's nearest sample is one reduceat
        column = {pid: c for c, pid in enumerate(self.people)}
        cols = np.array([column[int(p)] for p in np.asarray(self.pids).tolist()], np.int64)
        order = np.argsort(cols, kind="stable")
        object.__setattr__(self, "pids", np.asarray(self.pids)[order])
        object.__setattr__(self, "vecs", np.asarray(self.vecs, np.float32)[order])
        object.__setattr__(self, "_starts", np.searchsorted(cols[order], np.arange(len(self.people))))

    @classmethod
    def from_matrix(cls, matrix: tuple, metric: str) -> "PeopleSnapshot":
        """From ``Gallery.matrix(model_hash, scope)`` = (sample ids, person ids, names, vectors)."""
        _, pids, names, vecs = matrix
        pids = np.asarray(pids)
        people: dict[int, str] = {}
        for pid, name in zip(pids.tolist(), names):
            people.setdefault(int(pid), name)
        vecs = np.asarray(vecs, np.float32)
        if vecs.ndim != 2:  # an empty gallery: no rows, no columns
            vecs = vecs.reshape(len(pids), -1) if len(pids) else np.zeros((0, 0), np.float32)
        return cls(pids, vecs, tuple(people), tuple(people.values()), metric)

    def __len__(self) -> int:
        return len(self.people)

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(faces, people): each face's distance to each person's nearest enrolled sample."""
        d = from_cosine(np.atleast_2d(embeddings) @ self.vecs.T, self.metric)
        return np.minimum.reduceat(d, self._starts, axis=1)


def person_reference(matrix: tuple, person_id: int) -> tuple[np.ndarray, str, int] | None:
    """(the unit mean of a person's embeddings, their name, how many) from ``Gallery.matrix``; None
    when they have none for this model. An enrolled person as a Verify reference."""
    _, pids, names, vecs = matrix
    rows = np.nonzero(np.asarray(pids) == person_id)[0]
    if len(rows) == 0:
        return None
    mean = np.asarray(vecs)[rows].mean(axis=0)
    return mean / (np.linalg.norm(mean) + 1e-12), names[rows[0]], len(rows)


class FaceVerifier:
    """One frame -> every face's box, crop and embedding (one batch), judged per track.

    Verify: the judged face (the one followed, see ``FaceTracker.primary``) against the reference;
    the other faces are boxed, not embedded. Identify: every face (up to ``max_faces``) against
    the gallery snapshot; each track keeps the median of its own last ``smoothing`` distances to
    every person, so its name neither flickers nor jumps to another face.
    """

    def __init__(self, encoder, threshold: float | None = None, smoothing: int = 5, detect_every: int = 15,
                 max_faces: int = MAX_FACES):
        if encoder.modality.live_source != "camera":
            raise MediaError(f"{encoder.name} takes {encoder.modality.kind} input, which a camera cannot give")
        self.encoder = encoder
        self.modality = encoder.modality
        self.threshold = encoder.threshold if threshold is None else threshold
        self.window = smoothing
        self.tracker = FaceTracker(every=detect_every, detector=self.modality.detector(), max_faces=max_faces)
        self.reference: np.ndarray | None = None
        self.identifying = False
        self.people: PeopleSnapshot | None = None
        self._smoothers: dict[int, Smoother] = {}
        self._people_windows: dict[int, deque[np.ndarray]] = {}
        self.generation = 0  # bumped by every setter (UI thread); the worker drops its windows on a change
        self._seen_generation = 0
        self._follow: int | None = None  # a face the user chose to judge, taken up by the next frame

    @property
    def smoother(self) -> Smoother:
        """The judged face's smoother (single-face callers)."""
        t = self.tracker.primary
        return self._smoothers.setdefault(t.id if t is not None else 0, Smoother(self.window))

    def set_reference(self, embedding: np.ndarray | None) -> None:
        self.reference = embedding
        self.generation += 1

    def set_identify(self, identifying: bool, people: PeopleSnapshot | None = None) -> None:
        """Judge against the gallery's ``people`` (Identify) or against the reference (Verify)."""
        self.identifying, self.people = identifying, people
        self.generation += 1

    def judge_face(self, track_id: int) -> None:
        """Verify: judge this face from the next frame on (the user pointed at it), if still in view."""
        self._follow = track_id

    def process(self, frame: np.ndarray, seq: int = 0, captured: float | None = None) -> FrameResult:
        captured = time.perf_counter() if captured is None else captured
        generation = self.generation
        if self._seen_generation != generation:
            self._seen_generation = generation
            self._smoothers.clear()
            self._people_windows.clear()
        identifying, people, reference = self.identifying, self.people, self.reference
        faces: list[FaceResult] = []
        prepared: list[tuple[FaceResult, object]] = []
        if self.modality.tracks_faces:
            tracks, _ = self.tracker.update_all(frame)
            follow, self._follow = self._follow, None
            if follow is not None:
                self.tracker.follow(follow)
            primary = self.tracker.primary
            alive = {t.id for t in tracks}
            for store in (self._smoothers, self._people_windows):
                for gone in [k for k in store if k not in alive]:
                    del store[gone]
            for t in tracks:
                face = FaceResult(t.id, box_of(t.face), judged=not identifying and t is primary)
                faces.append(face)
                if not identifying and t is not primary:
                    continue  # Verify judges one face; the others are only boxed
                try:
                    prepared.append((face, self.modality.prepare_at(frame, t.face)))
                except MediaError as exc:  # e.g. a face too small to judge: say so, do not guess
                    face.message = str(exc)
                    self._smoothers.pop(t.id, None)
                    self._people_windows.pop(t.id, None)
            if not faces:
                return FrameResult(seq, captured, time.perf_counter(), [], identifying, "no face in view", generation)
        else:
            p = self.modality.prepare(frame)
            face = FaceResult(0, p.region, judged=not identifying)
            faces.append(face)
            prepared.append((face, p))
        if prepared:
            embeddings = self.encoder.embed_prepared([p for _, p in prepared])  # every face in one batch
            for (face, p), emb in zip(prepared, embeddings):
                face.crop, face.colour, face.embedding = p.view, p.colour, emb
        done = [f for f, _ in prepared]
        if identifying:
            message = self._identify(done, people)
        else:
            message = self._verify(done, reference)
        return FrameResult(seq, captured, time.perf_counter(), faces, identifying, message, generation)

    def _verify(self, faces: list[FaceResult], reference: np.ndarray | None) -> str:
        if reference is None:
            return "no reference"
        for f in faces:
            f.distance = self.encoder.distance(f.embedding, reference)
            f.smoothed = self._smoothers.setdefault(f.track, Smoother(self.window)).add(f.distance)
            f.verdict = Verdict(f.smoothed, self.threshold)
        return ""

    def _identify(self, faces: list[FaceResult], people: PeopleSnapshot | None) -> str:
        if people is None or not len(people):
            return "the gallery has nobody enrolled with this model"
        if not faces:
            return ""
        raw = people.distances(np.stack([f.embedding for f in faces]))
        for f, row in zip(faces, raw):
            window = self._people_windows.setdefault(f.track, deque(maxlen=self.window))
            window.append(row)
            smoothed = np.median(np.stack(window), axis=0)  # per person: the same median rule as Verify
            order = np.argsort(smoothed, kind="stable")
            best = int(order[0])
            f.name, f.distance, f.smoothed = people.names[best], float(row[best]), float(smoothed[best])
            f.verdict = Verdict(f.smoothed, self.threshold)
            f.matches = [(people.names[i], float(smoothed[i])) for i in order[:3]]
        return ""


class CameraLoop:
    """Capture thread + inference thread around a frame source; results by callback."""

    def __init__(self, open_source: Callable[[], object], verifier: FaceVerifier,
                 on_frame: Callable[[np.ndarray, int], None], on_result: Callable[[FrameResult], None],
                 on_error: Callable[[str], None], retry_s: float = 2.0,
                 on_end: Callable[[str], None] | None = None):
        """``on_end(reason)``: the loop stopped by itself (a file that is not a video: retrying a
        file cannot help, unlike a device that may be plugged in again)."""
        self.open_source, self.verifier = open_source, verifier
        self.on_end = on_end
        self.on_frame, self.on_result, self.on_error = on_frame, on_result, on_error
        self.retry_s = retry_s
        self.slot = LatestSlot()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.frames = 0
        self.results = 0

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._capture, name="camera", daemon=True),
                         threading.Thread(target=self._infer, name="camera-infer", daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _capture(self) -> None:
        source = None
        while not self._stop.is_set():
            try:
                if source is None:
                    source = self.open_source()
                frame = source.read()
            except MediaError as exc:
                if source is not None:
                    source.close()
                    source = None
                if not getattr(exc, "retry", True):  # said once; the loop ends
                    self._stop.set()
                    self.on_error(str(exc))
                    if self.on_end is not None:
                        self.on_end(str(exc))
                    break
                self.on_error(f"{exc} — retrying every {self.retry_s:.0f} s")
                self._stop.wait(self.retry_s)
                continue
            self.frames += 1
            seq = self.frames
            self.on_frame(frame, seq)
            self.slot.put((frame, seq, time.perf_counter()))
        if source is not None:
            source.close()

    def _infer(self) -> None:
        while not self._stop.is_set():
            item = self.slot.take(0.2)
            if item is None:
                continue
            frame, seq, captured = item
            try:
                result = self.verifier.process(frame, seq, captured)
            except Exception as exc:  # never let one bad frame kill the loop
                self.on_error(f"could not judge a frame: {exc}")
                continue
            self.results += 1
            self.on_result(result)


@dataclass
class VoiceResult:
    kind: str  # "utterance" (an utterance just ended) or "rolling" (the last seconds while speaking)
    ended: float  # perf_counter() at the end of the audio judged
    done: float
    duration: float
    distance: float | None
    verdict: Verdict | None
    message: str = ""
    clip: AudioClip | None = None
    embedding: np.ndarray | None = None
    identify: bool = False  # judged against the gallery's people (True) or the reference (False)
    name: str | None = None  # Identify: the nearest person (known only when the verdict says same)
    matches: list[tuple[str, float]] = field(default_factory=list)  # Identify: the nearest people


class VoiceVerifier:
    """Chunks -> levels, utterances, and verdicts against a reference voice."""

    def __init__(self, encoder, threshold: float | None = None, rolling_every_s: float = 0.5):
        if encoder.modality.live_source != "microphone":
            raise MediaError(f"{encoder.name} is not a model for microphone input")
        self.encoder = encoder
        self.rate = int(encoder.modality.spec["sample_rate"])
        self.threshold = encoder.threshold if threshold is None else threshold
        self.segmenter = UtteranceSegmenter(rate=self.rate)
        self.reference: np.ndarray | None = None
        self.identifying = False
        self.people: PeopleSnapshot | None = None
        self.rolling_every_s = rolling_every_s
        self._since_rolling = 0.0

    def set_reference(self, embedding: np.ndarray | None) -> None:
        self.reference = embedding

    def set_identify(self, identifying: bool, people: PeopleSnapshot | None = None) -> None:
        """Name the speaker from the gallery's ``people`` (Identify) or judge against the reference."""
        self.identifying, self.people = identifying, people

    def judge(self, clip: AudioClip, kind: str) -> VoiceResult:
        ended = time.perf_counter()
        try:
            emb = self.encoder.embed_one(clip)
        except MediaError as exc:
            return VoiceResult(kind, ended, time.perf_counter(), clip.duration, None, None, str(exc), clip)
        identifying, people = self.identifying, self.people
        if identifying:
            if people is None or not len(people):
                return VoiceResult(kind, ended, time.perf_counter(), clip.duration, None, None,
                                   "the gallery has nobody enrolled with this model", clip, emb, True)
            d = people.distances(emb)[0]
            order = np.argsort(d, kind="stable")[:3]
            best = int(order[0])
            return VoiceResult(kind, ended, time.perf_counter(), clip.duration, float(d[best]),
                               Verdict(float(d[best]), self.threshold), "", clip, emb, True, people.names[best],
                               [(people.names[i], float(d[i])) for i in order])
        if self.reference is None:
            return VoiceResult(kind, ended, time.perf_counter(), clip.duration, None, None, "no reference", clip, emb)
        d = self.encoder.distance(emb, self.reference)
        return VoiceResult(kind, ended, time.perf_counter(), clip.duration, d, Verdict(d, self.threshold), "", clip, emb)

    def push(self, chunk: np.ndarray) -> tuple[float, bool, list[VoiceResult]]:
        level, voice, utterance = self.segmenter.push(chunk)
        out = []
        if utterance is not None:
            out.append(self.judge(utterance, "utterance"))
            self._since_rolling = 0.0
        elif self.segmenter.speaking:
            self._since_rolling += len(chunk) / self.rate
            recent = self.segmenter.recent_voice()
            if recent is not None and self._since_rolling >= self.rolling_every_s:
                self._since_rolling = 0.0
                out.append(self.judge(recent, "rolling"))
        return level, voice, out


class MicrophoneLoop:
    """One thread: read chunks, meter them, segment and judge; results by callback."""

    def __init__(self, open_source: Callable[[], object], verifier: VoiceVerifier,
                 on_chunk: Callable[[np.ndarray, float, bool], None], on_result: Callable[[VoiceResult], None],
                 on_error: Callable[[str], None]):
        self.open_source, self.verifier = open_source, verifier
        self.on_chunk, self.on_result, self.on_error = on_chunk, on_result, on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="microphone", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        try:
            source = self.open_source()
        except MediaError as exc:
            self.on_error(str(exc))
            return
        try:
            while not self._stop.is_set():
                chunk = source.read(0.5)
                if chunk is None:
                    continue
                level, voice, results = self.verifier.push(chunk)
                self.on_chunk(chunk, level, voice)
                for r in results:
                    self.on_result(r)
        except Exception as exc:
            self.on_error(f"the microphone stopped: {exc}")
        finally:
            source.close()
