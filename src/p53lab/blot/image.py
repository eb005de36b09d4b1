"""Reading a blot image and turning it into a signal where bands are bright.

A scanned film or a CCD/CMOS chemiluminescence image arrives as a greyscale TIFF (8- or 16-bit)
or PNG. Film scans and "white background" exports show **dark bands on a light background**; raw
camera images and fluorescence scans show **bright bands on a dark background**. Densitometry
needs the second form, so dark-band images are inverted: ``signal = full_scale − pixel``, where
``full_scale`` is the largest value of the pixel type (255, 65535) or, for floating-point images,
1 or the image maximum.

**Orientation, auto-detected.** Bands cover a minority of the pixels, so the median is the
background level and the bands form the long tail of the grey-level histogram. When the tail
towards black (median − 0.5th percentile) is longer than the tail towards white (99.5th
percentile − median) the bands are dark and the image is inverted. ``invert=True/False``
overrides the guess; the result records which was used and how it was decided.

**Saturation.** A detector or film that runs out of range clips: the pixels sit at the largest
value of the pixel type (at 0 for dark bands), or at a plateau below it (a 12-bit camera written
to a 16-bit file). In the signal both read as the same high value. The saturation level is
``full_scale`` when any pixel reaches it, else the image maximum when at least ``plateau_px``
pixels share it exactly (a noisy, unclipped image almost never repeats its maximum that often),
else there is none. Bands holding pixels at that level are flagged: their integrated intensity
is only a lower bound (Gassmann M et al. 2009, Electrophoresis 30:1845, on the linear range).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, param_error

__all__ = ["BlotImage", "from_array", "read_image"]

TIFF_SUFFIXES = (".tif", ".tiff")
PLATEAU_PX = 9
MIN_SIDE_PX = 16
_TRY = "Export the blot as a single greyscale TIFF (8- or 16-bit) or PNG and try again."


@dataclasses.dataclass(frozen=True, eq=False)
class BlotImage:
    """A blot image and its signal (float64, bands bright, background low).

    ``raw`` keeps the pixels as read (greyscale); ``signal`` is what densitometry integrates, in
    the image's own grey levels. ``saturation_level`` is NaN when nothing is clipped.
    """

    raw: np.ndarray
    signal: np.ndarray
    source: str = "image"
    dtype: str = ""
    full_scale: float = 255.0
    inverted: bool = False
    invert_auto: bool = True
    dark_bands: bool = False  # the histogram's verdict, whatever ``invert`` said
    saturation_level: float = float("nan")
    saturation_rule: str = "none"

    @property
    def saturated_mask(self) -> np.ndarray:
        """Pixels at the saturation level (all False when nothing is clipped)."""
        if not np.isfinite(self.saturation_level):
            return np.zeros(self.signal.shape, dtype=bool)
        return self.signal >= self.saturation_level


def read_image(path, invert: bool | None = None, plateau_px: int = PLATEAU_PX) -> BlotImage:
    """Read a TIFF (via tifffile) or PNG/JPEG (via scikit-image) blot image.

    A missing file raises :class:`FileNotFoundError`; a file that is not a readable image, a
    stack of several images, or an image too small to hold a blot raises
    :class:`~p53lab.errors.FileFormatError` naming the file. RGB(A) images are averaged to
    grey (alpha dropped). See :func:`from_array` for ``invert`` and ``plateau_px``.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", source)
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", source)
    if path.stat().st_size == 0:
        raise FileFormatError(f"{source}: the file is empty (0 bytes). {_TRY}")
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            import tifffile

            pixels = tifffile.imread(path)
        else:
            from skimage import io

            pixels = io.imread(path)
    except Exception as exc:  # any decoder failure means the same thing to the user
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileFormatError(
            f"{source}: cannot be read as an image ({reason[:200]}). The file may be corrupt, "
            f"truncated or in another format. {_TRY}"
        ) from None
    return from_array(pixels, invert=invert, source=source, plateau_px=plateau_px)


def _to_grey(pixels: np.ndarray, source: str) -> np.ndarray:
    a = np.squeeze(np.asarray(pixels))
    if a.ndim == 3 and a.shape[-1] in (3, 4):  # RGB or RGBA: drop alpha, average the colours
        a = a[..., :3].mean(axis=-1)
    elif a.ndim == 3:
        raise FileFormatError(
            f"{source}: holds {a.shape[0]} images (a stack of shape {a.shape}), not one blot. "
            f"{_TRY}"
        )
    if a.ndim != 2:
        raise FileFormatError(
            f"{source}: an image of shape {a.shape} is not a 2-D greyscale picture. {_TRY}"
        )
    if min(a.shape) < MIN_SIDE_PX:
        raise FileFormatError(
            f"{source}: the image is {a.shape[1]} x {a.shape[0]} px; a blot needs at least "
            f"{MIN_SIDE_PX} px on each side. {_TRY}"
        )
    return a


def from_array(
    pixels: np.ndarray,
    invert: bool | None = None,
    source: str = "image",
    plateau_px: int = PLATEAU_PX,
) -> BlotImage:
    """Make a :class:`BlotImage` from pixels already in memory.

    ``invert``: None guesses from the histogram (dark bands on light → inverted), True/False
    forces it. ``plateau_px``: how many pixels must share the image maximum to call it a clipping
    plateau when no pixel reaches the type's maximum.
    """
    if invert is not None and not isinstance(invert, bool | np.bool_):
        raise param_error("blot.from_array", "invert", "True, False or None (auto)", invert)
    if int(plateau_px) < 1:
        raise param_error("blot.from_array", "plateau_px", "an integer >= 1", plateau_px)
    original = np.asarray(pixels)
    if original.dtype == bool or not (
        np.issubdtype(original.dtype, np.integer) or np.issubdtype(original.dtype, np.floating)
    ):
        raise FileFormatError(
            f"{source}: pixels of type {original.dtype} are not grey levels. {_TRY}"
        )
    grey = _to_grey(original, source)
    values = grey.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise FileFormatError(f"{source}: the image holds NaN or infinite pixels. {_TRY}")
    if values.min() < 0:
        raise FileFormatError(
            f"{source}: the image holds negative grey levels (min {values.min():g}). {_TRY}"
        )
    if np.issubdtype(original.dtype, np.integer):
        full_scale = float(np.iinfo(original.dtype).max)
        clips_at_full_scale = True
    else:
        full_scale = max(1.0, float(values.max()))
        clips_at_full_scale = full_scale == 1.0  # floats in [0, 1] clip at 1

    auto = invert is None
    lo, med, hi = np.percentile(values, [0.5, 50.0, 99.5])
    dark_bands = bool((med - lo) > (hi - med))
    if auto:
        invert = dark_bands
    signal = full_scale - values if invert else values.copy()
    signal.setflags(write=False)

    level, rule = float("nan"), "none"
    top = float(signal.max())
    if clips_at_full_scale and top >= full_scale:
        level, rule = full_scale, "type maximum"
    elif np.count_nonzero(signal == top) >= int(plateau_px) and top > float(np.median(signal)):
        level, rule = top, f"plateau at the image maximum ({int(plateau_px)}+ pixels)"
    return BlotImage(
        raw=grey,
        signal=signal,
        source=source,
        dtype=str(original.dtype),
        full_scale=full_scale,
        inverted=bool(invert),
        invert_auto=auto,
        dark_bands=dark_bands,
        saturation_level=level,
        saturation_rule=rule,
    )
