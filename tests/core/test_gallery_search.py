"""Gallery search: one contiguous float32 matrix per model and kind, cached, dropped on any change."""

from __future__ import annotations

import numpy as np

from siamgui.core.gallery import Gallery, _similarities


def test_the_matrix_is_contiguous_cached_and_dropped_on_change(tmp_path):
    rng = np.random.default_rng(0)
    with Gallery(tmp_path / "g.sqlite3") as g:
        vecs = rng.normal(size=(3, 16)).astype(np.float32)
        g.enrol("Ada", [("image", ".png", bytes([i]), f"{i}.png") for i in range(3)], vecs, "h", "m", scope="face")
        first = g.matrix("h", "face")
        m = first[3]
        assert m.dtype == np.float32 and m.flags["C_CONTIGUOUS"] and m.shape == (3, 16)
        assert np.allclose(np.linalg.norm(m, axis=1), 1, atol=1e-6)
        assert g.matrix("h", "face") is first  # cached: a query reads no SQLite
        g.enrol("Bob", [("image", ".png", b"b", "b.png")], vecs[:1], "h", "m", scope="face")
        assert g.matrix("h", "face")[3].shape == (4, 16)
        assert g.matrix("h", "voice")[3].shape == (0, 0)  # another kind: nothing


def test_one_thread_product_is_the_plain_product():
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(5000, 64)).astype(np.float32)
    q = rng.normal(size=64).astype(np.float32)
    assert np.allclose(_similarities(vecs, q), vecs @ q, rtol=1e-5, atol=1e-5)
