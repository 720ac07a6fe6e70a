import multiprocessing as mp
import os
import stat
import zipfile

import numpy as np
import pytest

from siamgui.core.gallery import MAX_SAMPLES, Gallery, GalleryError


def vec(seed, dim=8):
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def sample(i):
    return ("image", ".png", f"media-{i}".encode(), f"/tmp/{i}.png")


def test_enrol_identify_unknown_and_model_separation(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1), sample(2)], np.stack([vec(1), vec(2)]), "hashA", "m")
        g.enrol("Bob", [sample(3)], np.stack([vec(3)]), "hashA", "m")
        r = g.identify(vec(1) + 0.01, "hashA", "cosine", threshold=0.2)
        assert r.known and r.label == "Ada" and [m.name for m in r.matches] == ["Ada", "Bob"]
        assert not g.identify(vec(99), "hashA", "cosine", threshold=0.01).known
        assert g.identify(vec(1), "hashB", "cosine", 0.5).matches == []  # other model: nothing comparable
        assert [s.id for s in g.missing_embeddings("hashB", "image")] == [1, 2, 3]
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
    with Gallery(tmp_path / "g.db") as g:
        g.enrol("Ada", [sample(1)], np.stack([vec(1)]), "h", "m")
        assert stat.S_IMODE(os.stat(g.path).st_mode) == 0o600
        out = g.export(tmp_path / "export.zip")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        names = zipfile.ZipFile(out).namelist()
        assert "people.json" in names and any(n.startswith("Ada/") for n in names)


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
