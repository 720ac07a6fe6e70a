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
SUFFIX = {"face": ".jpg", "voice": ".wav", "glyph": ".png", "digit": ".png", "fruit": ".jpg"}
# models that may ship no samples (their data states no licence): pairs of clips from the shared
# data the card names as held out (skipped when the data is absent), and a generated signal
SHARED = {"sound": ("sounds/audio_cats_dogs", {"same": ("cat/cat_1.flac", "cat/cat_109.flac"),
                                               "diff": ("cat/cat_1.flac", "dog/dog_barking_105.flac")})}
NAMES = sorted([*SUFFIX, *SHARED])
AUDIO = {"voice", "sound"}
TOL = 1e-4

# distance (each card's metric) of same_a/same_b and diff_a/diff_b under each shipped model
PINNED: dict[str, dict[str, float]] = {
    "digit": {"same": 0.001045, "diff": 0.469206},
    "face": {"same": 0.161233, "diff": 0.495778},
    "fruit": {"same": 0.130019, "diff": 0.505748},
    "glyph": {"same": 0.228718, "diff": 0.780808},
    "voice": {"same": 0.144806, "diff": 0.489568},
    "sound": {"same": 0.007563, "diff": 0.272067},  # held-out clips of the shared data (SHARED)
}
# models without shipped samples: the first values of the embedding of siamgui.kinds.samples.generated
PINNED_GENERATED: dict[str, list[float]] = {
    "sound": [0.152166, 0.131406, 0.142117, -0.152459],
}


def pair_files(name: str) -> dict[str, tuple[Path, Path]]:
    """The golden pairs: shipped samples, or for a model that ships none, held-out shared-data clips."""
    if name in SHARED:
        from conftest import shared_data

        folder, pairs = SHARED[name]
        root = shared_data()
        if root is None or not (root / folder).is_dir():
            pytest.skip(f"{name}: its golden pairs are in the shared data ({folder}), absent here")
        return {k: (root / folder / a, root / folder / b) for k, (a, b) in pairs.items()}
    s, ext = SAMPLES / name, SUFFIX[name]
    return {k: (s / f"{k}_a{ext}", s / f"{k}_b{ext}") for k in ("same", "diff")}


def distances(name: str) -> dict[str, float]:
    from siamgui.core.encoder import Encoder

    enc = Encoder.load(MODELS / f"{name}.onnx", device="cpu")
    return {k: enc.compare(a, b).distance for k, (a, b) in pair_files(name).items()}


def generated_embedding(name: str) -> list[float]:
    from siamgui.core.encoder import Encoder
    from siamgui.kinds.samples import generated

    enc = Encoder.load(MODELS / f"{name}.onnx", device="cpu")
    return [float(v) for v in enc.embed(generated(enc.modality))[0][:4]]


def _need(name: str) -> Path:
    path = MODELS / f"{name}.onnx"
    if not path.is_file():
        pytest.skip(f"models/{name}.onnx is not there")
    return path


@pytest.mark.parametrize("name", NAMES)
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


@pytest.mark.parametrize("name", sorted(SHARED))
def test_a_model_without_samples_says_why_and_its_pairs_were_held_out(name):
    """No shipped samples: the card says why (the app shows it), the golden clips are ones it never
    trained on, and a generated signal (what the self-test embeds) gives pinned, finite numbers."""
    from siamgui.core.modelcard import read_card
    from siamgui.kinds.samples import no_samples_reason, sample_pairs

    card = read_card(_need(name))
    assert no_samples_reason(card) and "licence" in no_samples_reason(card)
    assert sample_pairs(card, SAMPLES) == []
    held = set(card.provenance["split"]["val_files"])
    for a, b in SHARED[name][1].values():
        assert {a, b} <= held, f"{name}: golden clips {a}, {b} are not all held out"
    got = generated_embedding(name)
    assert got == pytest.approx(PINNED_GENERATED[name], abs=TOL), f"{name} generated: {got}"


@pytest.mark.parametrize("name", NAMES)
def test_card(name):
    """Every shipped card says what it is, how good it is on classes it never saw, and where it came from."""
    from siamgui.core.modelcard import METRICS, read_card

    card = read_card(_need(name))
    assert card.name == name
    assert card.modality == ("audio" if name in AUDIO else "image")
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


@pytest.mark.parametrize("name", NAMES)
def test_dynamic_batch(name):
    import numpy as np

    from siamgui.core.encoder import Encoder
    from siamgui.kinds.preprocess import input_shape

    enc = Encoder.load(_need(name), device="cpu")
    shape = input_shape(enc.card.preprocess)
    for n in (1, 3):
        out = enc.run(np.zeros((n, *shape), np.float32))
        assert out.shape == (n, enc.card.embedding_dim)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest.shared_data
    for model in NAMES:
        if (MODELS / f"{model}.onnx").is_file():
            d = distances(model)
            print(f'    "{model}": {{"same": {d["same"]:.6f}, "diff": {d["diff"]:.6f}}},')
    for model in sorted(SHARED):
        if (MODELS / f"{model}.onnx").is_file():
            print(f'    "{model}": [{", ".join(f"{v:.6f}" for v in generated_embedding(model))}],  # generated')
