"""Old import path of the shipped sample pairs; they live in :mod:`siamgui.kinds.samples`."""

from siamgui.kinds.samples import (  # noqa: F401  (re-exported)
    PAIR_TITLES, SamplePair, generated, no_samples_note, no_samples_reason, sample_folder, sample_pairs,
)
