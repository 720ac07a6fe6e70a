"""Audio in: loading, resampling, voice activity, and log-mel features in plain NumPy.

Features are computed here without librosa, so nothing in the app waits on numba compiling
on first use, and training, the CLI and the GUI share one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from siamgui.media.errors import MediaError, require_file

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au")
SILENCE_DBFS = -55.0  # a clip whose loudest 30 ms is below this is treated as silence


@dataclass(frozen=True)
class AudioClip:
    """Mono float32 samples in [-1, 1] and their rate."""

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)


def is_audio_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_SUFFIXES


def load_audio(path: str | Path) -> AudioClip:
    """Read any libsndfile-supported file (WAV, FLAC, OGG, MP3) as mono float32."""
    p = require_file(path)
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises its own error types for every bad file
        raise MediaError(f"{p.name}: not a readable audio file ({exc})") from None
    if data.shape[0] == 0:
        raise MediaError(f"{p.name}: the clip is empty (zero length)")
    return AudioClip(np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(rate))


def duration(path: str | Path) -> float:
    """Seconds a file lasts, from its header alone (no decoding); MediaError when unreadable.

    The sentence names no file: callers list it beside the file's name."""
    try:
        return float(sf.info(str(path)).duration)
    except Exception as exc:  # noqa: BLE001 - libsndfile's own error types
        raise MediaError(f"not a readable audio file ({str(exc).strip().splitlines()[0][:120]})") from None


def encode_wav(clip: AudioClip) -> bytes:
    """A clip as 16-bit PCM WAV bytes, for storing a sample (a live utterance enrolled in the
    gallery) in a file every tool reads; load_audio reads it back at the same rate."""
    import io

    buf = io.BytesIO()
    sf.write(buf, np.asarray(clip.samples, np.float32), int(clip.rate), format="WAV", subtype="PCM_16")
    return buf.getvalue()


def resample(clip: AudioClip, rate: int, length: int | None = None) -> AudioClip:
    """Band-limited resampling in the frequency domain (exact for the band both rates share).

    NumPy only, so the app carries no SciPy; clips are seconds long, so one FFT is cheap.
    ``length``: the number of output samples (default: the input's duration, rounded).
    """
    if clip.rate == rate or len(clip.samples) == 0:
        return clip if clip.rate == rate else AudioClip(clip.samples, rate)
    x = clip.samples.astype(np.float64)
    n_out = max(1, int(length) if length is not None else int(round(len(x) * rate / clip.rate)))
    spectrum = np.fft.rfft(x)
    out = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    if n_out < len(x) and n_out % 2 == 0:
        out[-1] = out[-1].real  # the new Nyquist bin must be real
    y = np.fft.irfft(out, n_out) * (n_out / len(x))
    return AudioClip(y.astype(np.float32), rate)


def frame_db(samples: np.ndarray, rate: int, frame_s: float = 0.03) -> np.ndarray:
    """Loudness of consecutive frames in dBFS (RMS)."""
    n = max(1, int(rate * frame_s))
    count = len(samples) // n
    if count == 0:
        return np.array([20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-10)])
    frames = samples[: count * n].reshape(count, n)
    return 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-10)


def is_silent(clip: AudioClip) -> bool:
    return float(frame_db(clip.samples, clip.rate).max()) < SILENCE_DBFS


def voiced(clip: AudioClip, below_peak_db: float = 35.0, frame_s: float = 0.03, hangover: int = 3) -> AudioClip:
    """Keep the frames within ``below_peak_db`` of the loudest (and above silence), plus a short hangover.

    An energy gate is enough for the clean single-speaker clips this app judges, costs
    microseconds, and behaves the same on a file and on a live microphone.
    """
    db = frame_db(clip.samples, clip.rate, frame_s)
    gate = max(float(db.max()) - below_peak_db, SILENCE_DBFS)
    keep = db > gate
    if hangover:
        padded = np.pad(keep.astype(np.float32), hangover)
        keep = np.convolve(padded, np.ones(2 * hangover + 1), mode="valid") > 0
    n = max(1, int(clip.rate * frame_s))
    mask = np.repeat(keep, n)[: len(clip.samples)]
    samples = clip.samples[: len(mask)][mask]
    return AudioClip(np.ascontiguousarray(samples), clip.rate)


@lru_cache(maxsize=8)
def mel_filterbank(rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular HTK-mel filters, (n_mels, n_fft // 2 + 1), each normalised to unit area."""
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    fft_freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    mel_points = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_mels, len(fft_freqs)), dtype=np.float64)
    for i in range(n_mels):
        lo, mid, hi = mel_points[i : i + 3]
        up = (fft_freqs - lo) / max(mid - lo, 1e-9)
        down = (hi - fft_freqs) / max(hi - mid, 1e-9)
        fb[i] = np.maximum(0, np.minimum(up, down))
        fb[i] *= 2.0 / max(hi - lo, 1e-9)
    return fb.astype(np.float32)


def log_mel(samples: np.ndarray, rate: int, n_mels: int = 40, n_fft: int = 512, win: int = 400,
            hop: int = 160, fmin: float = 20.0, fmax: float | None = None) -> np.ndarray:
    """Log-mel spectrogram (n_mels, frames) of a mono signal; Hann window, power spectrum."""
    fmax = fmax or rate / 2
    if len(samples) < win:
        samples = np.pad(samples, (0, win - len(samples)))
    count = 1 + (len(samples) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(count)[:, None]
    frames = samples[idx] * np.hanning(win).astype(np.float32)[None, :]
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    mel = power.astype(np.float32) @ mel_filterbank(rate, n_fft, n_mels, fmin, float(fmax)).T
    return np.log(mel + 1e-6).T.astype(np.float32)


def normalise_features(feat: np.ndarray) -> np.ndarray:
    """Per-band mean and variance normalisation over the utterance (removes channel colour)."""
    mu = feat.mean(axis=1, keepdims=True)
    sd = feat.std(axis=1, keepdims=True) + 1e-5
    return ((feat - mu) / sd).astype(np.float32)


def windows(feat: np.ndarray, frames: int, step: int) -> np.ndarray:
    """Cut (n_mels, T) features into overlapping (n_mels, frames) windows; short clips wrap around."""
    T = feat.shape[1]
    if T < frames:
        reps = int(np.ceil(frames / max(T, 1)))
        feat = np.tile(feat, (1, reps))[:, :frames]
        T = frames
    starts = list(range(0, T - frames + 1, step))
    if starts[-1] != T - frames:
        starts.append(T - frames)
    return np.stack([feat[:, s : s + frames] for s in starts]).astype(np.float32)
