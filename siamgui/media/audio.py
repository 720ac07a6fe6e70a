"""Audio in: loading, resampling, voice activity, and log-mel features in plain NumPy.

Features are computed here without librosa, so nothing in the app waits on numba compiling
on first use, and training, the CLI and the GUI share one implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import soundfile as sf

from siamgui.media.errors import MediaError, require_file
from siamgui.media.limits import MAX_AUDIO_S, MAX_RATE, MIN_RATE

MAX_CHANNELS = 64
BLOCK = 1 << 16  # frames decoded at a time: a many-channel file is mixed down block by block

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


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header declares, checked before a sample is decoded."""

    name: str
    rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / float(self.rate)


def audio_info(path: str | Path) -> AudioInfo:
    """The header of an audio file, or MediaError when it declares something no recording is
    (a 1 Hz rate makes a 196 KB WAV last 27 hours, and decoding it would take 12 GB)."""
    p = require_file(path)
    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile raises its own error types for every bad file
        raise MediaError(f"{p.name}: not a readable audio file ({_first_line(exc)})") from None
    rate, channels, frames = int(info.samplerate), int(info.channels), int(info.frames)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise MediaError(f"{p.name}: its header says {rate} Hz; audio from {MIN_RATE} to {MAX_RATE} Hz can be used "
                         "(the file may be damaged)")
    if not 1 <= channels <= MAX_CHANNELS:
        raise MediaError(f"{p.name}: its header says {channels} channels; audio with 1 to {MAX_CHANNELS} can be "
                         "used (the file may be damaged)")
    return AudioInfo(p.name, rate, channels, max(frames, 0))


