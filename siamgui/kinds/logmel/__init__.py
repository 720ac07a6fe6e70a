"""Speech as normalised log-mel windows (the ``logmel`` kind).

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
