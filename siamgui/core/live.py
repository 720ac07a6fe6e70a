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
from dataclasses import dataclass
from typing import Callable

import numpy as np

from siamgui.core.compare import Verdict
from siamgui.media.audio import AudioClip
from siamgui.media.errors import MediaError
from siamgui.media.face_tracker import FaceTracker
from siamgui.media.faces import Box, crop
from siamgui.media.preprocess import Prepared, face_tensor, prepare, resolve
from siamgui.media.utterances import UtteranceSegmenter


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
class FrameResult:
    seq: int  # the frame this result belongs to
    captured: float  # perf_counter() when the frame was read
    done: float  # perf_counter() when the result was ready
    box: Box | None  # face box in frame pixels
    crop: np.ndarray | None  # the grey crop the encoder saw
    distance: float | None  # this frame's distance to the reference
    smoothed: float | None  # median over the smoothing window
    verdict: Verdict | None  # judged on the smoothed distance
    message: str = ""  # e.g. "no face", "no reference"
    embedding: np.ndarray | None = None


class FaceVerifier:
    """One frame -> face box, crop, embedding, distance to the reference (smoothed)."""

    def __init__(self, encoder, threshold: float | None = None, smoothing: int = 5, detect_every: int = 15):
        if encoder.card.preprocess.get("kind") not in ("face", "image"):
            raise MediaError(f"{encoder.name} is not an image model for faces")
        self.encoder = encoder
        self.spec = resolve(encoder.card.preprocess)
        self.threshold = encoder.threshold if threshold is None else threshold
        self.tracker = FaceTracker(every=detect_every)
        self.smoother = Smoother(smoothing)
        self.reference: np.ndarray | None = None

    def set_reference(self, embedding: np.ndarray | None) -> None:
        self.reference = embedding
        self.smoother.reset()

    def process(self, frame: np.ndarray, seq: int = 0, captured: float | None = None) -> FrameResult:
        captured = time.perf_counter() if captured is None else captured
        if self.spec["kind"] == "face":
            box, _ = self.tracker.update(frame)
            if box is None:
                self.smoother.reset()
                return FrameResult(seq, captured, time.perf_counter(), None, None, None, None, None, "no face in view")
            region = box.square(float(self.spec["margin"]))
            face = crop(frame, region, int(self.spec["size"]))
            prepared = Prepared(face_tensor(face, self.spec)[None], region=region, view=face)
        else:
            prepared = prepare(self.spec, frame)
            box, face = prepared.region, prepared.view
        emb = self.encoder.embed_prepared([prepared])[0]
        if self.reference is None:
            return FrameResult(seq, captured, time.perf_counter(), box, face, None, None, None, "no reference", emb)
        d = self.encoder.distance(emb, self.reference)
        s = self.smoother.add(d)
        return FrameResult(seq, captured, time.perf_counter(), box, face, d, s, Verdict(s, self.threshold), "", emb)


class CameraLoop:
    """Capture thread + inference thread around a frame source; results by callback."""

    def __init__(self, open_source: Callable[[], object], verifier: FaceVerifier,
                 on_frame: Callable[[np.ndarray, int], None], on_result: Callable[[FrameResult], None],
                 on_error: Callable[[str], None], retry_s: float = 2.0):
        self.open_source, self.verifier = open_source, verifier
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


class VoiceVerifier:
    """Chunks -> levels, utterances, and verdicts against a reference voice."""

    def __init__(self, encoder, threshold: float | None = None, rolling_every_s: float = 0.5):
        if encoder.card.modality != "audio":  # logmel or ge2e
            raise MediaError(f"{encoder.name} is not an audio model")
        self.encoder = encoder
        self.rate = int(resolve(encoder.card.preprocess)["sample_rate"])
        self.threshold = encoder.threshold if threshold is None else threshold
        self.segmenter = UtteranceSegmenter(rate=self.rate)
        self.reference: np.ndarray | None = None
        self.rolling_every_s = rolling_every_s
        self._since_rolling = 0.0

    def set_reference(self, embedding: np.ndarray | None) -> None:
        self.reference = embedding

    def judge(self, clip: AudioClip, kind: str) -> VoiceResult:
        ended = time.perf_counter()
        try:
            emb = self.encoder.embed_prepared([self.encoder.prepare(clip)])[0]
        except MediaError as exc:
            return VoiceResult(kind, ended, time.perf_counter(), clip.duration, None, None, str(exc), clip)
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
