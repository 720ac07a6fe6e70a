"""Training on a slice of the real shared data sets (skipped when ../shared/data is absent)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from siamgui.core.encoder import Encoder  # noqa: E402
from siamgui.train.cli import main  # noqa: E402

pytestmark = [pytest.mark.data, pytest.mark.slow]


def test_face_loop_on_orl_slice(data_dir, tmp_path):
    orl = data_dir / "faces" / "orl"
    if not orl.is_dir():
        pytest.skip("faces/orl absent from the shared data")
    sub = tmp_path / "orl"
    for s in ("s1", "s2", "s3", "s4", "s5", "s6"):
        (sub / s).mkdir(parents=True)
        for f in sorted((orl / s).glob("*.pgm"))[:3]:
            (sub / s / f.name).symlink_to(f)
    out = tmp_path / "face.onnx"
    rc = main([str(sub), "--preset", "face", "--out", str(out), "--workdir", str(tmp_path / "w"), "--steps", "2",
               "--val-fraction", "0.4", "-P", "3", "-K", "2", "--no-progress"])
    assert rc == 0
    enc = Encoder.load(out, device="cpu")
    assert enc.card.preprocess["kind"] == "face"
    a, b = sorted((orl / "s1").glob("*.pgm"))[:2]
    assert 0 <= enc.compare(a, b).distance <= 2
