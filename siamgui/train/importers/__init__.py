"""Converters of published pretrained weights into the ONNX files the app runs (``siamgui-train import NAME``)."""
