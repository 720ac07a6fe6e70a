"""dlib face ResNet importer: the serialization reader on files we build, the torch rebuild and
ONNX export on synthetic weights, and parity with dlib itself where dlib is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from siamgui.train.importers import dlib_serial as ds
from siamgui.train.importers.dlib_serial import (DlibFormatError, Reader, enc_alias, enc_bool, enc_float, enc_int,
                                                 enc_str, enc_tensor, parse_net)

# --- a writer for test files, following dlib's layout (versions outside-in, details inside-out) ---


def con(rng, cin, cout, k, stride, pad, scale=None):
    scale = scale if scale is not None else 1 / np.sqrt(cin * k * k)  # keeps activations near 1
    w = (rng.normal(size=(cout, cin, k, k)) * scale).astype(np.float32)
    b = (rng.normal(size=cout) * scale).astype(np.float32)
    body = (enc_str("con_4") + enc_tensor(np.concatenate([w.ravel(), b]).reshape(-1, 1, 1, 1))
            + b"".join(enc_int(v) for v in (cout, k, k, stride, stride, pad, pad))
            + enc_alias((cout, cin, k, k)) + enc_alias((1, cout, 1, 1))
            + b"".join(enc_float(v) for v in (1.0, 1.0, 1.0, 0.0)))
    return body, {"weight": w, "bias": b}


def affine(rng, c):
    g = (1 + rng.normal(size=c) * 0.1).astype(np.float32)
    b = (rng.normal(size=c) * 0.1).astype(np.float32)
    body = (enc_str("affine_") + enc_tensor(np.concatenate([g, b]).reshape(-1, 1, 1, 1))
            + enc_alias((1, c, 1, 1)) + enc_alias((1, c, 1, 1)) + enc_int(0))
    return body, {"gamma": g, "beta": b}


def pool(kind, k, s, p=0):
    return enc_str(kind) + b"".join(enc_int(v) for v in (k, k, s, s, p, p)), {}


def fc(rng, nin, nout):
    w = (rng.normal(size=(nin, nout)) * 0.1).astype(np.float32)
    body = (enc_str("fc_2") + enc_int(nout) + enc_int(nin) + enc_tensor(w.reshape(-1, 1, 1, 1))
            + enc_alias((nin, nout)) + enc_alias((0, 0, 0, 0)) + enc_int(1)
            + b"".join(enc_float(v) for v in (1.0, 1.0, 1.0, 0.0)))
    return body, {"weight": w}


EMPTY = enc_tensor(np.zeros((0, 0, 0, 0), np.float32))


def net_bytes(ops, size=150, mean=(122.782, 117.001, 104.298)) -> bytes:
    """``ops``: input-to-output list of ("wrap") or (layer bytes); returns a dlib network file."""
    out = enc_int(1) + enc_str("loss_metric_2") + enc_float(0.04) + enc_float(0.6)
    versions = []
    for i, op in enumerate(ops):
        versions.append(1 if op == "wrap" else (3 if i == 0 else 2))
    out += b"".join(enc_int(v) for v in reversed(versions))
    out += enc_str("input_rgb_image_sized") + b"".join(enc_float(m) for m in mean) + enc_int(size) + enc_int(size)
    for i, op in enumerate(ops):
        if op == "wrap":
            continue
        out += op + enc_bool(True) + enc_bool(True) + enc_bool(False) + EMPTY + EMPTY + EMPTY
        if i == 0:
            out += enc_int(1)  # sample expansion factor (base add_layer, version 3)
    return out


def face_net(seed=0):
    """A full-size file of the face ResNet's shape with random weights, and those weights."""
    from siamgui.train.importers.dlib_resnet import STAGES

    rng = np.random.default_rng(seed)
    ops, arrays = [], []

    def add(pair):
        ops.append(pair[0])
        arrays.append(pair[1])

    add(con(rng, 3, 32, 7, 2, 0, 1 / 255 / 12)), add(affine(rng, 32)), add((enc_str("relu_"), {})), add(pool("max_pool_2", 3, 2))
    cin = 32
    for cout, count, down in STAGES:
        for i in range(count):
            d = down and i == 0
            ops.append("wrap")
            add(con(rng, cin, cout, 3, 2 if d else 1, 0 if d else 1)), add(affine(rng, cout))
            add((enc_str("relu_"), {})), add(con(rng, cout, cout, 3, 1, 1)), add(affine(rng, cout))
            if d:
                ops += ["wrap", "wrap"]
                add(pool("avg_pool_2", 2, 2))
            add((enc_str("add_prev_"), {})), add((enc_str("relu_"), {}))
            cin = cout
    add(pool("avg_pool_2", 0, 1)), add(fc(rng, 256, 128))
    return net_bytes(ops), arrays


@pytest.fixture(scope="module")
def synthetic():
    return face_net()


# --- the reader ---------------------------------------------------------------------------------


