"""Hand-drawn characters and digits (the ``glyph`` kind): drawable, so views offer a drawing pad.

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
