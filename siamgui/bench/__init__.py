"""``siamgui bench [--json] [--quick]``: how fast is it, on this machine, measured in one run.

This package's top holds only the command line, with nothing but the standard library, so that
building the ``siamgui`` parser costs nothing; the measuring (numpy, onnxruntime, subprocesses)
lives in :mod:`siamgui.bench.figures` and is imported only when ``siamgui bench`` runs. The
figures' names (``collect``, ``render``, ``bench_app``, ...) are reachable from here as before.
"""

from __future__ import annotations

SECTIONS = ("models", "face", "audio", "app", "gallery")


def add_parser(subparsers) -> None:
    b = subparsers.add_parser(
        "bench", help="speed figures on this machine: models, face and audio pipelines, app start, gallery",
        description="Measures, in one run, the figures a user asks about when something feels slow. "
                    "Medians over repeats; figures, not pass/fail.")
    b.add_argument("--json", action="store_true", help="print a JSON object")
    b.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    b.add_argument("--model", action="append", metavar="NAME",
                   help="only these models (repeatable; default: every installed model)")
    b.add_argument("--skip", action="append", choices=SECTIONS, default=[], help="leave a section out")
    b.set_defaults(func=run)


def run(args) -> int:
    """``siamgui bench``: the one place the figures module is imported."""
    return _figures().run(args)


def __getattr__(name: str):
    # bench.collect, bench.render, ...: the figures, imported on first use
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_figures(), name)
    except AttributeError:
        raise AttributeError(f"module 'siamgui.bench' has no attribute {name!r}") from None


def _figures():
    import importlib

    return importlib.import_module("siamgui.bench.figures")
