import multiprocessing as mp
import os
import stat
import zipfile

import numpy as np
import pytest

from gallery_samples import sample, vec
from siamgui.core.gallery import MAX_SAMPLES, Gallery, GalleryError


def test_enrol_identify_unknown_and_model_separation(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1), sample(2)], np.stack([vec(1), vec(2)]), "hashA", "m")
        g.enrol("Bob", [sample(3)], np.stack([vec(3)]), "hashA", "m")
        r = g.identify(vec(1) + 0.01, "hashA", "cosine", threshold=0.2)
        assert r.known and r.label == "Ada" and [m.name for m in r.matches] == ["Ada", "Bob"]
        assert not g.identify(vec(99), "hashA", "cosine", threshold=0.01).known
        assert g.identify(vec(1), "hashB", "cosine", 0.5).matches == []  # other model: nothing comparable
        assert [s.id for s in g.missing_embeddings("hashB", "face")] == [1, 2, 3]
        g.store_embeddings([(1, vec(1))], "hashB", "m2")
        assert g.identify(vec(1), "hashB", "cosine", 0.5).label == "Ada"


def test_limits_rename_delete(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        pid = g.enrol("Ada", [sample(i) for i in range(MAX_SAMPLES)], np.stack([vec(i) for i in range(MAX_SAMPLES)]), "h", "m")
        with pytest.raises(GalleryError, match="at most"):
            g.enrol("Ada", [sample(9)], np.stack([vec(9)]), "h", "m")
        g.enrol("Bob", [sample(10)], np.stack([vec(10)]), "h", "m")
        with pytest.raises(GalleryError, match="already called"):
            g.rename(pid, "Bob")
        g.rename(pid, "Ada L.")
        assert [p.name for p in g.people()] == ["Ada L.", "Bob"]
        g.delete_person(pid)
        assert [p.name for p in g.people()] == ["Bob"] and len(g.samples()) == 1
        g.delete_all()
        assert g.people() == [] and g.identify(vec(1), "h", "cosine", 0.5).matches == []


def test_file_is_private_and_export_has_the_samples(tmp_path):
    from siamgui.tasks.gallery_archive import export_gallery

    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
        assert stat.S_IMODE(os.stat(g.path).st_mode) == 0o600
        out = export_gallery(g, tmp_path / "export.zip").path
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        names = zipfile.ZipFile(out).namelist()
        assert names == ["Ada/1.png", "people.json"]  # the sample under its original name


def _crash_mid_write(path):
    g = Gallery(path)
    cur = g._db.cursor()
    cur.execute("BEGIN IMMEDIATE")
    cur.execute("INSERT INTO people(name, created) VALUES ('Half', 0)")
    os._exit(1)  # the process dies inside the transaction, as in a crash


def test_crash_mid_write_loses_nothing_already_saved(tmp_path):
    path = tmp_path / "g.db"
    with Gallery(path) as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    proc = mp.get_context("fork").Process(target=_crash_mid_write, args=(path,))
    proc.start()
    proc.join(30)
    assert proc.exitcode == 1
    with Gallery(path) as g:
        assert [p.name for p in g.people()] == ["Ada"]
        assert g.identify(vec(1), "h", "cosine", 0.1).label == "Ada"


def test_failed_write_rolls_back_the_whole_enrolment(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        with pytest.raises(ValueError):
            g.enrol("Ada", [sample(1), sample(2)], np.stack([vec(1)]), "h", "m")  # vector count wrong
        with pytest.raises(GalleryError):
            g.enrol("Eve", [sample(i) for i in range(MAX_SAMPLES + 1)],
                    np.stack([vec(i) for i in range(MAX_SAMPLES + 1)]), "h", "m")
        assert g.people() == [] and g.samples() == []


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_identify_ranks_people_exactly_as_a_full_search(tmp_path, metric):
    from siamgui.core.compare import pairwise

    g = Gallery(tmp_path / "g.sqlite3")
    rng = np.random.default_rng(3)
    people = {}
    for p in range(60):
        vecs = rng.normal(size=(int(rng.integers(1, MAX_SAMPLES + 1)), 8)).astype(np.float32)
        g.enrol(f"p{p}", [sample(i) for i in range(len(vecs))], vecs, "m1", "model")
        people[f"p{p}"] = vecs
    for _ in range(20):
        q = rng.normal(size=8).astype(np.float32)
        best = sorted((float(pairwise(q, v, metric).min()), name) for name, v in people.items())
        got = g.identify(q, "m1", metric, threshold=0.5, top=4)
        assert [m.name for m in got.matches] == [name for _, name in best[:4]]
        assert [m.distance for m in got.matches] == pytest.approx([d for d, _ in best[:4]], abs=1e-5)
    assert len(g.identify(q, "m1", metric, threshold=0.5, top=100).matches) == 60


# --- when something is wrong with the gallery (issue 9) ----------------------------------------
def test_damaged_file_is_kept_aside_and_a_fresh_gallery_starts(tmp_path):
    path = tmp_path / "g.sqlite3"
    junk = b"this is not a database " * 100
    path.write_bytes(junk)
    stale_wal = tmp_path / "g.sqlite3-wal"
    stale_wal.write_bytes(b"stale log of the damaged file")
    with Gallery(path) as g:
        assert g.recovered is not None and g.recovered.parent == tmp_path and g.recovered != path
        assert g.recovered.read_bytes() == junk  # kept, never deleted
        assert str(g.recovered) in g.notice() and "fresh gallery" in g.notice()
        assert (tmp_path / (g.recovered.name + "-wal")).read_bytes() == b"stale log of the damaged file"
        assert not stale_wal.exists() or stale_wal.read_bytes() != b"stale log of the damaged file"
        assert g.people() == [] and not g.read_only
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    with Gallery(path) as g:  # the fresh one is a normal gallery from now on
        assert g.recovered is None and [p.name for p in g.people()] == ["Ada"]


def test_truncated_gallery_is_found_damaged_when_opened(tmp_path):
    path = tmp_path / "g.sqlite3"
    with Gallery(path) as g:
        for i in range(20):
            g.enrol(f"p{i}", [("image", ".png", os.urandom(20_000), "x.png")], np.stack([vec(i)]), "h", "m")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with Gallery(path) as g:
        assert g.recovered is not None and g.recovered.read_bytes() == data[: len(data) // 2]
        assert g.people() == []


def test_two_damaged_files_in_one_second_are_both_kept(tmp_path):
    path = tmp_path / "g.sqlite3"
    kept = set()
    for n in range(2):
        path.write_bytes(b"junk %d" % n * 50)
        with Gallery(path) as g:
            kept.add(g.recovered)
    assert len(kept) == 2 and all(k.exists() for k in kept)


def test_a_folder_means_the_gallery_file_inside_it(tmp_path):
    with Gallery(tmp_path) as g:
        assert g.path == tmp_path / "gallery.sqlite3"
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    with Gallery(f"{tmp_path / 'new'}{os.sep}") as g:  # a trailing slash names a folder to create
        assert g.path == tmp_path / "new" / "gallery.sqlite3" and g.path.is_file()


def test_another_programs_database_is_refused_untouched(tmp_path):
    import sqlite3

    path = tmp_path / "places.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE bookmarks (url TEXT)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(GalleryError, match="not a SiamGUI gallery"):
        Gallery(path)
    assert path.read_bytes() == before


def _read_only_gallery(tmp_path, monkeypatch, why="the file is not writable"):
    """A gallery with Ada, reopened as if it could not be written (root ignores chmod)."""
    import siamgui.core.gallery as gallery_mod

    path = tmp_path / "g.sqlite3"
    with Gallery(path) as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    monkeypatch.setattr(gallery_mod, "_unwritable", lambda p: why)
    return Gallery(path)


def test_read_only_gallery_browses_identifies_and_refuses_changes(tmp_path, monkeypatch):
    g = _read_only_gallery(tmp_path, monkeypatch)
    before = g.path.read_bytes()
    assert "read-only" in g.read_only and "not writable" in g.read_only
    assert [p.name for p in g.people()] == ["Ada"] and len(g.samples()) == 1
    assert g.identify(vec(1), "h", "cosine", 0.1).label == "Ada"
    # a model new to the gallery embeds the stored samples for this session only
    assert len(g.missing_embeddings("h2", "face")) == 1
    g.store_embeddings([(1, vec(1))], "h2", "m2")
    assert g.missing_embeddings("h2", "face") == [] and g.identify(vec(1), "h2", "cosine", 0.1).label == "Ada"
    for change in (lambda: g.enrol("Bob", [sample(2)], np.stack([vec(2)]), "h", "m"), lambda: g.rename(1, "Eve"),
                   lambda: g.delete_person(1), lambda: g.delete_sample(1), g.delete_all):
        with pytest.raises(GalleryError, match="read-only") as err:
            change()
        assert "\n" not in str(err.value)
    from siamgui.tasks.gallery_archive import export_gallery

    assert export_gallery(g, tmp_path / "out.zip").path.is_file()
    g.close()
    assert g.path.read_bytes() == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes through chmod")
def test_chmod_read_only_file_and_folder(tmp_path):
    path = tmp_path / "g.sqlite3"
    with Gallery(path) as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    os.chmod(path, 0o400)
    try:
        with Gallery(path) as g:
            assert "file is not writable" in g.read_only and [p.name for p in g.people()] == ["Ada"]
        os.chmod(path, 0o600)
        os.chmod(tmp_path, 0o500)
        with Gallery(path) as g:
            assert "folder is not writable" in g.read_only and [p.name for p in g.people()] == ["Ada"]
    finally:
        os.chmod(tmp_path, 0o700)
        os.chmod(path, 0o600)


def test_read_only_and_absent_is_an_empty_gallery_that_refuses_enrolment(tmp_path, monkeypatch):
    import siamgui.core.gallery as gallery_mod

    monkeypatch.setattr(gallery_mod, "_unwritable", lambda p: "the file system is read-only")
    with Gallery(tmp_path / "none.sqlite3") as g:
        assert g.people() == [] and "file system is read-only" in g.read_only
        with pytest.raises(GalleryError, match="read-only"):
            g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    assert not (tmp_path / "none.sqlite3").exists()


def test_top_must_be_one_or_more(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
        for top in (0, -3):
            with pytest.raises(GalleryError, match="1 or more"):
                g.identify(vec(1), "h", "cosine", 0.5, top=top)


def test_a_damaged_embedding_says_what_is_wrong_with_it(tmp_path):
    """A lone 3-byte blob once read "3 bytes, others have 3"; the usual length is what the others have."""
    import sqlite3

    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
    db = sqlite3.connect(tmp_path / "g.db")
    db.execute("UPDATE embeddings SET vector = x'010203'")
    db.commit()
    db.close()
    with Gallery(tmp_path / "g.db") as g, pytest.raises(GalleryError) as err:
        g.identify(vec(1), "h", "cosine", 0.5)
    assert "(sample 1: 3 bytes, not a whole number of 4-byte numbers)" in str(err.value)
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Bob", [sample(2), sample(3)], np.stack([vec(2), vec(3)]), "h", "m")
        with pytest.raises(GalleryError) as err:
            g.identify(vec(1), "h", "cosine", 0.5)
    assert "(sample 1: 3 bytes, others have 32)" in str(err.value)


def test_a_file_that_is_no_gallery_by_name_or_content_is_left_alone(tmp_path):
    """``--gallery notes.txt`` (a slip) once renamed the notes to notes.damaged-*.txt and put a
    database in their place, even for ``gallery list``; only a gallery-named file is set aside."""
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(GalleryError) as err:
        Gallery(notes)
    assert "is not a gallery" in str(err.value) and "left as it is" in str(err.value)
    assert notes.read_text() == "my notes" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
