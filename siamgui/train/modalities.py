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


def cached_detections(items: list[Item], cfile: Path | None, detect: Callable[[np.ndarray], Any],
                      skipped: Skipped, progress: bool) -> list[tuple[Item, np.ndarray, Any]]:
    """(item, image, record) for every readable image, where ``record`` is what ``detect(image)``
    returned (JSON-able; None: no face) the first time this file was seen: detections are made
    once per file (keyed by path, size and time) and kept in ``cfile``, so reruns skip detection."""
    store: dict[str, Any] = json.loads(cfile.read_text()) if cfile is not None and cfile.is_file() else {}
    out, new = [], 0
    for it in _progress(items, "detecting faces", progress):
        try:
            img = images.load_image(it.path)
        except MediaError:
            skipped.add("unreadable images", it.path.name)
            continue
        st = it.path.stat()
        key = f"{it.path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if key not in store:
            store[key] = detect(img)
            new += 1
        if store[key] is None:
            skipped.add("images with no face found", it.path.name)
            continue
        out.append((it, img, store[key]))
    if cfile is not None and new:
        cfile.parent.mkdir(parents=True, exist_ok=True)
        cfile.write_text(json.dumps(store))
    return out


class Source:
    spec: dict[str, Any]
    items: list[Item]  # usable items only, after loading

    def train_sample(self, i: int, rng: np.random.Generator, variant: int = 0) -> np.ndarray:
        """``variant`` > 0: a new class made from this one (glyphs: rotated by 90 degrees x variant)."""
        raise NotImplementedError

    def variants(self, preset: dict) -> int:
        """Take the preset's class-making options; returns how many variants of each training class
        count as classes of their own (1: none). Glyphs: ``rotations`` (turned by 90 degrees)."""
        return int(preset.get("rotations", 1))

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
        det = faces.default_detector()

        def detect(img: np.ndarray) -> list[float] | None:
            found = det.detect(img)
            return [found[0].x, found[0].y, found[0].w, found[0].h] if found else None

        cfile = cache / "face-detections.json" if cache is not None else None
        self.items, self.images, self.boxes = [], [], []
        for it, img, rec in cached_detections(items, cfile, detect, skipped, progress):
            self.items.append(it)
            self.images.append(images.to_grey(img))
            self.boxes.append(faces.Box(*rec))

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
        def detect(img: np.ndarray) -> dict | None:
            found = self.modality.picture_detector().detect(img)  # as the app's prepare() finds it
            f = found[0] if found else None
            return None if f is None else {"box": [f.box.x, f.box.y, f.box.w, f.box.h], "score": float(f.score),
                                            "landmarks": np.asarray(f.landmarks, float).tolist()}

        cfile = cache / self.CACHE if cache is not None else None
        self.items, self.images, self.boxes = [], [], []
        for it, img, rec in cached_detections(items, cfile, detect, skipped, progress):
            face = Face(faces.Box(*rec["box"]), float(rec["score"]), np.asarray(rec["landmarks"], np.float64))
            try:
                self.modality.prepare_at(img, face)
            except MediaError:
                skipped.add("faces too small to judge", it.path.name)
                continue
            self.items.append(it)
            self.images.append(img)
            self.boxes.append(face)

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

    def variants(self, preset: dict) -> int:
        """``speed_classes``: the class played at each of these speeds is a new, virtual speaker."""
        self.speeds = (1.0, *[float(x) for x in preset.get("speed_classes") or ()])
        return len(self.speeds)

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


