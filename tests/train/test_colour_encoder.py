"""The colour-histogram branch of the ``image`` preset's encoder, its dihedral averaging, and
hue-turned classes: what the fruit model stands on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from siamgui.train import augment, backbones  # noqa: E402


def _fruit(bgr: tuple[int, int, int], size: int = 64, seed: int = 0) -> np.ndarray:
    """A spotted disc of colour ``bgr`` on white, as a product photo."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 255, np.uint8)
    cv2.circle(img, (size // 2 - 3, size // 2 + 2), size // 3, bgr, -1)
    for _ in range(6):
        cv2.circle(img, tuple(int(v) for v in rng.integers(size // 3, 2 * size // 3, 2)), 2,
                   tuple(int(c * 0.6) for c in bgr), -1)
    return img


def _tensor(bgr: np.ndarray) -> torch.Tensor:
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return torch.from_numpy((rgb - 0.5) / 0.5).permute(2, 0, 1)[None].contiguous()


def _hard_hsv(bgr: np.ndarray, bins: int = 12) -> np.ndarray:
    """OpenCV's hard-binned H/S/V histogram of the non-white pixels, as shares."""
    mask = (bgr.min(2) < 230).astype(np.uint8)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h = cv2.calcHist([hsv], [0, 1, 2], mask, [bins] * 3, [0, 180, 0, 256, 0, 256]).ravel()
    return h / h.sum()


def test_histogram_is_a_unit_vector_of_the_foreground_only():
    hist = backbones.ColourHistogram()
    red = _fruit((40, 40, 200))
    padded = cv2.copyMakeBorder(red, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    padded = cv2.resize(padded, (64, 64), interpolation=cv2.INTER_AREA)
    dark = _fruit((30, 30, 120))
    a, b, c = hist(_tensor(red)), hist(_tensor(padded)), hist(_tensor(dark))
    assert a.shape == (1, 12 ** 3)
    assert float(a.norm()) == pytest.approx(1.0, abs=1e-5)
    # more white around the fruit: far nearer the same histogram than a darker red is
    assert float((a - b).norm()) < 0.5 * float((a - c).norm())


def test_histogram_tells_colours_apart_and_agrees_with_a_hard_histogram():
    hist = backbones.ColourHistogram()
    red, green, dark_red = _fruit((40, 40, 200)), _fruit((60, 180, 60)), _fruit((30, 30, 120))
    e = {k: hist(_tensor(v))[0].numpy() for k, v in (("red", red), ("green", green), ("dark", dark_red))}
    assert np.linalg.norm(e["red"] - e["green"]) > 1.2
    assert np.linalg.norm(e["red"] - e["dark"]) > 0.5
    # the soft bins put the mass where OpenCV's hard bins do (up to one bin's spread)
    soft = e["red"] ** 2
    hard = _hard_hsv(red)
    assert np.argmax(soft) == np.argmax(hard) or soft[np.argmax(hard)] > 0.2


def test_joined_encoder_weights_the_two_parts_and_is_orientation_free_when_dihedral():
    torch.manual_seed(0)
    cfg = {"in_ch": 3, "channels": [8, 8], "dim": 16,
           "colour_hist": {"bins": [6, 6, 6], "cnn_weight": 0.3, "dihedral": True}}
    model = backbones.build(cfg).eval()
    x = _tensor(_fruit((40, 120, 200)))
    e = model(x)
    assert e.shape == (1, 6 ** 3 + 16) and model.dim == 6 ** 3 + 16
    e = e.detach()
    assert float(e.norm()) == pytest.approx(1.0, abs=1e-5)
    assert float(e[0, : 6 ** 3].norm() ** 2) == pytest.approx(0.7, abs=1e-4)  # 1 - cnn_weight
    for turned in (x.flip(3), x.transpose(2, 3).flip(2), x.flip(2).flip(3)):
        assert torch.allclose(model(turned), e, atol=1e-5)
    plain = backbones.build({**cfg, "colour_hist": {**cfg["colour_hist"], "dihedral": False}}).eval()
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain(x.transpose(2, 3).flip(2)), plain(x), atol=1e-4)  # the CNN alone is not


def test_joined_encoder_exports_to_onnx_with_parity(tmp_path):
    pytest.importorskip("onnx")
    from siamgui.train import export

    torch.manual_seed(0)
    model = backbones.build({"in_ch": 3, "channels": [8, 8], "dim": 16,
                             "colour_hist": {"bins": [12, 12, 12], "cnn_weight": 0.3, "dihedral": True}}).eval()
    inputs = torch.cat([_tensor(_fruit(c, seed=i)) for i, c in enumerate(((40, 40, 200), (60, 180, 60)))]).numpy()
    path = export.to_onnx(model, (3, 64, 64), tmp_path / "m.onnx")
    assert export.parity(model, path, inputs) < 1e-4


def test_turn_hue_makes_another_colour_and_keeps_white():
    red = _fruit((40, 40, 200))
    turned = augment.turn_hue(red, 120)  # red -> green
    centre = turned[32, 29].astype(int)
    assert centre[1] > centre[2] + 60
    assert (turned[0, 0] >= 250).all()
    assert np.array_equal(augment.turn_hue(red, 0), red) or np.abs(
        augment.turn_hue(red, 0).astype(int) - red).max() <= 3


def test_photo_source_makes_hue_classes_and_augments(tmp_path):
    from siamgui.train import data
    from siamgui.train.modalities import PhotoSource

    for name, colour in (("red", (40, 40, 200)), ("green", (60, 180, 60))):
        (tmp_path / name).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), _fruit(colour, 100, seed=i))
    skipped = data.Skipped()
    items = data.scan([tmp_path], "image", None, skipped)
    src = PhotoSource(items, {"kind": "image", "size": 64, "channels": 3, "mean": 0.5, "std": 0.5}, skipped, None,
                      progress=False)
    assert src.variants({"hue_classes": (-50, 50), "augment": {"rotate": 180}}) == 3
    rng = np.random.default_rng(0)
    red = next(i for i, it in enumerate(src.items) if it.label.endswith("red"))
    a, b = src.train_sample(red, rng, 0), src.train_sample(red, rng, 2)
    assert a.shape == b.shape == (3, 64, 64)
    # variant 2 (hue +50 degrees) turns the red fruit towards yellow: green rises against red
    def green_minus_red(x):
        inner = x[:, 24:40, 24:40]
        return float(inner[1].mean() - inner[0].mean())
    assert green_minus_red(b) > green_minus_red(a) + 0.3
    assert src.variants({}) == 1


def test_colour_baseline_scores_held_out_kinds_by_colour(tmp_path, capsys):
    from studies import colour_baseline

    colours = [(40, 40, 200), (60, 180, 60), (200, 60, 40), (40, 200, 200), (200, 40, 200), (30, 30, 120),
               (40, 120, 220), (120, 200, 40), (90, 90, 90), (20, 160, 100)]
    for n, colour in enumerate(colours):
        folder = tmp_path / f"kind{n}"
        folder.mkdir()
        for i in range(3):
            cv2.imwrite(str(folder / f"{i}.png"), _fruit(colour, 80, seed=i))
    rows = colour_baseline.baseline([str(tmp_path)], [0, 1])
    assert [r["seed"] for r in rows] == [0, 1] and all(r["val_classes"] == 2 for r in rows)
    assert all(r["eer"] < 0.2 for r in rows)  # plain colours: the histogram tells them apart
    assert colour_baseline.main([str(tmp_path), "--seeds", "0"]) == 0
    assert "mean eer over 1 seeds" in capsys.readouterr().out
    assert colour_baseline.main([str(tmp_path / "nothing-here")]) == 1
