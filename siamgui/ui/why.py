"""Why? in the views (Compare and Live): the button, the one background job, the words and pictures.

The maps themselves come from ``siamgui.tasks.explain`` (no Qt); this module is what both views
share around them, so a change of wording, shortcut or drawing is made once:

* :func:`make_button` - the "Why?" button with its tooltip and Ctrl+Y (kept when the text changes);
* :class:`WhyJob` - at most one computation per view, on a pool thread, the button off meanwhile;
* :func:`caption`, :func:`side_image`, :func:`pair_image` - how a result is read and drawn
  (two sides, or the live side alone against an enrolled person's average).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QPushButton

from siamgui.ui.analysis import qimage_from_array
from siamgui.ui.jobs import Job, Jobs, Outcome

TEXT = "Why?"
SHORTCUT = "Ctrl+Y"
TOOLTIP = ("Occlusion maps: hide each region of both inputs in turn and see how much the distance moves "
           f"(red: made them alike, blue: set them apart). {SHORTCUT}")
BUSY = "Why? hiding each region of both inputs in turn…"
TOOLTIP_ONE = ("Occlusion map of the live input: hide each of its regions in turn and see how much the distance "
               "to the enrolled person's average moves (red: made them alike, blue: set them apart). "
               f"{SHORTCUT}")
BUSY_ONE = "Why? hiding each region of the live input in turn…"


def set_text(button: QPushButton, text: str) -> None:
    """Relabel the button; QAbstractButton.setText drops a shortcut, so it is set again."""
    button.setText(text)
    button.setShortcut(QKeySequence(SHORTCUT))


def make_button() -> QPushButton:
    """The Why? button of a view (only the visible view's shortcut fires)."""
    button = QPushButton()
    button.setObjectName("whyButton")
    set_text(button, TEXT)
    button.setToolTip(TOOLTIP)
    return button


def one_sided(b) -> bool:
    """``b`` is a fixed embedding (``explain.Against``: an enrolled person's average), not an input."""
    from siamgui.tasks import explain

    return isinstance(b, explain.Against)


def compute(encoder, a, b):
    """The job's work (a pool thread): the maps and their picture; ``b`` an input (both sides are
    mapped) or an ``explain.Against`` (only ``a`` is)."""
    from siamgui.tasks import explain

    maps = explain.explain_against(encoder, a, b) if one_sided(b) else explain.explain_pair(encoder, a, b)
    return maps, explain.render(maps)


def caption(maps) -> str:
    """How to read the maps, in one paragraph under the picture."""
    from siamgui.tasks import explain

    info = explain.summary(maps)
    side = maps.sides[0]
    hidden = (f"Each region of {side.what} was hidden in turn, one at a time ({info['occlusions']} tries, "
              f"{info['seconds']:.1f} s). " + (f"{side.reading} " if side.reading else ""))
    if maps.against is not None:
        name = maps.against.name
        return hidden + (f"Red: hiding it raised the distance, so it made the live input look like {name}; "
                         f"blue: hiding it lowered the distance, so it set them apart. Distance {maps.distance:.3f} "
                         f"to {maps.against.words()}.")
    return hidden + ("Red: hiding it raised the distance, so it made the pair alike; "
                     f"blue: hiding it lowered the distance, so it set them apart. Distance {maps.distance:.3f}.")


def ready(maps) -> str:
    """The status line once the maps are shown."""
    return f"Why? maps ready ({maps.seconds:.1f} s)"


def pair_image(picture: np.ndarray) -> QImage:
    """The rendered pair (``explain.render``: both overlays and the legend) as a QImage."""
    return qimage_from_array(picture)


def side_image(maps, index: int, height: int = 128) -> QImage:
    """One side's overlay, on the pair's common colour scale."""
    from siamgui.tasks import explain

    return qimage_from_array(explain.overlay(maps.sides[index], explain.largest_change(maps), height))


class WhyJob:
    """At most one Why? computation for a view: a second press while it runs starts nothing.

    ``start`` turns the button off and says so on ``status``; the result reaches ``shown(maps,
    picture)`` on the UI thread unless ``current()`` says the pair has gone (a new model), a
    failure reaches ``failed(message)``. ``cancel`` drops whatever is in flight.
    """

    def __init__(self, jobs: Jobs, button: QPushButton, status: Callable[[str], None]):
        self.jobs, self.button, self.status = jobs, button, status
        self.job: Job | None = None

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, encoder, a, b, shown: Callable[[object, np.ndarray], None],
              current: Callable[[], bool] = lambda: True,
              failed: Callable[[str], None] | None = None) -> bool:
        """Compute the maps of ``a`` and ``b`` (see :func:`compute`) in the background; False when one
        is already running."""
        if self.job is not None:
            return False
        self.button.setEnabled(False)
        self.status(BUSY_ONE if one_sided(b) else BUSY)

        def done(outcome: Outcome) -> None:
            self.job = None
            self.button.setEnabled(True)
            if not current():
                return
            if not outcome.ok:
                self.status(f"Why? {outcome.error}")
                if failed is not None:
                    failed(outcome.error)
                return
            maps, picture = outcome.value
            shown(maps, picture)
            self.status(ready(maps))

        self.job = self.jobs.start(lambda report, cancel: compute(encoder, a, b), done)
        return True

    def cancel(self) -> None:
        """Forget the computation in flight (its result is never shown)."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self.button.setEnabled(True)