class Ge2eSource(Source):
    """Speakers for a GE2E-style encoder (card kind ``ge2e``), built from the modality's own steps.

    Each file goes through the app's preprocessing (``ge2e``: 16 kHz, volume, voice-activity trim)
    once; a class is its files' preprocessed waves joined. A training sample is a random
    ``frames``-long piece of that wave (now and then a shorter one, zero-padded to one window as
    the app pads a spoken digit), with a random gain and, half the time, white noise, turned into
    one window by the modality's own ``partial_windows``. A speed variant (``speeds``) is the
    class's wave played at another speed: a new, virtual speaker. Evaluation feeds the untouched
    files (cut into ``eval_seg_s`` pieces, as the import's figures do) to the modality's ``prepare``.
    """

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True,
                 eval_seg_s: float = 3.0, eval_min_s: float = 1.5, eval_max: int = 8, short_p: float = 0.25,
                 short_s: tuple[float, float] = (0.3, 1.2), gain_db: float = 6.0, snr_db: tuple[float, float] = (15.0, 40.0)):
        from siamgui.media import ge2e

        self._ge2e = ge2e
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        self.rate = int(self.spec["sample_rate"])
        self.eval_seg_s, self.eval_min_s, self.eval_max = eval_seg_s, eval_min_s, eval_max
        self.short_p, self.short_s, self.gain_db, self.snr_db = short_p, short_s, gain_db, snr_db
        spec_key = json.dumps({k: self.spec[k] for k in sorted(self.spec)}, sort_keys=True, default=str)
        cfile = cache / f"ge2e-{_key(items, 'v1|' + spec_key)}.npz" if cache is not None else None
        cached: dict[str, np.ndarray] = {}
        if cfile is not None and cfile.is_file():
            z = np.load(cfile, allow_pickle=False)
            cached = {k: z[k] for k in z.files}
        raw: dict[str, list[np.ndarray]] = {}
        prepared: dict[str, list[np.ndarray]] = {}
        first: dict[str, Item] = {}
        for n, it in enumerate(_progress(items, "reading audio", progress)):
            if f"p{n}" not in cached:
                try:
                    clip = audio.load_audio(it.path)
                    self.modality.prepare(clip)  # refused by the app (silent, too little voice): not used
                    wav16 = audio.resample(clip, self.rate).samples if clip.rate != self.rate else clip.samples
                    pre = ge2e.preprocess_wav(clip.samples, clip.rate, self.spec)
                except MediaError:
                    cached[f"p{n}"] = cached[f"r{n}"] = np.zeros(0, np.float32)
                else:
                    cached[f"r{n}"], cached[f"p{n}"] = np.asarray(wav16, np.float32), np.asarray(pre, np.float32)
            if cached[f"p{n}"].size == 0:
                skipped.add("unreadable, silent or voiceless audio files", it.path.name)
                continue
            raw.setdefault(it.label, []).append(cached[f"r{n}"])
            prepared.setdefault(it.label, []).append(cached[f"p{n}"])
            first.setdefault(it.label, it)
        if cfile is not None and not cfile.is_file():
            cfile.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cfile, **cached)
        labels = sorted(prepared)
        self.items = [first[k] for k in labels]  # one "item" per class: its joined, preprocessed wave
        self.waves = [np.concatenate(prepared[k]) for k in labels]
        self.files = [raw[k] for k in labels]  # the files as the app would be given them (16 kHz)
        self._speed_waves: list[dict[int, np.ndarray]] = [{} for _ in labels]
        self.speeds: tuple[float, ...] = (1.0,)

    variants = AudioSource.variants  # voices at other speeds are new speakers, as there

    def keep(self, indices: list[int]) -> None:
        for name in ("items", "waves", "files", "_speed_waves"):
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in indices])

    def _wave(self, i: int, variant: int) -> np.ndarray:
        if variant == 0:
            return self.waves[i]
        if variant not in self._speed_waves[i]:
            speed = self.speeds[variant]
            played = audio.AudioClip(self.waves[i], int(round(self.rate * speed)))
            self._speed_waves[i][variant] = audio.resample(played, self.rate).samples.astype(np.float32)
        return self._speed_waves[i][variant]

    def train_sample(self, i, rng, variant: int = 0):
        wav = self._wave(i, variant)
        hop = self.rate * int(self.spec["hop_ms"]) // 1000
        n = int(self.spec["frames"]) * hop
        if rng.random() < self.short_p:
            n = int(rng.uniform(*self.short_s) * self.rate)
        if len(wav) > n:
            a = int(rng.integers(0, len(wav) - n + 1))
            wav = wav[a : a + n]
        seg = wav * np.float32(10.0 ** (rng.uniform(-self.gain_db, self.gain_db) / 20.0))
        if rng.random() < 0.5:
            rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) or 1e-4
            sigma = rms * 10.0 ** (-rng.uniform(*self.snr_db) / 20.0)
            seg = seg + rng.normal(0.0, sigma, size=seg.shape).astype(np.float32)
        seg = np.clip(seg, -1.0, 1.0).astype(np.float32)
        return self._ge2e.partial_windows(seg, self.spec)[0]

    def eval_inputs(self, indices, rng):
        """Each class's files cut into ``eval_seg_s`` pieces (a tail under ``eval_min_s`` dropped unless it
        is the whole file), up to ``eval_max`` per class, through the modality's ``prepare``."""
        out, labels = [], []
        n, least = int(self.eval_seg_s * self.rate), int(self.eval_min_s * self.rate)
        for i in indices:
            got = 0
            for wav in self.files[i]:
                for a in range(0, len(wav), n):
                    piece = wav[a : a + n]
                    if got >= self.eval_max or (len(piece) < least and len(piece) < len(wav)):
                        continue
                    try:
                        p = self.modality.prepare(audio.AudioClip(piece, self.rate))
                    except MediaError:
                        continue
                    out.append(p.tensors)
                    labels.append(self.items[i].label)
                    got += 1
        return out, labels


