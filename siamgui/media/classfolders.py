"""Folders of class folders: the one layout SiamGUI reads for training, calibration and few-shot.

``DATA/alice/1.jpg, DATA/bob/1.jpg``: each folder that directly holds media files is a class,
named by its path relative to the root. Hidden files and folders are ignored and the order is
sorted, so every reader sees the same classes in the same order.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Iterator, Sequence


def files_under(root: Path, suffixes: Sequence[str]) -> Iterator[tuple[Path, PurePosixPath]]:
    """Every non-hidden file under ``root`` whose ending is in ``suffixes`` (sorted), with its
    folder relative to ``root`` (``.`` for files at the root itself)."""
    wanted = tuple(s.lower() for s in suffixes)
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if p.suffix.lower() in wanted:
            yield p, PurePosixPath(rel.parent.as_posix())


def class_folders(root: Path, suffixes: Sequence[str]) -> tuple[dict[str, list[Path]], list[Path]]:
    """``({class: files}, files at the root)``: each folder directly holding matching files is a class."""
    classes: dict[str, list[Path]] = {}
    loose: list[Path] = []
    for p, rel in files_under(root, suffixes):
        if str(rel) == ".":
            loose.append(p)
        else:
            classes.setdefault(str(rel), []).append(p)
    return classes, loose
