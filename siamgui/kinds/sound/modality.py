"""Kinds of sound (a cat's miaow, a dog's bark) as log-mel windows: the speaker kind's features,
worded as sounds.

The features are :class:`LogMelModality`'s (only the defaults differ: 1 s windows, 0.3 s of sound
at least); what changes is what a verdict says ("the same kind of sound", not "the same speaker")
and where its samples would live (``resources/samples/sound``, so a sound model is never offered
the voice samples).
"""

from __future__ import annotations

from typing import Any

from siamgui.kinds import register
from siamgui.kinds.logmel.modality import LogMelModality


@register
class SoundModality(LogMelModality):
    """``{"kind": "sound", "sample_rate": 16000, "n_mels": 40, "frames": 100, ...}``: the sounding
    part of a clip, log-mel, per-clip normalised, 1 s windows averaged into one embedding."""

    kind = "sound"
    sample_folder = "sound"
    scope = "sound"  # kinds of sound are never mixed with enrolled speakers
    subjects = ("the same kind of sound", "different kinds of sound")
    defaults: dict[str, Any] = {**LogMelModality.defaults, "frames": 100, "step": 50, "min_voiced_s": 0.3}
