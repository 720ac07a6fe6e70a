"""GE2E (Resemblyzer) features in NumPy: filterbank, voice trimming, partial windows."""

from __future__ import annotations

import numpy as np
import pytest

from siamgui.media import audio, ge2e
from siamgui.media.errors import MediaError

RATE = 16000


def harmonic_voice(seconds: float, f0: float = 120.0, seed: int = 0) -> np.ndarray:
    """A buzzy vowel-like tone, syllable-modulated at 4 Hz: WebRTC's detector calls it speech."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t + seed))) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    return (0.2 * x * env / np.abs(x).max()).astype(np.float32)


def quiet_noise(seconds: float, seed: int = 1) -> np.ndarray:
    return (1e-4 * np.random.default_rng(seed).standard_normal(int(seconds * RATE))).astype(np.float32)


def test_slaney_mel_scale_points():
    # linear below 1 kHz (200/3 Hz per mel), 27 mels per factor 6.4 above
    assert ge2e._hz_to_mel(np.array([0.0, 500.0, 1000.0, 6400.0])) == pytest.approx([0.0, 7.5, 15.0, 42.0])
    assert ge2e._mel_to_hz(np.array([7.5, 42.0])) == pytest.approx([500.0, 6400.0])


def test_mel_filterbank_hand_checked_triangle():
    # 2 kHz, 8-point FFT: bins at 0, 250, 500, 750, 1000 Hz; one band from 0 to 1000 Hz peaking at
    # 500 Hz (mel 7.5), its height 2 / (1000 - 0) (Slaney's equal area)
    fb = ge2e.mel_filterbank(2000, 8, 1)
    assert fb.dtype == np.float32
    assert fb[0] == pytest.approx([0.0, 0.001, 0.002, 0.001, 0.0])


def test_mel_filterbank_shape_and_equal_area():
    fb = ge2e.mel_filterbank(RATE, 400, 40)
    assert fb.shape == (40, 201)
    assert (fb >= 0).all() and (fb.sum(axis=1) > 0).all()
    # Slaney normalisation: every triangle's area in Hz is about 1 (40 Hz bins)
    area = fb.sum(axis=1) * (RATE / 400)
    assert np.median(area) == pytest.approx(1.0, rel=0.1)


def test_mel_frames_count_and_peak_band():
    t = np.arange(RATE) / RATE
    sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mel = ge2e.mel_frames(sine)
    assert mel.shape == (40, 1 + RATE // 160)
    fb = ge2e.mel_filterbank(RATE, 400, 40)
    assert int(np.argmax(mel[:, 50])) == int(np.argmax(fb[:, 25]))  # the band holding bin 25 = 1000 Hz


def test_normalize_volume_only_increases():
    quiet = 0.001 * harmonic_voice(0.5)
    loud = harmonic_voice(0.5)
    up = ge2e.normalize_volume(quiet, -30.0)
    rms_db = 20 * np.log10(np.sqrt(np.mean(up.astype(np.float64) ** 2)))
    assert rms_db == pytest.approx(-30.0, abs=0.01)
    assert np.array_equal(ge2e.normalize_volume(loud, -30.0), loud)  # already above -30 dBFS


def test_voice_mask_dilation_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    for _ in range(20):
        flags = rng.random(60) < 0.3
        smooth, kept = ge2e.voice_mask(flags, 8, 6)
        assert np.array_equal(kept, ndimage.binary_dilation(smooth, np.ones(7)))


def test_vad_trims_a_long_silence():
    pytest.importorskip("webrtcvad")
    x = np.concatenate([harmonic_voice(1.0), quiet_noise(2.0), harmonic_voice(1.0, seed=1)])
    trimmed, info = ge2e.trim_long_silences(x, {})
    assert 2.0 <= len(trimmed) / RATE <= 2.5  # 2 s of voice plus at most a few 30 ms windows either side
    assert info["vad_voiced"] == pytest.approx(2.0, abs=0.15)


def test_vad_fallback_keeps_a_clip_the_detector_misses(monkeypatch):
    pytest.importorskip("webrtcvad")
    monkeypatch.setattr(ge2e, "vad_flags", lambda wav, *a, **k: np.zeros(len(wav) // 480, bool))
    clip = harmonic_voice(0.4)
    assert len(ge2e.preprocess_wav(clip, RATE, {"vad_min_kept_s": 0.0})) == 0  # Resemblyzer: nothing left
    wins, info = ge2e.prepare(clip, RATE)
    assert info["vad_fallback"] and info["kept"] == pytest.approx(0.4) and len(wins) == 1


@pytest.mark.parametrize("n_samples, count", [(0, 1), (4800, 1), (25600, 1), (32000, 2), (48000, 3), (160000, 12)])
def test_partial_window_count(n_samples, count):
    # Resemblyzer: windows of 160 frames every round(16000 / 1.3 / 160) = 77 frames; the last kept when
    # 75% of it is audio (25600 samples: the second window would be 52% audio); at least one
    starts = ge2e.partial_starts(n_samples)
    assert len(starts) == count
    assert starts == [77 * k for k in range(count)]


def test_partial_windows_match_resemblyzer_slices():
    VoiceEncoder = pytest.importorskip("resemblyzer").VoiceEncoder
    for n in (0, 4800, 25600, 30000, 32000, 40000, 48000, 123456):
        _, mel_slices = VoiceEncoder.compute_partial_slices(n, 1.3, 0.75)
        assert ge2e.partial_starts(n) == [s.start for s in mel_slices]


def test_short_voiced_clip_gives_one_padded_window():
    pytest.importorskip("webrtcvad")
    clip = np.concatenate([quiet_noise(0.2), harmonic_voice(0.3), quiet_noise(0.2, seed=2)])
    wins, info = ge2e.prepare(clip, RATE)
    assert wins.shape == (1, 1, 40, 160) and wins.dtype == np.float32
    assert info["windows"] == 1 and 0.25 <= info["voiced"] <= 0.5
    assert np.all(wins[0, 0, :, 120:] == 0)  # the wave was zero-padded to 1.6 s


def test_long_clip_windows_and_8khz_input():
    pytest.importorskip("webrtcvad")
    x = harmonic_voice(3.0)
    wins, info = ge2e.prepare(x, RATE)
    assert len(wins) == len(ge2e.partial_starts(int(info["kept"] * RATE))) >= 2
    low = audio.resample(audio.AudioClip(x, RATE), 8000).samples
    wins8, info8 = ge2e.prepare(low, 8000)
    assert info8["duration"] == pytest.approx(3.0) and len(wins8) == len(wins)


def test_silence_and_too_little_voice_are_refused():
    with pytest.raises(MediaError, match="silent"):
        ge2e.prepare(np.zeros(RATE, np.float32), RATE)
    with pytest.raises(MediaError, match="empty"):
        ge2e.prepare(np.zeros(0, np.float32), RATE)
    pytest.importorskip("webrtcvad")
    with pytest.raises(MediaError, match="too little voice"):
        ge2e.prepare(np.concatenate([quiet_noise(1.0), harmonic_voice(0.05)]), RATE)


def test_real_clips_short_and_long(data_dir):
    pytest.importorskip("webrtcvad")
    digit = audio.load_audio(data_dir / "voices" / "fsdd" / "recordings" / "0_george_0.wav")
    wins, info = ge2e.prepare(digit.samples, digit.rate)
    assert len(wins) == 1 and info["voiced"] > 0.2
    speech = audio.load_audio(sorted((data_dir / "voices" / "librispeech_251").rglob("*.flac"))[0])
    wins, info = ge2e.prepare(speech.samples, speech.rate)
    assert len(wins) >= 5 and info["kept"] <= info["duration"]
