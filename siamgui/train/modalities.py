"""Per-modality loading (cached) and sampling, built on the app's own preprocessing.

Each source turns the items of a split into encoder inputs:
``train_sample(i, rng)`` one augmented (C, H, W) array for training, and
``eval_inputs(indices)`` the exact tensors the app would compute (the card kind's ``Modality``),
one (windows, C, H, W) array per evaluation sample, with its class.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from siamgui.media import audio, faces, images, modalities
from siamgui.media.errors import MediaError
from siamgui.train import augment
from siamgui.train.data import Item, Skipped


def _progress(iterable, desc: str, enabled: bool, total: int | None = None):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="file", leave=False, dynamic_ncols=True)


def _key(items: list[Item], extra: str) -> str:
    h = hashlib.sha1(extra.encode())
    for it in items:
        st = it.path.stat()
        h.update(f"{it.path}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


class Source:
    spec: dict[str, Any]
    items: list[Item]  # usable items only, after loading

    def train_sample(self, i: int, rng: np.random.Generator, variant: int = 0) -> np.ndarray:
        """``variant`` > 0: a new class made from this one (glyphs: rotated by 90 degrees x variant)."""
        raise NotImplementedError

    def keep(self, indices: list[int]) -> None:
        """Keep only these samples (and their per-sample data)."""
        for name in ("items", "images", "boxes", "waves", "_feats"):
            if hasattr(self, name):
                values = getattr(self, name)
                setattr(self, name, [values[i] for i in indices])

    def eval_inputs(self, indices: list[int], rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
        raise NotImplementedError


class GlyphSource(Source):
    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        ok, self.images = [], []
        cached = None
        if cache is not None:
            f = cache / f"glyph-{_key(items, 'v1')}.npz"
            if f.is_file():
                z = np.load(f, allow_pickle=False)
                cached = (z["ok"], list(z["shapes"]), z["flat"])
        if cached is not None:
            okmask, shapes, flat = cached
            pos = 0
            for it, good, shp in zip(items, okmask, shapes):
                if good:
                    n = int(shp[0] * shp[1])
                    self.images.append(flat[pos : pos + n].reshape(int(shp[0]), int(shp[1])))
                    pos += n
                    ok.append(it)
                else:
                    skipped.add("unreadable or blank images", it.path.name)
        else:
            okmask, shapes = [], []
            for it in _progress(items, "reading glyphs", progress):
                try:
                    img = images.to_grey(images.load_image(it.path))
                    self.modality.tensor(img)
                except MediaError:
                    skipped.add("unreadable or blank images", it.path.name)
                    okmask.append(False)
                    shapes.append((0, 0))
                    continue
                ok.append(it)
                self.images.append(img)
                okmask.append(True)
                shapes.append(img.shape)
            if cache is not None and self.images:
                cache.mkdir(parents=True, exist_ok=True)
                np.savez(cache / f"glyph-{_key(items, 'v1')}.npz", ok=np.array(okmask), shapes=np.array(shapes),
                         flat=np.concatenate([m.ravel() for m in self.images]))
        self.items = ok

    def _tensor(self, img: np.ndarray) -> np.ndarray:
        return self.modality.tensor(img)

    def train_sample(self, i, rng, variant: int = 0):
        img = self.images[i] if not variant else np.ascontiguousarray(np.rot90(self.images[i], variant))
        for _ in range(3):
            try:
                return self._tensor(augment.glyph_affine(img, rng))
            except MediaError:  # augmentation pushed the drawing off the page
                continue
        return self._tensor(img)

    def eval_inputs(self, indices, rng):
        return [self._tensor(self.images[i])[None] for i in indices], [self.items[i].label for i in indices]


class FaceSource(Source):
    """Detections are made once per image with the app's detector and cached (JSON)."""

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        store: dict[str, list[float] | None] = {}
        cfile = cache / "face-detections.json" if cache is not None else None
        if cfile is not None and cfile.is_file():
            store = json.loads(cfile.read_text())
        det = faces.default_detector()
        self.items, self.images, self.boxes = [], [], []
        new = 0
        for it in _progress(items, "detecting faces", progress):
            try:
                img = images.load_image(it.path)
            except MediaError:
                skipped.add("unreadable images", it.path.name)
                continue
            st = it.path.stat()
            key = f"{it.path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
            if key not in store:
                found = det.detect(img)
                store[key] = [found[0].x, found[0].y, found[0].w, found[0].h] if found else None
                new += 1
            if store[key] is None:
                skipped.add("images with no face found", it.path.name)
                continue
            self.items.append(it)
            self.images.append(images.to_grey(img))
            self.boxes.append(faces.Box(*store[key]))
        if cfile is not None and new:
            cfile.parent.mkdir(parents=True, exist_ok=True)
            cfile.write_text(json.dumps(store))

    def train_sample(self, i, rng, variant: int = 0):
        s = self.spec
        grey, box = self.images[i], self.boxes[i]
        grey = augment.rotate_about(grey, box, rng.uniform(-10, 10))
        region = augment.jitter_box(self.modality.region(box), rng)
        crop = augment.face_crop_aug(faces.crop(grey, region, int(s["size"])), rng)
        return self.modality.tensor(crop)

    def eval_inputs(self, indices, rng):
        out = [self.modality.prepare_at(self.images[i], self.boxes[i]).tensors for i in indices]
        return out, [self.items[i].label for i in indices]


