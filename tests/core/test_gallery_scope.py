"""Galleries scoped by input kind, the migration of files from before scopes, and the gallery file
when something around it is odd (a link, a folder, a damaged blob, two writers at once)."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import stat

import numpy as np
import pytest

from gallery_samples import sample, vec
from siamgui.core import registry
from siamgui.core.encoder import file_sha256
from siamgui.core.gallery import Gallery, GalleryError

OLD_SCHEMA = """
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL);
CREATE TABLE samples (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    modality TEXT NOT NULL, suffix TEXT NOT NULL, media BLOB NOT NULL, source TEXT, created REAL NOT NULL);
CREATE TABLE embeddings (sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    model_hash TEXT NOT NULL, model_name TEXT, vector BLOB NOT NULL, PRIMARY KEY (sample_id, model_hash));
"""


def _old_gallery(path):
    """A gallery written before scopes: a glyph person re-embedded by the fruit model (the bug),
    a voice whose model is gone, a photo of an unknown model, and a sample of an updated fruit model."""
    models = registry.available()
    if not {"glyph", "fruit"} <= set(models):
        pytest.skip("needs the shipped glyph and fruit models")
    glyph_h, fruit_h = file_sha256(models["glyph"]), file_sha256(models["fruit"])
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    rows = [  # person, medium, source, [(hash, model name)] oldest first
        ("Writer", "image", "/data/A/a1.png", [(glyph_h, "glyph"), (fruit_h, "fruit")]),
        ("Speaker", "audio", "microphone", [("gone", "my-old-voice")]),
        ("Stranger", "image", "C:\\pics\\me.jpg", [("unknown", "mystery")]),
        ("Apple", "image", "/fruit/apple.png", [("older-fruit-file", "fruit")]),
    ]
    for pid, (name, medium, source, embeddings) in enumerate(rows, 1):
        db.execute("INSERT INTO people VALUES (?, ?, 0)", (pid, name))
        db.execute("INSERT INTO samples VALUES (?, ?, ?, '.png', x'00', ?, 0)", (pid, pid, medium, source))
        for h, model in embeddings:
            db.execute("INSERT INTO embeddings VALUES (?, ?, ?, ?)", (pid, h, model, vec(pid).tobytes()))
    db.commit()
    db.close()
    return glyph_h, fruit_h


def test_an_old_gallery_is_migrated_to_the_scope_of_the_model_that_enrolled_each_sample(tmp_path):
    path = tmp_path / "old.sqlite3"
    glyph_h, fruit_h = _old_gallery(path)
    with Gallery(path) as g:
        assert {p.name: p.scope for p in g.entries()} == {
            "Writer": "glyph",  # its enrolling model's card, not "image" and not "face"
            "Speaker": "voice",  # model gone: by medium
            "Stranger": "face",  # model unknown: by medium (documented in core.scopes)
            "Apple": "image",  # an updated fruit.onnx: by the model's name
        }
        assert [p.name for p in g.people("glyph")] == ["Writer"]
        assert g.identify(vec(1), fruit_h, "cosine", 2.0).matches == []  # the fruit embedding of a glyph is gone
        assert g.identify(vec(1), glyph_h, "cosine", 0.1).label == "Writer"
        assert [s.filename for s in g.samples()] == ["a1.png", "", "me.jpg", "apple.png"]
    with Gallery(path) as g:  # once only: a second open changes nothing
        assert len(g.entries()) == 4


def test_an_old_gallery_opened_read_only_is_scoped_for_the_session_and_left_untouched(tmp_path, monkeypatch):
    import siamgui.core.gallery as gallery_mod

    path = tmp_path / "old.sqlite3"
    _old_gallery(path)
    before = path.read_bytes()
    monkeypatch.setattr(gallery_mod, "_unwritable", lambda p: "the file is not writable")
    with Gallery(path) as g:
        assert g.read_only and [p.name for p in g.people("glyph")] == ["Writer"]
        assert [p.name for p in g.people("face")] == ["Stranger"]
    assert path.read_bytes() == before


def test_each_scope_lists_deletes_and_counts_only_its_own_people(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "hf", "face", scope="face")
        g.enrol("Ada", [("audio", ".wav", b"w", "/a.wav")], np.stack([vec(2)]), "hv", "voice", scope="voice")
        g.enrol("Bob", [sample(3)], np.stack([vec(3)]), "hf", "face", scope="face")
        g.enrol("Apple", [sample(4)], np.stack([vec(4)]), "hi", "fruit", scope="image")
        assert [(p.name, p.samples) for p in g.people("face")] == [("Ada", 1), ("Bob", 1)]
        assert g.scope_counts() == {"face": 2, "voice": 1, "image": 1}
        assert g.identify(vec(4), "hf", "cosine", 2.0, scope="face").best.name != "Apple"
        # five samples per person and kind: Ada's voice does not count against her face
        g.enrol("Ada", [sample(i) for i in range(10, 14)], np.stack([vec(i) for i in range(10, 14)]), "hf", "face",
                scope="face")
        assert g.delete_all("face") == 2
        assert [(p.name, p.scope) for p in g.entries()] == [("Ada", "voice"), ("Apple", "image")]
        g.delete_person(g.person("Ada").id, "voice")
        assert [p.name for p in g.people()] == ["Apple"]


def test_enrolling_without_a_scope_files_the_sample_by_its_model(tmp_path):
    models = registry.available()
    if "glyph" not in models:
        pytest.skip("needs the shipped glyph model")
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Writer", [sample(1)], np.stack([vec(1)]), file_sha256(models["glyph"]), "glyph")
        assert [p.scope for p in g.entries()] == ["glyph"]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
@pytest.mark.parametrize("given", ["link", "folder"])
def test_a_linked_gallery_is_refused_and_its_target_untouched(tmp_path, given):
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    folder = tmp_path / "g"
    folder.mkdir()
    link = folder / "gallery.sqlite3"
    link.symlink_to(target)
    with pytest.raises(GalleryError, match="symbolic link") as err:
        Gallery(link if given == "link" else folder)
    assert "\n" not in str(err.value)
    assert target.read_bytes() == b"" and stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_a_gallery_file_that_is_a_folder_is_one_sentence(tmp_path):
    (tmp_path / "gallery.sqlite3").mkdir()
    with pytest.raises(GalleryError, match="not a regular file"):
        Gallery(tmp_path)


def test_a_three_byte_embedding_is_one_sentence_naming_the_person(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m", scope="face")
        g.enrol("Bob", [sample(2)], np.stack([vec(2)]), "h", "m", scope="face")
        g._db.execute("UPDATE embeddings SET vector = x'010203' WHERE sample_id = 2")
        with pytest.raises(GalleryError, match=r"damaged embedding of Bob \(sample 2: 3 bytes"):
            g.identify(vec(1), "h", "cosine", 0.5)


def _enrol_ten(path, who):
    with Gallery(path) as g:
        for i in range(10):
            g.enrol(f"{who}{i}", [sample(i)], np.stack([vec(i)]), "h", "m", scope="face")


def test_two_processes_enrolling_at_once_keep_everyone(tmp_path):
    path = tmp_path / "g.sqlite3"
    Gallery(path).close()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_enrol_ten, args=(path, who)) for who in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with Gallery(path) as g:
        assert len(g.people("face")) == 20


def test_a_second_gallery_object_sees_the_first_ones_changes(tmp_path):
    path = tmp_path / "g.sqlite3"
    with Gallery(path) as a, Gallery(path) as b:
        a.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m", scope="face")
        assert b.identify(vec(1), "h", "cosine", 0.1, scope="face").label == "Ada"  # b's matrix is cached now
        a.enrol("Bob", [sample(2)], np.stack([vec(2)]), "h", "m", scope="face")
        assert b.identify(vec(2), "h", "cosine", 0.1, scope="face").label == "Bob"  # and dropped on a's commit


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Tab\there", "Bell\x07"])
def test_a_name_with_a_line_break_or_control_character_is_refused(tmp_path, name):
    with Gallery(tmp_path / "g.db") as g:
        with pytest.raises(GalleryError, match="control character"):
            g.enrol(name, [sample(1)], np.stack([vec(1)]), "h", "m", scope="face")
        pid = g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m", scope="face")
        with pytest.raises(GalleryError, match="control character"):
            g.rename(pid, name)
        assert [p.name for p in g.people()] == ["Ada"]
