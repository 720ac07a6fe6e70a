"""The user's own thresholds, one per model file, kept beside the settings (never in the model).

A threshold calibrated on the user's data ("Use this threshold" in Calibrate, or
``siamgui calibrate ... --use``) is stored in ``thresholds.json`` in the user config folder,
keyed by the sha256 of the model file: a retrained or replaced file starts again from its
card's default, and two files with the same name never share a threshold.

    thresholds.get(enc.model_hash)            # -> float or None
    thresholds.store(enc.model_hash, 0.31, model_name="face", note="calibrated on 400 files")
    thresholds.clear(enc.model_hash)          # back to the card's default
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

FILENAME = "thresholds.json"
_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "data": {}}


def path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("siamgui", appauthor=False)) / FILENAME


def _read(p: Path) -> dict[str, dict[str, Any]]:
    """Entries by model hash; a missing or damaged file reads as empty (the card's default holds)."""
    try:
        st = p.stat()
    except OSError:
        return {}
    key = (str(p), st.st_mtime_ns, st.st_size)
    if _cache["key"] == key:
        return _cache["data"]
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        models = raw.get("models", {}) if isinstance(raw, dict) else {}
        data = {h: e for h, e in models.items() if isinstance(e, dict) and _valid(e.get("threshold"))}
    except (OSError, ValueError):
        data = {}
    _cache["key"], _cache["data"] = key, data
    return data


def _valid(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def all_entries() -> dict[str, dict[str, Any]]:
    with _lock:
        return {h: dict(e) for h, e in _read(path()).items()}


def entry(model_hash: str) -> dict[str, Any] | None:
    """The stored record (threshold, model_name, stored_at, note…) or None."""
    with _lock:
        e = _read(path()).get(model_hash)
        return dict(e) if e else None


def get(model_hash: str) -> float | None:
    e = entry(model_hash)
    return float(e["threshold"]) if e else None


def store(model_hash: str, threshold: float, model_name: str = "", **extra: Any) -> Path:
    """Remember ``threshold`` for this model file (atomic write; other models' entries kept)."""
    threshold = float(threshold)
    if not math.isfinite(threshold):
        raise ValueError(f"a threshold must be a finite number, not {threshold}")
    record = {"threshold": threshold, "model_name": model_name, "stored_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              **{k: v for k, v in extra.items() if v is not None}}
    return _update(lambda models: models.__setitem__(model_hash, record))


def clear(model_hash: str) -> bool:
    """Forget the user's threshold for this model; True when there was one."""
    had = entry(model_hash) is not None
    if had:
        _update(lambda models: models.pop(model_hash, None))
    return had


def _update(change) -> Path:
    p = path()
    with _lock:
        models = {h: dict(e) for h, e in _read(p).items()}
        change(models)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".thresholds-", suffix=".json", dir=p.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "models": models}, f, indent=2, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _cache["key"] = None
    return p
