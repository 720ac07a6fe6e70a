"""Gallery view: enrol people from 1-5 samples, look after them, identify a file. No retraining.

The view shows the people of the current model's kind only (``encoder.modality.gallery_scope``):
a face model lists the faces, a fruit model never does. Names are shown as plain text
everywhere, whatever characters they hold.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QSplitter, QVBoxLayout, QWidget)

from siamgui.core.gallery import MAX_SAMPLES, Gallery, GalleryError
from siamgui.errors import UserError
from siamgui.tasks.enrolment import (enrol_files, identify, missing_count, nobody_here, people_for_model, scope_of,
                                    sync_embeddings)
from siamgui.media.errors import MediaError, named
from siamgui.media.medium import IMAGE, MEDIA
from siamgui.ui.analysis import qimage_from_array
from siamgui.ui.canvas import thumb
from siamgui.ui.elided import ElidedLabel
from siamgui.ui.jobs import Jobs, report
from siamgui.ui.views import View

THUMB = 128
IDENTIFY_HINT = ("Who is in a photo or a recording? Pick a file: the nearest enrolled people, or “unknown” when "
                 "nobody is under the threshold.")


def identify_hint(medium) -> str:
    """The Identify hint in the words of the model's medium ("Who is in a photo?" for a face model)."""
    one = medium.sample_word[:-1] if medium.sample_word.endswith("s") else medium.sample_word
    return (f"Who is in a {one}? Pick a file: the nearest enrolled people, or “unknown” when nobody is "
            "under the threshold.")
NAME_ROLE = Qt.ItemDataRole.UserRole + 1  # a person's exact name (the item's text adds the count)
POLL_MS = 1500  # how often a visible view checks whether someone else changed the gallery


def count(n: int, one: str, many: str) -> str:
    """ "1 person", "2 people", "0 people"."""
    return f"{n} {one if n == 1 else many}"


