"""Old import path of the card-level shortcuts; they live in :mod:`siamgui.kinds.preprocess`."""

from siamgui.kinds.preprocess import Prepared, Source, input_shape, modality, prepare, resolve  # noqa: F401
