"""GE2E (Resemblyzer) voice features in NumPy: the exact input of the imported speaker encoder.

Resemblyzer (Copyright 2019 Resemble.AI, Apache-2.0) feeds its LSTM speaker encoder with a
40-band mel *power* spectrogram of a volume-normalised, silence-trimmed 16 kHz waveform, cut
into 1.6 s partial windows. This module repeats those steps without librosa, numba or torch:

    preprocess_wav(samples, rate, spec)   resample to 16 kHz, normalise volume, trim long silences
    mel_frames(wav, spec)                 (n_mels, T) mel power spectrogram, librosa's numbers
    partial_windows(wav, spec)            (n, 1, n_mels, frames) float32, the ONNX encoder's input
    prepare(samples, rate, spec)          all three, plus what stands behind the embedding (info)

Differences from Resemblyzer, on purpose: resampling is SiamGUI's FFT resampler (Resemblyzer
uses librosa's soxr; clips already at 16 kHz are untouched by either), and samples pushed past
full scale by the volume gain are clipped before the voice detector (Resemblyzer lets int16
wrap around). Voice activity is WebRTC's detector (the ``webrtcvad`` module of the prebuilt
``webrtcvad-wheels`` package), as in Resemblyzer: an equivalent in NumPy would have to port
WebRTC's fixed-point GMM detector line by line to give the same trims.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from siamgui.media import audio
from siamgui.media.errors import MediaError

INT16_MAX = 2**15 - 1

# Resemblyzer's hparams.py, under the names a SiamGUI card uses ("kind": "ge2e").
DEFAULTS: dict[str, Any] = {
    "sample_rate": 16000,
    "n_mels": 40,
    "win_ms": 25,  # mel_window_length
    "hop_ms": 10,  # mel_window_step
    "fmin": 0.0,
    "fmax": None,  # None: half the sample rate
    "pad_mode": "constant",  # librosa >= 0.10 centres STFT frames with zeros (0.9 reflected)
    "frames": 160,  # partials_n_frames: 1.6 s windows
    "rate": 1.3,  # partial windows per second (embed_utterance's rate)
    "min_coverage": 0.75,  # a last partial window is kept if at least this much of it is audio
    "target_dbfs": -30.0,  # audio_norm_target_dBFS, applied as an increase only
    "vad_window_ms": 30,
    "vad_mode": 3,
    "vad_average": 8,  # vad_moving_average_width
    "vad_max_silence": 6,  # vad_max_silence_length: dilation of the voiced mask, in VAD windows
    # SiamGUI's own, not Resemblyzer's: a clip with less sound than this (the app's energy gate,
    # audio.voiced, without hangover) is refused; if the VAD trim keeps less than vad_min_kept_s, the untrimmed
    # wave is used (WebRTC's mode 3 drops most of a short spoken digit; Resemblyzer would embed
    # the zero padding).
    "min_voiced_s": 0.1,
    "vad_min_kept_s": 0.25,
}


def resolve(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """``spec`` over the defaults (unknown keys such as ``kind`` are kept)."""
    return {**DEFAULTS, **(spec or {})}


# --- waveform -----------------------------------------------------------------------------
def normalize_volume(wav: np.ndarray, target_dbfs: float, increase_only: bool = True) -> np.ndarray:
    """Scale to ``target_dbfs`` RMS (float32 arithmetic, as Resemblyzer's); quieter only if allowed."""
    wav = np.asarray(wav, dtype=np.float32)
    rms = np.sqrt(np.mean((wav * np.float32(INT16_MAX)) ** 2))
    if not rms > 0:
        raise MediaError("the clip is silent: no voice to compare")
    change = np.float32(target_dbfs) - np.float32(20) * np.log10(rms / np.float32(INT16_MAX))
    if change < 0 and increase_only:
        return wav
    return wav * np.float32(10) ** (change / np.float32(20))


def vad_flags(wav: np.ndarray, rate: int, window_ms: int = 30, mode: int = 3) -> np.ndarray:
    """WebRTC voice decision for each whole ``window_ms`` window of a float waveform."""
    try:
        import webrtcvad
    except ImportError:
        raise MediaError("voice detection for this model needs the webrtcvad-wheels package "
                         "(pip install webrtcvad-wheels)") from None
    n = window_ms * rate // 1000
    count = len(wav) // n
    pcm = np.round(np.clip(wav[: count * n], -1.0, 1.0) * INT16_MAX).astype("<i2").tobytes()
    vad = webrtcvad.Vad(int(mode))
    return np.array([vad.is_speech(pcm[i * 2 * n:(i + 1) * 2 * n], rate) for i in range(count)], dtype=bool)


def _moving_average(flags: np.ndarray, width: int) -> np.ndarray:
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    ret = np.cumsum(padded, dtype=float)
    ret[width:] = ret[width:] - ret[:-width]
    return ret[width - 1:] / width


def voice_mask(flags: np.ndarray, average: int, max_silence: int) -> tuple[np.ndarray, np.ndarray]:
    """(smoothed voice, kept) per VAD window: moving average rounded, then dilated by ``max_silence``.

    The dilation is scipy's ``binary_dilation`` with ``ones(max_silence + 1)``: for the odd
    widths Resemblyzer uses, each voiced window keeps ``max_silence // 2`` windows either side.
    """
    smooth = np.round(_moving_average(flags.astype(float), average)).astype(bool)
    width = max_silence + 1
    left = width // 2  # scipy centres a structure of length w at index w // 2
    hit = np.convolve(smooth.astype(np.int32), np.ones(width, np.int32), mode="full")
    kept = hit[width - 1 - left: width - 1 - left + len(smooth)] > 0
    return smooth, kept


def trim_long_silences(wav: np.ndarray, spec: dict[str, Any]) -> tuple[np.ndarray, dict[str, float]]:
    """Drop silences longer than the detector's dilation; returns the trimmed wave and seconds voiced."""
    s = resolve(spec)
    rate = int(s["sample_rate"])
    n = int(s["vad_window_ms"]) * rate // 1000
    wav = wav[: len(wav) - len(wav) % n]
    flags = vad_flags(wav, rate, int(s["vad_window_ms"]), int(s["vad_mode"]))
    smooth, kept = voice_mask(flags, int(s["vad_average"]), int(s["vad_max_silence"]))
    window_s = n / rate
    info = {"vad_voiced": float(flags.sum() * window_s), "vad_smoothed": float(smooth.sum() * window_s)}
    return wav[np.repeat(kept, n)], info


def preprocess_wav(samples: np.ndarray, rate: int, spec: dict[str, Any] | None = None) -> np.ndarray:
    """Resemblyzer's ``preprocess_wav`` on float samples: 16 kHz, volume up to -30 dBFS, long silences cut.

    With ``vad_min_kept_s`` 0 this is Resemblyzer's result; by default a clip the detector
    trims to almost nothing is kept whole (see DEFAULTS).
    """
    return _preprocess(samples, rate, resolve(spec))[0]


def _preprocess(samples: np.ndarray, rate: int, s: dict[str, Any]) -> tuple[np.ndarray, dict[str, float]]:
    target = int(s["sample_rate"])
    clip = audio.AudioClip(np.asarray(samples, dtype=np.float32), int(rate))
    if clip.rate != target:
        clip = audio.resample(clip, target, length=int(np.ceil(len(clip.samples) * (target / clip.rate))))  # librosa's fix
    wav = normalize_volume(clip.samples, float(s["target_dbfs"]), increase_only=True)
    trimmed, info = trim_long_silences(wav, s)
    short = len(trimmed) < float(s.get("vad_min_kept_s", 0.0)) * target
    info["vad_fallback"] = bool(short and len(trimmed) < len(wav))
    return (wav if info["vad_fallback"] else trimmed), info


# --- features -----------------------------------------------------------------------------
def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@lru_cache(maxsize=8)
def mel_filterbank(rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """librosa.filters.mel(htk=False, norm='slaney') as float32, (n_mels, n_fft // 2 + 1).

    Triangles on Slaney's mel scale, each scaled by 2 / (its width in Hz) so every band has
    the same area; rounded to float32 before the scaling, as librosa does.
    """
    fmax = rate / 2.0 if fmax is None else float(fmax)
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / rate)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    weights = np.zeros((n_mels, len(fft_freqs)), dtype=np.float32)
    for i in range(n_mels):
        weights[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    weights *= (2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels]))[:, None]
    weights.flags.writeable = False
    return weights