def plain(text: str) -> str:
    """``text`` for a rich-text label or a tooltip, shown literally (a name is never markup)."""
    return html.escape(text, quote=False)


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` literally: Qt reads a tooltip as rich text when it looks like it."""
    return f"<qt>{plain(text)}</qt>"


def sample_icon(medium_name: str, media: bytes) -> QIcon:
    medium = MEDIA.get(medium_name)
    if medium is None or not medium.has_picture:
        return QIcon()
    import cv2

    img = cv2.imdecode(np.frombuffer(media, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return QIcon()
    return QIcon(QPixmap.fromImage(qimage_from_array(img)).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                                   Qt.TransformationMode.SmoothTransformation))


class GalleryView(View):
    """Enrolment: people, their samples, re-embedding after a model change, identification."""

    title = "Gallery"
    tooltip = "Enrol people from 1-5 samples and identify them — no retraining"
    changed = Signal()

    def __init__(self, jobs: Jobs | None = None, gallery_factory=None, parent=None):
        super().__init__(parent)
        self.setObjectName("GalleryView")
        self.jobs = jobs or Jobs(self)
        self._factory = gallery_factory or (lambda: Gallery())
        self._gallery: Gallery | None = None
        self._noticed = False  # the damaged-file notice goes to the status bar once
        self.encoder = None
        self._seen = None  # the gallery's version() when the list was last read
        self._build()
        self._poll = QTimer(self)  # another window or process may change the gallery: follow it
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._follow_changes)
        self._poll.start()

    @property
    def gallery(self) -> Gallery:
        if self._gallery is None:
            self._gallery = self._factory()
        return self._gallery

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)  # as Compare and Calibrate
        head = QHBoxLayout()
        title = QLabel("Gallery")
        title.setObjectName("viewTitle")
        self.subtitle = ElidedLabel("one-shot enrolment: 1-5 samples per person, no retraining")
        self.subtitle.setObjectName("muted")
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.subtitle, 1)
        outer.addLayout(head)
        self.banner = QLabel("")
        self.banner.setObjectName("paneNote")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.reembed_btn = QPushButton("Re-embed now")
        self.reembed_btn.hide()
        top = QHBoxLayout()
        top.addWidget(self.banner, 1)
        top.addWidget(self.reembed_btn)
        outer.addLayout(top)

        split = QSplitter()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel("People"))
        self.people = QListWidget()
        lv.addWidget(self.people, 1)
        row = QHBoxLayout()
        self.enrol_btn = QPushButton("Enrol…")
        self.enrol_btn.setObjectName("primaryButton")
        self.rename_btn = QPushButton("Rename…")
        self.delete_btn = QPushButton("Delete…")
        for b in (self.enrol_btn, self.rename_btn, self.delete_btn):
            row.addWidget(b)
        lv.addLayout(row)
        row2 = QHBoxLayout()
        self.export_btn = QPushButton("Export…")
        self.import_btn = QPushButton("Import…")
        self.delete_all_btn = QPushButton("Delete all…")
        row2.addWidget(self.export_btn)
        row2.addWidget(self.import_btn)
        row2.addWidget(self.delete_all_btn)
        lv.addLayout(row2)
        split.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.person_title = ElidedLabel("Select a person")
        self.person_title.setObjectName("personTitle")
        rv.addWidget(self.person_title)
        self.empty_hint = QLabel("")  # what to do when nobody is listed: wraps, never clipped
        self.empty_hint.setObjectName("muted")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()
        rv.addWidget(self.empty_hint)
        self.samples = QListWidget()
        self.samples.setViewMode(QListWidget.ViewMode.IconMode)
        self.samples.setIconSize(QSize(THUMB, THUMB))
        self.samples.setGridSize(QSize(THUMB + 24, THUMB + 30))
        self.samples.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.samples.setMinimumHeight(140)
        rv.addWidget(self.samples, 1)
        srow = QHBoxLayout()
        self.add_btn = QPushButton("Add samples…")
        self.remove_btn = QPushButton("Remove sample")
        srow.addWidget(self.add_btn)
        srow.addWidget(self.remove_btn)
        srow.addStretch(1)
        rv.addLayout(srow)
        card = QFrame()
        card.setObjectName("identifyCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        irow = QHBoxLayout(card)
        self.identify_thumb = QLabel("?")
        self.identify_thumb.setFixedSize(96, 96)
        self.identify_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.identify_thumb.setFrameShape(QFrame.Shape.StyledPanel)
        icol = QVBoxLayout()
        ihead = QHBoxLayout()
        ilabel = QLabel("Identify")
        ilabel.setObjectName("sectionTitle")
        self.identify_btn = QPushButton("Identify a file…")
        self.identify_btn.setObjectName("primaryButton")
        ihead.addWidget(ilabel)
        ihead.addStretch(1)
        ihead.addWidget(self.identify_btn)
        self.identify_verdict = QLabel("")
        self.identify_verdict.setTextFormat(Qt.TextFormat.PlainText)  # a person's name, never markup
        self.identify_verdict.setObjectName("verdict")
        self.identify_verdict.hide()
        self.identify_result = QLabel(IDENTIFY_HINT)
        self.identify_result.setWordWrap(True)
        self.identify_result.setTextFormat(Qt.TextFormat.RichText)
        icol.addLayout(ihead)
        icol.addWidget(self.identify_verdict)
        icol.addWidget(self.identify_result, 1)
        irow.addWidget(self.identify_thumb)
        irow.addLayout(icol, 1)
        rv.addWidget(card)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        outer.addWidget(split, 1)
        self.footer = QLabel("")  # how many people: always whole
        self.footer.setObjectName("muted")
        self.footer_path = ElidedLabel("", mode=Qt.TextElideMode.ElideMiddle)  # where: a long path gives way
        self.footer_path.setObjectName("muted")
        foot = QHBoxLayout()
        foot.setSpacing(4)
        foot.addWidget(self.footer)
        foot.addWidget(self.footer_path, 1)
        outer.addLayout(foot)

        self.people.currentItemChanged.connect(lambda *_: self._show_person())
        self.enrol_btn.clicked.connect(lambda: self.enrol())
        # clicked(bool) must never reach a slot's optional argument: every button calls with none
        self.rename_btn.clicked.connect(lambda: self.rename())
        self.delete_btn.clicked.connect(lambda: self.delete_person())
        self.delete_all_btn.clicked.connect(lambda: self.delete_all())
        self.export_btn.clicked.connect(lambda: self.export())
        self.import_btn.clicked.connect(lambda: self.import_zip())
        self.add_btn.clicked.connect(lambda: self.add_samples())
        self.remove_btn.clicked.connect(lambda: self.remove_sample())
        self.identify_btn.clicked.connect(lambda: self.identify_file())
        self.reembed_btn.clicked.connect(lambda: self.reembed())

    # --- model ---------------------------------------------------------------------------
    def set_encoder(self, encoder) -> None:
        self.encoder = encoder
        for b in (self.enrol_btn, self.add_btn, self.identify_btn):
            b.setEnabled(encoder is not None)
        self._reset_identify()  # a result of the previous model is not this model's
        self.refresh()

    def _reset_identify(self) -> None:
        self.identify_verdict.hide()
        self.identify_thumb.clear()
        self.identify_thumb.setText("?")
        self.identify_result.setText(identify_hint(self.encoder.modality.medium) if self.encoder is not None
                                     else IDENTIFY_HINT)

    def _filter(self) -> str:
        return self.encoder.modality.medium.file_filter if self.encoder is not None else IMAGE.file_filter

    def _scope(self) -> str | None:
        """The kind of people this model lists ("face", "voice", ...); None without a model."""
        return scope_of(self.encoder) if self.encoder is not None else None

    def _check_missing(self) -> None:
        if self.encoder is None:
            self.banner.hide()
            self.reembed_btn.hide()
            return
        missing = missing_count(self.gallery, self.encoder)  # this kind's samples only; no media read
        if missing:
            self.banner.setText(f"{missing} enrolled sample(s) have no embedding from {self.encoder.name} yet "
                                f"(they were enrolled with another {self._scope()} model). Embeddings of different "
                                "models are never "
                                "compared; re-embed them from the stored samples to use them with this model."
                                + (" (The gallery is read-only: the new embeddings last for this session.)"
                                   if self.gallery.read_only else ""))
        self.banner.setVisible(bool(missing))
        self.reembed_btn.setVisible(bool(missing))

    # --- listing -------------------------------------------------------------------------
    def _follow_changes(self) -> None:
        """Refresh when another window or process committed a change (one cheap PRAGMA)."""
        if self._gallery is None or not self.isVisible():
            return
        try:
            version = self._gallery.version()
        except GalleryError:
            return
        if version != self._seen:
            self.refresh()

    def refresh(self) -> None:
        current = self.people.currentItem().data(Qt.ItemDataRole.UserRole) if self.people.currentItem() else None
        self.people.clear()
        try:
            self._seen = self.gallery.version()
            everyone = self.gallery.people()
            people, hidden = self._people_for_model(everyone)
        except Exception as exc:
            self.footer.setText(f"Gallery unavailable: {report(exc)}")
            self.footer_path.setText("")
            return
        for p in people:  # a list item's text is never markup
            item = QListWidgetItem(f"{p.name}   ·   {count(p.samples, 'sample', 'samples')}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setData(NAME_ROLE, p.name)
            self.people.addItem(item)
            if p.id == current:
                self.people.setCurrentItem(item)
        if self.people.currentItem() is None and self.people.count():
            self.people.setCurrentRow(0)
        self._show_person()
        self._show_state(people, hidden, everyone)
        self._check_missing()

    def _show_state(self, people: list, hidden: int, everyone: list) -> None:
        """The footer: how many people this model lists, where the gallery is, and whether it was
        recovered from damage or is read-only."""
        g = self.gallery
        note = g.notice()
        other = ""
        if hidden:
            other = (f" (and {count(hidden, 'person', 'people')} with no {self._scope()} samples, not listed for "
                     "this model)")
        text = f"{count(len(people), 'person', 'people')}{other} ·"
        self.footer.setText(f"{note[:1].upper()}{note[1:]}. {text}" if note else text)
        self.footer.setWordWrap(bool(note))
        self.footer_path.setText(f"stored in {g.path} (readable by you only)")
        self.export_btn.setEnabled(bool(everyone))
        self.delete_all_btn.setEnabled(bool(people))
        if g.recovered and not self._noticed:
            self._noticed = True
            self.status.emit(f"{note[:1].upper()}{note[1:]}")
        self._refuse_changes()

    def _refuse_changes(self) -> None:
        """On a read-only gallery every button that would change it is off, its tooltip saying why."""
        why = self._gallery.read_only if self._gallery is not None else ""
        if not why:
            return
        for b in (self.enrol_btn, self.rename_btn, self.delete_btn, self.delete_all_btn, self.add_btn,
                  self.remove_btn, self.import_btn):  # re-embedding stays: a read-only gallery keeps it for this session
            b.setEnabled(False)
            b.setToolTip(f"{why[:1].upper()}{why[1:]}")

    def _change(self, fn) -> bool:
        """Run a direct change of the gallery; a refusal (read-only, damaged, disk full) is shown, not raised."""
        try:
            fn()
        except GalleryError as exc:
            QMessageBox.warning(self, "Gallery", str(exc))
            self.refresh()
            return False
        return True

    def _people_for_model(self, everyone: list) -> tuple[list, int]:
        """Only the people of this model's kind (a voice never sits under a face model, nor a face
        under a fruit model)."""
        if self.encoder is None:
            return everyone, 0
        return people_for_model(self.gallery, self.encoder)

    def _person_id(self):
        item = self.people.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _name(self) -> str:
        item = self.people.currentItem()
        return item.data(NAME_ROLE) if item else ""

    def _show_person(self) -> None:
        pid = self._person_id()
        self.samples.clear()
        has = pid is not None
        for b in (self.rename_btn, self.delete_btn, self.add_btn, self.remove_btn):
            b.setEnabled(has)
        self._refuse_changes()
        self.empty_hint.setVisible(not self.people.count())
        if not has:
            self.person_title.setText("Nobody enrolled yet" if not self.people.count() else "Select a person")
            what = self.encoder.modality.medium.sample_word if self.encoder is not None else "samples"
            self.empty_hint.setText(f"Press Enrol…, type a name and pick 1-{MAX_SAMPLES} {what} of the person. "
                                    "Nothing is retrained: the samples are embedded and compared.")
            return
        name = self._name()
        self.person_title.setText(name)  # plain text (ElidedLabel)
        self.person_title.setToolTip(plain_tip(name))
        # a voice sample of this person is not shown under a face model
        for s in self.gallery.samples(pid, self._scope()):
            item = QListWidgetItem(sample_icon(s.modality, s.media), s.filename or Path(s.source).name or s.suffix)
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setToolTip(plain_tip(s.source))
            self.samples.addItem(item)
        self._refuse_changes()

    # --- actions -------------------------------------------------------------------------
    def _run(self, work, success: str) -> None:
        def done(outcome):
            if outcome.ok:
                self.status.emit(success if "{}" not in success else success.format(outcome.value))
                self.changed.emit()
            else:
                QMessageBox.warning(self, "Gallery", outcome.error)
            self.refresh()

        self.jobs.submit(work, done)

    def enrol(self, name: str | None = None, files: list[str] | None = None) -> None:
        if self.encoder is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Enrol a person", "Name:")
            if not ok or not name.strip():
                return
        if files is None:
            files, _ = QFileDialog.getOpenFileNames(self, f"1-{MAX_SAMPLES} samples of {name}", "", self._filter())
            if not files:
                return
        enc = self.encoder
        self._run(lambda: enrol_files(self.gallery, enc, name, files) and name, "Enrolled {}")

    def add_samples(self, files: list[str] | None = None) -> None:
        pid = self._person_id()
        if pid is None or self.encoder is None:
            return
        name = self._name()
        if files is None:
            files, _ = QFileDialog.getOpenFileNames(self, f"More samples of {name}", "", self._filter())
            if not files:
                return
        enc = self.encoder
        self._run(lambda: enrol_files(self.gallery, enc, name, files) and name, "Added samples to {}")

    def remove_sample(self, confirmed: bool = False) -> None:
        """Remove the selected sample after asking (it cannot be undone), and say what was removed."""
        item = self.samples.currentItem()
        if item is None:
            return
        what, name, left = item.text(), self._name(), self.samples.count() - 1
        if not confirmed and not self._confirm(
                "Remove sample", f"Remove the sample {what} of {name}? {name} keeps {count(left, 'sample', 'samples')}. "
                                 "This cannot be undone."):
            return
        if not self._change(lambda: self.gallery.delete_sample(item.data(Qt.ItemDataRole.UserRole))):
            return
        self.status.emit(f"Removed {what} from {name} ({count(left, 'sample', 'samples')} left)")
        self.refresh()
        self.changed.emit()

    def rename(self, new_name: str | None = None) -> None:
        pid = self._person_id()
        if pid is None:
            return
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename", "New name:")
            if not ok:
                return
        self._run(lambda: self.gallery.rename(pid, new_name) or new_name, "Renamed to {}")

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def delete_person(self, confirmed: bool = False) -> None:
        pid = self._person_id()
        if pid is None:
            return
        name, scope = self._name(), self._scope()
        kind = f" {scope}" if scope else ""
        if confirmed or self._confirm("Delete", f"Delete {name} and all their{kind} samples? This cannot be undone."):
            if not self._change(lambda: self.gallery.delete_person(pid, scope)):
                return
            self.status.emit(f"Deleted {name}")
            self.refresh()
            self.changed.emit()

    def delete_all(self, confirmed: bool = False) -> None:
        """Delete everyone this model lists (its kind only: the voices stay under a face model),
        after saying how many and of which kind."""
        scope = self._scope()
        try:
            n = len(self.gallery.people(scope))
        except GalleryError as exc:
            QMessageBox.warning(self, "Gallery", str(exc))
            return
        kind = f"{scope} " if scope else ""
        others = len(self.gallery.people()) - n if scope else 0
        keep = f" The {count(others, 'person', 'people')} of other kinds stay." if others else ""
        if confirmed or self._confirm(
                "Delete all", f"Delete {'the' if n == 1 else 'all'} {count(n, kind + 'person', kind + 'people')} in "
                              "the gallery, with their "
                              f"{kind}samples and embeddings? This cannot be undone. (Export first to keep a copy.){keep}"):
            removed = []
            if not self._change(lambda: removed.append(self.gallery.delete_all(scope))):
                return
            self.status.emit(f"Deleted {count(removed[0], kind + 'person', kind + 'people')}")
            self.refresh()
            self.changed.emit()

    def _long_job(self, work, title: str) -> None:
        """Export or import off the UI thread, with progress in the status line on large galleries."""
        def progress(done: int, total: int) -> None:
            if total >= 20:
                self.status.emit(f"{title}: {done:,} of {total:,} samples")

        def done(outcome):
            if outcome.ok:
                self.status.emit(outcome.value[:1].upper() + outcome.value[1:])
                self.changed.emit()
            else:
                QMessageBox.warning(self, "Gallery", outcome.error)
            self.refresh()

        self.jobs.start(lambda report, _cancel: work(report), done, progress=progress)

    def export(self, target: str | None = None) -> None:
        """Export this model's people (everyone without a model) to a zip, readable by you only."""
        from siamgui.tasks.gallery_archive import export_gallery

        if target is None:
            target, _ = QFileDialog.getSaveFileName(self, "Export the gallery", "siamgui-gallery.zip", "Zip (*.zip)")
            if not target:
                return
        scope = self._scope()
        self._long_job(lambda report: export_gallery(self.gallery, target, scope, report).sentence(), "Exporting")

    def import_zip(self, source: str | None = None, on_conflict: str | None = None) -> None:
        """Import an exported zip: checked before anything is written, one transaction; a person
        already enrolled is merged, renamed or skipped, as the user answers."""
        from siamgui.tasks.gallery_archive import import_gallery

        if source is None:
            source, _ = QFileDialog.getOpenFileName(self, "Import a gallery", "", "Zip (*.zip)")
            if not source:
                return
        if on_conflict is None:
            choices = ["Merge their samples (up to 5)", "Import them under a new name", "Skip them"]
            picked, ok = QInputDialog.getItem(self, "Import a gallery", "Someone in the zip is already enrolled:",
                                              choices, 0, False)
            if not ok:
                return
            on_conflict = ("merge", "rename", "skip")[choices.index(picked)]
        self._long_job(lambda report: import_gallery(self.gallery, source, on_conflict, report).sentence(), "Importing")

    def reembed(self) -> None:
        if self.encoder is None:
            return
        enc = self.encoder

        def work():
            count, problems = sync_embeddings(self.gallery, enc)
            if problems:
                raise UserError(f"re-embedded {count}; could not use: " + "; ".join(problems[:3]))
            return count

        self._run(work, "Re-embedded {} sample(s)")

    def identify_file(self, path: str | None = None) -> None:
        if self.encoder is None:
            return
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Who is this?", "", self._filter())
            if not path:
                return
        enc = self.encoder

        def work():
            source, picture = path, None
            if enc.modality.medium.has_picture:  # decode once: the picture shown is the one embedded
                try:
                    source = enc.modality.medium.picture(path)
                    picture = qimage_from_array(source)
                except MediaError:
                    pass  # embedding the path says what is wrong
            ident = identify(self.gallery, enc, enc.embed(source)[0])
            why = "" if ident.matches else nobody_here(self.gallery, enc)  # read here, off the UI thread
            return ident, picture, why

        def done(outcome):
            self.identify_verdict.hide()
            if not outcome.ok:
                self.identify_thumb.setText("?")
                self.identify_result.setText(plain(named(Path(path).name, outcome.error)))
                return
            ident, picture, why = outcome.value
            if picture is not None:
                thumb(self.identify_thumb, picture, size=96)
            else:
                self.identify_thumb.setText(enc.modality.medium.placeholder)
            if not ident.matches:
                why = why or "nobody is enrolled with this model yet"
                self.identify_result.setText(plain(why[:1].upper() + why[1:] + "."))
                return
            self.identify_verdict.setText(ident.best.name if ident.known else "Unknown")
            self.identify_verdict.setProperty("verdict", "same" if ident.known else "different")
            self.identify_verdict.style().unpolish(self.identify_verdict)
            self.identify_verdict.style().polish(self.identify_verdict)
            self.identify_verdict.show()
            # names and the file name are text, never markup: escaped in this rich-text label
            rows = "".join(f"<tr><td>{'<b>' + plain(m.name) + '</b>' if i == 0 else plain(m.name)}</td>"
                           f"<td align='right'>&nbsp;&nbsp;{m.distance:.3f}</td></tr>"
                           for i, m in enumerate(ident.matches[:3]))
            head = (f"<b>{plain(ident.best.name)}</b>" if ident.known
                    else "<b>Unknown</b>: nobody under the threshold")
            self.identify_result.setText(f"{plain(Path(path).name)}: {head} (threshold {ident.threshold:.3f})"
                                         f"<table>{rows}</table>")

        self.jobs.submit(work, done)

    def activated(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        self._poll.stop()
        if self._gallery is not None:
            self._gallery.close()
