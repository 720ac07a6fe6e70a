"""Speech as Resemblyzer's GE2E encoder hears it (the ``ge2e`` kind).

``modality.py``: the Modality; ``train.py``: the training source (training only);
``presets.py``: the training presets.
"""
