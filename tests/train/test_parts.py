"""The pieces: class scan and split, P x K sampling, losses, mining."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder  # noqa: E402

from siamgui.train import data, losses  # noqa: E402
from siamgui.train.sampling import PKSampler  # noqa: E402


def test_scan_labels_groups_and_name_class(tmp_path):
    root = tmp_path / "omni"
    glyph_folder(root / "Latin", classes="AB", per_class=2)
    glyph_folder(root / "Greek", classes="CD", per_class=2)
    items = data.scan([root], "image")
    assert {it.label for it in items} == {"omni/Latin/char_A", "omni/Latin/char_B", "omni/Greek/char_C",
                                          "omni/Greek/char_D"}
    assert {it.group for it in items} == {"omni/Latin", "omni/Greek"}
    flat = tmp_path / "fsdd" / "recordings"
    flat.mkdir(parents=True)
    for n in ("0_george_0.png", "1_george_1.png", "0_jackson_0.png"):
        (flat / n).write_bytes((root / "Latin" / "char_A" / "0.png").read_bytes())
    items = data.scan([tmp_path / "fsdd"], "image", name_class=r"^\d+_([a-z]+)_\d+")
    assert sorted({it.label for it in items}) == ["fsdd/george", "fsdd/jackson"]


def test_split_is_by_class_never_by_sample(tmp_path):
    items = [data.Item(Path(f"{g}{c}{s}"), f"{g}/c{c}", g) for g in "abcde" for c in range(10) for s in range(3)]
    train, val, how = data.split_classes(items, 0.2, seed=3)
    assert not set(train) & set(val) and len(val) == 10
    assert {v.split("/")[0] for v in val} == set("abcde")  # stratified over the groups
    train, val, how = data.split_classes(items, 0.2, seed=3, by_group=True)
    assert how["val_groups"] and all(v.split("/")[0] in how["val_groups"] for v in val)
    t2, v2, _ = data.split_classes(items, 0.2, seed=3, by_group=True)
    assert v2 == val  # deterministic
    _, v3, how = data.split_classes(items, 0.2, seed=0, val_groups=["b"])
    assert all(v.startswith("b/") for v in v3) and len(v3) == 10


def test_split_by_sample_holds_out_images_of_every_class():
    items = [data.Item(Path(f"{c}/{s}.png"), c, "mnist") for c in "0123456789" for s in range(10)]
    train, val, how = data.split_samples(items, 0.2, seed=5)
    assert not set(train) & set(val) and len(train) + len(val) == 100
    assert sorted(items[i].label for i in val) == sorted("0123456789" * 2)  # 2 of each class's 10
    assert data.split_samples(items, 0.2, seed=5)[1] == val and data.split_samples(items, 0.2, seed=6)[1] != val
    assert how["split_by"] == "sample" and "not one-shot" in how["rule"]
    with pytest.raises(data.TrainError):
        data.split_samples(items, 0.0, seed=0)


def test_pk_sampler():
    labels = ["a"] * 5 + ["b"] * 1 + ["c"] * 3 + ["d"] * 2
    s = PKSampler(labels, p=3, k=4)
    idx, ids = s.batch(np.random.default_rng(0))
    assert len(idx) == 12 and sorted(set(ids.tolist())) == [0, 1, 2]
    for j in range(3):
        assert len({labels[i] for i, c in zip(idx, ids) if c == j}) == 1


@pytest.mark.parametrize("name", losses.LOSSES)
def test_losses_prefer_separated_classes(name):
    torch.manual_seed(0)
    y = torch.arange(4).repeat_interleave(3)
    centres = torch.nn.functional.normalize(torch.randn(4, 16), dim=1) * 5
    good = torch.nn.functional.normalize(centres[y] + 0.05 * torch.randn(12, 16), dim=1)
    bad = torch.nn.functional.normalize(torch.randn(12, 16), dim=1)
    crit = losses.make(name, classes=4, dim=16)
    if name in losses.GLOBAL:  # a centre per class: the true classes' directions, as after training
        with torch.no_grad():
            crit.centres.copy_(centres)
    with torch.no_grad():
        assert float(crit(good, y)) < float(crit(bad, y))
    e = bad.clone().requires_grad_(True)
    crit(e, y).backward()
    assert torch.isfinite(e.grad).all()


def test_quadruplet_adds_the_negative_pair_term():
    def unit(deg):
        r = torch.deg2rad(torch.tensor(float(deg)))
        return torch.stack([torch.cos(r), torch.sin(r)])

    y = torch.tensor([0, 0, 1, 2])
    e = torch.stack([unit(0), unit(20), unit(120), unit(135)])  # classes 1 and 2 lie close to each other
    d = losses._dist(e)
    crit = losses.make("quadruplet", margin=0.3)
    triplet_only = torch.relu(d[0, 1] - d[0, 2] + 0.3)  # anchor 0: its positive 1, nearest negative 2
    got = crit(e, y)
    # anchor 0: positive 1, the closest negative pair (2, 3) of classes 1 and 2
    a0 = triplet_only + torch.relu(d[0, 1] - d[2, 3] + 0.15)
    assert float(a0) > float(triplet_only)  # the pair term is what the triplet loss misses
    assert torch.isclose(got, crit(e[[1, 0, 2, 3]], y)) and float(got) > 0
    far = torch.stack([unit(0), unit(1), unit(120), unit(240)])
    assert float(crit(far, y)) == 0.0  # classes apart by more than both margins: nothing to learn
    assert float(losses.make("quadruplet")(e[:3], y[:3])) == pytest.approx(
        float(losses.make("triplet-hard")(e[:3], y[:3])))  # no two other classes: the triplet term alone
    torch.manual_seed(1)  # against a plain loop over anchors, positives, negatives and negative pairs
    y = torch.arange(4).repeat_interleave(3)
    e = torch.nn.functional.normalize(torch.randn(12, 8), dim=1)
    d = losses._dist(e)
    want = 0.0
    for a in range(12):
        hp = max(float(d[a, p]) for p in range(12) if y[p] == y[a] and p != a)
        hn = min(float(d[a, n]) for n in range(12) if y[n] != y[a])
        hpair = min(float(d[i, j]) for i in range(12) for j in range(12)
                    if y[i] != y[a] and y[j] != y[a] and y[i] != y[j])
        want += max(0.0, hp - hn + 0.3) + max(0.0, hp - hpair + 0.15)
    assert float(losses.make("quadruplet")(e, y)) == pytest.approx(want / 12, rel=1e-5)


def test_pk_sampler_groups_per_batch():
    labels = [f"{g}{c}" for g in "abcdef" for c in range(5) for _ in range(2)]
    groups = [lab[0] for lab in labels]
    s = PKSampler(labels, p=6, k=2, groups=groups, groups_per_batch=2)
    rng = np.random.default_rng(1)
    for _ in range(20):
        idx, ids = s.batch(rng)
        assert len(idx) == 12 and len(set(ids.tolist())) == 6
        assert len({groups[i] for i in idx}) <= 2  # classes from two alphabets only
    # too few groups to choose from: plain P x K
    assert PKSampler(labels, 6, 2, groups=groups, groups_per_batch=6).by_group is None


def test_margin_softmax_needs_classes_and_takes_global_ids():
    with pytest.raises(ValueError, match="at least two"):
        losses.make("arcface", classes=1, dim=8)
    labels = [f"c{c}" for c in range(10) for _ in range(3)]
    s = PKSampler(labels, p=4, k=2)
    idx, ids = s.batch(np.random.default_rng(0), global_ids=True)
    assert all(labels[i] == s.classes[c] for i, c in zip(idx, ids))
    assert ids.max() >= 4 or len(set(ids.tolist())) == 4  # ids index all 10 classes, not 0..P-1


def test_freeze_head_trains_only_the_last_layer():
    from siamgui.train import backbones

    m = backbones.build({"channels": [8, 8], "dim": 16})
    trained = backbones.freeze(m, "head")
    assert trained == ["head"]
    assert [n for n, q in m.named_parameters() if q.requires_grad] == ["head.weight", "head.bias"]
    assert len(backbones.freeze(m, "top:2")) == 2
    with pytest.raises(Exception, match="all, head or top:N"):
        backbones.freeze(m, "top:0")
