"""Faces found by the detector, cut as a square around the face, grey and equalised."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from siamgui.kinds import register
from siamgui.kinds.base import Modality, Prepared, Source
from siamgui.kinds.limits import MEAN, SIZE, STD, Limit
from siamgui.media import faces
from siamgui.media.faces import Box


@register
class FaceModality(Modality):
    """``{"kind": "face", "size": 64, "margin": 0.15, "equalize": true}``: the largest face,
    squared and grown by ``margin``, resized to ``size`` grey, histogram-equalised, normalised."""

    kind = "face"
    defaults: dict[str, Any] = {"size": 64, "margin": 0.15, "equalize": True, "mean": 0.5, "std": 0.5}
    limits = {"size": SIZE, "margin": Limit(0.0, 2.0), "equalize": Limit(flag=True), "mean": MEAN, "std": STD}
    live_source = "camera"
    subjects = ("the same person", "different people")
    tracks_faces = True

    def input_shape(self) -> tuple[int, int, int]:
        size = int(self.spec["size"])
        return (1, size, size)

    def region(self, box: Box) -> Box:
        """The square the encoder sees around a detected face box."""
        return box.square(float(self.spec["margin"]))

    def tensor(self, crop: np.ndarray) -> np.ndarray:
        """A grey uint8 face crop -> (1, S, S) normalised float32 (training augments the crop first)."""
        if self.spec.get("equalize", True):
            crop = cv2.equalizeHist(crop)
        x = crop.astype(np.float32) / 255.0
        return ((x - float(self.spec["mean"])) / float(self.spec["std"]))[None]

    def crop_region(self, image: np.ndarray, region: Box) -> Prepared:
        """The encoder input for an already chosen square region of an image."""
        crop = faces.crop(image, region, int(self.spec["size"]))
        return Prepared(self.tensor(crop)[None], region=region, view=crop, colour="grey")

    def prepare(self, source: Source) -> Prepared:
        img = self.image_of(source)
        return self.crop_region(img, faces.face_region(img, float(self.spec["margin"])))

    def detector(self) -> faces.FaceDetector:
        """OpenCV's Haar cascade: boxes only, no landmarks."""
        return faces.default_detector()

    def prepare_at(self, frame: np.ndarray, box: Box) -> Prepared:
        return self.crop_region(frame, self.region(box))
