"""The Gallery view: enrol, rename, delete, identify, and re-embed after a model switch."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from onnx_factory import carded_model  # noqa: E402
from siamgui import Encoder  # noqa: E402
from siamgui.core.gallery import Gallery  # noqa: E402


def make_view(qtbot, tmp_path, model):
    from siamgui.ui.gallery_view import GalleryView

    gallery = Gallery(tmp_path / "g.db")
    view = GalleryView(gallery_factory=lambda: gallery)
    qtbot.addWidget(view)
    view.set_encoder(Encoder.load(model))
    return view, gallery


def test_enrol_identify_rename_delete(qtbot, tmp_path, glyph_model, glyph_files):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    assert "Nobody enrolled" in view.person_title.text()
    view.enrol("Alpha", [str(glyph_files["a1"]), str(glyph_files["a2"])])
    qtbot.waitUntil(lambda: view.people.count() == 1, timeout=10000)
    assert view.samples.count() == 2 and "Alpha" in view.people.item(0).text()
    view.enrol("Beta", [str(glyph_files["b1"])])
    qtbot.waitUntil(lambda: view.people.count() == 2, timeout=10000)

    view.identify_file(str(glyph_files["a1"]))
    qtbot.waitUntil(lambda: "Alpha" in view.identify_result.text(), timeout=10000)
    assert "<b>Alpha</b>" in view.identify_result.text()
    assert view.identify_verdict.text() == "Alpha" and view.identify_verdict.property("verdict") == "same"
    assert view.identify_thumb.pixmap() is not None and not view.identify_thumb.pixmap().isNull()

    view.people.setCurrentRow(0)
    view.rename("Ada")
    qtbot.waitUntil(lambda: any("Ada" in view.people.item(i).text() for i in range(view.people.count())), timeout=10000)
    view.people.setCurrentRow([view.people.item(i).text() for i in range(2)].index(
        next(view.people.item(i).text() for i in range(2) if "Ada" in view.people.item(i).text())))
    view.delete_person(confirmed=True)
    assert view.people.count() == 1 and [p.name for p in gallery.people()] == ["Beta"]
    view.delete_all(confirmed=True)
    assert view.people.count() == 0 and gallery.people() == []


def test_bad_sample_is_refused_and_nothing_is_half_saved(qtbot, tmp_path, glyph_model, glyph_files, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    view.enrol("Alpha", [str(glyph_files["a1"]), str(bad)])
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert "bad.png" in warnings[0] and gallery.people() == []


def test_switching_models_offers_to_reembed(qtbot, tmp_path, glyph_model, glyph_files):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    view.enrol("Alpha", [str(glyph_files["a1"])])
    qtbot.waitUntil(lambda: view.people.count() == 1, timeout=10000)
    other = carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, seed=7)
    view.set_encoder(Encoder.load(other))
    assert view.reembed_btn.isVisibleTo(view) and "1 enrolled sample" in view.banner.text()
    view.reembed()
    qtbot.waitUntil(lambda: not view.reembed_btn.isVisibleTo(view), timeout=10000)
    enc = Encoder.load(other)
    assert gallery.identify(enc.embed(glyph_files["a1"])[0], enc.model_hash, "cosine", 0.01).label == "Alpha"


def test_identify_says_unknown_when_nobody_is_under_the_threshold(qtbot, tmp_path, glyph_model, glyph_files):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    view.enrol("Alpha", [str(glyph_files["a1"])])
    qtbot.waitUntil(lambda: view.people.count() == 1, timeout=10000)
    d = view.encoder.compare(glyph_files["a1"], glyph_files["b1"]).distance
    assert d > view.encoder.threshold  # a B is not an A for this model
    view.identify_file(str(glyph_files["b1"]))
    qtbot.waitUntil(lambda: view.identify_verdict.isVisibleTo(view), timeout=10000)
    assert view.identify_verdict.text() == "Unknown" and view.identify_verdict.property("verdict") == "different"
    assert "nobody under the threshold" in view.identify_result.text() and f"{d:.3f}" in view.identify_result.text()


# --- the gallery when something is wrong with it (issue 9) --------------------------------------
def test_damaged_gallery_file_is_kept_aside_and_the_view_says_where(qtbot, tmp_path, glyph_model, glyph_files):
    from siamgui.ui.gallery_view import GalleryView

    path = tmp_path / "gallery.sqlite3"
    path.write_bytes(b"definitely not SQLite" * 40)
    view = GalleryView(gallery_factory=lambda: Gallery(path))
    qtbot.addWidget(view)
    said = []
    view.status.connect(said.append)
    view.set_encoder(Encoder.load(glyph_model))
    kept = next(tmp_path.glob("gallery.damaged-*.sqlite3"))
    assert "was damaged" in view.footer.text() and str(kept) in view.footer.text()
    assert len(said) == 1 and str(kept) in said[0]
    view.refresh()
    assert len(said) == 1  # the status bar hears it once; the footer keeps saying it
    view.enrol("Alpha", [str(glyph_files["a1"])])  # the fresh gallery works
    qtbot.waitUntil(lambda: view.people.count() == 1, timeout=10000)


def test_read_only_gallery_browses_identifies_and_refuses_changes(qtbot, tmp_path, glyph_model, glyph_files,
                                                                   monkeypatch):
    import siamgui.core.gallery as gallery_mod
    from PySide6.QtWidgets import QMessageBox

    from siamgui.tasks.enrolment import enrol_files
    from siamgui.ui.gallery_view import GalleryView

    path = tmp_path / "gallery.sqlite3"
    with Gallery(path) as g:
        enrol_files(g, Encoder.load(glyph_model), "Alpha", [glyph_files["a1"]])
    monkeypatch.setattr(gallery_mod, "_unwritable", lambda p: "the file system is read-only")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    view = GalleryView(gallery_factory=lambda: Gallery(path))
    qtbot.addWidget(view)
    view.set_encoder(Encoder.load(glyph_model))
    assert view.people.count() == 1 and view.samples.count() == 1
    assert "read-only" in view.footer.text()
    for b in (view.enrol_btn, view.rename_btn, view.delete_btn, view.delete_all_btn, view.add_btn, view.remove_btn):
        assert not b.isEnabled() and "read-only" in b.toolTip()
    assert view.identify_btn.isEnabled()
    view.identify_file(str(glyph_files["a1"]))
    qtbot.waitUntil(lambda: "Alpha" in view.identify_result.text(), timeout=10000)
    view.delete_person(confirmed=True)  # reached another way than the (disabled) button: refused, said
    assert warnings and "read-only" in warnings[0] and view.people.count() == 1


def test_the_identify_hint_speaks_of_the_models_own_files(qtbot, tmp_path, glyph_model, audio_model):
    view, _ = make_view(qtbot, tmp_path, glyph_model)
    assert view.identify_result.text().startswith("Who is in a photo?")
    view.set_encoder(Encoder.load(audio_model))
    assert view.identify_result.text().startswith("Who is in a recording?")