class SoundSource(AudioSource):
    """One sample per clip (not per class): for a few kinds of sound (cat, dog) the split is by
    clip, so validation pairs come from clips never trained on. Segments of a clip are its samples."""

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        unique = [Item(it.path, f"{it.label}#{n}", it.group) for n, it in enumerate(items)]
        back = {u.label: it for u, it in zip(unique, items)}
        # evaluation: each clip's first 6 s through the modality's ``prepare``, one input per clip
        super().__init__(unique, spec, skipped, cache, progress, seg_s=(0.8, 2.0), eval_seg_s=6.0, eval_max=1)
        self.items = [back[it.label] for it in self.items]


class PhotoSource(Source):
    """Colour photos of things (the ``image`` kind): decoded once; training turns, mirrors, scales
    and shifts the photo and changes its brightness, then runs the modality's own ``prepare``.

    Preset options: ``augment`` = {"rotate": degrees either way, "scale": [low, high]} (a product
    photo may show its subject at any angle), and ``hue_classes``: the class with its hue turned
    by each of these degrees is a new class (a red variety turned 60 degrees is a plausible orange
    one), which multiplies the few kinds a photo set has without teaching the encoder to ignore
    colour.
    """

    def __init__(self, items: list[Item], spec: dict, skipped: Skipped, cache: Path | None, progress: bool = True):
        self.modality = modalities.get(spec)
        self.spec = self.modality.spec
        self.items, self.images = [], []
        self.hues: tuple[float, ...] = (0.0,)
        self.rotate, self.scale = 20.0, (0.85, 1.15)
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

    def variants(self, preset: dict) -> int:
        aug = preset.get("augment") or {}
        self.rotate = float(aug.get("rotate", self.rotate))
        self.scale = tuple(float(x) for x in aug.get("scale", self.scale))
        self.hues = (0.0, *[float(x) for x in preset.get("hue_classes") or ()])
        return len(self.hues)

    def train_sample(self, i, rng, variant: int = 0):
        img = self.images[i]
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-self.rotate, self.rotate)),
                                    float(rng.uniform(*self.scale)))
        m[:, 2] += rng.uniform(-0.05, 0.05, size=2) * (w, h)
        out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < 0.5:
            out = out[:, ::-1]
        if self.hues[variant]:
            out = augment.turn_hue(out, self.hues[variant])
        # brightness only: a kind's colour is what tells it apart, so no random colour cast is added
        out = np.clip(out.astype(np.float32) * rng.uniform(0.92, 1.08), 0, 255).astype(np.uint8)
        return self.modality.prepare(np.ascontiguousarray(out)).tensors[0]

    def eval_inputs(self, indices, rng):
        return [self.modality.prepare(self.images[i]).tensors for i in indices], [self.items[i].label for i in indices]


SOURCES: dict[str, Callable[..., Source]] = {"glyph": GlyphSource, "face": FaceSource, "face_aligned": FaceAlignedSource,
                                             "logmel": AudioSource, "ge2e": Ge2eSource, "sound": SoundSource,
                                             "image": PhotoSource}
