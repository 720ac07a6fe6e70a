"""`siamgui bench --quick --json`: structure only. No timing assertions, ever (machines differ)."""

from __future__ import annotations

import json
import subprocess
import sys

from onnx_factory import carded_model


def test_quick_bench_json_structure(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    carded_model(models / "face.onnx", {"kind": "face", "size": 64}, threshold=0.3, name="face")
    carded_model(models / "glyph.onnx", {"kind": "glyph", "size": 32}, threshold=0.05, name="glyph")
    carded_model(models / "voice.onnx", {"kind": "logmel"}, threshold=0.3, name="voice")
    code = ("import sys; from siamgui.cli import main; rc = main(['bench', '--quick', '--json']); "
            "print('QT' if any(m.startswith('PySide6') for m in sys.modules) else 'NOQT', file=sys.stderr); "
            "sys.exit(rc)")
    env = {**__import__("os").environ, "SIAMGUI_MODELS": str(models)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().endswith("NOQT"), "the bench process imported Qt"
    out = json.loads(r.stdout)
    assert out["mode"] == "quick"
    assert {"cpu", "cores", "onnxruntime", "loadavg_start", "loadavg_end"} <= set(out["machine"])

    rows = {m["name"]: m for m in out["models"]}
    assert {"face", "glyph", "voice"} <= set(rows)
    for m in rows.values():
        cpu = m["cpu"]
        assert cpu["available"] and cpu["providers"][0] == "CPUExecutionProvider"
        for key in ("load", "first_call", "batch1", "batch32"):
            assert cpu[key]["median_ms"] >= 0 and cpu[key]["n"] >= 1
        assert cpu["batch32"]["items_per_s"] > 0
        cuda = m["cuda"]
        assert cuda["available"] or cuda["note"].startswith("not available")

    face = out["face_pipeline"]
    for key in ("detection", "detection_near", "alignment", "embedding", "end_to_end", "live_tracked"):
        assert "median_ms" in face[key], face
    assert face["end_to_end"]["fps"] > 0 and face["end_to_end"]["over_embedding"] > 0
    assert "side by side" in face["end_to_end"]["timed"]  # the ratio's two figures come from the same seconds

    audio = out["audio"]
    assert audio["real_time_factor"] > 0 and audio["times_faster_than_real_time"] > 0
    assert "median_ms" in audio["utterance_to_verdict"]

    app = out["app_start"]
    assert "wall_s" in app["cold"], app
    assert "median_s" in app["warm"], app
    assert "median_s" in app["minimal_window"] and app["warm"]["over_minimal_window"] > 0, app  # side by side
    assert "wall_s" in app["cold"]["minimal_window"], app

    assert [g["enrolled"] for g in out["gallery"]] == [100, 10_000, 100_000]
    assert all("median_ms" in g["query"] and g["matches"] == 5 for g in out["gallery"])
    assert out["memory"]["bench_process_peak_mib"] > 0
    # the app's own peak (VmHWM), not the launcher's fork: at its window, and with its model loaded
    assert 0 < out["memory"]["app_window_shown_peak_mib"] <= out["memory"]["app_process_peak_mib"]
    assert face["why_map"]["median_s"] > 0 and face["why_map"]["occlusions"] > 0
    assert {t["what"] for t in out["targets"]} >= {
        "Live face loop per 640x480 frame (tracked face: keeps up with 30 fps)",
        "whole-frame detect + align + embed per 640x480 frame", "end of a voice utterance to its verdict",
        "gallery identification, 10,000 samples", "voice features + embedding vs real time", "app window shown, warm",
        "app window shown, cold (no bytecode cache)", "whole-frame detect + align + embed over the encoder alone"}


def test_side_by_side_alternates_turns_and_pairs_them():
    """The ratio's figures are timed in alternating turns and each turn's ratio paired with its
    neighbour's: a machine that slows down halfway moves both alike, not the ratio."""
    from siamgui.bench.figures import _paired_ratio, _side_by_side

    order = []
    turns = _side_by_side({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 25, block=10, warmup=1)
    assert [len(t) for t in turns["a"]] == [10, 10, 5] and [len(t) for t in turns["b"]] == [10, 10, 5]
    assert "".join(order) == "a" * 11 + "b" * 11 + "a" * 11 + "b" * 11 + "a" * 6 + "b" * 6
    slow, fast = [[2.0] * 10, [4.0] * 10], [[1.0] * 10, [2.0] * 10]  # the machine halves its speed between turns
    assert _paired_ratio(slow, fast) == 2.0


def test_text_report_renders_and_skips_sections(tmp_path):
    from siamgui import bench

    path = carded_model(tmp_path / "glyph.onnx", {"kind": "glyph", "size": 32}, name="glyph")
    report = bench.collect(quick=True, models=[str(path)], skip=("app", "gallery", "audio"))
    assert report["face_pipeline"] == {"skipped": "no face model installed"}
    assert "app_start" not in report and "gallery" not in report
    text = bench.render(report)
    assert "glyph" in text and "face pipeline: skipped" in text and "peak memory" in text
