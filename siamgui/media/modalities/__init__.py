"""Old import path of the input kinds, kept so existing imports keep working: the kinds live in
:mod:`siamgui.kinds`, one folder each. New code imports ``siamgui.kinds``."""

from siamgui.kinds import (  # noqa: F401  (re-exported)
    MediaError, Modality, Prepared, Source, SpeechModality, get, kinds, register,
)

__all__ = ["MediaError", "Modality", "Prepared", "Source", "SpeechModality", "get", "kinds", "register"]
