"""Faces found by the MTCNN detector and aligned by five landmarks (the ``face_aligned`` kind).

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
