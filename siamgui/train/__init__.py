"""Training and export of SiamGUI encoders (the ``train`` extra: torch lives only here).

``siamgui-train DATA_DIR --preset face|voice|glyph --out models/NAME.onnx`` — see ``cli.py``.
"""
