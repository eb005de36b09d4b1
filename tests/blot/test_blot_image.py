"""Reading blot images: formats, orientation, saturation level, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

from p53lab import blot
from p53lab.errors import FileFormatError, ParameterError


def test_png_and_tiff_read_with_their_depth(blot_files):
    for (kind, dark), (path, syn) in blot_files.items():
        img = blot.read_image(path)
        assert img.dtype == ("uint8" if kind == "png8" else "uint16")
        assert img.full_scale == (255 if kind == "png8" else 65535)
        assert np.array_equal(img.raw, syn.pixels)
        assert img.inverted is dark and img.invert_auto and img.dark_bands is dark
        # bands are bright in the signal either way
        assert img.signal[syn.row_y[2], int(syn.lane_x[0])] > np.median(img.signal) + 50 * (
            img.full_scale / 255
        )


def test_rgb_is_averaged_to_grey(tmp_path, render):
    from skimage import io

    syn = render(np.uint8, saturate=False)
    p = tmp_path / "rgb.png"
    io.imsave(p, np.dstack([syn.pixels] * 3), check_contrast=False)
    img = blot.read_image(p)
    assert img.raw.shape == syn.pixels.shape and np.allclose(img.raw, syn.pixels)
    assert img.full_scale == 255


def test_float_image_in_unit_range_clips_at_one(render):
    syn = render(np.uint8)
    img = blot.from_array(syn.pixels / 255.0)
    assert img.full_scale == 1.0 and img.saturation_level == 1.0
    assert img.saturated_mask.sum() == (syn.pixels == 255).sum()


def test_refused_images(tmp_path):
    import tifffile

    stack = tmp_path / "stack.tif"
    tifffile.imwrite(stack, np.zeros((5, 64, 64), np.uint16), photometric="minisblack")
    with pytest.raises(FileFormatError, match=r"stack.tif: holds 5 images"):
        blot.read_image(stack)
    with pytest.raises(FileFormatError, match=r"at least 16 px"):
        blot.from_array(np.zeros((8, 100), np.uint8), source="tiny.png")
    with pytest.raises(FileFormatError, match="NaN"):
        blot.from_array(np.full((32, 32), np.nan))
    with pytest.raises(FileFormatError, match="not grey levels"):
        blot.from_array(np.zeros((32, 32), bool))
    with pytest.raises(ParameterError, match="'invert'"):
        blot.from_array(np.zeros((32, 32), np.uint8), invert="yes")
    with pytest.raises(FileNotFoundError):
        blot.read_image(tmp_path / "absent.tif")
