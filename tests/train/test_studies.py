"""The one-off studies left the library for studies/, and each still runs from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDIES = ("colour_baseline", "detector_bench", "snorm_eval", "per_group", "fewshot_digits")


@pytest.mark.parametrize("name", STUDIES)
def test_a_study_runs_as_a_module_and_is_not_in_the_library(name):
    assert (ROOT / "studies" / f"{name}.py").is_file() and not (ROOT / "siamgui" / "train" / f"{name}.py").exists()
    done = subprocess.run([sys.executable, "-m", f"studies.{name}", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and f"studies.{name}" in done.stdout
