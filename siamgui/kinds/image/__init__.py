"""Any colour photo resized whole (the ``image`` kind): fruit, objects, a user's own image encoder.

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
