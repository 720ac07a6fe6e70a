"""Screenshots of every view of the real window, for a person to look at (run under Xvfb).

    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/ui/screenshot_views.py OUTDIR [1280x800 1024x700 ...]

Uses the shipped models in models/ and samples in resources/samples; settings, gallery and
stored thresholds go to a temporary $XDG_CONFIG_HOME / $XDG_DATA_HOME. Writes
OUTDIR/<size>/<view>.png. Not a test: it drives the window as a user would and grabs it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
GLYPH_DATA = ROOT.parent / "shared" / "data" / "glyphs" / "omniglot_background" / "Latin"

_tmp = Path(tempfile.mkdtemp(prefix="siamgui-shots-"))
os.environ["XDG_CONFIG_HOME"] = str(_tmp / "config")
os.environ["XDG_DATA_HOME"] = str(_tmp / "data")
sys.path.insert(0, str(ROOT))
sys.path[1:1] = [str(ROOT / "tests"), str(ROOT / "tests" / "ui")]  # the tests' own fake-camera video

from PySide6.QtWidgets import QApplication  # noqa: E402

from siamgui.ui.app import build_window, create_app  # noqa: E402
from test_live_view import portrait_video  # noqa: E402


def spin(cond=lambda: False, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QApplication.processEvents()
        if cond():
            break
        time.sleep(0.02)
    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.02)


def main() -> int:
    out = Path(sys.argv[1])
    sizes = sys.argv[2:] or ["1280x800", "1024x700"]
    app = create_app(sys.argv[:1])
    for size in sizes:
        w, h = map(int, size.split("x"))
        folder = out / size
        folder.mkdir(parents=True, exist_ok=True)
        win = build_window(autoload=False)
        win.resize(w, h)
        win.show()

        def shot(name: str, widget=None) -> None:
            spin(timeout=0.3)
            (widget or win).grab().save(str(folder / f"{name}.png"))
            print("wrote", folder / f"{name}.png", flush=True)

        def load(model: str) -> None:
            win.open_model_path(str(ROOT / "models" / f"{model}.onnx"))
            spin(lambda: not win.loading and win.encoder is not None and win.encoder.name == model)

        def view(v) -> None:
            win.nav.setCurrentRow(win.views.index(v))
            spin(timeout=0.2)

        idle = lambda: win.jobs.in_flight == 0  # noqa: E731
        load("face")
        view(win.compare)
        win.compare.load_pair(SAMPLES / "face" / "same_a.jpg", SAMPLES / "face" / "same_b.jpg")
        spin(lambda: idle() and win.compare.verdict.distance is not None)
        shot("compare")

        win.gallery().delete_all()  # each size starts from an empty gallery
        view(win.gallery_view)
        shot("gallery-empty")
        gv = win.gallery_view
        gv.enrol("Grace Hopper", [str(SAMPLES / "face" / "same_a.jpg")])
        spin(lambda: idle() and gv.people.count() == 1)
        gv.enrol("Eileen Collins", [str(SAMPLES / "face" / "diff_b.jpg")])
        spin(lambda: idle() and gv.people.count() == 2)
        gv.people.setCurrentRow(0)
        gv.identify_file(str(SAMPLES / "face" / "same_b.jpg"))
        spin(lambda: idle() and gv.identify_verdict.isVisible())
        shot("gallery")
        odd = "Zoë & Co <i>x</i>"  # a name with markup in it shows as plain text, everywhere
        gv.enrol(odd, [str(SAMPLES / "face" / "diff_a.jpg")])
        spin(lambda: idle() and gv.people.count() == 3)
        rows = [gv.people.item(i).text() for i in range(gv.people.count())]
        gv.people.setCurrentRow(next((i for i, t in enumerate(rows) if t.startswith("Zo")), 0))
        gv.identify_file(str(SAMPLES / "face" / "diff_a.jpg"))
        spin(lambda: idle() and gv.identify_verdict.isVisible())
        shot("gallery-odd-name")

        view(win.live)
        lv = win.live
        shot("live-idle")
        lv.reference_from_file(str(SAMPLES / "face" / "same_a.jpg"))
        spin(lambda: idle() and lv.reference is not None)
        lv.start(str(portrait_video(_tmp / "cam.avi", name="same_b.jpg", frames=60)))
        spin(lambda: lv.verdict.state in ("same", "different"), timeout=15)
        spin(timeout=0.8)
        shot("live")
        lv.why_btn.click()  # the maps of why, on the frozen pair
        spin(lambda: lv.why_maps is not None, timeout=30)
        shot("live-why")
        lv.why_btn.click()
        spin(timeout=0.5)
        lv.mode_combo.setCurrentIndex(1)
        spin(lambda: lv.matches.isVisible(), timeout=8)
        shot("live-identify")
        lv.stop()
        lv.mode_combo.setCurrentIndex(0)

        view(win.calibrate)
        win.flash("")  # "Live: stopped" is true but says nothing about Calibrate
        shot("calibrate-empty")
        load("glyph")
        if GLYPH_DATA.is_dir():
            win.calibrate.start(GLYPH_DATA)
            spin(lambda: not win.calibrate.running, timeout=120)
        shot("calibrate")
        win.calibrate.tabs.setCurrentIndex(1)
        shot("calibrate-map")
        win.calibrate.tabs.setCurrentIndex(0)

        if (ROOT / "models" / "fruit.onnx").is_file():
            load("fruit")
            view(win.compare)
            win.compare.load_pair(SAMPLES / "fruit" / "diff_a.jpg", SAMPLES / "fruit" / "diff_b.jpg")
            spin(lambda: idle() and win.compare.verdict.distance is not None)
            shot("compare-fruit")
            win.compare.why_button.click()
            spin(lambda: idle() and win.compare.why_dialog is not None and win.compare.why_dialog.isVisible(),
                 timeout=60)
            if win.compare.why_dialog is not None:
                shot("compare-fruit-why", win.compare.why_dialog)
                win.compare.why_dialog.close()
        if (ROOT / "models" / "sound.onnx").is_file():
            load("sound")
            view(win.compare)
            shot("compare-sound")

        load("voice")
        view(win.compare)
        win.compare.load_pair(SAMPLES / "voice" / "same_a.wav", SAMPLES / "voice" / "same_b.wav")
        spin(lambda: idle() and win.compare.verdict.distance is not None)
        shot("compare-voice")
        view(win.live)
        shot("live-voice")
        view(win.gallery_view)
        shot("gallery-voice")

        digits = ROOT.parent / "shared" / "data" / "glyphs" / "mnist_train"
        if digits.is_dir() and (ROOT / "models" / "digit.onnx").is_file():
            import shutil

            support, queries = _tmp / "support", _tmp / "queries"
            for d in range(10):  # 5 examples per digit, 20 queries per digit, no image in both
                files = sorted((digits / str(d)).glob("*.png"))
                for dest, pick in ((support / str(d), files[:5]), (queries / str(d), files[5:25])):
                    dest.mkdir(parents=True, exist_ok=True)
                    for f in pick:
                        shutil.copy(f, dest / f.name)
            load("digit")
            view(win.fewshot)
            fv = win.fewshot
            fv.load_support_folder(support)
            spin(lambda: idle() and fv.support is not None, timeout=30)
            fv.classify([str(queries)])
            spin(lambda: idle() and not fv.busy, timeout=60)
            fv.draw_curve()
            spin(lambda: idle() and not fv.busy, timeout=120)
            rows = [fv.predictions.item(i).text() for i in range(fv.predictions.count())]
            fv.predictions.setCurrentRow(next((i for i, t in enumerate(rows) if not t.startswith("✓")), 0))
            spin(lambda: idle() and fv.query_thumb.pixmap() is not None and not fv.query_thumb.pixmap().isNull(),
                 timeout=10)  # a wrong query picked: its nearest examples show why
            fv.predictions.scrollToItem(fv.predictions.currentItem())
            shot("fewshot")
            from PySide6.QtCore import QPoint, Qt
            from PySide6.QtTest import QTest

            fv.draw_button.click()  # Draw mode: the pad takes the matrix's place (issue 22, item 11)
            pad = fv.drawpad.pad
            sq = pad._square()
            at = lambda x, y: QPoint(int(sq.left() + x * sq.width()), int(sq.top() + y * sq.height()))  # noqa: E731
            seven = [(0.2, 0.12), (0.8, 0.1), (0.6, 0.5), (0.45, 0.92)]
            QTest.mousePress(pad, Qt.MouseButton.LeftButton, pos=at(*seven[0]))
            for xy in seven[1:]:
                QTest.mouseMove(pad, at(*xy))
            QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=at(*seven[-1]))
            spin(lambda: idle() and fv.drawn_prediction is not None, timeout=10)
            shot("fewshot-draw")
            fv.draw_button.click()
        view(win.train)
        spin(lambda: win.train.listing is not None, timeout=30)  # the trainer's --list answer fills the choices
        shot("train")

        orl = ROOT.parent / "shared" / "data" / "faces" / "orl"
        if (orl / "s1" / "1.pgm").is_file():  # Identify with several people in view (issue 21)
            from crowd import crowd_video, enrolment_files

            load("face")
            win.gallery().delete_all()
            view(win.gallery_view)
            for n, (name, files) in enumerate(enrolment_files(orl).items(), start=1):
                gv.enrol(name, [str(f) for f in files])
                spin(lambda: idle() and gv.people.count() == n)
            view(win.live)
            lv.mode_combo.setCurrentIndex(1)
            lv.start(str(crowd_video(_tmp / f"crowd-{size}.avi", orl, frames=80)))
            spin(lambda: sum(1 for m in lv.preview.marks if m.label and m.label != "unknown") >= 3, timeout=30)
            spin(timeout=0.5)
            shot("live-crowd")
            lv.stop()
            spin(timeout=0.5)
            shot("live-crowd-stopped")
            lv.mode_combo.setCurrentIndex(0)

        guide = getattr(win, "show_guide", None)
        if guide is not None:
            dialog = guide()
            spin(timeout=0.3)
            shot("help-guide", dialog)
            dialog.close()
        win.close()
        spin(timeout=0.3)
        first_launch(app, folder, w, h)
    return 0


def first_launch(app, folder: Path, w: int, h: int) -> None:
    """A fresh config: the window picks its own size on this screen, the face model and its pair."""
    from PySide6.QtCore import QSettings

    from siamgui.ui.settings import AppSettings

    store = QSettings(str(_tmp / f"first-{w}x{h}.ini"), QSettings.Format.IniFormat)
    win = build_window(settings=AppSettings(store), autoload=True)
    win.show()
    spin(lambda: not win.loading and win.compare.verdict.distance is not None, timeout=30)
    spin(timeout=0.5)
    win.grab().save(str(folder / "first-launch.png"))
    app.primaryScreen().grabWindow(0).save(str(folder / "first-launch-screen.png"))
    g = win.frameGeometry()
    print("first launch: window", g.x(), g.y(), g.width(), g.height(), "on screen",
          app.primaryScreen().availableGeometry().getRect(), flush=True)
    win.close()
    spin(timeout=0.3)


if __name__ == "__main__":
    sys.exit(main())
