"""Checked numbers in, strict JSON out: the command line's two seams with the outside world.

Every numeric option goes through one of these argparse types, so ``nan``, ``inf``,
``-1e400`` (which float() turns into -inf) and out-of-range values end in one sentence with
exit 2 before any work starts; every ``--json`` goes through :func:`json_text`, which never
writes ``NaN`` or ``Infinity`` (not JSON: a strict parser refuses the whole document).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Iterable

def number(lo: float | None = None, hi: float | None = None, what: str = "a number") -> Callable[[str], float]:
    """An argparse type: a finite float within ``lo``..``hi`` (inclusive)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be from {lo:g} to {hi:g}, got {text}")
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo:g}, got {text}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"must be at most {hi:g}, got {text}")
        return value

    return parse


def whole(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number within ``lo``..``hi`` (inclusive)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"must be {lo} or more, got {value}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"must be {hi} or less, got {value}")
        return value

    return parse


threshold = number(what="a distance")  # any finite number (-1 judges every pair different)
seed = whole(0, 2**32 - 1)  # numpy's generators take 0 .. 2**32-1 here


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON's null), recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:  # a NumPy scalar
        return finite(value.item())
    return value


def json_text(value: Any, indent: int = 2) -> str:
    """Strict JSON: non-finite numbers become null, never the ``NaN`` json.dumps writes by default."""
    return json.dumps(finite(value), indent=indent, allow_nan=False)


def one_line(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\n``, ``\\x1b``): a file or person
    named with a newline cannot split a one-line-per-file output or fake a line of its own."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


SQLITE_HEADER = b"SQLite format 3\x00"


def overwrite_problem(out: Path, inputs: Iterable[str | Path] = ()) -> str | None:
    """Why writing ``out`` would destroy what the user needs, or None: ``--out`` naming one of the
    command's own inputs (``embed a.png --out a.png`` replaced the photo with an .npz, and
    ``--pairs p.csv --out p.csv`` emptied the pairs) or a database (``gallery export`` onto the
    gallery file replaced everyone enrolled with a zip)."""
    if not out.is_file():
        return None
    for given in inputs:
        try:
            if os.path.samefile(out, given):
                return f"{out} is one of the files this command reads; write to another name"
        except OSError:  # an input that does not exist (it is refused on its own)
            continue
    try:
        with open(out, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError:
        return None
    if head == SQLITE_HEADER:
        return f"{out} is a database (a SiamGUI gallery?), which is never overwritten; write to another name"
    return None
