"""SiamGUI: see how a Siamese network judges similarity.

The whole Python API in three lines::

    from siamgui import Encoder
    enc = Encoder.load("face")            # a shipped model name or a path to any .onnx with a card
    verdict = enc.compare("a.png", "b.png")   # Verdict(distance, same, threshold, margin)

``enc.embed(paths_or_arrays)`` returns L2-normalised embeddings, one row per input;
``enc.providers`` says which onnxruntime execution providers really run it.
Nothing is loaded at import time.
"""

from __future__ import annotations

from siamgui.media.limits import limit_opencv as _limit_opencv

_limit_opencv()  # before anything imports cv2: OpenCV reads its pixel limit once, when loaded

__version__ = "0.1.0"
__all__ = ["Encoder", "Verdict", "__version__"]


def __getattr__(name: str):
    # Lazy so that `import siamgui` stays cheap (no onnxruntime / OpenCV until asked for).
    if name == "Encoder":
        from siamgui.core.encoder import Encoder

        return Encoder
    if name == "Verdict":
        from siamgui.core.compare import Verdict

        return Verdict
    raise AttributeError(name)
