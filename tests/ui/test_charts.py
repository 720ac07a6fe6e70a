"""ui/charts: what the charts share (ticks, rates, legend row) and the charts no view test paints
on its own (the microphone's scope and meter, the training curves before a run)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from siamgui.ui.charts.axes import draw_legend_row, nice_ticks, pct
from siamgui.ui.charts.scope import LOUD, VOICED, LevelScope, meter_fraction
from siamgui.ui.charts.training import CurvePlot


def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0, 1.0, 4) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert nice_ticks(0, 1.7, 6) == pytest.approx([0.0, 0.5, 1.0, 1.5])
    assert nice_ticks(0.03, 0.11, 4) == pytest.approx([0.04, 0.06, 0.08, 0.1])


def test_rates_keep_two_decimals_below_ten_percent():
    assert (pct(0.0123), pct(0.5), pct(0.1)) == ("1.23%", "50.0%", "10.0%")


def test_legend_entries_sit_in_one_row_left_to_right_without_overlap(qtbot):
    image = QImage(600, 40, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    rects = draw_legend_row(p, [(QColor("#16a34a"), "same pairs (1,000)"), (QColor("#dc2626"), "different")], 10, 2)
    p.end()
    assert len(rects) == 2 and rects[0].left() == 10 and rects[0].top() == rects[1].top() == 2
    assert rects[0].right() < rects[1].left() and not rects[0].intersects(rects[1])
    swatch = image.pixelColor(15, 10)  # the first swatch is drawn in its colour
    assert swatch.green() > swatch.red() and swatch.green() > swatch.blue()


def test_meter_fills_from_minus_70_dbfs_to_full_scale():
    assert meter_fraction(-90) == 0.0 and meter_fraction(0) == 1.0 and meter_fraction(-35) == pytest.approx(0.5)


def _has(img: QImage, colour: QColor, y: int, x0: int, x1: int) -> bool:
    return any(img.pixelColor(x, y) == colour for x in range(x0, x1))


def test_scope_meter_is_green_when_quiet_and_red_near_full_scale(qtbot):
    scope = LevelScope()
    qtbot.addWidget(scope)
    scope.resize(400, 200)
    y = 200 - 9  # the meter's middle row
    scope.add(np.array([0.1, -0.1], np.float32), -35.0, True)
    img = scope.grab().toImage()
    assert _has(img, VOICED, y, 20, 190) and not _has(img, VOICED, y, 220, 400)  # half full, in green
    scope.add(np.array([0.9, -0.9], np.float32), -3.0, True)
    img = scope.grab().toImage()
    assert _has(img, LOUD, y, 300, 390) and not _has(img, VOICED, y, 0, 400)
    scope.clear()
    assert not scope.columns and scope.level_db == -90.0


def test_the_meter_says_silence_only_while_listening(qtbot):
    """Screenshot live-voice.png: "silence" under "Press Start to open the microphone"."""
    scope = LevelScope()
    qtbot.addWidget(scope)
    assert scope.meter_text() == ""  # nothing is listening yet
    scope.add(np.zeros(2, np.float32), -90.0, False)
    assert scope.meter_text() == "silence"
    scope.add(np.array([0.1, -0.1], np.float32), -35.0, True)
    assert scope.meter_text() == "-35 dBFS"
    scope.clear()  # stopped
    assert scope.meter_text() == ""


def test_training_curves_before_a_run_name_no_series(qtbot):
    plot = CurvePlot()
    qtbot.addWidget(plot)
    plot.resize(400, 220)
    plot.grab()
    assert plot.paints == 1 and plot.legend() == ""


def test_a_clips_time_axis_ticks_round_seconds_up_to_its_end():
    from siamgui.ui.charts.waveform import time_ticks

    assert time_ticks(2.0) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    assert time_ticks(0.7) == pytest.approx([0.0, 0.2, 0.4, 0.6])


def test_axis_labels_stay_inside_the_axis_at_both_ends(qtbot):
    from siamgui.ui.charts.axes import draw_x_labels_inside

    image = QImage(200, 20, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    draw_x_labels_inside(p, (0.0, 1.0, 2.0), lambda v: min(100 * v, 199), 2, 199, lambda v: "8888", width=40)
    p.end()

    def inked(x0: int, x1: int) -> list[int]:
        return [x for x in range(x0, x1) if any(image.pixelColor(x, y) != QColor("white") for y in range(20))]

    left, middle, right = inked(0, 50), inked(75, 125), inked(150, 200)
    assert middle and min(middle) < 100 < max(middle)  # centred on its tick
    # the end labels are whole (as wide as the middle one), not cut at the axis's ends
    assert abs(len(left) - len(middle)) <= 2 and abs(len(right) - len(middle)) <= 2  # (sub-pixel placement)
    assert min(left) < 5 and max(right) > 194
