import numpy as np
import pytest
import soundfile as sf

from conftest import tone
from siamgui.media import audio
from siamgui.media.errors import MediaError
from siamgui.kinds.preprocess import prepare

SPEC = {"kind": "logmel"}


def test_features_shape_and_rate_conversion(tmp_path):
    p = tone(tmp_path / "t.wav", seconds=3.0, rate=22050)
    clip = audio.resample(audio.load_audio(p), 16000)
    assert clip.rate == 16000 and clip.duration == pytest.approx(3.0, abs=0.01)
    feat = audio.log_mel(clip.samples, clip.rate)
    assert feat.shape[0] == 40 and feat.shape[1] == pytest.approx(300, abs=2)
    out = prepare(SPEC, p)
    assert out.tensors.shape[1:] == (1, 40, 160) and out.tensors.shape[0] >= 2


def test_mel_energy_sits_at_the_tone(tmp_path):
    low = audio.log_mel(audio.load_audio(tone(tmp_path / "l.wav", freqs=(200.0,))).samples, 16000).mean(1)
    high = audio.log_mel(audio.load_audio(tone(tmp_path / "h.wav", freqs=(3000.0,))).samples, 16000).mean(1)
    assert np.argmax(low) < np.argmax(high)


def test_silence_is_reported_as_silence(tmp_path):
    p = tmp_path / "silent.wav"
    sf.write(str(p), np.zeros(16000, np.float32), 16000)
    with pytest.raises(MediaError, match="silent"):
        prepare(SPEC, p)


def test_zero_length_and_corrupt_clips(tmp_path):
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros(0, np.float32), 16000)
    with pytest.raises(MediaError, match="empty"):
        prepare(SPEC, empty)
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"fLaC not really")
    with pytest.raises(MediaError, match="not a readable audio file"):
        prepare(SPEC, junk)


def test_short_voiced_clip_is_too_short(tmp_path):
    p = tone(tmp_path / "blip.wav", seconds=0.2)
    with pytest.raises(MediaError, match="too little sound"):
        prepare(SPEC, p)


def test_voice_activity_drops_leading_silence(tmp_path):
    rate = 16000
    sig = np.r_[np.zeros(rate), 0.3 * np.sin(2 * np.pi * 300 * np.arange(rate) / rate)].astype(np.float32)
    v = audio.voiced(audio.AudioClip(sig, rate))
    assert 0.9 < v.duration < 1.3


def test_a_folder_is_not_an_audio_file(tmp_path):
    from siamgui.media.audio import load_audio
    from siamgui.media.errors import MediaError

    (tmp_path / "takes.wav").mkdir()
    with pytest.raises(MediaError, match=r"^takes.wav is a folder, not a file$"):
        load_audio(tmp_path / "takes.wav")


def test_encode_wav_round_trips_at_16_bit(tmp_path):
    rng = np.random.default_rng(0)
    clip = audio.AudioClip((0.5 * rng.standard_normal(8000)).clip(-1, 1).astype(np.float32), 16000)
    data = audio.encode_wav(clip)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    (tmp_path / "x.wav").write_bytes(data)
    back = audio.load_audio(tmp_path / "x.wav")
    assert back.rate == 16000 and len(back.samples) == 8000
    assert np.max(np.abs(back.samples - clip.samples)) < 1 / 32767 + 1e-6


def test_the_header_is_checked_before_decoding(tmp_path):
    p = tone(tmp_path / "t.wav", seconds=1.0)
    data = bytearray(p.read_bytes())
    data[24:28] = (1).to_bytes(4, "little")  # 1 Hz: 16000 samples would "last" 4.4 hours
    p.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="t.wav: its header says 1 Hz; audio from 4000 to 384000 Hz"):
        audio.load_audio(p)


def test_clips_longer_than_the_limit_are_refused_but_a_window_of_them_reads(tmp_path):
    p = tmp_path / "long.flac"
    sf.write(str(p), np.zeros(4000 * 700, np.int16), 4000)  # 11 min 40 s
    with pytest.raises(MediaError, match="long.flac: the clip lasts 12 minutes; clips up to 10 minutes"):
        audio.load_audio(p)
    clip = audio.load_audio(p, start_s=650.0, length_s=30.0)
    assert clip.rate == 4000 and len(clip.samples) == 4000 * 30
    assert len(audio.load_audio(p, start_s=690.0, length_s=30.0).samples) == 4000 * 10  # up to the end


def test_a_window_is_exactly_the_samples_of_the_whole_clip(tmp_path):
    p = tone(tmp_path / "t.wav", seconds=3.0, rate=22050)
    whole = audio.load_audio(p).samples
    part = audio.load_audio(p, start_s=1.0, length_s=0.5).samples
    assert np.array_equal(part, whole[22050:22050 + 11025])


def test_long_clips_resample_in_blocks_like_one_fft():
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(22050 * 90)).astype(np.float32)
    blocks = audio.resample(audio.AudioClip(x, 22050), 16000).samples
    whole = audio._resample_whole(x, len(blocks))
    inner = slice(16000 * 5, -16000 * 5)  # the single FFT wraps around at the clip's own ends
    assert len(blocks) == 16000 * 90 and np.abs(blocks[inner] - whole[inner]).max() < 2e-3


def test_log_mel_in_blocks_equals_one_block(monkeypatch):
    x = np.random.default_rng(1).standard_normal(16000 * 5).astype(np.float32)
    one = audio.log_mel(x, 16000)
    monkeypatch.setattr(audio, "MEL_BLOCK", 37)
    assert np.allclose(audio.log_mel(x, 16000), one, atol=1e-5)


def test_a_long_recording_streams_in_pieces_that_join_as_one_resampling(tmp_path):
    p = tmp_path / "long.flac"
    rng = np.random.default_rng(2)
    x = (0.1 * rng.standard_normal(22050 * 75)).astype(np.float32)
    sf.write(str(p), x, 22050, subtype="PCM_24")
    decoded = sf.read(str(p), dtype="float32")[0]
    pieces = list(audio.stream(p, 16000))
    joined = np.concatenate(pieces)
    whole = audio._resample_whole(decoded, len(joined))
    inner = slice(16000 * 5, -16000 * 5)
    assert len(pieces) == 3 and len(joined) == round(len(x) * 16000 / 22050)
    assert np.abs(joined[inner] - whole[inner]).max() < 2e-3
    assert np.array_equal(np.concatenate(list(audio.stream(p, 22050))), decoded)  # same rate: the samples


def test_file_microphone_plays_a_file_longer_than_a_clip_in_pieces(tmp_path):
    from siamgui.media.microphone import FileMicrophone

    p = tmp_path / "long.flac"
    sf.write(str(p), np.full(4000 * 700, 0.25, np.float32), 4000)  # 11 min 40 s: longer than a clip may be
    mic = FileMicrophone(p, rate=4000, chunk_s=0.5, speed=1e9)
    chunks = [mic.read() for _ in range(1400)]
    assert all(len(c) == 2000 for c in chunks) and abs(float(chunks[700].mean()) - 0.25) < 1e-3
    assert not mic.read().any()  # then silence
