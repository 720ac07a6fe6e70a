"""Live's Why?: freeze the pair being judged (the live input and the reference), map it in a job,
overlay the maps; pressed again, back to the live picture.

A mixin of ``LiveView``: it reads the view's state (the last face or utterance, the reference,
the panels) and never runs on a device thread.
"""

from __future__ import annotations

import numpy as np

from siamgui.tasks.explain import Against
from siamgui.tasks.live import FrameResult
from siamgui.ui import why
from siamgui.ui.analysis import qimage_from_array, spectrogram_image


class LiveWhy:
    """Why? for ``LiveView`` (see the module's docstring)."""

    @property
    def frozen(self) -> bool:
        """Why? holds a pair on screen (computing its maps, or showing them): live results wait."""
        return self.why_job.running or self.why_maps is not None

    def _frame_of(self, r: FrameResult | None) -> np.ndarray | None:
        """The very frame a face result was computed from, while it is among the recent ones."""
        if r is None:
            return None
        return next((f for seq, f in reversed(self.recent_frames) if seq == r.seq), None)

    def _why_blocker(self) -> str:
        """Why there is no pair to explain yet ("" when there is one)."""
        if self.encoder is None or self.encoder.modality.live_source == "none":
            return "Why? needs a face or voice model: choose one to go live."
        if self.identifying:
            return "Why? explains a pair: choose the mode Verify against reference."
        if self.reference is None:
            return "Why? needs a reference: choose one on the right (from a file, live or an enrolled person)."
        if self.listens and self.last_clip is None:
            return "Why? needs an utterance: press Start and say something."
        face = self.last_face
        if not self.listens and (face is None or face.embedding is None or self._frame_of(face) is None):
            return "Why? needs a face: press Start and face the camera."
        return ""

    def _refresh_why(self) -> None:
        """The button's state and tooltip: off (saying why) until a pair is there to explain."""
        if self.why_job.running:
            return  # off while the maps are computed
        if self.why_maps is not None:
            self.why_btn.setEnabled(True)
            self.why_btn.setToolTip(f"Back to the live picture ({why.SHORTCUT})")
            return
        reason = self._why_blocker()
        self.why_btn.setEnabled(not reason)
        self.why_btn.setToolTip(reason or (why.TOOLTIP_ONE if self.reference_source is None else why.TOOLTIP))

    def why(self) -> None:
        """Freeze the pair being judged (the live input and the reference) and map it in a job;
        pressed again while the maps are shown, back to the live picture."""
        if self.why_job.running:
            return  # one computation at a time
        if self.why_maps is not None:
            self.back_to_live()
            return
        reason = self._why_blocker()
        if reason:
            self.status.emit(reason)
            self._refresh_why()
            return
        if self.listens:
            live = self.last_clip
        else:
            face = self.last_face
            live = self._frame_of(face).copy()
            self.preview.show_frame(qimage_from_array(live), self._marks(face))
        encoder, reference = self.encoder, self.reference_source
        if reference is None:  # an enrolled person's average: only the live side has regions to hide
            reference = Against(self.reference, self.reference_name, self.reference_samples)
            frozen = f"Frozen: hiding each region of the live input in turn (against {reference.words()})…"
        else:
            frozen = "Frozen: hiding each region of the live input and of the reference in turn…"
        self.why_job.start(encoder, live, reference, self._show_why,
                           current=lambda: encoder is self.encoder, failed=self._why_failed)
        self.why_btn.setToolTip("Computing the maps of the frozen pair…")
        self.why_caption.setText(frozen)
        self.why_caption.show()

    def _show_why(self, maps, picture) -> None:
        self.why_maps, self.why_picture = maps, picture
        self.scope.hide()
        self.preview.show()
        self.preview.show_frame(why.pair_image(picture), [])
        self.reference_panel.show_live(why.side_image(maps, 0), stretch=self.listens)
        if maps.against is None:
            self.reference_panel.show_reference(self.reference_name, why.side_image(maps, 1), self.reference_samples,
                                                self.listens)
            lead = "Left: live, right: reference. "
        else:
            lead = f"Live input only ({maps.against.name}'s reference is an average, with no picture to map). "
        self.why_caption.setText(lead + why.caption(maps))
        self.why_save_btn.show()
        self.matches.hide()
        self.verdict.set_distance(maps.distance, note="the frozen pair")
        why.set_text(self.why_btn, "Back to live")
        self._refresh_why()

    def save_why(self) -> None:
        """The frozen pair's maps as a PNG, where the user says (the picture ``siamgui explain`` writes)."""
        from siamgui.ui import saving

        if self.why_picture is None:
            return
        path = saving.ask_path(self, "Save the Why? maps", "why-live.png", saving.PNG, ".png")
        if path is not None:
            self.status.emit(saving.write_png(why.pair_image(self.why_picture), path))

    def _why_failed(self, message: str) -> None:
        self.back_to_live()
        self._say(f"Why? {message}")

    def back_to_live(self) -> None:
        """Drop the maps (or their computation) and show the live picture again."""
        shown = self.frozen
        self.why_job.cancel()
        self.why_maps = self.why_picture = None
        self.why_caption.hide()
        self.why_save_btn.hide()
        why.set_text(self.why_btn, why.TEXT)
        if shown and self.encoder is not None:
            self.preview.setVisible(not self.listens)
            self.scope.setVisible(self.listens)
            self.preview.clear()
            if not self.listens and self.last_frame is not None:
                self.preview.show_frame(qimage_from_array(self.last_frame), self._marks(self.last_face))
            self._show_reference_thumb()
            self._show_live_input()
            self._show_last_live_verdict()
        self._refresh_why()

    def _show_live_input(self) -> None:
        """The live thumbnail: the last face crop, or the last utterance's spectrogram (in a job)."""
        if self.listens:
            clip = self.last_clip
            if clip is not None:
                self.jobs.submit(lambda: spectrogram_image(clip),
                                 lambda o: self.reference_panel.show_live(o.value, stretch=True)
                                 if o.ok and not self.frozen and self.last_clip is clip else None)
            return
        r = self.last_face
        self.reference_panel.show_live(qimage_from_array(r.crop, bgr=r.colour == "bgr")
                                       if r is not None and r.crop is not None else None)