def load_audio(path: str | Path, start_s: float = 0.0, length_s: float | None = None,
               max_s: float = MAX_AUDIO_S) -> AudioClip:
    """Read any libsndfile-supported file (WAV, FLAC, OGG, MP3) as mono float32.

    The header is checked first (:func:`audio_info`), and a clip (or the window ``start_s`` ..
    ``start_s + length_s`` of it) longer than ``max_s`` is refused before anything is decoded,
    so memory follows the window, never the file: commands that go through a long recording
    read it window by window. Channels are mixed down block by block.
    """
    info = audio_info(path)
    start = min(max(int(round(start_s * info.rate)), 0), info.frames)
    stop = info.frames if length_s is None else min(info.frames, start + int(round(length_s * info.rate)))
    if (stop - start) / info.rate > max_s:
        what = "the clip" if length_s is None else "the part asked for"
        raise MediaError(f"{info.name}: {what} lasts {_duration((stop - start) / info.rate)}; clips up to "
                         f"{_duration(max_s)} can be used (cut it shorter first)")
    out = np.empty(stop - start, np.float32)
    filled = 0
    try:
        with sf.SoundFile(str(path)) as f:
            f.seek(start)
            while filled < len(out):
                block = f.read(min(BLOCK, len(out) - filled), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break  # the header promised more frames than the file holds
                out[filled:filled + block.shape[0]] = block.mean(axis=1)
                filled += block.shape[0]
    except MediaError:
        raise
    except Exception as exc:  # libsndfile raises its own error types for every bad file
        raise MediaError(f"{info.name}: not a readable audio file ({_first_line(exc)})") from None
    if filled == 0:
        raise MediaError(f"{info.name}: the clip is empty (zero length)")
    return AudioClip(out[:filled], info.rate)


def _duration(seconds: float) -> str:
    """``4.5 s``, ``10 minutes``, ``27 h 3 min``: a length as a person says it."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _first_line(exc: BaseException) -> str:
    return ((str(exc).strip().splitlines() or [type(exc).__name__])[0])[:160]


def duration(path: str | Path) -> float:
    """Seconds a file lasts, from its header alone (no decoding); MediaError when unreadable.

    The sentence names no file: callers list it beside the file's name."""
    try:
        return audio_info(path).duration  # the header's rate and channels checked too
    except MediaError as exc:
        name = Path(path).name
        msg = str(exc)
        raise MediaError(msg[len(name) + 2:] if msg.startswith(name + ": ") else msg) from None


def load_window(path: str | Path, start_s: float, length_s: float | None) -> AudioClip:
    """``length_s`` seconds of a recording from ``start_s``, decoding only them (see load_audio)."""
    return load_audio(path, start_s=start_s, length_s=length_s)


def encode_wav(clip: AudioClip) -> bytes:
    """A clip as 16-bit PCM WAV bytes, for storing a sample (a live utterance enrolled in the
    gallery) in a file every tool reads; load_audio reads it back at the same rate."""
    import io

    buf = io.BytesIO()
    sf.write(buf, np.asarray(clip.samples, np.float32), int(clip.rate), format="WAV", subtype="PCM_16")
    return buf.getvalue()


RESAMPLE_BLOCK_S = 30.0  # longer clips are resampled in overlapping blocks of about this length
RESAMPLE_PAD_S = 1.0  # context each side of a block (the edge error of an FFT resampler decays within it)


def resample(clip: AudioClip, rate: int, length: int | None = None) -> AudioClip:
    """Band-limited resampling in the frequency domain (exact for the band both rates share).

    NumPy only, so the app carries no SciPy. A clip is one FFT up to a minute; longer ones are
    resampled block by block with a second of context each side, so memory follows the block,
    not the clip (10 minutes at 48 kHz would otherwise hold 700 MB of spectra at once).
    ``length``: the number of output samples (default: the input's duration, rounded).
    """
    if clip.rate == rate or len(clip.samples) == 0:
        return clip if clip.rate == rate else AudioClip(clip.samples, rate)
    n_out = max(1, int(length) if length is not None else int(round(len(clip.samples) * rate / clip.rate)))
    if len(clip.samples) > 2 * (RESAMPLE_BLOCK_S + 2 * RESAMPLE_PAD_S) * clip.rate:
        return AudioClip(_resample_blocks(clip.samples, clip.rate, rate, n_out), rate)
    return AudioClip(_resample_whole(clip.samples, n_out), rate)


def _resample_whole(samples: np.ndarray, n_out: int) -> np.ndarray:
    x = samples.astype(np.float64)
    spectrum = np.fft.rfft(x)
    out = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    if n_out < len(x) and n_out % 2 == 0:
        out[-1] = out[-1].real  # the new Nyquist bin must be real
    y = np.fft.irfft(out, n_out) * (n_out / len(x))
    return y.astype(np.float32)


def _resample_blocks(x: np.ndarray, rate_in: int, rate_out: int, n_out: int) -> np.ndarray:
    """:func:`_resample_whole` over blocks of ``x`` (see :func:`_blocks`), into ``n_out`` samples."""
    out = np.zeros(n_out, np.float32)
    pos = 0
    for piece in _blocks(len(x), rate_in, rate_out, lambda lo, hi: x[lo:hi]):
        take = min(len(piece), n_out - pos)
        out[pos:pos + take] = piece[:take]
        pos += take
    return out


def _blocks(n: int, rate_in: int, rate_out: int, read: Callable[[int, int], np.ndarray]) -> Iterator[np.ndarray]:
    """Consecutive resampled pieces of ``n`` input samples, ``read(lo, hi)`` giving samples lo..hi.

    Block edges fall on samples of both rates (multiples of ``rate_in / gcd`` input samples); each
    block is resampled with RESAMPLE_PAD_S of context each side, which is then dropped, so the
    pieces join as one resampling would (within 2e-3 on white noise, exactly on a tone)."""
    import math

    g = math.gcd(rate_in, rate_out)
    unit_in, unit_out = rate_in // g, rate_out // g
    block = unit_in * max(1, int(RESAMPLE_BLOCK_S * rate_in) // unit_in)
    pad = unit_in * max(1, int(RESAMPLE_PAD_S * rate_in) // unit_in)
    for a in range(0, n, block):
        b = min(a + block, n)
        lo, hi = max(0, a - pad), min(n, b + pad)  # lo is a multiple of unit_in: it maps onto the output grid
        y = _resample_whole(read(lo, hi), max(1, int(round((hi - lo) * unit_out / unit_in))))
        first = (a - lo) * unit_out // unit_in
        count = (b - a) * unit_out // unit_in if b < n else len(y) - first
        yield y[first:first + max(count, 0)]


def stream(path: str | Path, rate: int) -> Iterator[np.ndarray]:
    """A recording of any length as consecutive pieces at ``rate`` (about RESAMPLE_BLOCK_S each),
    each decoded and resampled alone: a file played as a microphone never sits whole in memory.
    The header is checked first (:func:`audio_info`)."""
    info = audio_info(path)
    if info.frames == 0:
        raise MediaError(f"{info.name}: the clip is empty (zero length)")

    def read(lo: int, hi: int) -> np.ndarray:
        return load_audio(path, start_s=lo / info.rate, length_s=(hi - lo) / info.rate, max_s=math.inf).samples

    if info.rate == rate:
        step = int(RESAMPLE_BLOCK_S * rate)
        return (read(a, min(a + step, info.frames)) for a in range(0, info.frames, step))
    return _blocks(info.frames, info.rate, rate, read)


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


MEL_BLOCK = 4096  # frames per block of log_mel (41 s at a 10 ms hop: a clip to compare is one block)
FFT_BLOCK_BINS = 2**21  # frames x FFT bins in one block: 32 MB as complex128, whatever n_fft is


def fft_block(n_fft: int) -> int:
    """Frames per block of a spectrogram: MEL_BLOCK, fewer when n_fft is large (n_fft 16384 made
    one block of 4096 frames take 800 MB)."""
    return max(1, min(MEL_BLOCK, FFT_BLOCK_BINS // (n_fft // 2 + 1)))


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
    fb = mel_filterbank(rate, n_fft, n_mels, fmin, float(fmax)).T
    window = np.hanning(win).astype(np.float32)[None, :]
    out = np.empty((n_mels, count), np.float32)
    block = fft_block(n_fft)
    for first in range(0, count, block):  # a block of frames at a time: memory is the block's, not the clip's
        n = min(block, count - first)
        idx = np.arange(win)[None, :] + hop * (first + np.arange(n))[:, None]
        frames = samples[idx] * window
        power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
        mel = power.astype(np.float32) @ fb
        out[:, first:first + n] = np.log(mel + 1e-6).T
    return out


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
