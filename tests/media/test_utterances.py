import numpy as np

from siamgui.media.utterances import UtteranceSegmenter


def chunks(signal, n=800):
    for i in range(0, len(signal), n):
        yield signal[i : i + n]


def test_speech_between_silences_is_one_utterance():
    rate = 16000
    rng = np.random.default_rng(0)
    noise = 0.0005 * rng.normal(size=rate).astype(np.float32)
    t = np.arange(int(1.2 * rate)) / rate
    voice = (0.2 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    seg = UtteranceSegmenter(rate=rate)
    out = []
    for c in chunks(np.r_[noise, voice, noise]):
        _, _, utt = seg.push(c)
        if utt is not None:
            out.append(utt)
    assert len(out) == 1 and 1.1 < out[0].duration < 1.7
    assert seg.recent_voice() is not None


def test_silence_and_blips_give_no_utterance():
    rate = 16000
    seg = UtteranceSegmenter(rate=rate)
    blip = np.r_[np.zeros(rate), 0.3 * np.ones(800), np.zeros(rate)].astype(np.float32)
    assert all(seg.push(c)[2] is None for c in chunks(blip))
    assert seg.recent_voice() is None
