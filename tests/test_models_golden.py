"""Golden pairs: the shipped models' distances on the shipped sample pairs, pinned.

Any drift in preprocessing (detector, crop, features, glyph normalisation) or a re-exported
model changes these numbers and fails here. After retraining a model on purpose, print the
new values with ``python tests/test_models_golden.py`` and update ``PINNED``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SAMPLES = ROOT / "resources" / "samples"
SUFFIX = {"face": ".jpg", "voice": ".wav", "glyph": ".png", "digit": ".png"}
TOL = 1e-4

# distance (each card's metric) of same_a/same_b and diff_a/diff_b under each shipped model
PINNED: dict[str, dict[str, float]] = {
    "digit": {"same": 0.001045, "diff": 0.469206},
    "face": {"same": 0.161233, "diff": 0.495778},
    "glyph": {"same": 0.228718, "diff": 0.780808},
    "voice": {"same": 0.144806, "diff": 0.489568},
}


def distances(name: str) -> dict[str, float]:
    from siamgui.core.encoder import Encoder

    enc = Encoder.load(MODELS / f"{name}.onnx", device="cpu")
    s = SAMPLES / name
    ext = SUFFIX[name]
    return {
        "same": enc.compare(s / f"same_a{ext}", s / f"same_b{ext}").distance,
        "diff": enc.compare(s / f"diff_a{ext}", s / f"diff_b{ext}").distance,
    }


def _need(name: str) -> Path:
    path = MODELS / f"{name}.onnx"
    if not path.is_file():
        pytest.skip(f"models/{name}.onnx is not there")
    return path


@pytest.mark.parametrize("name", sorted(SUFFIX))
def test_golden_distances(name):
    _need(name)
    assert name in PINNED, f"no pinned distances for {name}: run python tests/test_models_golden.py"
    got = distances(name)
    for pair, want in PINNED[name].items():
        assert got[pair] == pytest.approx(want, abs=TOL), f"{name} {pair}: {got[pair]:.6f} != pinned {want:.6f}"
    assert got["same"] < got["diff"], f"{name}: the same pair is not closer than the different pair ({got})"
    # what a first-time user sees from "Samples": each shipped pair judged right at the card's threshold
    from siamgui.core.modelcard import read_card

    t = read_card(MODELS / f"{name}.onnx").threshold
    assert got["same"] <= t < got["diff"], f"{name}: sample pairs misjudged at the card threshold {t} ({got})"


@pytest.mark.parametrize("name", sorted(SUFFIX))
def test_card(name):
    """Every shipped card says what it is, how good it is on classes it never saw, and where it came from."""
    from siamgui.core.modelcard import METRICS, read_card

    card = read_card(_need(name))
    assert card.name == name
    assert card.modality == ("audio" if name == "voice" else "image")
    assert card.metric in METRICS and 0.0 < card.threshold < 2.0
    assert card.embedding_dim > 0
    for key in ("auc", "eer", "accuracy"):
        assert key in card.metrics, f"{name}: card metrics lack {key}"
    assert card.metrics["auc"] > 0.95
    for key in ("data", "split", "date", "parity_max_abs_diff"):
        assert key in card.provenance, f"{name}: card provenance lacks {key}"
    assert card.provenance["split"].get("val_class_names"), f"{name}: the card names no held-out classes"
    assert card.provenance["parity_max_abs_diff"] < 1e-4
    imported = "converted_by" in card.provenance or "notice" in card.provenance
    if imported:  # someone else's weights: the card keeps their licence
        assert card.provenance.get("licence") or card.provenance.get("license")
    else:
        for key in ("command", "seed", "train_minutes"):
            assert key in card.provenance, f"{name}: card provenance lacks {key}"
    assert (MODELS / f"{name}.onnx").stat().st_size < 30_000_000


@pytest.mark.parametrize("name", sorted(SUFFIX))
def test_dynamic_batch(name):
    import numpy as np

    from siamgui.core.encoder import Encoder
    from siamgui.media.preprocess import input_shape

    enc = Encoder.load(_need(name), device="cpu")
    shape = input_shape(enc.card.preprocess)
    for n in (1, 3):
        out = enc.run(np.zeros((n, *shape), np.float32))
        assert out.shape == (n, enc.card.embedding_dim)


if __name__ == "__main__":
    for model in sorted(SUFFIX):
        if (MODELS / f"{model}.onnx").is_file():
            d = distances(model)
            print(f'    "{model}": {{"same": {d["same"]:.6f}, "diff": {d["diff"]:.6f}}},')
