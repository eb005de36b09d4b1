"""Finding lanes and band rows from intensity profiles.

After the rolling-ball background is removed, the **column profile** (the mean of every image
column) rises over each lane and falls between lanes; its peaks
(:func:`scipy.signal.find_peaks`) are the lane centres and the lane boundaries lie half-way
between neighbouring centres, so lanes tile the blot without gaps. With a known lane count the
most prominent peaks are kept; the "equal" layout instead cuts the image width into equal strips
(for lanes that touch or a lane left empty).

The **row profile** (the mean over all lanes' columns of every image row) peaks at each band
row. Because it is one profile for the whole blot, every lane gets a box at every band row: a
band that is absent in one lane (MDM2 after a degrader) is measured as near zero, not skipped.
A box reaches 1.5 full widths at half maximum above and below the peak (±3.5 σ for a Gaussian
band, 99.95 % of its signal) but never past the lowest point between two band rows.

A peak counts when its prominence exceeds ``k_noise`` times the noise of the profile (the pixel
noise σ, estimated from neighbour differences as 1.4826·MAD/√2, divided by the square root of
the pixels averaged) and half a grey level of the image's range cut into 256 (so the
quantisation steps of a smooth ramp are not lanes), and, when no count is given,
``rel_prominence`` times the largest prominence, which keeps ripples on a lane's shoulder from
becoming lanes.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks, peak_widths

__all__ = ["Peaks", "band_boxes", "equal_strips", "noise_sigma", "profile_peaks", "tile_bounds"]

K_NOISE = 6.0
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
BOX_FWHM = 1.5


@dataclasses.dataclass(frozen=True)
class Peaks:
    """Peaks of a smoothed profile: positions (px), prominences, FWHM (px, smoothing removed)."""

    positions: np.ndarray
    prominences: np.ndarray
    fwhm: np.ndarray
    smoothed: np.ndarray


def noise_sigma(signal: np.ndarray, integer: bool) -> float:
    """Pixel noise σ from horizontal neighbour differences (robust to smooth bands)."""
    d = np.diff(np.asarray(signal, dtype=float), axis=1).ravel()
    sigma = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0)
    floor = 1.0 / math.sqrt(12.0) if integer else 1e-9 * max(1.0, float(np.abs(signal).max()))
    return max(sigma, floor)


def profile_peaks(
    profile: np.ndarray,
    noise: float,
    smooth_px: float,
    n: int | None = None,
    rel_prominence: float = 0.1,
    k_noise: float = K_NOISE,
    min_distance_px: int = 3,
    floor: float = 0.0,
) -> Peaks:
    """Significant peaks of ``profile`` (see the module docstring), sorted by position.

    ``noise`` is the σ of the unsmoothed profile; ``floor`` the least prominence in any case.
    With ``n`` the ``n`` most prominent significant peaks are kept (fewer when fewer exist).
    """
    sm = gaussian_filter1d(np.asarray(profile, dtype=float), smooth_px, mode="nearest")
    threshold = max(k_noise * noise, floor)
    pos, props = find_peaks(sm, prominence=threshold, distance=max(1, int(min_distance_px)))
    prom = props["prominences"]
    if len(pos):
        keep = np.argsort(prom)[::-1]
        keep = keep[:n] if n is not None else keep[prom[keep] >= rel_prominence * prom.max()]
        keep = np.sort(keep)
        pos, prom = pos[keep], prom[keep]
    fwhm = peak_widths(sm, pos, rel_height=0.5)[0] if len(pos) else np.empty(0)
    fwhm = np.sqrt(np.maximum(fwhm**2 - (FWHM_PER_SIGMA * smooth_px) ** 2, 1.0))
    return Peaks(pos.astype(int), prom.astype(float), fwhm, sm)


def tile_bounds(centres: np.ndarray, fwhm: np.ndarray, length: int) -> list[tuple[int, int]]:
    """Half-open ``[start, stop)`` strips around sorted centres, meeting half-way between
    neighbours; the outer strips reach as far out as half the neighbouring spacing."""
    c = np.asarray(centres, dtype=float)
    if len(c) == 1:
        half = max(2.0, BOX_FWHM * float(fwhm[0]))
        edges = [c[0] - half, c[0] + half + 1]
    else:
        mids = (c[:-1] + c[1:]) / 2.0
        edges = [c[0] - (c[1] - c[0]) / 2.0, *mids, c[-1] + (c[-1] - c[-2]) / 2.0]
    e = np.clip(np.round(edges), 0, length).astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(e)]


def equal_strips(n: int, length: int) -> list[tuple[int, int]]:
    """``n`` equal half-open strips across ``[0, length)``."""
    e = np.round(np.linspace(0, length, n + 1)).astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(e)]


def band_boxes(peaks: Peaks, length: int) -> list[tuple[int, int]]:
    """Inclusive ``(top, bottom)`` rows of each band row's box (see the module docstring)."""
    pos, sm = peaks.positions, peaks.smoothed
    boxes = []
    for i, (p, w) in enumerate(zip(pos, peaks.fwhm, strict=True)):
        half = max(2, math.ceil(BOX_FWHM * w))
        top, bottom = p - half, p + half
        if i > 0:  # lowest point between this peak and the one above
            top = max(top, pos[i - 1] + int(np.argmin(sm[pos[i - 1] : p + 1])) + 1)
        if i < len(pos) - 1:
            bottom = min(bottom, p + int(np.argmin(sm[p : pos[i + 1] + 1])))
        boxes.append((int(max(top, 0)), int(min(bottom, length - 1))))
    return boxes
