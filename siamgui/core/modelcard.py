"""What an encoder needs to be used, stored in the ONNX file itself (``metadata_props``).

One file carries everything: the app reads the card, applies the preprocessing it names,
compares with its metric and judges with its threshold. Keys are prefixed ``siamgui.``;
structured values are JSON strings.

Add a card to your own model with ``siamgui card MODEL.onnx --set modality=image
--set preprocess='{"kind": "image", "size": 64, "channels": 3}' --set metric=cosine
--set threshold=0.4`` or from Python with :func:`write_card`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from siamgui.errors import UserError
from siamgui.media.medium import MEDIA

PREFIX = "siamgui."
REQUIRED = ("preprocess", "metric", "threshold")  # the medium follows from the preprocess kind
METRICS = ("cosine", "euclidean")
MODALITIES = tuple(MEDIA)  # the media a card may name: "image", "audio"
JSON_FIELDS = ("preprocess", "metrics", "provenance")


class CardError(UserError, ValueError):
    """A model file that cannot be used, with a message meant for the user."""


@dataclass
class ModelCard:
    name: str
    modality: str  # "image" | "audio": the kind's medium (written for older readers; optional in a card)
    preprocess: dict[str, Any]  # see siamgui.kinds (one folder per kind)
    metric: str  # "cosine" | "euclidean" (on L2-normalised embeddings)
    threshold: float  # distance at or below which a pair is judged "same"
    description: str = ""
    embedding_dim: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)  # validation figures from training
    provenance: dict[str, Any] = field(default_factory=dict)  # data, command, date, seed
    version: str = "1"

    def to_props(self) -> dict[str, str]:
        out = {}
        for key, value in asdict(self).items():
            out[PREFIX + key] = json.dumps(value) if key in JSON_FIELDS else str(value)
        return out

    @classmethod
    def from_props(cls, props: dict[str, str], fallback_name: str = "model") -> "ModelCard":
        missing = missing_keys(props)
        if missing:
            started = any(k.startswith(PREFIX) for k in props)
            raise CardError(
                ("this .onnx has an incomplete SiamGUI model card: missing " if started else
                 "this .onnx has no SiamGUI model card: missing ")
                + ", ".join(PREFIX + k for k in missing)
                + " (add one with `siamgui card MODEL.onnx --set KEY=VALUE`; see README, 'Your own model')"
            )

        def get(key: str, default: str = "") -> str:
            return props.get(PREFIX + key, default)

        try:
            parsed = {k: json.loads(get(k, "{}")) for k in JSON_FIELDS}
            card = cls(
                name=get("name", fallback_name) or fallback_name,
                modality=get("modality") or _medium_of(parsed["preprocess"]),
                preprocess=parsed["preprocess"],
                metric=get("metric"),
                threshold=float(get("threshold")),
                description=get("description"),
                embedding_dim=int(get("embedding_dim", "0") or 0),
                metrics=parsed["metrics"],
                provenance=parsed["provenance"],
                version=get("version", "1"),
            )
        except (ValueError, TypeError) as exc:
            raise CardError(f"the model card is malformed: {exc}") from None
        card.validate()
        return card

    @property
    def medium(self):
        """The :class:`~siamgui.media.medium.Medium` this model reads (image, audio)."""
        from siamgui.media.medium import medium

        return medium(self.modality)

    def validate(self) -> None:
        from siamgui.media.errors import MediaError
        from siamgui.kinds.preprocess import modality, resolve

        if self.metric not in METRICS:
            raise CardError(f"unknown metric {self.metric!r} (known: {', '.join(METRICS)})")
        if not math.isfinite(self.threshold):
            raise CardError(f"threshold must be a finite number, got {self.threshold!r}")
        if not isinstance(self.preprocess, dict):
            raise CardError("preprocess must be a JSON object")
        try:
            resolve(self.preprocess)
        except MediaError as exc:
            raise CardError(str(exc)) from None
        if self.modality not in MODALITIES:
            raise CardError(f"unknown modality {self.modality!r} (known: {', '.join(MODALITIES)})")
        if modality(self.preprocess) != self.modality:
            raise CardError(f"preprocess kind {self.preprocess.get('kind')!r} does not fit modality {self.modality!r}")


def _medium_of(preprocess: Any) -> str:
    """The medium a card's preprocess kind reads, for cards that do not name it ("" when the kind is
    unknown: validate() then says why)."""
    from siamgui.media.errors import MediaError
    from siamgui.kinds.preprocess import modality

    try:
        return modality(preprocess) if isinstance(preprocess, dict) else ""
    except MediaError:
        return ""


def known_keys() -> tuple[str, ...]:
    """Card keys (without the prefix), in the order of the card."""
    return tuple(f.name for f in fields(ModelCard))


def missing_keys(props: dict[str, str]) -> list[str]:
    """Required keys (without the prefix) that ``props`` lacks; [] when the card is complete."""
    return [k for k in REQUIRED if PREFIX + k not in props]


def check_value(key: str, value: str) -> None:
    """CardError when one card value cannot be right on its own (so a partial card is never nonsense)."""
    if key not in known_keys():
        raise CardError(f"unknown card key {key!r} (known: {', '.join(known_keys())})")
    if key in JSON_FIELDS:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise CardError(f"{key} must be JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise CardError(f"{key} must be a JSON object ({{...}})")
        if key == "preprocess":  # every key's type and range (the kind's Modality.limits)
            from siamgui.media.errors import MediaError
            from siamgui.kinds.preprocess import resolve

            try:
                resolve(parsed)
            except MediaError as exc:
                raise CardError(str(exc)) from None
    elif key == "metric" and value not in METRICS:
        raise CardError(f"unknown metric {value!r} (known: {', '.join(METRICS)})")
    elif key == "modality" and value not in MODALITIES:
        raise CardError(f"unknown modality {value!r} (known: {', '.join(MODALITIES)})")
    elif key in ("threshold", "embedding_dim"):
        try:
            number = float(value) if key == "threshold" else int(value)
        except ValueError:
            raise CardError(f"{key} must be a number, got {value!r}") from None
        if key == "threshold" and not math.isfinite(number):
            raise CardError(f"threshold must be a finite number, got {value!r}")
        if key == "embedding_dim" and not 0 <= number <= 65536:
            raise CardError(f"embedding_dim must be from 0 to 65536, got {value!r}")


_ABSOLUTE = re.compile(r"(?<![\w.~-])/(?:[\w.+-]+/)*[\w.+-]+")  # a POSIX absolute path inside a text


def portable_paths(text: str, data_root: str | Path, workdir: str | Path | None = None) -> str:
    """``text`` (a data folder, a training command) with every absolute path made portable: under
    ``data_root`` relative to it (``glyphs/mnist_train``, as recipes name data), under ``workdir``
    relative to it, anywhere else reduced to ``<elsewhere>/NAME``. A card travels with its model:
    it should say which data set, not which machine's folders (or user name) it came from."""
    roots = [PurePosixPath(str(r)) for r in (data_root, workdir) if r]

    def portable(match: re.Match) -> str:
        path = PurePosixPath(match.group(0))
        for root in roots:
            if path == root or root in path.parents:
                return str(path.relative_to(root)) if path != root else "."
        return f"<elsewhere>/{path.name}"

    return _ABSOLUTE.sub(portable, text)