class FaceAlignedSource(Source):
    """Faces found by the modality's own CNN detector (once per image, cached as JSON with the
    five landmarks) and aligned by the modality's own warp. Training chips are made from jittered
    landmarks (the similarity a detector's error would cause) with light, flip and greyscale on
    top; evaluation uses ``prepare_at`` unchanged, so validation sees exactly what the app feeds."""

    CACHE = "face-aligned-detections.json"

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        from siamgui.media.face_detect import Face

        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        store: dict[str, dict | None] = {}
        cfile = cache / self.CACHE if cache is not None else None
        if cfile is not None and cfile.is_file():
            store = json.loads(cfile.read_text())
        self.items, self.images, self.boxes = [], [], []
        new = 0
        for it in _progress(items, "detecting faces", progress):
            try:
                img = images.load_image(it.path)
            except MediaError:
                skipped.add("unreadable images", it.path.name)
                continue
            st = it.path.stat()
            key = f"{it.path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
            if key not in store:
                found = self.modality.detector().detect(img)
                f = found[0] if found else None
                store[key] = None if f is None else {
                    "box": [f.box.x, f.box.y, f.box.w, f.box.h], "score": float(f.score),
                    "landmarks": np.asarray(f.landmarks, float).tolist()}
                new += 1
            rec = store[key]
            if rec is None:
                skipped.add("images with no face found", it.path.name)
                continue
            face = Face(faces.Box(*rec["box"]), float(rec["score"]), np.asarray(rec["landmarks"], np.float64))
            try:
                self.modality.prepare_at(img, face)
            except MediaError:
                skipped.add("faces too small to judge", it.path.name)
                continue
            self.items.append(it)
            self.images.append(img)
            self.boxes.append(face)
        if cfile is not None and new:
            cfile.parent.mkdir(parents=True, exist_ok=True)
            cfile.write_text(json.dumps(store))

    def train_sample(self, i, rng, variant: int = 0):
        img, face = self.images[i], self.boxes[i]
        size, padding = int(self.spec["size"]), float(self.spec["padding"])
        from siamgui.media import align

        m = align.chip_matrix(face.landmarks, size, padding)
        chip_scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        chip, _ = self.modality.chip(img, augment.jitter_landmarks(face.landmarks, chip_scale, rng))
        return self.modality.tensor(augment.chip_photometric(chip, rng))[0]

    def eval_inputs(self, indices, rng):
        out = [self.modality.prepare_at(self.images[i], self.boxes[i]).tensors for i in indices]
        return out, [self.items[i].label for i in indices]


