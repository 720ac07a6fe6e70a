"""Old import path of the kinds' contract; it lives in :mod:`siamgui.kinds.base`."""

from siamgui.kinds.base import Modality, Prepared, Source, SpeechModality  # noqa: F401  (re-exported)
