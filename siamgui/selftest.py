"""``siamgui --self-test``: prove an installed or frozen build works, headless, in seconds.

Loads every shipped model, compares each model's shipped same / different sample pairs (a model
whose card says none may ship, e.g. clips without a licence, embeds a generated signal instead),
reports the execution providers really in use, and checks the pieces a frozen build tends to
lose: the Qt platform plugin (offscreen), the face detector's cascade file, and PortAudio.
Exit 0 only when everything needed is there.
"""

from __future__ import annotations

import os
import sys
import time


def run(device: str | None = None) -> int:
    from siamgui.core import registry
    from siamgui.core.device import short_name
    from siamgui.core.encoder import Encoder
    from siamgui.kinds.samples import no_samples_reason
    from siamgui.ui.resources import sample_pairs

    failures: list[str] = []

    def check(ok: bool, line: str) -> None:
        print(("ok    " if ok else "FAIL  ") + line, flush=True)
        if not ok:
            failures.append(line)

    t0 = time.perf_counter()
    models = registry.available()
    check(bool(models), f"models found: {', '.join(models) or 'none'} (in {registry.shipped_dir()})")
    for name, path in models.items():
        try:
            enc = Encoder.load(path, device=device)
        except Exception as exc:  # noqa: BLE001 - report every failure, keep checking the rest
            check(False, f"{name}: could not load ({exc})")
            continue
        providers = ", ".join(short_name(p) for p in enc.providers)
        note = f" — {enc.provider_note}" if enc.provider_note else ""
        check(bool(enc.providers), f"{name}: loaded in {enc.load_seconds * 1000:.0f} ms on {providers}{note}")
        pairs = {p.key: p for p in sample_pairs(enc.card)}
        if not pairs and no_samples_reason(enc.card):
            _check_generated(enc, name, check)
            continue
        if not pairs:
            check(False, f"{name}: no sample pairs shipped for it")
            continue
        dist = {}
        for key, pair in pairs.items():
            try:
                t = time.perf_counter()
                v = enc.compare(pair.a, pair.b)
                dist[key] = v.distance
                check(True, f"{name}: {pair.title.lower()} distance {v.distance:.4f} -> {v.words()} "
                            f"({(time.perf_counter() - t) * 1000:.0f} ms)")
            except Exception as exc:  # noqa: BLE001
                check(False, f"{name}: {pair.title.lower()} failed ({exc})")
        if "same" in dist and "diff" in dist:
            check(dist["same"] < dist["diff"], f"{name}: the same pair is closer than the different pair")

    from siamgui.media.faces import cascade_path

    try:
        check(cascade_path().is_file(), f"face detector (Haar, small face model): {cascade_path().name}")
    except Exception as exc:  # noqa: BLE001
        check(False, f"face detector: {exc}")
    from siamgui.media.face_detect import NETS, detectors_dir

    missing = [n for n in NETS if not (detectors_dir() / f"{n}.onnx").is_file()]
    check(not missing, f"face detector (MTCNN): {', '.join(n + '.onnx' for n in NETS)} in {detectors_dir()}"
          + (f" — missing {', '.join(missing)}" if missing else ""))
    try:
        import webrtcvad

        check(webrtcvad.Vad(3) is not None, "voice activity detector: webrtcvad")
    except Exception as exc:  # noqa: BLE001
        check(False, f"voice activity detector (webrtcvad) missing ({exc})")
    try:
        import sounddevice

        check(True, f"PortAudio: {sounddevice.get_portaudio_version()[1]}")
    except OSError as exc:
        check(False, f"PortAudio library missing ({exc})")
    check(_qt_ok(), "Qt: offscreen platform plugin loads and the main window builds")
    print(f"{'self-test passed' if not failures else f'self-test FAILED ({len(failures)})'} "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0 if not failures else 1


def _check_generated(enc, name: str, check) -> None:
    """A model that ships no samples (its card says why): a generated signal of its medium, through
    the model's own preprocessing, must give one finite embedding of the card's size."""
    import numpy as np

    from siamgui.kinds.samples import generated, no_samples_reason

    try:
        t = time.perf_counter()
        vec = np.asarray(enc.embed(generated(enc.modality)))
        ok = vec.shape == (1, enc.card.embedding_dim) and bool(np.isfinite(vec).all())
        check(ok, f"{name}: no sample pairs ship ({no_samples_reason(enc.card)}); a generated "
                  f"{enc.modality.medium} signal embeds to {vec.shape}, "
                  f"{'finite' if np.isfinite(vec).all() else 'NOT finite'} "
                  f"({(time.perf_counter() - t) * 1000:.0f} ms)")
    except Exception as exc:  # noqa: BLE001
        check(False, f"{name}: a generated signal could not be embedded ({exc})")


def _qt_ok() -> bool:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from siamgui.ui.app import build_window, create_app

        app = create_app([sys.argv[0]])
        window = build_window(autoload=False)
        window.show()
        app.processEvents()
        window.close()
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"      Qt error: {exc}", flush=True)
        return False
