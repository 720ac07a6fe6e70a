"""Rebuild the sample pairs the app offers (dev tool; its outputs are committed).

Every file is ours to ship:
- face: NASA's public-domain portrait of astronaut Eileen Collins (shipped in scikit-image as
  ``astronaut``) and the US Navy's public-domain portrait of Grace Hopper (shipped in
  matplotlib's sample data). No second public-domain photo of either person ships in a package,
  so the "same" pair is one photo and a copy of it turned 10 degrees, mirrored, relit from one
  side, cropped tighter and shrunk (what alignment and lighting must undo); the "different" pair
  is a greyscale rendition of Hopper's portrait against Collins's, so no file is shared between
  the pairs.
- voice: speech synthesised here with espeak-ng (same voice, different sentences; two voices).
- glyph: characters drawn by this script (Hershey stroke font, jittered like two hands).
- digit: digits drawn by this script as pen strokes (polylines through hand-placed points,
  jittered like two hands), one pair white on black as MNIST ships, one dark on white as on
  paper: no MNIST image is shipped.
- fruit: four Fruits-360 photos (Mihai Oltean, CC BY-SA 4.0; attribution in the folder) of
  varieties the fruit model held out: one apple seen from two sides, and two red apple
  varieties. Needs the shared data (``../shared/data`` or $SIAMGUI_DATA).

Needs scikit-image, matplotlib and espeak-ng:
    pip install scikit-image matplotlib && apt-get install espeak-ng
    python resources/samples/make_samples.py
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent


def faces(out: Path) -> None:
    import matplotlib
    import skimage.data

    out.mkdir(exist_ok=True)
    astronaut = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    hopper = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    h, w = hopper.shape[:2]
    hopper = cv2.resize(hopper, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    hh, hw = hopper.shape[:2]
    turned = cv2.warpAffine(cv2.flip(hopper, 1), cv2.getRotationMatrix2D((hw / 2, hh / 2), 10, 1.0), (hw, hh),
                            borderMode=cv2.BORDER_REFLECT)
    side_light = np.linspace(0.55, 1.1, hw, dtype=np.float32)[None, :, None]  # lit from the right
    relit = np.clip(255.0 * (turned / 255.0) ** 1.3 * side_light, 0, 255).astype(np.uint8)
    relit = relit[hh // 12 : hh - hh // 12, hw // 10 : hw - hw // 10]
    relit = cv2.resize(relit, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(cv2.cvtColor(hopper, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(out / "same_a.jpg"), hopper, [cv2.IMWRITE_JPEG_QUALITY, 90])
    cv2.imwrite(str(out / "same_b.jpg"), relit, [cv2.IMWRITE_JPEG_QUALITY, 80])
    cv2.imwrite(str(out / "diff_a.jpg"), grey[hh // 20 :, :], [cv2.IMWRITE_JPEG_QUALITY, 90])
    astro = cv2.resize(astronaut, (384, 384), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(out / "diff_b.jpg"), astro, [cv2.IMWRITE_JPEG_QUALITY, 90])


def voices(out: Path) -> None:
    out.mkdir(exist_ok=True)
    lines = {
        "same_a": ("en-us", 50, "The quick brown fox jumps over the lazy dog near the river bank."),
        "same_b": ("en-us", 50, "Please call me back when you have finished reading the report."),
        "diff_a": ("en-us", 50, "Siamese networks learn a distance between any two inputs."),
        "diff_b": ("en-gb-x-rp+f3", 90, "Siamese networks learn a distance between any two inputs."),
    }
    for name, (voice, pitch, text) in lines.items():
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "150", "-w", str(out / f"{name}.wav"), text],
                       check=True)


FRUIT = {"same_a": "Apple_Crimson_Snow_1/0_100.jpg", "same_b": "Apple_Crimson_Snow_1/r_106_100.jpg",
         "diff_a": "Apple_14/r0_0_100.jpg", "diff_b": "Apple_9/r0_0_100.jpg"}
FRUIT_CREDIT = """These four photos are from Fruits-360 (Mihai Oltean, https://github.com/fruits-360),
licensed CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). They are shared here
unchanged, under the same licence, as is the fruit model trained on that data set.
"""


def fruits(out: Path) -> None:
    import shutil

    from siamgui.train.recipes import data_root

    root = data_root()
    if root is None:
        raise SystemExit("fruit samples need the shared data (set SIAMGUI_DATA)")
    out.mkdir(exist_ok=True)
    for name, rel in FRUIT.items():
        shutil.copyfile(root / "objects" / "fruits360_3body" / rel, out / f"{name}.jpg")
    (out / "CREDIT.txt").write_text(FRUIT_CREDIT)


def draw_glyph(char: str, seed: int, size: int = 105) -> np.ndarray:
    rng = np.random.default_rng(seed)
    canvas = np.full((size * 4, size * 4), 255, np.uint8)
    cv2.putText(canvas, char, (size // 2, size * 3), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 9.0, 0,
                thickness=int(rng.integers(14, 22)), lineType=cv2.LINE_AA)
    angle, scale = rng.uniform(-10, 10), rng.uniform(0.85, 1.1)
    shear = rng.uniform(-0.15, 0.15)
    m = cv2.getRotationMatrix2D((size * 2, size * 2), angle, scale)
    m[0, 1] += shear
    canvas = cv2.warpAffine(canvas, m, canvas.shape[::-1], borderValue=255)
    small = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    return np.where(small > 160, 255, 0).astype(np.uint8)  # 1-bit, like a scanned pen stroke


def glyphs(out: Path) -> None:
    out.mkdir(exist_ok=True)
    cv2.imwrite(str(out / "same_a.png"), draw_glyph("G", 1))
    cv2.imwrite(str(out / "same_b.png"), draw_glyph("G", 2))
    cv2.imwrite(str(out / "diff_a.png"), draw_glyph("G", 3))
    cv2.imwrite(str(out / "diff_b.png"), draw_glyph("k", 4))


# pen strokes of each digit: polylines through points in a unit box (x right, y down)
DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "3": [[(0.22, 0.2), (0.4, 0.08), (0.62, 0.1), (0.72, 0.25), (0.62, 0.42), (0.42, 0.48), (0.64, 0.55),
           (0.76, 0.72), (0.66, 0.88), (0.44, 0.93), (0.22, 0.84)]],
    "7": [[(0.2, 0.12), (0.5, 0.1), (0.8, 0.1), (0.66, 0.4), (0.52, 0.68), (0.44, 0.92)],
          [(0.38, 0.5), (0.72, 0.48)]],
}


def draw_digit(digit: str, seed: int, size: int = 56, white_on_black: bool = False) -> np.ndarray:
    """A digit written with a pen: its strokes jittered, turned, sheared and thickened per seed."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((size, size), np.uint8)
    angle, shear, scale = rng.uniform(-12, 12), rng.uniform(-0.2, 0.2), rng.uniform(0.75, 0.9)
    m = cv2.getRotationMatrix2D((0.5, 0.5), angle, scale)
    m[0, 1] += shear
    for stroke in DIGIT_STROKES[digit]:
        pts = np.asarray(stroke) + rng.normal(scale=0.025, size=(len(stroke), 2))
        pts = pts @ m[:, :2].T + m[:, 2]
        cv2.polylines(canvas, [np.round(pts * size * 8).astype(np.int32)], False, 255,
                      thickness=int(rng.integers(3, 6)), lineType=cv2.LINE_AA, shift=3)
    canvas = cv2.GaussianBlur(canvas, (3, 3), 0.6)
    return canvas if white_on_black else 255 - canvas


def digits(out: Path) -> None:
    out.mkdir(exist_ok=True)
    cv2.imwrite(str(out / "same_a.png"), draw_digit("3", 1, white_on_black=True))
    cv2.imwrite(str(out / "same_b.png"), draw_digit("3", 2))
    cv2.imwrite(str(out / "diff_a.png"), draw_digit("7", 3, white_on_black=True))
    cv2.imwrite(str(out / "diff_b.png"), draw_digit("3", 4))


if __name__ == "__main__":
    import sys

    wanted = sys.argv[1:] or ["face", "voice", "glyph", "digit", "fruit"]  # e.g. `make_samples.py face`
    for name, make in (("face", faces), ("voice", voices), ("glyph", glyphs), ("digit", digits), ("fruit", fruits)):
        if name in wanted:
            make(HERE / name)
    print("samples written under", HERE)
