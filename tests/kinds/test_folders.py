"""One kind, one folder: its Modality, its training source (loaded only by training) and its presets."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from siamgui import kinds
from siamgui.kinds.glyph.modality import GlyphModality

ROOT = Path(__file__).resolve().parents[2]
KINDS_DIR = ROOT / "siamgui" / "kinds"


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_each_shipped_kind_is_one_folder_with_its_modality_source_and_presets(kind):
    folder = KINDS_DIR / kind
    assert {"__init__.py", "modality.py", "train.py", "presets.py"} <= {p.name for p in folder.iterdir()}
    mod = kinds.get(kind)
    assert type(mod).__module__ == f"siamgui.kinds.{kind}.modality"
    # its pointer to its samples (sound and image ship theirs under the model's name, if at all)
    assert mod.samples == {"face_aligned": "face", "logmel": "voice", "ge2e": "voice"}.get(kind, kind)
    assert (ROOT / "resources" / "samples" / mod.samples).is_dir() or kind in ("sound", "image")
    source = kinds.source(kind)
    assert source.__module__ == f"siamgui.kinds.{kind}.train"


def test_the_registry_holds_the_shipped_kinds_in_order():
    assert kinds.kinds()[: len(kinds.KINDS)] == kinds.KINDS


def test_training_gathers_the_folders_under_its_old_names():
    from siamgui.train import augment, modalities, presets

    assert dict(modalities.SOURCES) == {k: kinds.source(k) for k in kinds.kinds()}
    assert modalities.SOURCES["face_aligned"] is modalities.FaceAlignedSource
    assert modalities.SOURCES["sound"] is modalities.SoundSource and modalities.SOURCES["image"] is modalities.PhotoSource
    assert augment.glyph_affine.__module__ == "siamgui.kinds.glyph.train"
    assert list(presets.PRESETS) == ["glyph", "digit", "face", "face-finetune", "voice", "voice-finetune", "sound",
                                     "image"]


def test_a_presets_kind_is_its_folders_and_its_medium_the_kinds():
    for kind in kinds.KINDS:
        module = __import__(f"siamgui.kinds.{kind}.presets", fromlist=["PRESETS"])
        assert module.PRESETS, kind
        for name, preset in module.PRESETS.items():
            assert preset["spec"]["kind"] == kind, name
            assert preset["modality"] == kinds.get(kind).medium, name


def test_a_kind_without_its_own_training_source_uses_its_parents():
    @kinds.register
    class SignatureModality(GlyphModality):
        kind = "signature_folder_test"

    try:
        assert kinds.source("signature_folder_test") is kinds.source("glyph")
        assert kinds.get("signature_folder_test").drawable  # capabilities are inherited too
    finally:
        kinds._REGISTRY.pop("signature_folder_test", None)
    with pytest.raises(KeyError):
        kinds.source("no_such_kind")


def test_the_drawing_pad_is_a_capability_the_kind_declares():
    assert [k for k in kinds.kinds() if kinds.get(k).drawable] == ["glyph"]


def test_the_app_loads_no_training_code_and_no_torch():
    code = ("import sys; import siamgui.core.encoder, siamgui.kinds; "
            "from siamgui import kinds; kinds.presets(); "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('siamgui.train') "
            "or m.endswith('.train') or m.endswith('.training')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_kinds_import_no_core_ui_train_or_tasks_and_torch_only_in_training_files():
    bad = []
    for f in KINDS_DIR.rglob("*.py"):
        training = f.name.startswith("train")
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                top = name.split(".")
                if top[0] == "PySide6" or (top[0] == "torch" and not training) or (
                        top[0] == "siamgui" and len(top) > 1 and top[1] in ("core", "ui", "train", "tasks")):
                    bad.append(f"{f.relative_to(ROOT)}: {name}")
    assert not bad, bad
