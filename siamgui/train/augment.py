"""Augmentation fitting each modality, applied around the app's own preprocessing."""

from __future__ import annotations

import cv2
import numpy as np

from siamgui.media.faces import Box


# --- faces: jitter the detected box, then light / contrast / flip / small rotation on the grey crop
def jitter_box(box: Box, rng: np.random.Generator, shift: float = 0.06, scale: float = 0.08) -> Box:
    s = box.w * float(np.exp(rng.uniform(-scale, scale)))
    cx = box.x + box.w / 2 + rng.uniform(-shift, shift) * box.w
    cy = box.y + box.h / 2 + rng.uniform(-shift, shift) * box.h
    return Box(cx - s / 2, cy - s / 2, s, s)


def rotate_about(grey: np.ndarray, box: Box, degrees: float) -> np.ndarray:
    if abs(degrees) < 1e-3:
        return grey
    c = (box.x + box.w / 2, box.y + box.h / 2)
    m = cv2.getRotationMatrix2D(c, degrees, 1.0)
    return cv2.warpAffine(grey, m, (grey.shape[1], grey.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def face_crop_aug(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting (gamma, contrast, side light), blur and horizontal flip of a grey uint8 crop."""
    x = crop.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        x = x[:, ::-1]
    x = np.clip(x, 0, 1) ** float(np.exp(rng.uniform(-0.5, 0.5)))
    if rng.random() < 0.5:  # light from one side: a gradient equalisation does not undo
        s = x.shape[1]
        ramp = np.linspace(-1, 1, s, dtype=np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        g = np.cos(ang) * ramp[None, :] + np.sin(ang) * ramp[:, None]
        x = x * (1.0 + rng.uniform(0.1, 0.5) * g)
    x = (x - 0.5) * rng.uniform(0.7, 1.3) + 0.5 + rng.uniform(-0.1, 0.1)
    out = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:  # low-resolution sources (small photos, far webcam faces)
        side = out.shape[0]
        small = int(rng.integers(max(12, side // 4), max(13, side * 3 // 4)))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (side, side),
                         interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.2:
        out = np.clip(out.astype(np.float32) + rng.normal(0, 6, out.shape), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out)


# --- aligned faces: jitter the five landmarks (as a detector would), then light / flip / grey on the chip
def jitter_landmarks(landmarks: np.ndarray, chip_scale: float, rng: np.random.Generator, rot: float = 8.0,
                     scale: float = 0.05, shift_px: float = 4.0, point_noise: float = 0.015) -> np.ndarray:
    """The landmarks moved by a random similarity about their centre (rotation up to ``rot``
    degrees, scale up to ``scale``, shift up to ``shift_px`` chip pixels; ``chip_scale`` is chip
    pixels per image pixel) plus independent noise of ``point_noise`` x the eye distance on each
    point. Aligning on them gives the chip rotated, scaled and shifted by as much."""
    lm = np.asarray(landmarks, np.float64)
    c = lm.mean(0)
    a = np.deg2rad(rng.uniform(-rot, rot))
    s = float(np.exp(rng.uniform(-scale, scale)))
    r = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    t = rng.uniform(-shift_px, shift_px, size=2) / max(chip_scale, 1e-6)
    eyes = float(np.hypot(*(lm[1] - lm[0])))
    return (lm - c) @ r.T + c + t + rng.normal(0.0, point_noise * eyes, size=lm.shape)


def chip_photometric(chip: np.ndarray, rng: np.random.Generator, grey_p: float = 0.2) -> np.ndarray:
    """Horizontal flip, gamma, contrast and brightness, side light, occasional greyscale, blur and
    low resolution on an RGB uint8 chip (values stay 0..255, as the encoder expects)."""
    x = chip.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        x = x[:, ::-1]
    if rng.random() < grey_p:
        g = x @ np.array([0.299, 0.587, 0.114], np.float32)
        x = np.repeat(g[:, :, None], 3, axis=2)
    x = np.clip(x, 0, 1) ** float(np.exp(rng.uniform(-0.3, 0.3)))
    if rng.random() < 0.3:
        side = x.shape[1]
        ramp = np.linspace(-1, 1, side, dtype=np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        g = np.cos(ang) * ramp[None, :] + np.sin(ang) * ramp[:, None]
        x = x * (1.0 + rng.uniform(0.1, 0.3) * g)[:, :, None]
    x = (x - 0.5) * rng.uniform(0.8, 1.2) + 0.5 + rng.uniform(-0.08, 0.08)
    out = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.15:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.0))
    if rng.random() < 0.15:  # small sources: the chip of a 30 px face is an upscaled blur
        side = out.shape[0]
        small = int(rng.integers(side // 4, side // 2))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (side, side),
                         interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(out)


# --- glyphs: a small random affine (rotation, scale, shear, shift) of the drawing
def glyph_affine(img: np.ndarray, rng: np.random.Generator, rot: float = 12.0, scale: float = 0.12,
                 shear: float = 0.2, shift: float = 0.06) -> np.ndarray:
    h, w = img.shape[:2]
    a = np.deg2rad(rng.uniform(-rot, rot))
    sx, sy = np.exp(rng.uniform(-scale, scale, size=2))
    sh = rng.uniform(-shear, shear)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    m2 = r @ np.array([[sx, sh], [0, sy]])
    c = np.array([w / 2, h / 2])
    t = c - m2 @ c + rng.uniform(-shift, shift, size=2) * np.array([w, h])
    m = np.hstack([m2, t[:, None]]).astype(np.float32)
    border = int(np.median(img))  # paper colour
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    if rng.random() < 0.3:  # thicker / thinner strokes
        k = np.ones((2, 2), np.uint8)
        out = cv2.erode(out, k) if border > 127 else cv2.dilate(out, k)
    return out


# --- audio: noise on the features of a segment
def mel_noise(logmel: np.ndarray, rng: np.random.Generator, p: float = 0.7,
              snr_db: tuple[float, float] = (5.0, 35.0)) -> np.ndarray:
    """Additive noise in the mel-power domain (white or tilted, fluctuating over time).

    Equivalent to adding stationary noise to the waveform before the features, at a fraction
    of the cost; gain needs no simulation (the per-clip normalisation removes it).
    """
    if rng.random() >= p:
        return logmel
    power = np.exp(logmel)
    level = float(power.mean()) * 10 ** (-rng.uniform(*snr_db) / 10)
    bands = logmel.shape[0]
    tilt = np.exp(rng.uniform(-2, 2) * np.linspace(-0.5, 0.5, bands, dtype=np.float32))[:, None]
    fluct = rng.gamma(4.0, 0.25, size=logmel.shape).astype(np.float32)
    return np.log(power + level * tilt * fluct + 1e-6).astype(np.float32)


# --- photos of things: a class made from another by turning its hue
def turn_hue(bgr: np.ndarray, degrees: float) -> np.ndarray:
    """The BGR uint8 picture with every hue turned by ``degrees`` (saturation and value kept)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + int(round(degrees / 2.0))) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
