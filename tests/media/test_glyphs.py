import numpy as np
import pytest

from conftest import draw
from siamgui.media.errors import MediaError
from siamgui.media.glyphs import glyph_tensor


def test_position_and_size_are_normalised():
    small = draw("A", seed=0, scale=1.5, offset=(-10, -30))
    big = draw("A", seed=0, scale=3.0)
    a, b = glyph_tensor(small, 32), glyph_tensor(big, 32)
    other = glyph_tensor(draw("B", seed=0, scale=3.0), 32)
    assert np.abs(a - b).mean() < np.abs(b - other).mean()


def test_light_ink_on_dark_paper_is_inverted():
    img = draw("A")
    assert np.allclose(glyph_tensor(img, 32), glyph_tensor(255 - img, 32), atol=1e-6)


def test_blank_page_is_an_error():
    with pytest.raises(MediaError, match="blank"):
        glyph_tensor(np.full((105, 105), 255, np.uint8), 32)
