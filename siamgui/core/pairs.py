"""The pairs CSV: the one reader behind ``siamgui compare --pairs`` and calibration.

A header row names the columns ``a``, ``b`` and optionally ``label`` (any case, any order, more
columns kept); each row is one pair of files, paths relative to the CSV's folder (or absolute). A
label is 1/0, same/different, true/false, yes/no, y/n or genuine/impostor; empty means unlabelled.
``.tsv`` files are tab-separated. Every problem is one sentence naming the file and line:
``pairs.csv, line 7: expected 3 columns (a,b,label), found 2``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from siamgui.errors import UserError

SAME = ("1", "1.0", "same", "true", "yes", "y", "genuine")
DIFFERENT = ("0", "0.0", "different", "false", "no", "n", "impostor", "diff")


MAX_LINE = 1 << 16  # bytes; a row names two files (a file without newlines is not a pairs file)


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


@dataclass(frozen=True)
class PairsStream:
    """A pairs file read row by row: memory stays flat for a million rows (``compare --pairs``
    walks it twice: once for the files to embed, once to write each row's distance)."""

    path: Path
    columns: list[str]
    need_label: bool = False

    @property
    def has_label(self) -> bool:
        return any(c.lower() == "label" for c in self.columns)

    def __iter__(self) -> Iterator[Pair]:
        """Every pair in file order; PairsError naming the line of the first problem."""
        name = self.path.name
        keys = [c.lower() for c in self.columns]
        count = 0
        with open(self.path, "rb") as f:
            lines = _Lines(f, name)
            reader = csv.reader(lines, delimiter=self._delimiter, strict=True)
            started = 1
            try:
                next(reader, None)  # the header, checked by scan_pairs
                started = lines.number + 1
                for row in reader:
                    line, started = lines.number, lines.number + 1
                    if not row or not any(cell.strip() for cell in row):
                        continue  # blank line
                    if len(row) != len(self.columns):
                        raise PairsError(f"{name}, line {line}: expected {len(self.columns)} columns "
                                         f"({','.join(self.columns)}), found {len(row)}")
                    values = {c: v.strip() for c, v in zip(self.columns, row)}
                    by_key = dict(zip(keys, values.values()))
                    for k in ("a", "b"):
                        if not by_key[k]:
                            raise PairsError(f"{name}, line {line}: the {k} column is empty")
                    label = parse_label(by_key.get("label", ""), name, line)
                    if self.need_label and label is None:
                        raise PairsError(f"{name}, line {line}: the label is empty (1 = same, 0 = different)")
                    count += 1
                    yield Pair(line, by_key["a"], by_key["b"], label, values)
            except csv.Error as exc:
                raise PairsError(f"{name}, line {started}: not a readable CSV row ({exc}; an unclosed quote?)") from None
        if not count:
            raise PairsError(f"{name}: no pairs in the file")

    @property
    def _delimiter(self) -> str:
        return "\t" if self.path.suffix.lower() == ".tsv" else ","


def scan_pairs(path: str | Path, need_label: bool = False) -> PairsStream:
    """Check a pairs file's header (PairsError naming the file and line), and return it as a
    stream of rows, read as they are used."""
    src = Path(path)
    name = src.name
    if src.is_dir():
        raise PairsError(f"{src} is a folder, not a pairs file")
    if not src.is_file():
        raise PairsError(f"pairs file not found: {src}")
    with open(src, "rb") as f:
        lines = _Lines(f, name)
        try:
            header = next(csv.reader(lines, delimiter="\t" if src.suffix.lower() == ".tsv" else ",", strict=True),
                          None)
        except csv.Error as exc:
            raise PairsError(f"{name}, line 1: not a readable CSV row ({exc}; an unclosed quote?)") from None
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
    return PairsStream(src, columns, need_label)


def read_pairs(path: str | Path, need_label: bool = False) -> PairsFile:
    """Parse a whole pairs file into memory, or raise PairsError naming the file and line of the
    first problem (calibration holds every pair anyway; ``compare --pairs`` streams instead)."""
    stream = scan_pairs(path, need_label)
    return PairsFile(stream.path, stream.columns, list(stream))


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


class _Lines:
    """The lines of a binary file as text, one at a time, counting them: a binary or non-UTF-8
    file is refused naming the line of the first bad byte, without reading the rest."""

    def __init__(self, f: BinaryIO, name: str):
        self._f, self._name, self.number = f, name, 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        data = self._f.readline(MAX_LINE + 1)
        if not data:
            raise StopIteration
        self.number += 1
        if len(data) > MAX_LINE:
            raise PairsError(f"{self._name}, line {self.number}: longer than {MAX_LINE // 1024} KB; a pairs file "
                             "holds one pair of file names a line")
        if b"\0" in data:
            raise PairsError(f"{self._name}, line {self.number}: not a text file (it holds a NUL byte); a pairs "
                             "file is a CSV saved as text")
        try:
            return data.decode("utf-8-sig" if self.number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise PairsError(f"{self._name}, line {self.number}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                             "save the CSV as UTF-8") from None
