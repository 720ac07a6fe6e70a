"""Augmentation fitting each modality, applied around the app's own preprocessing.

Each kind's augmentation lives beside its training source (``siamgui/kinds/<kind>/train.py``);
gathered here under the names training has always used.
"""

from siamgui.kinds.face.train import face_crop_aug, jitter_box, rotate_about  # noqa: F401
from siamgui.kinds.face_aligned.train import chip_photometric, jitter_landmarks  # noqa: F401
from siamgui.kinds.glyph.train import glyph_affine  # noqa: F401
from siamgui.kinds.image.train import turn_hue  # noqa: F401
from siamgui.kinds.logmel.train import mel_noise  # noqa: F401