def test_integers_floats_bools_and_strings_read_as_dlib_writes_them():
    for v in (0, 1, 2, 127, 255, 256, 4736, -1, -28, 2**40, -(2**33)):
        assert Reader(enc_int(v)).int() == v
    assert enc_int(4736) == b"\x02\x80\x12" and enc_int(-28) == b"\x81\x1c"
    # 0.6 and 0.04 exactly as they sit at the start of dlib_face_recognition_resnet_model_v1.dat
    r = Reader(bytes.fromhex("03 0ad7a3 81 1c 03 9a9999 81 18".replace(" ", "")))
    assert r.float() == pytest.approx(0.04, abs=1e-8) and r.float() == pytest.approx(0.6, abs=1e-7)
    for x in (0.0, 1.0, -2.5, 122.782, 1e-7):
        assert Reader(enc_float(x)).float() == pytest.approx(x, rel=1e-12)
    r = Reader(enc_bool(True) + enc_bool(False) + enc_str("con_4"))
    assert r.bool() is True and r.bool() is False and r.string() == "con_4"
    with pytest.raises(DlibFormatError):
        Reader(b"x").bool()


def test_tensor_is_raw_little_endian_float32_after_its_shape():
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1) - 2.5
    raw = enc_tensor(a)
    assert raw[:1] == b"\x01" and raw[-24:] == a.astype("<f4").tobytes()
    np.testing.assert_array_equal(Reader(raw).tensor(), a)
    with pytest.raises(DlibFormatError, match="ends early"):
        Reader(raw[:-3]).tensor()


def test_small_net_parses_in_order_with_weights_and_wrappers():
    rng = np.random.default_rng(1)
    c0, w0 = con(rng, 3, 4, 3, 1, 1)
    a0, g0 = affine(rng, 4)
    f0, fw = fc(rng, 4, 2)
    ops = [c0, a0, enc_str("relu_"), "wrap", pool("max_pool_2", 3, 2)[0], enc_str("add_prev_"),
           pool("avg_pool_2", 0, 1)[0], f0]
    net = parse_net(net_bytes(ops, size=32, mean=(1.5, 2.0, 3.25)))
    assert net.signature() == ["con", "affine", "relu", "wrap", "max_pool", "add_prev", "avg_pool", "fc"]
    assert net.loss == {"kind": "loss_metric", "margin": pytest.approx(0.04), "distance_threshold": pytest.approx(0.6)}
    assert net.input["avg_rgb"] == (1.5, 2.0, 3.25) and net.input["rows"] == 32
    c = net.layers[0]
    assert (c.attrs["num_filters"], c.attrs["stride_y"], c.attrs["padding_x"]) == (4, 1, 1)
    np.testing.assert_array_equal(c.arrays["weight"], w0["weight"])
    np.testing.assert_array_equal(c.arrays["bias"], w0["bias"])
    np.testing.assert_array_equal(net.layers[1].arrays["gamma"].ravel(), g0["gamma"])
    np.testing.assert_array_equal(net.layers[1].arrays["beta"].ravel(), g0["beta"])
    assert net.layers[3].attrs == {"nr": 3, "nc": 3, "stride_y": 2, "stride_x": 2, "padding_y": 0, "padding_x": 0}
    np.testing.assert_array_equal(net.layers[-1].arrays["weight"], fw["weight"])
    assert "bias" not in net.layers[-1].arrays


def test_damaged_files_fail_with_a_sentence():
    rng = np.random.default_rng(2)
    good = net_bytes([con(rng, 3, 2, 3, 1, 1)[0], enc_str("relu_")])
    parse_net(good)
    with pytest.raises(DlibFormatError, match="ends early"):
        parse_net(good[:-5])
    with pytest.raises(DlibFormatError, match="left over"):
        parse_net(good + b"\x00")
    with pytest.raises(DlibFormatError, match="unsupported dlib layer 'gelu_'"):
        parse_net(net_bytes([enc_str("gelu_")]))
    with pytest.raises(DlibFormatError, match="loss"):
        parse_net(enc_int(1) + enc_str("loss_multiclass_log_") + good[20:])


# --- the torch rebuild and export -------------------------------------------------------------------

torch = pytest.importorskip("torch")


def test_full_size_file_rebuilds_the_resnet_with_its_weights_in_place(synthetic):
    from siamgui.train.importers.dlib_resnet import expected_signature, from_dlib

    data, arrays = synthetic
    net = parse_net(data)
    assert net.signature() == expected_signature()
    model = from_dlib(net)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    cons = [a for a in arrays if "bias" in a]
    assert len(convs) == len(cons) == 29
    for m, a in zip(convs, cons):
        np.testing.assert_array_equal(m.weight.detach().numpy(), a["weight"])
        np.testing.assert_array_equal(m.bias.detach().numpy(), a["bias"])
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(), arrays[-1]["weight"].T)
    assert [round(v, 3) for v in model.mean.view(-1).tolist()] == [122.782, 117.001, 104.298]
    out = model(torch.zeros(2, 3, 150, 150))
    assert out.shape == (2, 128) and torch.isfinite(out).all()
    x = torch.rand(2, 3, 150, 150) * 255
    assert 0.01 < model(x).abs().max() < 1000  # activations stay sane, so parity figures mean something