@lru_cache(maxsize=4)
def _hann(n: int) -> np.ndarray:
    """Periodic Hann window (scipy get_window('hann', n, fftbins=True), what librosa uses)."""
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    w.flags.writeable = False
    return w


def mel_frames(wav: np.ndarray, spec: dict[str, Any] | None = None) -> np.ndarray:
    """Mel power spectrogram (n_mels, 1 + len // hop) float32, as librosa.feature.melspectrogram.

    Centred frames (``pad_mode`` padding of n_fft // 2 each side), periodic Hann window,
    |STFT|^2, Slaney mel filters; not a log spectrogram: the encoder was trained on power.
    """
    s = resolve(spec)
    rate = int(s["sample_rate"])
    n_fft = rate * int(s["win_ms"]) // 1000
    hop = rate * int(s["hop_ms"]) // 1000
    y = np.asarray(wav, dtype=np.float32)
    pad = n_fft // 2
    y = np.pad(y, pad, mode=s["pad_mode"]) if s["pad_mode"] != "constant" else np.pad(y, pad)
    count = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop][:count]
    fb = mel_filterbank(rate, n_fft, int(s["n_mels"]), float(s["fmin"]), s["fmax"])
    out = np.empty((fb.shape[0], count), np.float32)
    block = audio.fft_block(n_fft)
    for first in range(0, count, block):  # a block of frames at a time: memory follows the block
        spectrum = np.fft.rfft(frames[first:first + block] * _hann(n_fft), axis=1).astype(np.complex64)
        power = np.abs(spectrum) ** 2
        out[:, first:first + len(power)] = fb @ power.T
    return out


