"""Kinds of sound as log-mel windows (the ``sound`` kind): the speech features, worded as sounds.

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
