"""One file against a folder: nearest first, the query itself left out, unreadable files said."""

from __future__ import annotations

import shutil

import pytest

from siamgui import Encoder
from siamgui.tasks.ranking import RankingError, rank_folder


def test_files_are_ranked_nearest_first_and_the_query_is_left_out(glyph_model, glyph_files, tmp_path):
    enc = Encoder.load(glyph_model, device="cpu")
    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    for key in ("a1", "a2", "b1"):
        shutil.copy(glyph_files[key], folder / "sub" / f"{key}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    query = folder / "sub" / "a1.png"
    emb = enc.embed(query)[0]
    ranking = rank_folder(enc, query, emb, folder, threshold=enc.threshold)
    assert [r.file.name for r in ranking.rows][0] == "a2.png" and len(ranking.rows) == 2
    assert ranking.rows[0].distance <= ranking.rows[1].distance
    assert all(r.same == (r.distance <= enc.threshold) for r in ranking.rows)
    assert [f for f, _ in ranking.skipped] == [str(folder / "broken.png")]


def test_a_folder_with_nothing_to_read_is_one_sentence(glyph_model, glyph_files, tmp_path):
    enc = Encoder.load(glyph_model, device="cpu")
    emb = enc.embed(glyph_files["a1"])[0]
    (tmp_path / "empty").mkdir()
    with pytest.raises(RankingError, match="no files this model reads"):
        rank_folder(enc, glyph_files["a1"], emb, tmp_path / "empty", 0.5)
    with pytest.raises(RankingError, match="not a folder"):
        rank_folder(enc, glyph_files["a1"], emb, tmp_path / "nope", 0.5)
