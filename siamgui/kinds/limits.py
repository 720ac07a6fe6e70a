"""The type and range every preprocess key may take: the card schema, one :class:`Limit` per key.

Each kind lists its keys' limits beside its defaults (``Modality.limits`` in
``siamgui/kinds/<kind>/modality.py``) and :meth:`Modality.check` applies them whenever a card is
loaded or set, so a card value can never ask for 30 GB (``size`` 100000), divide by zero
(``std`` 0, ``hop`` 0) or turn a distance into NaN (``mean`` NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    """The type and range one preprocess key may take; a card outside it is refused in one sentence.

    ``lo``/``hi``: inclusive bounds (``lo_open``: ``lo`` itself excluded, as a std of 0);
    ``integer``: whole numbers only; ``choices``: the only values allowed; ``per_channel``: a
    number or a list of numbers (mean, std); ``pair``: a number or [H, W]; ``optional``: null
    allowed; ``flag``: true or false.
    """

    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    lo_open: bool = False
    choices: tuple[Any, ...] = ()
    per_channel: bool = False
    pair: bool = False
    optional: bool = False
    flag: bool = False

    def problem(self, key: str, value: Any) -> str | None:
        """What is wrong with ``value`` for ``key``, as the end of a sentence; None when it fits."""
        if value is None and self.optional:
            return None
        if self.flag:
            return None if isinstance(value, bool) else f"{key} must be true or false, got {value!r}"
        if self.choices:
            return None if value in self.choices and not isinstance(value, bool) else \
                f"{key} must be one of {', '.join(map(repr, self.choices))}, got {value!r}"
        if (self.per_channel or self.pair) and isinstance(value, list):
            if not value or len(value) > (2 if self.pair else 4):
                return f"{key} must be a number or a list of {'2' if self.pair else '1 to 4'} numbers, got {value!r}"
            return next((p for p in (self.problem(key, v) for v in value) if p), None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{key} must be a number, got {value!r}"
        if not math.isfinite(value):
            return f"{key} must be a finite number, got {value!r}"
        if self.integer and value != int(value):
            return f"{key} must be a whole number, got {value!r}"
        low = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        if low or (self.hi is not None and value > self.hi):
            if self.lo is not None and self.hi is not None and not self.lo_open:
                bounds = f"from {self.lo:g} to {self.hi:g}"
            else:
                lo = "" if self.lo is None else f"{'above' if self.lo_open else 'at least'} {self.lo:g}"
                hi = "" if self.hi is None else f"at most {self.hi:g}"
                bounds = " and ".join(filter(None, (lo, hi)))
            return f"{key} must be {bounds}, got {value!r}"
        return None


def int_range(lo: float, hi: float) -> Limit:
    return Limit(lo, hi, integer=True)


SIZE = int_range(8, 1024)  # pixels a side: a model input, never a photo (size 100000 is 30 GB)
MEAN = Limit(-1000.0, 1000.0, per_channel=True)
STD = Limit(0.0, 1000.0, lo_open=True, per_channel=True)  # 0 would divide by zero: distance NaN
SAMPLE_RATE = int_range(4000, 96000)
N_MELS = int_range(1, 256)
FRAMES = int_range(1, 4000)
SECONDS = Limit(0.0, 60.0)


# Keys in range one by one can still multiply into gigabytes: sample_rate 96000, hop 32, n_mels 256
# made 1.8 GB of features for a 10-minute clip, and frames 4000 every step 1 asked for 32 GiB of
# windows. The longest clip a command decodes (media.limits.MAX_AUDIO_S) must fit these.
MAX_FEATURE_BYTES = 64 * 2**20  # its (n_mels, frames) features; the shipped cards need about 10 MB
MAX_WINDOW_BYTES = 128 * 2**20  # its windows, stacked for the encoder; the shipped cards need about 20 MB


def audio_footprint(sample_rate: float, hop: int, n_mels: int, frames: int, step: int) -> str | None:
    """Why a card's audio features would not fit in memory for the longest clip, or None when they do."""
    from siamgui.media.limits import MAX_AUDIO_S

    total = MAX_AUDIO_S * float(sample_rate) / max(int(hop), 1)  # feature frames of the longest clip
    features = total * int(n_mels) * 4
    windows = (total / max(int(step), 1) + 1) * int(n_mels) * int(frames) * 4
    if features <= MAX_FEATURE_BYTES and windows <= MAX_WINDOW_BYTES:
        return None
    what, size, most = (("features", features, MAX_FEATURE_BYTES) if features > MAX_FEATURE_BYTES
                        else ("windows", windows, MAX_WINDOW_BYTES))
    return (f"sample_rate {sample_rate:g}, hop {hop}, n_mels {n_mels}, frames {frames} and step {step} make "
            f"{size / 2**20:,.0f} MB of {what} for a {MAX_AUDIO_S / 60:g}-minute clip (at most "
            f"{most / 2**20:.0f} MB fit)")
