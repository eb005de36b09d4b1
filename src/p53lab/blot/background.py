"""Background under the bands: a rolling ball over the whole image, or a baseline per lane.

**Rolling ball** (Sternberg SR 1983, Biomedical image processing, Computer 16(1):22–34; the
ImageJ "Subtract Background" command). The image is a landscape whose height is the signal; a
ball of radius ``r`` pixels rolled underneath it touches every hollow wider than the ball but
cannot rise into a band narrower than its diameter; the surface the ball's top traces is the
background. Here it is :func:`skimage.restoration.rolling_ball` with a ball whose height is
``r`` grey levels of the image's range cut into 256 (``r·(max − min)/255``: the library's own
ball on an 8-bit image that spans 0–255), so an 8-bit and a 16-bit scan, or a short and a long
exposure, of the same blot get the same background shape. As in ImageJ
the image is first smoothed (Gaussian, σ = 1 px) against noise spikes and, for large radii,
shrunk (block means: by 2 for r > 10, 4 for r > 30, 8 for r > 100 px) and the background
interpolated back, which keeps it fast.

The radius trades two errors. A ball curves, so under a band of half height ``d`` it rises by
about ``d²/(2r)`` grey levels (the background is overestimated, the band underestimated by a
roughly constant amount); a ball more curved than the background cannot follow it (hollows of
the background become signal). :func:`p53lab.blot.quantify` therefore takes, unless told, six
times the tallest band box (about 40 σ of a Gaussian band; between 50 px and half the image's
shorter side), which scales with the scan's resolution; on the synthetic blots of the tests this
keeps the bias near 2 %. Because a ball rests on the lowest noise in its footprint,
:mod:`p53lab.blot.quantify` also lifts it, band by band, by the median residual of the lane's
pixels just above and below the band box (outside every box).

**Lane-wise baseline**. The lane's profile (the signal summed across the lane's columns, one
value per image row) is read in two flanks, up to one box height above and below each band box
and outside every other box; a quadratic fitted to the flanks by least squares, evaluated over
the box, is the baseline (one flank only: its mean). This is the automated form of the baseline
drawn "across the base of the peak" in ImageJ's gel analyser, without the hand (Gassmann M et
al. 2009, Electrophoresis 30:1845, discuss how strongly the choice of background changes
densitometry results); the quadratic term follows a background that curves under the band,
which a straight line would cut. Summing across the whole lane width makes any variation across
the lane cancel exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["flank_baseline", "flank_rows", "rolling_ball_background", "shrink_factor"]

SMOOTH_PX = 1.0


def shrink_factor(radius_px: float) -> int:
    """ImageJ's shrink factor for a rolling ball of this radius."""
    if radius_px <= 10:
        return 1
    if radius_px <= 30:
        return 2
    if radius_px <= 100:
        return 4
    return 8


def rolling_ball_background(
    signal: np.ndarray, radius_px: float, grey_level: float, smooth_px: float = SMOOTH_PX
) -> np.ndarray:
    """The rolling-ball background of ``signal`` (bands bright), same shape, float64.

    The ball is ``radius_px`` pixels wide and ``radius_px · grey_level`` high.
    """
    from skimage.restoration import ellipsoid_kernel, rolling_ball
    from skimage.transform import downscale_local_mean, resize

    img = np.asarray(signal, dtype=np.float64)
    if smooth_px > 0:
        img = ndi.gaussian_filter(img, smooth_px, mode="nearest")
    f = shrink_factor(radius_px)
    h, w = img.shape
    if f > 1:
        padded = np.pad(img, ((0, (-h) % f), (0, (-w) % f)), mode="edge")
        small = downscale_local_mean(padded, (f, f))
    else:
        padded, small = img, img
    k = max(1, round(radius_px / f))
    height = radius_px * grey_level
    kernel = ellipsoid_kernel((2 * k + 1, 2 * k + 1), height)
    bg = rolling_ball(small, kernel=kernel)
    if f > 1:
        bg = resize(bg, padded.shape, order=1, mode="edge", anti_aliasing=False)[:h, :w]
    return np.asarray(bg, dtype=np.float64)


def flank_rows(
    top: int, bottom: int, free_rows: np.ndarray, flank_px: int
) -> tuple[list[int], list[int]]:
    """Free rows (outside every band box) within ``flank_px`` above and below a box."""
    n = len(free_rows)
    above = [y for y in range(max(0, top - flank_px), top) if free_rows[y]]
    below = [y for y in range(bottom + 1, min(n, bottom + 1 + flank_px)) if free_rows[y]]
    return above, below


def flank_baseline(
    profile: np.ndarray,
    top: int,
    bottom: int,
    free_rows: np.ndarray,
    flank_px: int,
    degree: int = 2,
) -> np.ndarray | None:
    """Baseline of one band box (rows ``top..bottom`` inclusive) from a lane profile.

    A polynomial of ``degree`` is fitted by least squares to the profile in the free rows
    (outside every band box) within ``flank_px`` above and below the box and evaluated at the
    box rows. With free rows on one side only the baseline is their mean; with none, None.
    """
    above, below = flank_rows(top, bottom, free_rows, flank_px)
    rows = np.arange(top, bottom + 1, dtype=float)
    if len(above) >= 2 and len(below) >= 2:
        y = np.asarray(above + below, dtype=float)
        deg = min(int(degree), len(y) - 1)
        centre = (top + bottom) / 2.0
        coef = np.polynomial.polynomial.polyfit(y - centre, profile[above + below], deg)
        return np.polynomial.polynomial.polyval(rows - centre, coef)
    if above or below:
        return np.full(rows.shape, float(np.mean(profile[above + below])))
    return None
