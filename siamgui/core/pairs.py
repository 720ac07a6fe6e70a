"""The pairs CSV: the one reader behind ``siamgui compare --pairs`` and calibration.

A header row names the columns ``a``, ``b`` and optionally ``label`` (any case, any order, more
columns kept); each row is one pair of files, paths relative to the CSV's folder (or absolute). A
label is 1/0, same/different, true/false, yes/no, y/n or genuine/impostor; empty means unlabelled.
``.tsv`` files are tab-separated. Every problem is one sentence naming the file and line:
``pairs.csv, line 7: expected 3 columns (a,b,label), found 2``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from siamgui.errors import UserError

SAME = ("1", "1.0", "same", "true", "yes", "y", "genuine")
DIFFERENT = ("0", "0.0", "different", "false", "no", "n", "impostor", "diff")


class PairsError(UserError, ValueError):
    """A pairs file that cannot be used, naming the file (and line) for the user."""


@dataclass(frozen=True)
class Pair:
    line: int  # line of the file the row ends on (1 = the header)
    a: str
    b: str
    label: bool | None  # True = same, False = different, None = unlabelled
    values: dict[str, str] = field(default_factory=dict)  # every column, by its header as written


@dataclass(frozen=True)
class PairsFile:
    path: Path
    columns: list[str]  # the header as written (stripped)
    pairs: list[Pair]

    @property
    def has_label(self) -> bool:
        return any(c.lower() == "label" for c in self.columns)


def read_pairs(path: str | Path, need_label: bool = False) -> PairsFile:
    """Parse a pairs file, or raise PairsError naming the file and line of the first problem."""
    src = Path(path)
    name = src.name
    if src.is_dir():
        raise PairsError(f"{src} is a folder, not a pairs file")
    if not src.is_file():
        raise PairsError(f"pairs file not found: {src}")
    text = _text(src.read_bytes(), name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if src.suffix.lower() == ".tsv" else ",",
                        strict=True)  # an unclosed quote is an error, not rows swallowed
    started = 1
    try:
        header = next(reader, None)
        columns = [c.strip() for c in header or []]
        keys = [c.lower() for c in columns]
        wanted = ("a", "b", "label") if need_label else ("a", "b")
        if not set(wanted) <= set(keys):
            if need_label:
                raise PairsError(f"{name}, line 1: needs a header with columns a,b,label (label 1 = same, 0 = different)")
            raise PairsError(f"{name}, line 1: needs a header with columns a,b (and optional label, 1 = same)")
        for k in ("a", "b", "label"):
            if keys.count(k) > 1:
                raise PairsError(f"{name}, line 1: the column {k} appears twice")
        pairs = []
        started = reader.line_num + 1  # where the next record begins (a quoted cell may span lines)
        for row in reader:
            line, started = reader.line_num, reader.line_num + 1
            if not row or not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(columns):
                raise PairsError(f"{name}, line {line}: expected {len(columns)} columns ({','.join(columns)}), "
                                 f"found {len(row)}")
            values = {c: v.strip() for c, v in zip(columns, row)}
            by_key = dict(zip(keys, values.values()))
            for k in ("a", "b"):
                if not by_key[k]:
                    raise PairsError(f"{name}, line {line}: the {k} column is empty")
            label = parse_label(by_key.get("label", ""), name, line)
            if need_label and label is None:
                raise PairsError(f"{name}, line {line}: the label is empty (1 = same, 0 = different)")
            pairs.append(Pair(line, by_key["a"], by_key["b"], label, values))
    except csv.Error as exc:
        raise PairsError(f"{name}, line {started}: not a readable CSV row ({exc}; an unclosed quote?)") from None
    if not pairs:
        raise PairsError(f"{name}: no pairs in the file")
    return PairsFile(src, columns, pairs)


def parse_label(value: str, name: str, line: int) -> bool | None:
    """True (same), False (different) or None (empty); PairsError for anything else."""
    v = value.strip().lower()
    if not v:
        return None
    if v in SAME:
        return True
    if v in DIFFERENT:
        return False
    raise PairsError(f"{name}, line {line}: label must be 1 (same) or 0 (different), or same/different, "
                     f"yes/no, true/false; got {value!r}")


def resolve(path: str, base: Path) -> Path:
    """A path from the file: absolute as is, else relative to the CSV's folder (or, failing that, here)."""
    p = Path(path)
    if p.is_absolute():
        return p
    beside = base / p
    return beside if beside.exists() or not p.exists() else p


def _text(data: bytes, name: str) -> str:
    """The file as text; a binary or non-UTF-8 file is refused naming the line of the first bad byte."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise PairsError(f"{name}, line {line}: not a text file (it holds a NUL byte); a pairs file is a CSV "
                         "saved as text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PairsError(f"{name}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                         "save the CSV as UTF-8") from None
