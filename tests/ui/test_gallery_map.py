"""Calibrate's *Map the gallery*: this model's kind only, and it asks before re-embedding anything."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from onnx_factory import carded_model  # noqa: E402
from siamgui import Encoder  # noqa: E402
from siamgui.core.gallery import Gallery  # noqa: E402
from siamgui.tasks.enrolment import enrol_files, missing_count  # noqa: E402


def test_map_the_gallery_asks_before_reembedding(qtbot, tmp_path, glyph_model, glyph_files, monkeypatch):
    from siamgui.ui.calibrate_view import CalibrateView

    gallery = Gallery(tmp_path / "g.sqlite3")
    enrol_files(gallery, Encoder.load(glyph_model), "Alpha", [glyph_files["a1"], glyph_files["a2"]])
    other = Encoder.load(carded_model(tmp_path / "g2.onnx", {"kind": "glyph", "size": 32}, seed=7, name="g2"))
    v = CalibrateView(gallery_factory=lambda: gallery)
    qtbot.addWidget(v)
    v.show()
    v.set_encoder(other)
    asked = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a[2]) or answer[0]))

    qtbot.mouseClick(v.map_gallery_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked) and v._map_job is None and "Reading" not in v.map_source.text(),
                    timeout=10000)
    assert asked[0].startswith("2 enrolled sample(s) of glyph people have no embedding from g2 yet")
    assert missing_count(gallery, other) == 2 and "Nothing to map" in v.map_source.text()

    answer[0] = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(v.map_gallery_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: v.map.points is not None and len(v.map.points) == 2, timeout=10000)
    assert missing_count(gallery, other) == 0 and len(asked) == 2

    fruit = Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "image", "size": 32}, name="fruitish"))
    v.set_encoder(fruit)
    qtbot.mouseClick(v.map_gallery_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Nothing to map" in v.map_source.text() and v._map_job is None, timeout=10000)
    assert len(asked) == 2  # nothing of this kind to embed: no question, and no glyph re-embedded
    assert gallery.missing_count(fruit.model_hash, "glyph") == 2
    v.shutdown()
