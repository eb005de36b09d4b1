"""Western blot densitometry: lanes, background, bands, integration, saturation, normalisation.

The pipeline, each step a documented, citable method instead of a hand-drawn baseline:

1. **Read** the image and make bands bright (:mod:`p53lab.blot.image`; dark bands on a light
   background are inverted, auto-detected or forced).
2. **Background** by a rolling ball (Sternberg SR 1983, Computer 16(1):22–34) via
   :func:`skimage.restoration.rolling_ball` (:mod:`p53lab.blot.background`).
3. **Lanes** from the column profile of the background-subtracted image, or ``lanes`` equal
   strips; **band rows** from the row profile across all lanes, shared by every lane
   (:mod:`p53lab.blot.detect`).
4. **Integrate** each band box (the lane's full width × the band row's height): ``intensity`` =
   Σ(signal − background) and ``background`` = Σ background over the box, in the image's grey
   levels × pixels (what ImageJ's gel analyser calls the peak area). The background is either
   the rolling ball, lifted by the median residual of the lane's pixels just above and below
   the box (the ball rests on the lowest noise), or a quadratic baseline per lane and band
   fitted to the lane profile's flanks above and below the box (``background="baseline"``).
5. **Saturation**: a band holding pixels at the clipping level is flagged ``saturated``; its
   intensity is a lower bound and ratios built on it are not quantitative (Gassmann M, Grenacher
   B, Rohde B, Vogel J 2009, Quantifying Western blots: pitfalls of densitometry, Electrophoresis
   30:1845–1855: stay in the linear range, check it with a dilution series).
6. **Normalise** to the loading control of the same lane and to the reference (vehicle) lane
   (:mod:`p53lab.blot.tables`): ``normalised = (I / I_loading) / (I_ref / I_loading,ref)``.

The result lists every lane and band row with its box, so a figure
(:func:`p53lab.blot.figure`) shows exactly what was measured.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..assays._base import NOT_ESTIMABLE, OK, FitResult
from ..errors import FileFormatError, ParameterError, param_error
from . import detect
from .background import flank_baseline, flank_rows, rolling_ball_background
from .image import BlotImage, from_array, read_image
from .tables import LABEL, LANE, NOISE_SD, NORMALISED, TARGET, normalise_rows, wide_table

__all__ = ["BACKGROUNDS", "LANE_LAYOUTS", "BlotResult", "quantify"]

OWNER = "blot.quantify"
BACKGROUNDS = ("rolling-ball", "baseline")
LANE_LAYOUTS = ("peaks", "equal")
RADIUS_PX = 50.0  # the first pass (lanes and band rows), ImageJ's default
AUTO_RADIUS_BOXES = 6.0  # automatic radius: this many times the tallest band box
FLANK_MIN_PX = 4
FLANK_BOX = 1.0
BASELINE_DEGREE = 2
LANE_SMOOTH_PX = 2.0
ROW_SMOOTH_PX = 1.0


@dataclasses.dataclass(frozen=True)
class BlotResult(FitResult):
    """Densitometry of one blot image.

    ``lanes``: one dict per lane (lane, label, left, right: columns ``[left, right)``, centre).
    ``band_rows``: one dict per band row (row, target, top, bottom: inclusive rows, centre).
    ``bands``: one dict per lane × band row (lane, label, row, target, intensity, background,
    noise_sd: σ·√pixels of the box, loading_control_intensity, ratio, normalised, saturated,
    saturated_px, status, message, and the box: left, right, top, bottom).
    ``loading_control_row`` is 0 when no loading control was named.
    """

    source: str = ""
    shape: tuple = ()
    dtype: str = ""
    inverted: bool = False
    invert_auto: bool = True
    saturation_level: float = math.nan
    saturation_rule: str = "none"
    noise_sigma: float = math.nan
    background_method: str = "rolling-ball"
    radius_px: float = RADIUS_PX  # the ball that measured the bands (baseline: found them)
    background_offset: float = 0.0  # median lift of the rolling ball over the bands
    lane_layout: str = "peaks"
    loading_control_row: int = 0
    loading_control: str = ""
    reference_lane: int = 1
    lanes: tuple = ()
    band_rows: tuple = ()
    bands: tuple = ()
    warnings: tuple = ()

    def summary(self) -> pd.DataFrame:
        """The long table, one row per band (lane × band row)."""
        return pd.DataFrame(list(self.bands))

    def wide(self, value: str = NORMALISED) -> pd.DataFrame:
        """One row per lane (lane, label), one column per target: the time-course/dose table."""
        return wide_table(self.summary(), value)

    def by_lane(self) -> dict:
        """The command-line contract: ``{"lanes": [{"lane": 1, "bands": [{"row": 1,
        "intensity", "background", "normalised", "saturated"}, ...]}, ...]}``."""
        keys = ("row", "intensity", "background", NORMALISED, "saturated")
        return {
            "lanes": [
                {
                    LANE: lane[LANE],
                    "bands": [{k: b[k] for k in keys} for b in self.bands if b[LANE] == lane[LANE]],
                }
                for lane in self.lanes
            ]
        }


def _check_int(name: str, value, rule: str, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise param_error(OWNER, name, rule, value)
    return int(value)


def _load(image, invert: bool | None) -> BlotImage:
    if isinstance(image, BlotImage):
        if invert is not None and invert != image.inverted:
            raise ParameterError(
                f"{image.source}: the image was read with inverted={image.inverted}; give "
                "invert to read_image instead of quantify, or pass the file path."
            )
        return image
    if isinstance(image, str | Path):
        return read_image(image, invert=invert)
    if isinstance(image, np.ndarray):
        return from_array(image, invert=invert, source="array")
    raise param_error(OWNER, "image", "a file path, a BlotImage or a 2-D array", type(image))


def _not_a_blot(src: str, what: str, noise: float | None = None) -> FileFormatError:
    sigma = "" if noise is None else f" (noise σ ≈ {noise:.3g} grey levels)"
    return FileFormatError(
        f"{src}: {what}{sigma}, so this does not look like a blot. "
        "Check that the file is the blot scan, not an empty exposure or another picture, and "
        "crop it to the lanes and bands. For faint bands or lanes that touch, give the lane "
        "count with the equal-width layout (lanes=N, lane_layout='equal'; on the command line "
        "--lanes N --lane-layout equal)."
    )


def _row_names(rows) -> tuple[int | None, list[str] | None]:
    if rows is None:
        return None, None
    if isinstance(rows, int | np.integer) and not isinstance(rows, bool):
        return _check_int("rows", rows, "an integer >= 1 or a list of row names"), None
    if isinstance(rows, str):
        rows = rows.split(",")
    names = [str(r).strip() for r in rows]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise param_error(OWNER, "rows", "distinct, non-empty row names", list(rows))
    return len(names), names


def _loading_control_arg(value) -> int | str | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if not value.isdigit():
            return value
        value = int(value)
    rule = "a band row number >= 1 (1 = top) or a row name"
    return _check_int("loading_control", value, rule)


def _find_lanes(src, col, noise, floor, height, width, lanes, layout):
    """Lane strips ``[(left, right), ...]`` and centres."""
    if layout == "equal":
        spans = detect.equal_strips(int(lanes), width)
        return spans, [(a + b - 1) / 2.0 for a, b in spans]
    pk = detect.profile_peaks(col, noise / math.sqrt(height), LANE_SMOOTH_PX, lanes, floor=floor)
    if len(pk.positions) == 0:
        raise _not_a_blot(
            src, "no lanes found: the column profile has no peak above the noise", noise
        )
    if lanes is not None and len(pk.positions) < lanes:
        found = ", ".join(str(int(p)) for p in pk.positions)
        raise FileFormatError(
            f"{src}: {lanes} lanes asked, but the column profile shows only "
            f"{len(pk.positions)} (centred at x = {found} px). Check the lane count, or use "
            "the equal-width layout (lane_layout='equal'; --lane-layout equal) when a lane "
            "is empty or lanes touch."
        )
    return detect.tile_bounds(pk.positions, pk.fwhm, width), [float(p) for p in pk.positions]


def _find_rows(src, rowp, noise, floor, n_pixels, height, n_rows, names, n_lanes):
    """Band-row boxes ``[(top, bottom), ...]`` (inclusive) and their peak rows."""
    pr = detect.profile_peaks(rowp, noise / math.sqrt(n_pixels), ROW_SMOOTH_PX, n_rows, floor=floor)
    if len(pr.positions) == 0:
        raise _not_a_blot(
            src, f"{n_lanes} lane(s) found but no band row: the row profile has no peak", noise
        )
    if n_rows is not None and len(pr.positions) < n_rows:
        found = ", ".join(str(int(p)) for p in pr.positions)
        asked = f" ({', '.join(names)})" if names else ""
        raise FileFormatError(
            f"{src}: {n_rows} band rows asked{asked}, but the row profile shows only "
            f"{len(pr.positions)} (at y = {found} px). Check the row count and that every band "
            "row is inside the image."
        )
    return detect.band_boxes(pr, height), [int(p) for p in pr.positions]


def _loading_control_row(src, value, targets, named: bool, centres) -> int:
    """The 1-based loading-control row (0: none)."""
    if value is None:
        return 0
    n = len(targets)
    rows = f": {', '.join(targets)}" if named else f" at y = {', '.join(map(str, centres))} px"
    where = f"{n} band rows were found (1..{n}, top to bottom{rows})"
    if isinstance(value, str):
        if value not in targets:
            raise ParameterError(
                f"{src}: the loading control {value!r} is not a band row; {where}. Name one of "
                "the rows (give the row names with rows=... / --rows) or give its number."
            )
        return targets.index(value) + 1
    if value > n:
        raise ParameterError(
            f"{src}: loading-control row {value} does not exist; {where}. Give a row between "
            f"1 and {n}, or check the band boxes in the figure."
        )
    return int(value)


def _integrate(src, img, bg, spans, boxes, labels, targets, background, noise):
    """One dict per lane × band row: intensity, background, saturation, box; and the lifts."""
    sig = img.signal
    resid = sig - bg
    free_rows = np.ones(sig.shape[0], dtype=bool)
    for top, bottom in boxes:
        free_rows[top : bottom + 1] = False
    sat = img.saturated_mask
    lifts, rows = [], []
    for li, (left, right) in enumerate(spans):
        profile = sig[:, left:right].sum(axis=1)
        for ri, (top, bottom) in enumerate(boxes):
            box = (slice(top, bottom + 1), slice(left, right))
            flank = max(FLANK_MIN_PX, round(FLANK_BOX * (bottom - top + 1)))
            if background == "rolling-ball":
                above, below = flank_rows(top, bottom, free_rows, flank)
                near = resid[above + below, left:right]
                lift = float(np.median(near)) if near.size else 0.0
                lifts.append(lift)
                bsum = float(bg[box].sum()) + lift * (bottom - top + 1) * (right - left)
            else:
                base = flank_baseline(profile, top, bottom, free_rows, flank, BASELINE_DEGREE)
                if base is None:
                    raise FileFormatError(
                        f"{src}: band row {ri + 1} fills the image height, so the lane "
                        "baseline has no rows above or below it. Use the rolling-ball "
                        "background, or an image with margin above and below the bands."
                    )
                bsum = float(base.sum())
            n_sat = int(np.count_nonzero(sat[box]))
            rows.append(
                {
                    LANE: li + 1,
                    LABEL: labels[li],
                    "row": ri + 1,
                    TARGET: targets[ri],
                    "intensity": float(sig[box].sum()) - bsum,
                    "background": bsum,
                    NOISE_SD: noise * math.sqrt((bottom - top + 1) * (right - left)),
                    "saturated": n_sat > 0,
                    "saturated_px": n_sat,
                    "left": int(left),
                    "right": int(right),
                    "top": int(top),
                    "bottom": int(bottom),
                }
            )
    return rows, lifts


def _auto_radius(boxes, height: int, width: int) -> float:
    """``AUTO_RADIUS_BOXES`` × the tallest band box, between 50 px and half the shorter side
    (a ball wider than the image follows nothing)."""
    tallest = max(b - t + 1 for t, b in boxes)
    cap = max(RADIUS_PX, min(height, width) / 2.0)
    return float(round(min(max(RADIUS_PX, AUTO_RADIUS_BOXES * tallest), cap)))


def _warnings(img: BlotImage, bands) -> tuple[str, ...]:
    out = []
    if not img.invert_auto and img.inverted != img.dark_bands:
        looks = "dark bands on a light" if img.dark_bands else "bright bands on a dark"
        out.append(
            f"the image looks like {looks} background, but invert={img.inverted} was given; "
            "if the boxes in the figure miss the bands, leave the orientation to the detection"
        )
    for b in bands:
        name = "" if b[TARGET] == f"row {b['row']}" else f" ({b[TARGET]})"
        where = f"lane {b[LANE]}, row {b['row']}{name}"
        if b["saturated"]:
            out.append(
                f"{where}: {b['saturated_px']} saturated pixel(s) at "
                f"{img.saturation_level:g} ({img.saturation_rule}); its intensity is a lower "
                "bound. Use a shorter exposure or load less protein."
            )
        if b["status"] != OK:
            out.append(f"{where}: {b['message']}")
    return tuple(out)


def quantify(
    image,
    lanes: int | None = None,
    *,
    lane_layout: str = "peaks",
    rows: int | Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    loading_control: int | str | None = None,
    reference_lane: int = 1,
    background: str = "rolling-ball",
    radius_px: float | None = None,
    invert: bool | None = None,
) -> BlotResult:
    """Quantify every band of a blot image.

    Lanes come from the column profile and band rows from the row profile of the image after a
    rolling-ball background is removed; each lane × band row box is integrated above the
    chosen background (rolling ball, or a quadratic baseline along the lane), flagged when it
    holds clipped pixels, and normalised to the loading control and the reference lane. The
    method, with its citations, is in the docstrings of the modules ``p53lab.blot.background``,
    ``p53lab.blot.detect`` and ``p53lab.blot.tables``.

    ``image``: a file path, a :class:`~p53lab.blot.image.BlotImage` or a 2-D array.
    ``lanes``: the lane count (None: detect); ``lane_layout``: "peaks" (lanes centred on the
    column-profile peaks) or "equal" (equal strips across the image width; needs ``lanes``).
    ``rows``: the band-row count or their names top to bottom (MDM2, p53, GAPDH); None: detect.
    ``labels``: lane labels left to right (vehicle, 2 h, 4 h, ...).
    ``loading_control``: the loading-control band row, 1-based from the top, or its name.
    ``reference_lane``: the vehicle lane (1-based from the left).
    ``background``: "rolling-ball" or "baseline".
    ``radius_px``: the rolling-ball radius in pixels; None (the default) takes
    ``AUTO_RADIUS_BOXES`` (6) times the tallest band box, which scales with the scan's
    resolution, kept between 50 px and half the image's shorter side; lanes and band rows are
    then found with a 50 px ball (with the given radius otherwise).
    ``invert``: None to auto-detect dark bands on a light background, or True/False.
    """
    if lanes is not None and (
        isinstance(lanes, bool) or not isinstance(lanes, int | np.integer) or lanes < 1
    ):
        where = f"{image}: " if isinstance(image, str | Path) else ""
        where = f"{image.source}: " if isinstance(image, BlotImage) else where
        raise ParameterError(
            f"{where}{param_error(OWNER, 'lanes', 'an integer >= 1', lanes)} Give the number "
            "of lanes on the blot (--lanes N), or leave it out to detect the lanes from the "
            "column profile."
        )
    if lane_layout not in LANE_LAYOUTS:
        raise param_error(OWNER, "lane_layout", f"one of {LANE_LAYOUTS}", lane_layout)
    if lane_layout == "equal" and lanes is None:
        raise ParameterError(
            "The 'equal' lane layout needs the lane count: give lanes=N (--lanes N)."
        )
    if background not in BACKGROUNDS:
        raise param_error(OWNER, "background", f"one of {BACKGROUNDS}", background)
    if radius_px is not None:
        try:
            radius = float(radius_px)
        except (TypeError, ValueError):
            radius = math.nan
        if not (math.isfinite(radius) and radius >= 1):
            raise param_error(
                OWNER, "radius_px", "a number of pixels >= 1 (or None: automatic)", radius_px
            )
    reference_lane = _check_int("reference_lane", reference_lane, "a lane number >= 1", False)
    n_rows, names = _row_names(rows)
    lc_arg = _loading_control_arg(loading_control)

    img = _load(image, invert)
    src, sig = img.source, img.signal
    height, width = sig.shape
    noise = detect.noise_sigma(sig, np.issubdtype(np.dtype(img.dtype), np.integer))
    if float(sig.max() - sig.min()) <= 0:
        raise _not_a_blot(
            src, f"no lanes found: the image is blank (every pixel is {img.raw.flat[0]:g})"
        )
    first = RADIUS_PX if radius_px is None else radius
    level = float(sig.max() - sig.min()) / 255.0  # one grey level of the image's range
    bg = rolling_ball_background(sig, first, level)
    resid = sig - bg

    floor = 0.5 * level
    col = resid.mean(axis=0)
    spans, centres = _find_lanes(src, col, noise, floor, height, width, lanes, lane_layout)
    n_lanes = len(spans)
    if labels is None:
        labels = [str(i + 1) for i in range(n_lanes)]
    else:
        labels = [str(x).strip() for x in labels]
        if len(labels) != n_lanes:
            raise ParameterError(
                f"{src}: {len(labels)} lane labels given ({', '.join(labels)}) for {n_lanes} "
                f"lanes (centred at x = {', '.join(f'{c:.0f}' for c in centres)} px). Give one "
                "label per lane, left to right."
            )
    if reference_lane > n_lanes:
        raise ParameterError(
            f"{src}: reference lane {reference_lane} does not exist; {n_lanes} lanes were "
            f"found. Give a lane between 1 and {n_lanes} (1 = leftmost)."
        )

    x0, x1 = spans[0][0], spans[-1][1]
    rowp = resid[:, x0:x1].mean(axis=1)
    boxes, peaks = _find_rows(src, rowp, noise, floor, x1 - x0, height, n_rows, names, n_lanes)
    targets = names or [f"row {i + 1}" for i in range(len(boxes))]
    lc_row = _loading_control_row(src, lc_arg, targets, names is not None, peaks)

    if radius_px is None:
        radius = _auto_radius(boxes, height, width)
    if background == "baseline":
        radius = first  # the ball only found the lanes and band rows
    elif radius != first:
        bg = rolling_ball_background(sig, radius, level)
    raw_rows, lifts = _integrate(src, img, bg, spans, boxes, labels, targets, background, noise)
    lc_name = targets[lc_row - 1] if lc_row else None
    bands = normalise_rows(raw_rows, lc_name, reference_lane, src)
    n_bad = sum(b["status"] != OK for b in bands)
    return BlotResult(
        status=OK if n_bad < len(bands) else NOT_ESTIMABLE,
        message=f"{n_bad} of {len(bands)} bands not estimable" if n_bad else "",
        source=src,
        shape=(int(height), int(width)),
        dtype=img.dtype,
        inverted=img.inverted,
        invert_auto=img.invert_auto,
        saturation_level=float(img.saturation_level),
        saturation_rule=img.saturation_rule,
        noise_sigma=float(noise),
        background_method=background,
        radius_px=radius,
        background_offset=float(np.median(lifts)) if lifts else 0.0,
        lane_layout=lane_layout,
        loading_control_row=lc_row,
        loading_control=lc_name or "",
        reference_lane=reference_lane,
        lanes=tuple(
            {LANE: i + 1, LABEL: labels[i], "left": a, "right": b, "centre": float(c)}
            for i, ((a, b), c) in enumerate(zip(spans, centres, strict=True))
        ),
        band_rows=tuple(
            {"row": i + 1, TARGET: targets[i], "top": t, "bottom": b, "centre": p}
            for i, ((t, b), p) in enumerate(zip(boxes, peaks, strict=True))
        ),
        bands=bands,
        warnings=_warnings(img, bands),
    )
