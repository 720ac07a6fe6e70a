"""Faces found by OpenCV's Haar cascade, squared, grey and equalised (the ``face`` kind).

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
