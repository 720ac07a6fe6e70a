"""The Gallery view per input kind, driven through its real buttons: a glyph person never appears,
is never offered for re-embedding and is never deleted under a model of another kind; Delete all
says how many and of which kind; Remove sample asks and says what it did; Import… brings a zip
back; a name is plain text everywhere."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox  # noqa: E402

from onnx_factory import carded_model  # noqa: E402
from siamgui import Encoder  # noqa: E402
from siamgui.core.gallery import Gallery  # noqa: E402
from siamgui.tasks.enrolment import enrol_files  # noqa: E402

HOSTILE = "Zoë & Co <i>x</i> ../a/b"


def click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def make_view(qtbot, tmp_path, model):
    from siamgui.ui.gallery_view import GalleryView

    gallery = Gallery(tmp_path / "g.db")
    view = GalleryView(gallery_factory=lambda: gallery)
    qtbot.addWidget(view)
    view.show()
    view.set_encoder(Encoder.load(model))
    return view, gallery


def answer(monkeypatch, asked: list, button=QMessageBox.StandardButton.Yes):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a[2]) or button))


def listed(view) -> list[str]:
    return [view.people.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(view.people.count())]


def test_a_model_of_another_kind_never_lists_reembeds_or_deletes_them(qtbot, tmp_path, glyph_model, glyph_files,
                                                                      monkeypatch):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    glyph = view.encoder
    enrol_files(gallery, glyph, "Writer", [glyph_files["a1"]])
    fruit = Encoder.load(carded_model(tmp_path / "fruit.onnx", {"kind": "image", "size": 32}, name="fruitish"))
    enrol_files(gallery, fruit, "Apple", [glyph_files["b1"]])
    view.set_encoder(fruit)
    assert listed(view) == ["Apple"]
    assert not view.reembed_btn.isVisibleTo(view)  # the glyph is not offered to the fruit model
    assert view.footer.text() == "1 person (and 1 person with no image samples, not listed for this model) ·"

    asked = []
    answer(monkeypatch, asked)
    click(qtbot, view.delete_all_btn)
    assert asked == ["Delete the 1 image person in the gallery, with their image samples and embeddings? This "
                     "cannot be undone. (Export first to keep a copy.) The 1 person of other kinds stay."]
    assert listed(view) == [] and [p.name for p in gallery.people()] == ["Writer"]
    view.set_encoder(glyph)
    assert listed(view) == ["Writer"]

    # within one kind the offer stays: glyph model A -> glyph model B
    view.set_encoder(Encoder.load(carded_model(tmp_path / "g2.onnx", {"kind": "glyph", "size": 32}, seed=7)))
    assert view.reembed_btn.isVisibleTo(view) and "1 enrolled sample" in view.banner.text()


def test_remove_sample_asks_and_says_what_it_did(qtbot, tmp_path, glyph_model, glyph_files, monkeypatch):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    enrol_files(gallery, view.encoder, "Ada", [glyph_files["a1"], glyph_files["a2"]])
    view.refresh()
    said = []
    view.status.connect(said.append)
    view.samples.setCurrentRow(1)
    asked = []
    answer(monkeypatch, asked, QMessageBox.StandardButton.No)
    click(qtbot, view.remove_btn)
    assert asked == ["Remove the sample a2.png of Ada? Ada keeps 1 sample. This cannot be undone."]
    assert view.samples.count() == 2 and said == []
    answer(monkeypatch, asked)
    click(qtbot, view.remove_btn)
    assert view.samples.count() == 1 and said == ["Removed a2.png from Ada (1 sample left)"]


def test_import_button_brings_an_export_back(qtbot, tmp_path, glyph_model, glyph_files, monkeypatch):
    from siamgui.tasks.gallery_archive import export_gallery

    source = Gallery(tmp_path / "src.db")
    enrol_files(source, Encoder.load(glyph_model), HOSTILE, [glyph_files["a1"]])
    zipped = export_gallery(source, tmp_path / "out.zip").path
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    said = []
    view.status.connect(said.append)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(zipped), "")))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: (a[3][0], True)))
    click(qtbot, view.import_btn)
    qtbot.waitUntil(lambda: listed(view) == [HOSTILE], timeout=10000)
    assert said and said[-1].startswith("Imported 1 sample(s): 1 new person")
    assert view.samples.count() == 1 and view.samples.item(0).text() == "a1.png"


def test_a_name_is_plain_text_in_the_list_the_title_and_identify(qtbot, tmp_path, glyph_model, glyph_files):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    enrol_files(gallery, view.encoder, HOSTILE, [glyph_files["a1"]])
    view.refresh()
    assert view.people.item(0).text().startswith(HOSTILE) and view.person_title.text() == HOSTILE
    assert view.person_title.textFormat() == Qt.TextFormat.PlainText
    view.identify_file(str(glyph_files["a1"]))
    qtbot.waitUntil(lambda: view.identify_verdict.isVisibleTo(view), timeout=10000)
    assert view.identify_verdict.text() == HOSTILE
    assert view.identify_verdict.textFormat() == Qt.TextFormat.PlainText
    html = view.identify_result.text()
    assert "Zoë &amp; Co &lt;i&gt;x&lt;/i&gt; ../a/b" in html and "<i>" not in html
    # what the rich-text label shows is the literal name
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html)
    assert HOSTILE in doc.toPlainText()


def test_a_second_window_sees_the_first_ones_changes(qtbot, tmp_path, glyph_model, glyph_files):
    from siamgui.ui.gallery_view import GalleryView

    first, _ = make_view(qtbot, tmp_path, glyph_model)
    other = Gallery(tmp_path / "g.db")  # a second window: its own connection to the same file
    second = GalleryView(gallery_factory=lambda: other)
    qtbot.addWidget(second)
    second.show()
    second.set_encoder(first.encoder)
    assert listed(second) == []
    first.enrol("Ada", [str(glyph_files["a1"])])
    qtbot.waitUntil(lambda: listed(first) == ["Ada"], timeout=10000)
    qtbot.waitUntil(lambda: listed(second) == ["Ada"], timeout=5000)


def test_identify_under_another_kind_says_who_is_enrolled_where(qtbot, tmp_path, glyph_model, glyph_files):
    view, gallery = make_view(qtbot, tmp_path, glyph_model)
    enrol_files(gallery, view.encoder, "Writer", [glyph_files["a1"]])
    view.set_encoder(Encoder.load(carded_model(tmp_path / "fruit.onnx", {"kind": "image", "size": 32},
                                               name="fruitish")))
    view.identify_file(str(glyph_files["a1"]))
    qtbot.waitUntil(lambda: "nobody is enrolled" in view.identify_result.text().lower(), timeout=10000)
    assert view.identify_result.text() == ("Nobody is enrolled for fruitish (image models); 1 person is enrolled "
                                           "under glyph models, which fruitish never compares with.")
    assert not view.identify_verdict.isVisibleTo(view)
