"""Tiny class-folder data sets the training tests make themselves."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from conftest import draw, tone

LETTERS = "ABCDEFGH"


def glyph_folder(root: Path, classes: str = LETTERS, per_class: int = 5) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for ci, ch in enumerate(classes):
        d = root / f"char_{ch}"
        d.mkdir(exist_ok=True)
        for s in range(per_class):
            cv2.imwrite(str(d / f"{s}.png"), draw(ch, seed=100 * ci + s))
    return root


def voice_folder(root: Path, speakers: int = 5, per_speaker: int = 2) -> Path:
    """Sine-mixture "voices": each speaker its own pitch and formant-like partials."""
    root.mkdir(parents=True, exist_ok=True)
    for s in range(speakers):
        d = root / f"spk{s}"
        d.mkdir(exist_ok=True)
        base = 110.0 + 45.0 * s
        for n in range(per_speaker):
            tone(d / f"{n}.wav", freqs=(base, base * 2.02, base * (3.1 + 0.3 * s)), seconds=2.5 + 0.5 * n,
                 amp=0.2 + 0.05 * n)
    return root


def face_folder(root: Path, classes: int = 3) -> Path:
    """Class folders of the shipped sample faces: each class one photo and its mirror image
    (mirrored and brightened copies make classes 3 and up), enough for MTCNN to find a face in each."""
    samples = Path(__file__).resolve().parents[2] / "resources" / "samples" / "face"
    photos = [cv2.imread(str(samples / n)) for n in ("same_a.jpg", "diff_a.jpg", "diff_b.jpg")]
    root.mkdir(parents=True, exist_ok=True)
    for c in range(classes):
        d = root / f"person{c}"
        d.mkdir(exist_ok=True)
        img = photos[c % len(photos)]
        if c >= len(photos):
            img = cv2.convertScaleAbs(img, alpha=1.0, beta=12.0 * (c // len(photos)))
        cv2.imwrite(str(d / "a.jpg"), img)
        cv2.imwrite(str(d / "b.jpg"), cv2.flip(img, 1))
    return root