def portable_provenance(provenance: dict[str, Any], data_root: str | Path,
                        workdir: str | Path | None = None) -> dict[str, Any]:
    """A copy of ``provenance`` whose ``data`` and ``command`` hold no absolute path (see
    :func:`portable_paths`), saying what the data paths are relative to."""
    out = dict(provenance)
    if isinstance(out.get("data"), list):
        out["data"] = [portable_paths(d, data_root, workdir) if isinstance(d, str) else d for d in out["data"]]
    elif isinstance(out.get("data"), str):
        out["data"] = portable_paths(out["data"], data_root, workdir)
    if isinstance(out.get("command"), str):
        out["command"] = portable_paths(out["command"], data_root, workdir)
    if out != provenance:
        out["paths"] = "data folders relative to the shared data root ($SIAMGUI_DATA); others to the project"
    return out


def read_props(path: str | Path) -> dict[str, str]:
    """metadata_props of an ONNX file, read through onnxruntime (no onnx package needed)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    try:
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise unloadable(path, exc) from None
    return dict(sess.get_modelmeta().custom_metadata_map)


def read_card(path: str | Path) -> ModelCard:
    return ModelCard.from_props(read_props(path), fallback_name=Path(path).stem)


def write_card(path: str | Path, card: ModelCard, out: str | Path | None = None) -> Path:
    """Write ``card`` into the ONNX file's metadata_props (needs the ``onnx`` package)."""
    card.validate()
    return write_props(path, card.to_props(), out)


def write_props(path: str | Path, card_props: dict[str, str], out: str | Path | None = None) -> Path:
    """Replace the file's ``siamgui.*`` metadata with ``card_props`` (a card, or part of one being set up)."""
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props if not p.key.startswith(PREFIX)}
    props.update({k: v for k, v in card_props.items() if k.startswith(PREFIX)})
    del model.metadata_props[:]
    for k, v in props.items():
        model.metadata_props.add(key=k, value=v)
    target = Path(out or path)
    onnx.save(model, str(target))
    return target


def unloadable(path: str | Path, exc: BaseException) -> CardError:
    """onnxruntime's refusal of a model file, as a sentence saying what the file is not.

    onnxruntime says "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : ... Protobuf parsing failed"
    for a photo, a text file or a half-copied download named .onnx; a user needs to hear that the
    file is not an ONNX model at all, not how parsing failed.
    """
    import re

    name = Path(path).name
    text = str(exc)
    if "INVALID_PROTOBUF" in text or "Protobuf parsing failed" in text:
        return CardError(f"{name} is not an ONNX model: its contents are not in the ONNX format (another kind "
                         "of file, or a download or copy that did not finish)")
    if "No graph was found" in text:
        return CardError(f"{name} is not an ONNX model: it holds no network graph")
    detail = re.sub(r"^\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*", "", _first_line(exc))
    detail = re.sub(r"^Load model from .*? failed:\s*", "", detail)
    return CardError(f"{name} is an ONNX file this onnxruntime cannot load ({detail.rstrip('.')})")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[-1] if text else type(exc).__name__)[:200]
