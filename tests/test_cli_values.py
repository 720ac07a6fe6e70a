"""Checked numbers in, strict JSON out (siamgui/cli_values.py), and the exit-code rule."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from siamgui import cli_values
from siamgui.errors import partial_exit


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "x"])
def test_thresholds_must_be_finite_numbers(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cli_values.threshold(text)


def test_ranges_and_whole_numbers():
    seg = cli_values.number(0.5, 600)
    assert seg("0.5") == 0.5 and seg("600") == 600.0
    for bad in ("0.49", "601", "1e-9", "nan"):
        with pytest.raises(argparse.ArgumentTypeError):
            seg(bad)
    assert cli_values.seed("0") == 0
    for bad in ("-1", "1.5", str(2**32)):
        with pytest.raises(argparse.ArgumentTypeError):
            cli_values.seed(bad)


def test_json_text_never_writes_nan():
    text = cli_values.json_text({"d": float("nan"), "xs": [1.0, float("inf"), np.float32("nan")], "n": np.int64(3)})
    assert json.loads(text) == {"d": None, "xs": [1.0, None, None], "n": 3}


def test_one_line_escapes_control_characters_only():
    assert cli_values.one_line("Zoë\nEve\x1b[2J\ttab") == "Zoë\\nEve\\x1b[2J\\ttab"


def test_partial_exit():
    assert (partial_exit(5, 0), partial_exit(4, 1), partial_exit(0, 3)) == (0, 3, 2)


def test_a_bogus_device_is_a_user_error(monkeypatch):
    from siamgui.core.device import DeviceError, resolve_device
    from siamgui.errors import UserError

    monkeypatch.setenv("SIAMGUI_DEVICE", "bogus")
    with pytest.raises(DeviceError, match=r"unknown device 'bogus' in \$SIAMGUI_DEVICE") as err:
        resolve_device(None)
    assert isinstance(err.value, UserError)
    assert resolve_device("CPU") == "cpu"