# --- partial windows ----------------------------------------------------------------------
def partial_starts(n_samples: int, spec: dict[str, Any] | None = None) -> list[int]:
    """First mel frame of each partial window (Resemblyzer's ``compute_partial_slices``).

    Windows of ``frames`` frames every round(rate_hz / rate / hop) frames; the last one is
    dropped if less than ``min_coverage`` of it is audio, but one always remains, so a
    clip shorter than a window gives one zero-padded window.
    """
    s = resolve(spec)
    rate = int(s["sample_rate"])
    hop = rate * int(s["hop_ms"]) // 1000
    frames = int(s["frames"])
    n_frames = int(np.ceil((n_samples + 1) / hop))
    step = int(np.round((rate / float(s["rate"])) / hop))
    if not 0 < step <= frames:
        raise ValueError(f"rate {s['rate']} gives a window step of {step} frames (1..{frames} needed)")
    starts = list(range(0, max(1, n_frames - frames + step + 1), step))
    coverage = (n_samples - starts[-1] * hop) / (frames * hop)
    if coverage < float(s["min_coverage"]) and len(starts) > 1:
        starts = starts[:-1]
    return starts


def partial_windows(wav: np.ndarray, spec: dict[str, Any] | None = None) -> np.ndarray:
    """(n, 1, n_mels, frames) float32 windows of a preprocessed wave, padded with zeros as Resemblyzer does."""
    s = resolve(spec)
    hop = int(s["sample_rate"]) * int(s["hop_ms"]) // 1000
    frames = int(s["frames"])
    starts = partial_starts(len(wav), s)
    end = (starts[-1] + frames) * hop
    if end >= len(wav):
        wav = np.pad(np.asarray(wav, dtype=np.float32), (0, end - len(wav)))
    mel = mel_frames(wav, s)
    return np.stack([mel[:, a: a + frames] for a in starts])[:, None].astype(np.float32)


def prepare(samples: np.ndarray, rate: int, spec: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Encoder windows for one clip and what stands behind them.

    info: ``duration`` (s of the input), ``voiced`` (s of 30 ms frames the app's energy gate keeps),
    ``vad_voiced`` (s of VAD windows judged speech), ``vad_smoothed`` (the same after the
    moving average), ``vad_fallback`` (the VAD kept too little: the untrimmed wave is used),
    ``kept`` (s the windows are cut from), ``windows`` (partial windows averaged into the
    embedding). MediaError when less than ``min_voiced_s`` of sound is found.
    """
    s = resolve(spec)
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size == 0:
        raise MediaError("the clip is empty (zero length)")
    clip = audio.AudioClip(samples, int(rate))
    if audio.is_silent(clip):
        raise MediaError("the clip is silent: no voice to compare")
    voiced = audio.voiced(clip, hangover=0).duration
    if voiced < float(s["min_voiced_s"]):
        raise MediaError(f"too little voice: {voiced:.2f} s found, at least {float(s['min_voiced_s']):.2f} s needed")
    wav, info = _preprocess(samples, rate, s)
    wins = partial_windows(wav, s)
    info = {"duration": clip.duration, "voiced": voiced, **info, "kept": len(wav) / float(s["sample_rate"]),
            "windows": int(len(wins))}
    return wins, info
