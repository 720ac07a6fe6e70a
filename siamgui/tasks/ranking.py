"""One file against a folder: every file of the folder ranked by its distance to it, with a verdict.

Compare answers "are these two the same?"; this answers "which of these is most like it?" for a
folder of candidates (a person's photos, a speaker's clips). No Qt; the Compare view runs it in
a job and shows the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from siamgui.errors import UserError


class RankingError(UserError, ValueError):
    """A folder with nothing the model can read."""


@dataclass(frozen=True)
class Ranked:
    file: Path
    distance: float
    same: bool  # at or under the threshold


@dataclass
class Ranking:
    query: Path
    folder: Path
    threshold: float
    rows: list[Ranked]  # nearest first
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def same_count(self) -> int:
        return sum(r.same for r in self.rows)


def rank_folder(encoder, query: str | Path, query_embedding: np.ndarray, folder: str | Path, threshold: float,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> Ranking:
    """Embed the folder's files (sub-folders too) and sort them by distance to ``query_embedding``;
    the query file itself is left out. Unreadable files are listed in ``skipped`` with why."""
    from siamgui.media.classfolders import files_under
    from siamgui.tasks.fewshot import embed_files

    folder = Path(folder)
    if not folder.is_dir():
        raise RankingError(f"{folder}: not a folder")
    query = Path(query)
    files = [f for f, _ in files_under(folder, encoder.modality.suffixes)]
    files = sorted(f for f in files if not _same(f, query))
    if not files:
        raise RankingError(f"{folder}: no files this model reads ({', '.join(encoder.modality.suffixes)})")
    emb, kept, skipped = embed_files(encoder, files, progress, cancelled)
    if not kept:
        raise RankingError(f"{folder}: none of its {len(files)} files could be read "
                           f"({skipped[0][1] if skipped else 'no reason given'})")
    d = np.array([encoder.distance(query_embedding, e) for e in emb], np.float64)
    order = np.argsort(d, kind="stable")
    rows = [Ranked(files[kept[i]], float(d[i]), bool(d[i] <= threshold)) for i in order]
    return Ranking(query, folder, float(threshold), rows, skipped)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