def test_a_different_architecture_is_refused(synthetic):
    from siamgui.train.importers.dlib_resnet import from_dlib

    rng = np.random.default_rng(3)
    with pytest.raises(DlibFormatError, match="not dlib's face recognition ResNet"):
        from_dlib(parse_net(net_bytes([con(rng, 3, 32, 7, 2, 0)[0], enc_str("relu_")])))


def test_downsampling_blocks_add_like_dlib_with_zero_padding():
    from siamgui.train.importers.dlib_resnet import Block, pad_to

    b = Block(128, 256, True, 8)  # the 8 -> 4 block: strided body 3x3, pooled shortcut 4x4
    assert b.body_shape == (256, 3, 3) and b.short_shape == (128, 4, 4) and b.out_shape == (256, 4, 4)
    t = torch.ones(1, 2, 2, 2)
    p = pad_to(t, (2, 2, 2), (3, 3, 4))
    assert p.shape == (1, 3, 3, 4) and p.sum() == 8 and p[0, :2, :2, :2].eq(1).all()


def test_export_cli_writes_a_carded_onnx_with_dynamic_batch(synthetic, tmp_path):
    from siamgui.train.cli import main
    from siamgui.train.importers.dlib_face import embed_chips

    dat = tmp_path / "synthetic.dat"
    dat.write_bytes(synthetic[0])
    out, report = tmp_path / "dlib_face.onnx", tmp_path / "report.json"
    empty = tmp_path / "no_faces"
    empty.mkdir()
    rc = main(["import", "dlib-face", "--dat", str(dat), "--out", str(out), "--no-download",
               "--parity-data", str(empty), "--report", str(report)])
    assert rc == 0 and out.is_file()
    rep = json.loads(report.read_text())
    assert rep["parity_vs_torch_synthetic"] < 1e-4
    assert "not_measured" in rep["parity_vs_dlib"]

    import onnx

    m = onnx.load(str(out))
    props = {p.key: p.value for p in m.metadata_props}
    assert props["siamgui.metric"] == "euclidean" and props["siamgui.modality"] == "image"
    assert json.loads(props["siamgui.preprocess"])["kind"] == "face_aligned"
    prov = json.loads(props["siamgui.provenance"])
    assert prov["source_package"] == "face_recognition_models" and "CC0" in prov["licence"]
    assert "Davis E. King" in prov["credit"] and prov["converted_by"] == "siamgui-train import dlib-face"
    rng = np.random.default_rng(0)
    chips = [rng.integers(0, 256, (150, 150, 3), dtype=np.uint8) for _ in range(3)]
    e3, e1 = embed_chips(out, chips), embed_chips(out, chips[:1])
    assert e3.shape == (3, 128)
    np.testing.assert_allclose(e3[:1], e1, atol=1e-5)


def test_import_cli_refuses_bad_out_and_missing_files(tmp_path, capsys):
    from siamgui.train.cli import main

    assert main(["import", "dlib-face", "--out", str(tmp_path / "x.pt")]) == 2
    assert main(["import", "dlib-face", "--out", str(tmp_path / "x.onnx"), "--dat", str(tmp_path / "nope.dat")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_fp16_weights_halve_the_file(synthetic, tmp_path):
    from siamgui.train.importers.dlib_face import convert, embed_chips, export_onnx, to_fp16_weights

    model = convert(synthetic[0])
    f32 = export_onnx(model, tmp_path / "a.onnx")
    f16 = to_fp16_weights(f32, tmp_path / "b.onnx")
    assert f16.stat().st_size < 0.55 * f32.stat().st_size
    chip = [np.full((150, 150, 3), 128, np.uint8)]
    a, b = embed_chips(f32, chip), embed_chips(f16, chip)
    assert np.abs(a - b).max() < 0.05 * np.abs(a).max() + 1e-6


# --- parity with dlib itself (where installed) ---------------------------------------------------


def test_parity_with_dlib_on_real_aligned_faces(data_dir, tmp_path):
    pytest.importorskip("dlib", reason="dlib is not installed (pip install dlib-bin); parity needs it")
    from siamgui.train.importers import dlib_face as D

    models = D.installed_models_dir()
    if models is None:
        pytest.skip("face_recognition_models is not installed (pip install --no-deps face_recognition_models)")
    roots = [data_dir / "faces" / n for n in ("orl", "imm")]
    chips, labels = D.dlib_chips(D.face_files(roots, per_class=2), models / D.SP5_NAME, limit=24)
    assert len(chips) >= 20 and len(set(l.split("/")[0] for l in labels)) == 2
    onnx_path = D.export_onnx(D.convert((models / D.DAT_NAME).read_bytes()), tmp_path / "dlib_face.onnx")
    par = D.parity_vs_dlib(onnx_path, chips, models / D.DAT_NAME)
    assert par["chips"] == len(chips) and par["max_abs_diff"] <= 1e-4
