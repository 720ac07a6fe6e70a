"""Checkpoints: written whole or not at all, read without running code.

A checkpoint is something people pass around, so ``torch.load`` reads it with ``weights_only=True``:
tensors and plain containers only, never a pickled object whose ``__reduce__`` would run. It is
written to a temporary file beside the target and renamed over it, so a kill mid-write keeps the
previous checkpoint.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

from siamgui.train.data import TrainError


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made Python numbers and lists (what weights_only reads)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def save_checkpoint(state: dict, path: Path | str) -> None:
    """Write ``state`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(plain(state), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path | str, option: str, needs: Iterable[str] = ("model",)) -> dict:
    """The checkpoint at ``path`` as a dict of tensors and plain values; TrainError in one sentence
    when it is missing, truncated, not a checkpoint, or holds anything but data."""
    path = Path(path)
    if not path.is_file():
        raise TrainError(f"{option} {path}: no such checkpoint file")
    try:
        with warnings.catch_warnings():  # torch warns about a foreign pickle's protocol before refusing it
            warnings.simplefilter("ignore")
            ck = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise TrainError(f"{option} {path.name}: refused: the file holds more than weights and numbers (objects "
                         "that would run code when loaded), so it is not a siamgui-train checkpoint") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise TrainError(f"{option} {path.name}: not a readable checkpoint (truncated or another format: "
                         f"{type(exc).__name__})") from None
    missing = [k for k in needs if not isinstance(ck, dict) or k not in ck]
    if missing:
        raise TrainError(f"{option} {path.name}: not a siamgui-train checkpoint (it lacks {', '.join(missing)})")
    return ck