class AudioSource(Source):
    """One waveform per class (its files, resampled and joined); segments are cut from it."""

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True,
                 seg_s: tuple[float, float] = (1.5, 3.0), eval_seg_s: float = 2.0, eval_max: int = 8):
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        self.rate = int(self.spec["sample_rate"])
        self.seg_s, self.eval_seg_s, self.eval_max = seg_s, eval_seg_s, eval_max
        waves: dict[str, list[np.ndarray]] = {}
        first: dict[str, Item] = {}
        cached: dict[str, np.ndarray] = {}
        cfile = cache / f"audio-{_key(items, f'v1|{self.rate}')}.npz" if cache is not None else None
        if cfile is not None and cfile.is_file():
            z = np.load(cfile, allow_pickle=False)
            cached = {k: z[k] for k in z.files}
        for n, it in enumerate(_progress(items, "reading audio", progress)):
            key = f"f{n}"
            if key in cached:
                wav = cached[key]
                if wav.size == 0:
                    skipped.add("unreadable or silent audio files", it.path.name)
                    continue
            else:
                try:
                    clip = audio.load_audio(it.path)
                    if audio.is_silent(clip):
                        raise MediaError("silent")
                    wav = audio.resample(clip, self.rate).samples
                except MediaError:
                    skipped.add("unreadable or silent audio files", it.path.name)
                    cached[key] = np.zeros(0, np.float32)
                    continue
                cached[key] = wav
            waves.setdefault(it.label, []).append(wav)
            first.setdefault(it.label, it)
        if cfile is not None and not cfile.is_file():
            cfile.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cfile, **cached)
        # one "item" per class: the joined waveform (segments of it are the samples)
        self.items = [first[k] for k in sorted(waves)]
        self.waves = [np.concatenate(waves[k]).astype(np.float32) for k in sorted(waves)]
        self._feats: list[dict[int, np.ndarray]] = [{} for _ in self.waves]
        self.speeds: tuple[float, ...] = (1.0,)  # variant v plays the class at speeds[v]

    def _class_features(self, i: int, variant: int = 0) -> np.ndarray:
        """Unnormalised log-mel of the class's voiced audio (computed once; segments are slices).

        A variant > 0 is the class's audio played at another speed (pitch and formants move with
        it): a new, virtual speaker, as in speaker augmentation for x-vector training.
        """
        if variant not in self._feats[i]:
            clip = audio.AudioClip(self.waves[i], self.rate)
            speed = self.speeds[variant]
            if speed != 1.0:
                clip = audio.resample(audio.AudioClip(clip.samples, int(round(self.rate * speed))), self.rate)
            speech = audio.voiced(clip)
            self._feats[i][variant] = self.modality.features(speech.samples)
        return self._feats[i][variant]

    def train_sample(self, i, rng, variant: int = 0):
        """A random 1.5-3 s segment (as frames of the voiced log-mel), noise added in the mel domain,
        then the app's per-clip normalisation and one random window of it."""
        s = self.spec
        feat = self._class_features(i, variant)
        per_s = self.rate / int(s["hop"])
        n = int(rng.uniform(*self.seg_s) * per_s)
        if feat.shape[1] > n:
            start = int(rng.integers(0, feat.shape[1] - n + 1))
            feat = feat[:, start : start + n]
        feat = augment.mel_noise(feat, rng)
        wins = self.modality.windows(feat)
        w = wins[int(rng.integers(0, len(wins)))]
        if rng.random() < 0.5:  # a masked band (SpecAugment-like)
            f0 = int(rng.integers(0, w.shape[0] - 4))
            w = w.copy()
            w[f0 : f0 + int(rng.integers(1, 5))] = 0.0
        return w[None]

    def eval_inputs(self, indices, rng):
        """Fixed, non-overlapping ``eval_seg_s`` segments of each class, through the modality's ``prepare``."""
        out, labels = [], []
        n = int(self.eval_seg_s * self.rate)
        for i in indices:
            wav = self.waves[i]
            starts = list(range(0, max(1, len(wav) - n + 1), n))[: self.eval_max]
            for s0 in starts:
                try:
                    p = self.modality.prepare(audio.AudioClip(wav[s0 : s0 + n], self.rate))
                except MediaError:
                    continue
                out.append(p.tensors)
                labels.append(self.items[i].label)
        return out, labels


class SoundSource(AudioSource):
    """One sample per clip (not per class): for a few kinds of sound (cat, dog) the split is by
    clip, so validation pairs come from clips never trained on. Segments of a clip are its samples."""

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        unique = [Item(it.path, f"{it.label}#{n}", it.group) for n, it in enumerate(items)]
        back = {u.label: it for u, it in zip(unique, items)}
        super().__init__(unique, spec, skipped, cache, progress, seg_s=(0.8, 2.0))
        self.items = [back[it.label] for it in self.items]

    def eval_inputs(self, indices, rng):
        """Each clip (its first 6 s) through the modality's ``prepare``: one input per clip."""
        out, labels = [], []
        for i in indices:
            try:
                p = self.modality.prepare(audio.AudioClip(self.waves[i][: 6 * self.rate], self.rate))
            except MediaError:
                continue
            out.append(p.tensors)
            labels.append(self.items[i].label)
        return out, labels


class PhotoSource(Source):
    """Colour photos of things (the ``image`` kind): decoded once; training adds a random crop,
    flip, rotation and brightness change, then the modality's own ``prepare``."""

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        self.items, self.images = [], []
        side = 2 * max(self.modality.input_shape()[1:])  # keep memory small: twice the input side is plenty
        for it in _progress(items, "reading photos", progress):
            try:
                img = images.to_bgr(images.load_image(it.path))
            except MediaError:
                skipped.add("unreadable images", it.path.name)
                continue
            h, w = img.shape[:2]
            if max(h, w) > side:
                f = side / max(h, w)
                img = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
            self.items.append(it)
            self.images.append(img)

    def train_sample(self, i, rng, variant: int = 0):
        img = self.images[i]
        h, w = img.shape[:2]
        scale = rng.uniform(0.8, 1.0)
        ch, cw = max(2, int(h * scale)), max(2, int(w * scale))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = img[y : y + ch, x : x + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        m = cv2.getRotationMatrix2D((cw / 2, ch / 2), float(rng.uniform(-20, 20)), 1.0)
        crop = cv2.warpAffine(np.ascontiguousarray(crop), m, (cw, ch), borderMode=cv2.BORDER_REPLICATE)
        # brightness only: a variety's colour is what tells it apart, so no colour cast is added
        crop = np.clip(crop.astype(np.float32) * rng.uniform(0.9, 1.1), 0, 255).astype(np.uint8)
        return self.modality.prepare(crop).tensors[0]

    def eval_inputs(self, indices, rng):
        return [self.modality.prepare(self.images[i]).tensors for i in indices], [self.items[i].label for i in indices]


SOURCES: dict[str, Callable[..., Source]] = {"glyph": GlyphSource, "face": FaceSource, "face_aligned": FaceAlignedSource,
                                             "logmel": AudioSource, "sound": SoundSource, "image": PhotoSource}
