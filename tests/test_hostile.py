"""Hostile input (issue 20): small crafted files and values, each made here by the test.

Every probe runs the real CLI in a child process and asserts the sentence it ends in, the exit
code (2 for a user error, 3 when some files were handled and others refused, never 1) and the
child's peak memory (its own ru_maxrss, from os.wait4), within 60 s. Before these fixes the same
files took 2-24 GB (a WAV whose header says 1 Hz, a 6 KB JPEG 2000 of 24000x24000 named .png)
or ended as "this is a bug".
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf

from onnx_factory import projection_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
VOICE = SAMPLES / "voice" / "same_a.wav"
FACE = SAMPLES / "face" / "same_a.jpg"
DIGIT = SAMPLES / "digit" / "same_a.png"
LIMIT_MB = 600
LIMIT_S = 60


@dataclass
class Run:
    rc: int
    out: str
    err: str
    peak_mb: float
    seconds: float


# The child is started by a small wrapper that reports the child's own peak: a process forked
# straight from this (large) pytest process starts with this process's peak already counted.
WRAPPER = ("import os, subprocess, sys\n"
           "child = subprocess.Popen(sys.argv[1:])\n"
           "_, status, usage = os.wait4(child.pid, 0)\n"
           "sys.stderr.write(f'\\n@peak_kb {usage.ru_maxrss}\\n')\n"
           "sys.exit(os.waitstatus_to_exitcode(status))\n")


def run(*args, env: dict | None = None, code: str | None = None) -> Run:
    """``siamgui ARGS`` (or ``python -c CODE ARGS``) in a child; its own peak memory, not this process's."""
    cmd = [sys.executable, "-c", code, *map(str, args)] if code else [sys.executable, "-m", "siamgui", *map(str, args)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, *cmd], stdout=out, stderr=err,
                                   env={**os.environ, **(env or {})}, cwd=ROOT, start_new_session=True)
        try:
            rc = wrapper.wait(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(wrapper.pid, signal.SIGKILL)
            rc = wrapper.wait()
        seconds = time.monotonic() - t0
        out.seek(0), err.seek(0)
        text, _, peak = err.read().decode().rpartition("\n@peak_kb ")
        peak_mb = int(peak.split()[0]) / 1024 if peak.strip() else float("inf")
        return Run(rc, out.read().decode(), text.rstrip("\n") + "\n" if text else "", peak_mb, seconds)


def refused(r: Run, sentence: str, rc: int = 2) -> None:
    """One line on stderr holding ``sentence``, exit ``rc``, within the time and memory bounds."""
    lines = r.err.strip().splitlines()
    assert r.rc == rc, (r.rc, r.err)
    assert sentence in r.err, r.err
    assert "Traceback" not in r.err and "this is a bug" not in r.err and "[ WARN" not in r.err, r.err
    assert rc == 3 or len(lines) == 1, r.err
    assert r.seconds < LIMIT_S and r.peak_mb < LIMIT_MB, (r.seconds, r.peak_mb)


# --- audio ------------------------------------------------------------------------------------
def test_a_wav_whose_header_says_1_hz_is_refused_from_the_header(tmp_path):
    data = bytearray(VOICE.read_bytes())
    data[24:28] = struct.pack("<I", 1)  # the sample rate: 196 KB now "lasts" 27 hours
    (tmp_path / "it.wav").write_bytes(bytes(data))
    r = run("compare", tmp_path / "it.wav", VOICE, "--model", "voice")
    refused(r, "it.wav: its header says 1 Hz; audio from 4000 to 384000 Hz can be used")
    assert r.peak_mb < 300, r.peak_mb  # nothing was decoded


@pytest.mark.parametrize("model", ["voice", "sound"])
def test_three_hours_of_silence_are_refused_before_decoding(tmp_path, model):
    with sf.SoundFile(str(tmp_path / "long.flac"), "w", 8000, 1, subtype="PCM_16") as f:
        for _ in range(180):
            f.write(np.zeros(8000 * 60, np.int16))
    r = run("compare", tmp_path / "long.flac", VOICE, "--model", model)
    refused(r, "long.flac: the clip lasts 3 h 0 min; clips up to 10 minutes can be used")
    assert r.peak_mb < 300, r.peak_mb


def test_calibrate_reads_a_long_recording_one_segment_at_a_time(tmp_path):
    """Two speakers, one 12-minute recording each (longer than a clip may be): cut into 30 s
    segments, each read alone, memory stays that of a segment."""
    rng = np.random.default_rng(0)
    for name, f0 in (("low", 140.0), ("high", 260.0)):
        (tmp_path / "rec" / name).mkdir(parents=True)
        rate, n = 8000, 8000 * 60
        t = np.arange(n) / rate
        minute = (0.3 * np.sin(2 * np.pi * f0 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
                  + 0.01 * rng.standard_normal(n)).astype(np.float32)
        with sf.SoundFile(str(tmp_path / "rec" / name / "talk.flac"), "w", rate, 1, subtype="PCM_16") as f:
            for _ in range(12):
                f.write(minute)
    r = run("calibrate", tmp_path / "rec", "--model", "sound", "--segment", "30", "--max-files", "8", "--json")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["items"] == 8 and r.peak_mb < LIMIT_MB and r.seconds < LIMIT_S, (r.peak_mb, r.seconds)


@pytest.mark.parametrize("segment, sentence", [("nan", "--segment: must be a finite number, got 'nan'"),
                                               ("1e-9", "--segment: must be from 0.5 to 600, got 1e-9")])
def test_calibrate_segment_is_range_checked(tmp_path, segment, sentence):
    refused(run("calibrate", tmp_path, "--model", "voice", "--segment", segment), sentence)


# --- images -----------------------------------------------------------------------------------
def big_jp2(side: int, tile: int = 2400) -> bytes:
    """A real JPEG 2000 of side x side pixels in a few KB: one all-black tile, repeated."""
    ok, buf = cv2.imencode(".jp2", np.zeros((tile, tile), np.uint8))
    data = buf.tobytes()
    at = data.find(b"jp2c")
    code = data[at + 4:]
    pos = 2  # after SOC: walk the main header to the first tile-part (SOT)
    while code[pos:pos + 2] != b"\xff\x90":
        pos += 2 + struct.unpack(">H", code[pos + 2:pos + 4])[0]
    head = bytearray(code[:pos])
    head[8:16] = struct.pack(">II", side, side)  # SIZ: Xsiz, Ysiz
    head[24:32] = struct.pack(">II", tile, tile)  # XTsiz, YTsiz
    length = struct.unpack(">I", code[pos + 6:pos + 10])[0]
    part = code[pos:pos + length]
    tiles = b"".join(part[:4] + struct.pack(">H", k) + part[6:] for k in range((side // tile) ** 2))
    stream = bytes(head) + tiles + b"\xff\xd9"
    box = bytearray(data[:at - 4])
    ihdr = box.find(b"ihdr")
    box[ihdr + 4:ihdr + 12] = struct.pack(">II", side, side)
    return bytes(box) + struct.pack(">I", 8 + len(stream)) + b"jp2c" + stream


def test_the_crafted_jpeg2000_decodes_at_full_size_when_small():
    """The generator makes a real image (so the 24000x24000 one is what the probe says it is)."""
    img = cv2.imdecode(np.frombuffer(big_jp2(4800), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None and img.shape == (4800, 4800)


def test_a_13_kb_jpeg2000_of_24000_squared_named_png_is_refused(tmp_path):
    data = big_jp2(24000)
    assert len(data) < 14_000
    (tmp_path / "photo.png").write_bytes(data)
    refused(run("compare", tmp_path / "photo.png", FACE, "--model", "face"),
            "photo.png: 24000x24000 is 576 megapixels; images up to 60 megapixels can be used")


def avif_claiming(side: int) -> bytes:
    ok, buf = cv2.imencode(".avif", np.zeros((64, 64, 3), np.uint8))
    data = bytearray(buf.tobytes())
    at = data.find(b"ispe")
    data[at + 8:at + 16] = struct.pack(">II", side, side)
    return bytes(data)


@pytest.mark.parametrize("name, make", [
    ("pic.avif", lambda: avif_claiming(12000)),
    ("pic.pam", lambda: b"P7\nWIDTH 12000\nHEIGHT 12000\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + b"\0" * 4096),
    ("pic.hdr", lambda: b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 12000 +X 12000\n" + b"\0" * 4096),
    ("pic.png", lambda: b"GIF89a" + struct.pack("<HH", 12000, 12000) + b"\0" * 64),
])
def test_other_formats_opencv_decodes_are_size_checked_too(tmp_path, name, make):
    if name.endswith(".avif") and not cv2.haveImageWriter("x.avif"):
        pytest.skip("this OpenCV has no AVIF codec")
    (tmp_path / name).write_bytes(make())
    refused(run("compare", tmp_path / name, DIGIT, "--model", "digit"),
            f"{name}: 12000x12000 is 144 megapixels; images up to 60 megapixels can be used")


def test_a_format_without_a_header_reader_meets_opencvs_own_limit(tmp_path):
    """Were a format's header unknown to SiamGUI, OpenCV's limit (set before cv2 loads) still refuses it."""
    (tmp_path / "photo.png").write_bytes(big_jp2(24000))
    code = ("import sys; from siamgui.media import images; images.image_size = lambda f: None\n"
            "from siamgui.cli import main; sys.exit(main(sys.argv[1:]))")
    refused(run("compare", tmp_path / "photo.png", FACE, "--model", "face", code=code),
            "photo.png: the image is larger than 60 megapixels")


def test_a_truncated_png_is_one_sentence_without_opencv_warnings(tmp_path):
    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8))
    (tmp_path / "cut.png").write_bytes(buf.tobytes()[:1000])
    refused(run("compare", tmp_path / "cut.png", DIGIT, "--model", "digit"),
            "cut.png: not a readable image (the PNG is truncated)")


# --- card values ------------------------------------------------------------------------------
def raw_card_model(path: Path, preprocess: dict, modality: str) -> Path:
    """A model whose card holds ``preprocess`` as given (written without the card's checks, as a
    hand-edited or foreign file would be)."""
    props = {"siamgui.name": "mine", "siamgui.modality": modality, "siamgui.metric": "cosine",
             "siamgui.threshold": "0.3", "siamgui.preprocess": json.dumps(preprocess)}
    return projection_model(path, (1, 8, 8), card=props)


CARD_PROBES = [
    ({"kind": "image", "size": 100000}, "size must be from 8 to 1024, got 100000"),
    ({"kind": "image", "size": -5}, "size must be from 8 to 1024, got -5"),
    ({"kind": "image", "size": 0}, "size must be from 8 to 1024, got 0"),
    ({"kind": "image", "std": 0}, "std must be above 0 and at most 1000, got 0"),
    ({"kind": "image", "mean": float("nan")}, "mean must be a finite number, got nan"),
    ({"kind": "logmel", "n_mels": 1e6}, "n_mels must be from 1 to 256, got 1000000.0"),
    ({"kind": "logmel", "win": 2e9}, "win must be from 16 to 16384, got 2000000000.0"),
    ({"kind": "logmel", "hop": 0}, "hop must be from 32 to 16384, got 0"),
    ({"kind": "logmel", "n_fft": -512}, "n_fft must be from 16 to 16384, got -512"),
    ({"kind": "sound", "sample_rate": 0}, "sample_rate must be from 4000 to 96000, got 0"),
    ({"kind": "logmel", "sample_rate": -16000}, "sample_rate must be from 4000 to 96000, got -16000"),
    ({"kind": "ge2e", "sample_rate": float("nan")}, "sample_rate must be one of 8000, 16000, 32000, 48000, got nan"),
    ({"kind": "ge2e", "rate": 0}, "rate must be from 0.1 to 100, got 0"),
    # each key in range, together gigabytes (a MemoryError reported as a bug) or a detector's crash
    ({"kind": "logmel", "sample_rate": 96000, "n_mels": 256, "hop": 32, "frames": 4000, "step": 1},
     "sample_rate 96000, hop 32, n_mels 256, frames 4000 and step 1 make 1,758 MB of features for a 10-minute "
     "clip (at most 64 MB fit)"),
    ({"kind": "sound", "frames": 4000, "step": 1, "hop": 32},
     "sample_rate 16000, hop 32, n_mels 40, frames 4000 and step 1 make 183,106 MB of windows for a 10-minute clip"),
    ({"kind": "ge2e", "sample_rate": 96000}, "sample_rate must be one of 8000, 16000, 32000, 48000, got 96000"),
]


@pytest.mark.parametrize("preprocess, sentence", CARD_PROBES)
def test_card_values_are_refused_at_load(tmp_path, preprocess, sentence):
    modality = "image" if preprocess["kind"] == "image" else "audio"
    model = raw_card_model(tmp_path / "mine.onnx", preprocess, modality)
    files = (DIGIT, DIGIT) if modality == "image" else (VOICE, VOICE)
    refused(run("compare", *files, "--model", model), f"preprocess {sentence}")


@pytest.mark.parametrize("preprocess, sentence", CARD_PROBES[::3])
def test_card_values_are_refused_at_card_set(tmp_path, preprocess, sentence):
    model = projection_model(tmp_path / "bare.onnx", (1, 8, 8))
    before = model.read_bytes()
    refused(run("card", model, "--set", "preprocess=" + json.dumps(preprocess)), f"preprocess {sentence}")
    assert model.read_bytes() == before  # nothing written


def test_a_large_fft_is_computed_in_smaller_blocks(tmp_path):
    """n_fft 16384 (in range) made a minute of sound take 1.9 GB: one block of 4096 spectrogram
    frames; blocks now hold as many FFT bins whatever n_fft is (278 MB)."""
    from onnx_factory import carded_model

    rate = 16000
    t = np.arange(rate * 60) / rate
    sf.write(str(tmp_path / "minute.wav"), (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), rate)
    model = carded_model(tmp_path / "wide.onnx", {"kind": "logmel", "n_fft": 16384, "win": 16384})
    r = run("compare", tmp_path / "minute.wav", tmp_path / "minute.wav", "--model", model)
    assert r.rc == 0 and "SAME" in r.out, r.err
    assert r.peak_mb < 400, r.peak_mb


# --- numbers, environment, exit codes -----------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-1e400"])
def test_non_finite_thresholds_are_refused(value):
    refused(run("compare", DIGIT, DIGIT, "--model", "digit", f"--threshold={value}"),
            f"argument --threshold: must be a finite number, got '{value}'")


def test_json_is_strict_json():
    r = run("compare", DIGIT, DIGIT, "--model", "digit", "--json")
    assert r.rc == 0, r.err

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    assert json.loads(r.out, parse_constant=no_constants)["same"] is True


def test_a_bogus_device_in_the_environment_is_a_user_error():
    refused(run("compare", DIGIT, DIGIT, "--model", "digit", env={"SIAMGUI_DEVICE": "bogus"}),
            "unknown device 'bogus' in $SIAMGUI_DEVICE (choose one of: auto, cuda, cpu)")


def test_fewshot_curve_seed_must_not_be_negative(tmp_path):
    refused(run("fewshot", tmp_path, tmp_path, "--model", "digit", "--curve", "--seed", "-1"),
            "argument --seed: must be 0 or more, got -1")


def test_pairs_with_a_refused_file_exit_3_and_say_how_many(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"garbage")
    (tmp_path / "p.csv").write_text(f"a,b\n{DIGIT},{DIGIT}\n{DIGIT},broken.png\n")
    r = run("compare", "--pairs", tmp_path / "p.csv", "--model", "digit", "--out", tmp_path / "o.csv")
    refused(r, "1 of 2 pairs compared, 1 refused", rc=3)


def test_a_long_pairs_csv_is_streamed(tmp_path):
    """Peak memory of 200000 rows is that of 4000: rows are read and written one at a time (it
    grew by 1.17 GB a million rows when they were held)."""
    def peak(rows: int) -> float:
        p = tmp_path / f"p{rows}.csv"
        p.write_text("a,b,label\n" + f"{DIGIT},{DIGIT},1\n{DIGIT},{SAMPLES / 'digit' / 'diff_b.png'},0\n" * (rows // 2))
        r = run("compare", "--pairs", p, "--model", "digit", "--out", tmp_path / "o.csv", "--json")
        assert r.rc == 0 and json.loads(r.out)["pairs"] == rows, r.err
        return r.peak_mb

    small, large = peak(4000), peak(200_000)
    assert large - small < 40, (small, large)


def test_identify_keeps_one_line_per_file_whatever_the_names(tmp_path):
    """A file named with a newline cannot split identify's one-line-per-file output (names of
    people cannot hold one: enrol refuses them)."""
    gallery = tmp_path / "g.sqlite3"
    r = run("enrol", "Eve", DIGIT, "--model", "digit", "--gallery", gallery)
    assert r.rc == 0, r.err
    odd = tmp_path / "two\nlines.png"
    odd.write_bytes(DIGIT.read_bytes())
    missing = tmp_path / "gone.png"
    r = run("identify", DIGIT, odd, missing, "--model", "digit", "--gallery", gallery)
    assert r.rc == 3, r.err  # two identified, one refused
    lines = r.out.strip().splitlines()
    assert len(lines) == 2 and all(": Eve" in line for line in lines), r.out
    assert lines[1].startswith(str(tmp_path / "two\\nlines.png") + ": Eve"), lines
    assert "2 of 3 files identified, 1 refused" in r.err and r.peak_mb < LIMIT_MB


def test_explain_refuses_a_long_clip_before_its_occlusions(tmp_path):
    """Every occluded copy is embedded whole: 10 minutes took 485 s; now a clip over about a
    minute of windows is refused in one sentence, after one embedding."""
    rate = 8000
    t = np.arange(rate * 150) / rate
    wave = 0.3 * np.sin(2 * np.pi * 300 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    sf.write(str(tmp_path / "long.wav"), wave.astype(np.float32), rate)
    r = run("explain", tmp_path / "long.wav", tmp_path / "long.wav", "--model", "sound", "--out", tmp_path / "m.png")
    refused(r, "explaining takes clips of up to 80 windows (about a minute of sound)")
    assert not (tmp_path / "m.png").exists()


# --- outputs that would destroy an input --------------------------------------------------------
def test_out_never_writes_over_an_input_or_a_gallery(tmp_path):
    """``embed a.png --out a.png`` replaced the photo with an .npz, ``--pairs p.csv --out p.csv``
    emptied the pairs, and ``gallery export G --gallery G`` replaced everyone enrolled with a zip;
    all exited 0."""
    photo, other = tmp_path / "a.png", tmp_path / "b.png"
    photo.write_bytes(DIGIT.read_bytes())
    other.write_bytes(DIGIT.read_bytes())
    pairs = tmp_path / "p.csv"
    pairs.write_text(f"a,b,label\n{photo},{other},1\n")
    gallery = tmp_path / "g.sqlite3"
    assert run("enrol", "Eve", DIGIT, "--model", "digit", "--gallery", gallery).rc == 0
    kept = {p: p.read_bytes() for p in (photo, pairs, gallery)}
    for args, sentence in [
        (("embed", photo, "--model", "digit", "--out", photo), f"--out: {photo} is one of the files this command reads"),
        (("explain", photo, other, "--model", "digit", "--out", photo), f"{photo} is one of the files this command reads"),
        (("compare", "--pairs", pairs, "--model", "digit", "--out", pairs), f"{pairs} is one of the files this command"),
        (("embed", photo, "--model", "digit", "--out", gallery), f"{gallery} is a database (a SiamGUI gallery?)"),
        (("gallery", "export", gallery, "--gallery", gallery), f"{gallery} is one of the files this command reads"),
        (("card", ROOT / "models" / "digit.onnx", "--set", "threshold=0.3", "--out", gallery),
         f"{gallery} is a database (a SiamGUI gallery?)"),
    ]:
        refused(run(*args), sentence)
    assert {p: p.read_bytes() for p in kept} == kept
    assert "Eve" in run("gallery", "list", "--gallery", gallery).out
