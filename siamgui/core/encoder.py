"""Encoder: an ONNX Siamese encoder and the card that says how to feed it.

    enc = Encoder.load("face", device="auto")
    enc.compare("a.png", "b.png")       # -> Verdict(distance, threshold); .same, .margin
    enc.embed(["a.png", "b.png"])       # -> (2, D) L2-normalised
    enc.providers                       # what onnxruntime really runs, e.g. ["CPUExecutionProvider"]
    enc.provider_note                   # why CUDA is not in use, when it was asked for
"""

from __future__ import annotations

import hashlib
import time
from functools import cached_property
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from siamgui.core import device as devices
from siamgui.core import registry
from siamgui.core.compare import Verdict, distance, l2_normalise
from siamgui.core.modelcard import CardError, ModelCard, unloadable
from siamgui.media.errors import MediaError, named
from siamgui import kinds as modalities
from siamgui.media.audio import AudioClip
from siamgui.kinds import Modality, Prepared, Source

BATCH = 64


@dataclass
class Encoder:
    path: Path
    card: ModelCard
    session: Any = field(repr=False)  # onnxruntime.InferenceSession
    requested: str = "auto"
    load_seconds: float = 0.0

    # --- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path, device: str | None = None) -> "Encoder":
        """Load a shipped model by name or any .onnx with a SiamGUI card; CardError if unusable."""
        import onnxruntime as ort

        t0 = time.perf_counter()
        path = registry.find(name_or_path)
        if path.stat().st_size == 0:
            raise CardError(f"{path.name}: the model file is empty")
        choice = devices.choose(device)
        opts = ort.SessionOptions()
        opts.log_severity_level = 4  # we report provider fallbacks ourselves, in words
        # idle ORT worker threads otherwise spin for a while after each run, taking the core that face
        # detection, audio features and the UI need next: `siamgui bench` face pipeline 22 -> 11 ms/frame
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(str(path), opts, providers=choice.providers)
        except Exception as exc:
            raise unloadable(path, exc) from None
        props = dict(session.get_modelmeta().custom_metadata_map)
        card = ModelCard.from_props(props, fallback_name=path.stem)
        enc = cls(path=path, card=card, session=session, requested=choice.requested)
        enc._check_shapes()
        enc.load_seconds = time.perf_counter() - t0
        return enc

    def _check_shapes(self) -> None:
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise CardError(f"{self.path.name}: expected one input, the model has {len(inputs)}")
        shape = inputs[0].shape
        want = self.modality.input_shape()
        if len(shape) != 4 or any(isinstance(s, int) and s != w for s, w in zip(shape[1:], want)):
            raise CardError(
                f"{self.path.name}: input shape {shape} does not fit the card's preprocessing "
                f"(expects [N, {', '.join(map(str, want))}])"
            )
        out = self.session.get_outputs()[0].shape
        if len(out) != 2:
            raise CardError(f"{self.path.name}: output shape {out} is not (N, D) embeddings")

    # --- facts for the user --------------------------------------------------------------
    @cached_property
    def modality(self) -> Modality:
        """The input kind named by the card: what it reads, how it prepares, how it is shown."""
        return modalities.get(self.card.preprocess, providers=self.providers)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def providers(self) -> list[str]:
        return list(self.session.get_providers())

    @property
    def provider_note(self) -> str | None:
        return devices.provider_note(self.requested, self.providers)

    @property
    def threshold(self) -> float:
        """The user's calibrated threshold for this model file when one is stored, else the card's."""
        from siamgui.core import thresholds

        stored = thresholds.get(self.model_hash)
        return self.card.threshold if stored is None else stored

    @property
    def default_threshold(self) -> float:
        """The threshold in the model card (what the model's author chose)."""
        return self.card.threshold

    @cached_property
    def model_hash(self) -> str:
        """sha256 of the file: embeddings from different files are never compared."""
        return file_sha256(self.path)

    # --- work ----------------------------------------------------------------------------
    def prepare(self, source: Source) -> Prepared:
        """Preprocess one input exactly as the card says (MediaError names the file)."""
        try:
            return self.modality.prepare(source)
        except MediaError as exc:
            msg = str(exc)
            raise MediaError(named(Path(source).name, msg) if isinstance(source, (str, Path)) else msg) from None

    def run(self, tensors: np.ndarray) -> np.ndarray:
        """Raw encoder outputs for a (N, C, H, W) float32 batch, in chunks of BATCH."""
        x = np.ascontiguousarray(tensors, dtype=np.float32)
        outs = [self.session.run(None, {self._input_name: x[i : i + BATCH]})[0] for i in range(0, len(x), BATCH)]
        if not outs:
            return np.zeros((0, 0), np.float32)
        return np.asarray(outs[0] if len(outs) == 1 else np.concatenate(outs), np.float32)  # one chunk: no copy

    @cached_property
    def _input_name(self) -> str:
        return self.session.get_inputs()[0].name

    def embed_prepared(self, items: Sequence[Prepared]) -> np.ndarray:
        """One L2-normalised embedding per item; multi-window items (audio) average their windows."""
        if not items:
            return np.zeros((0, self.card.embedding_dim), np.float32)
        counts = [len(p.tensors) for p in items]
        raw = l2_normalise(self.run(items[0].tensors if len(items) == 1 else np.concatenate([p.tensors for p in items])))
        if all(c == 1 for c in counts):  # one window each (pictures, frames): each row is its own mean
            return l2_normalise(raw)
        bounds = np.cumsum([0] + counts)
        return l2_normalise(np.stack([raw[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]))

    def embed(self, sources: Iterable[Source] | Source) -> np.ndarray:
        """L2-normalised embeddings, one row per source: ``sources`` is one path, image array or
        AudioClip, or a list of them. A single source still gives a (1, D) array, so callers
        index ``[0]``; multi-window audio is averaged into one row."""
        if isinstance(sources, (str, Path, AudioClip)) or (isinstance(sources, np.ndarray) and sources.ndim in (2, 3)
                                                            and sources.dtype != object):
            sources = [sources]
        return self.embed_prepared([self.prepare(s) for s in sources])

    def embed_one(self, source: Source) -> np.ndarray:
        """The (D,) embedding of one source: the shortcut every live and gallery path needs."""
        return self.embed([source])[0]

    def compare(self, a: Source, b: Source, threshold: float | None = None) -> Verdict:
        """Embed both inputs and judge them: ``Verdict(distance, threshold)``, ``.same`` when the
        distance is at or below the threshold (the calibrated one unless ``threshold`` is given)."""
        ea, eb = self.embed([a, b])
        return Verdict(self.distance(ea, eb), self.threshold if threshold is None else float(threshold))

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """The card's metric between two embeddings (as returned by :meth:`embed`)."""
        return float(distance(a, b, self.card.metric))


def file_sha256(path: str | Path) -> str:
    """sha256 of a model file: what embeddings and calibrated thresholds are keyed by."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
