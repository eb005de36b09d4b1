"""Synthetic Western blots with planted band intensities, rendered for the blot tests.

Each band is an elliptical Gaussian whose integral over the image is planted exactly (grey
levels × pixels); the background is a baseline plus a gradient plus a broad Gaussian blob; the
noise is Gaussian; one band can be made to clip at the pixel type's maximum (the detector
saturating). Dark-band images are the same picture inverted (``full_scale − value``), so a
saturated band reads 0 there.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

TARGETS = ("MDM2", "p53", "GAPDH")
# Planted truth: band values relative to lane 1 after loading-control normalisation.
TRUTH = np.array(
    [
        [1.0, 1.8, 2.2, 1.4, 0.7, 1.6],  # MDM2
        [1.0, 1.5, 2.0, 2.4, 1.8, 1.2],  # p53 (lane 4 saturates when asked)
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # GAPDH, the loading control
    ]
)
LOADING = np.array([1.0, 0.8, 1.2, 0.9, 1.1, 1.0])  # unequal loading, removed by GAPDH
PEAK_8BIT = np.array([65.0, 55.0, 110.0])  # lane-1 peak heights in 8-bit grey levels
SATURATED = (4, 2)  # (lane, row), 1-based
SIGMA_X, SIGMA_Y = 10.0, 3.0
PITCH, HEIGHT = 60, 240
ROW_Y = (50, 120, 190)


@dataclasses.dataclass(frozen=True)
class Synthetic:
    pixels: np.ndarray
    planted: np.ndarray  # integrated intensities (rows × lanes), in the file's grey levels
    truth: np.ndarray  # expected normalised values (rows × lanes)
    lane_x: np.ndarray  # lane centres (px)
    row_y: tuple
    saturated: tuple | None  # (lane, row), 1-based
    targets: tuple = TARGETS


def render_blot(
    dtype=np.uint8,
    dark: bool = False,
    saturate: bool = True,
    n_lanes: int = 6,
    noise: float = 1.0,
    scale: float | None = None,
    clip_at: float | None = None,
    empty_lane: int | None = None,
    seed: int = 0,
) -> Synthetic:
    """A blot of ``n_lanes`` lanes × 3 rows (MDM2, p53, GAPDH) on an uneven background.

    ``scale`` multiplies every 8-bit grey level (default: full scale / 255); ``clip_at`` is the
    detector's ceiling (default: the type's maximum).
    """
    full = float(np.iinfo(dtype).max)
    scale = full / 255.0 if scale is None else scale
    ceiling = full if clip_at is None else clip_at
    truth = np.tile(TRUTH, (1, 2))[:, :n_lanes]
    loading = np.tile(LOADING, 2)[:n_lanes]
    width = PITCH * n_lanes
    yy, xx = np.mgrid[0:HEIGHT, 0:width].astype(float)
    img = 30.0 + 16.0 * xx / width + 6.0 * yy / HEIGHT  # baseline and gradient
    img += 16.0 * np.exp(-((xx - 0.6 * width) ** 2 + (yy - 0.45 * HEIGHT) ** 2) / (2 * 120.0**2))
    lane_x = PITCH / 2 + PITCH * np.arange(n_lanes)
    area = 2 * np.pi * SIGMA_X * SIGMA_Y
    planted = truth * loading * (PEAK_8BIT * area)[:, None]
    if empty_lane is not None:
        planted[:, empty_lane - 1] = 0.0
    sat = SATURATED if saturate and n_lanes >= SATURATED[0] else None
    shown = planted.copy()
    if sat is not None:  # far above the ceiling: the band clips
        shown[sat[1] - 1, sat[0] - 1] = 2.2 * ceiling / scale * area
    for r, y0 in enumerate(ROW_Y):
        for k, x0 in enumerate(lane_x):
            band = np.exp(-((xx - x0) ** 2) / (2 * SIGMA_X**2) - (yy - y0) ** 2 / (2 * SIGMA_Y**2))
            img += shown[r, k] / area * band
    img += np.random.default_rng(seed).normal(0.0, noise, img.shape)
    img = np.clip(np.round(img * scale), 0, ceiling)
    if dark:
        img = full - img
    return Synthetic(
        pixels=img.astype(dtype),
        planted=planted * scale,
        truth=truth,
        lane_x=lane_x,
        row_y=ROW_Y,
        saturated=sat,
    )


@pytest.fixture(scope="session")
def render():
    """The renderer, :func:`render_blot`."""
    return render_blot


@pytest.fixture(scope="session")
def blot_files(tmp_path_factory):
    """Blot images written to disk: 8-bit PNG and 16-bit TIFF, light and dark background."""
    import tifffile
    from skimage import io

    root = tmp_path_factory.mktemp("blots")
    out = {}
    for dark in (False, True):
        tag = "dark" if dark else "light"
        s8 = render_blot(np.uint8, dark=dark)
        p8 = root / f"blot8_{tag}.png"
        io.imsave(p8, s8.pixels, check_contrast=False)
        out[("png8", dark)] = (p8, s8)
        s16 = render_blot(np.uint16, dark=dark, seed=1)
        p16 = root / f"blot16_{tag}.tif"
        tifffile.imwrite(p16, s16.pixels)
        out[("tif16", dark)] = (p16, s16)
    return out
