"""Gates: thresholds and quadrants, the singlet (doublet-exclusion) pre-gate, density valleys.

**Thresholds on a transformed scale.** A quadrant or apoptosis threshold is usually read off a
logicle or asinh display. Every transform here is strictly increasing, so
``T(x) ≥ θ  ⇔  x ≥ T⁻¹(θ)``: the gate compares the untransformed values with ``T⁻¹(θ)`` and
evaluates ``T`` only for the events within ``T⁻¹(θ ± 10⁻⁹·max(1, |θ|))`` of the boundary,
where floating-point rounding could decide. Membership is therefore identical to
transforming every event and comparing, at a fraction of the cost.

**Quadrants.** An event is positive on an axis when its value is ≥ the threshold (GatingML 2.0
ranges include their lower bound). Quadrant names are ``x-y-``, ``x-y+``, ``x+y-``, ``x+y+``;
per-event codes are 0–3 in that order (2·[x ≥ θx] + [y ≥ θy]), −1 for events left out by a
pre-gate.

**Singlets.** A doublet (two cells through the laser together) has about twice the pulse area
and width of a single cell at the same pulse height. The gate keeps events whose statistic —
``area/height`` (FSC-A vs FSC-H, or PI-A vs PI-H) or ``width`` (PI-A vs PI-W) — lies in the band
``median ± k·1.4826·MAD`` (k = 3 by default; 1.4826·MAD estimates the SD of the singlets
robustly because doublets are a minority), or in an explicit ``ratio_range``
(Wersto RP et al. (2001) Cytometry 46:296–306).

**Density valley.** On a log-like scale, a negative and a positive population form two peaks;
the threshold is the lowest point of the smoothed histogram (256 bins between the 0.5th and
99.5th percentiles, Gaussian smoothing σ = 2 bins) between the two most prominent peaks (the
middle of the gap when the minimum is a flat empty stretch). A peak counts when its prominence
is at least 1 % of the highest peak and at least 2·√height, about five times the counting noise
of the smoothed histogram, so that noise on a single population is not taken for a second.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..assays._base import OK, FitResult, jsonable
from ..errors import ParameterError, param_error
from .compensation import channel_values, resolve_spillover
from .fcs import FcsData
from .transforms import Logicle, Transform, parse_transform

__all__ = [
    "QUADRANTS",
    "QuadrantResult",
    "SingletGate",
    "SingletResult",
    "above",
    "density_valley",
    "log_like_scale",
    "quadrant_codes",
    "quadrant_gate",
    "resolve_transforms",
]

QUADRANTS = ("x-y-", "x-y+", "x+y-", "x+y+")
"""Quadrant names, in the order of the per-event codes 0–3."""

EXCLUDED = -1
_GUARD = 1e-9


_PER_EVENT = {"per_event": True}
"""Field metadata of a result field that holds one value per event: kept in memory only."""


@dataclasses.dataclass(frozen=True)
class _EventResult(FitResult):
    """A result whose per-event arrays stay out of ``to_dict``/``save`` (counts are kept)."""

    def to_dict(self) -> dict:
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.metadata.get("per_event")
        }


def above(values, threshold: float, transform: Transform | None = None) -> np.ndarray:
    """``transform(values) >= threshold`` per event, computed without transforming every event.

    See the module docstring; NaN values are never above.
    """
    v = np.asarray(values, dtype=np.float64)
    thr = float(threshold)
    if transform is None:
        return v >= thr
    eta = _GUARD * max(1.0, abs(thr))
    x_lo, x_hi = transform.inverse(np.array([thr - eta, thr + eta]))
    out = v >= x_hi
    band = (v > x_lo) & ~out
    if band.any():
        out[band] = transform.apply(v[band]) >= thr
    return out


def quadrant_codes(
    x,
    y,
    x_threshold: float,
    y_threshold: float,
    x_transform: Transform | None = None,
    y_transform: Transform | None = None,
) -> np.ndarray:
    """Per-event quadrant codes (int8, 0–3 as in :data:`QUADRANTS`)."""
    code = above(x, x_threshold, x_transform).astype(np.int8)
    code <<= 1
    code |= above(y, y_threshold, y_transform)
    return code


def resolve_transforms(transform, channels: Sequence[str]) -> tuple[Transform | None, ...]:
    """One transform (or None) per channel from: None, a Transform or spec string (all
    channels), a sequence (one per channel) or a mapping channel → transform."""
    if transform is None or isinstance(transform, Transform | str):
        t = parse_transform(transform)
        return tuple(t for _ in channels)
    if isinstance(transform, Mapping):
        return tuple(parse_transform(transform.get(c)) for c in channels)
    ts = tuple(parse_transform(t) for t in transform)
    if len(ts) != len(channels):
        raise ParameterError(
            f"Give one transform per channel ({len(channels)}: {', '.join(channels)}); got "
            f"{len(ts)}."
        )
    return ts


def _spill_label(spillover) -> str:
    if spillover is None or spillover is False:
        return "none"
    if spillover is True or (isinstance(spillover, str) and spillover.lower() == "file"):
        return "file"
    return str(getattr(spillover, "source", spillover))


@dataclasses.dataclass(frozen=True)
class QuadrantResult(_EventResult):
    """Counts (and per-event codes, in memory only) of a quadrant gate."""

    source: str = ""
    x_channel: str = ""
    y_channel: str = ""
    x_threshold: float = math.nan
    y_threshold: float = math.nan
    compensation: str = "none"
    x_transform: str = "none"
    y_transform: str = "none"
    n_events: int = 0
    n_excluded: int = 0
    quadrants: dict = dataclasses.field(default_factory=dict)
    percent: dict = dataclasses.field(default_factory=dict)
    codes: np.ndarray | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=_PER_EVENT
    )

    def labels(self) -> np.ndarray:
        """Per-event quadrant names in file order ('' for events left out by a pre-gate)."""
        if self.codes is None:
            raise ParameterError("This result holds no per-event codes (it was loaded from disk).")
        names = np.array([*QUADRANTS, ""], dtype=object)
        return names[self.codes]


def _counts(codes: np.ndarray) -> np.ndarray:
    kept = codes if codes.min(initial=0) >= 0 else codes[codes >= 0]
    return np.bincount(kept.astype(np.intp), minlength=4)[:4]


def quadrant_gate(
    sample: FcsData,
    x: str,
    y: str,
    x_threshold: float,
    y_threshold: float,
    *,
    spillover=None,
    transform=None,
    mask: np.ndarray | None = None,
) -> QuadrantResult:
    """Quadrant gate on channels ``x`` and ``y`` of ``sample`` (``$PnN`` or ``$PnS`` names).

    Values are the decoded channel values, compensated when ``spillover`` is given ("file",
    a CSV path or a :class:`~p53lab.flow.compensation.Spillover`); thresholds are on the scale
    of ``transform`` when one is given (one for both axes, a pair, or a mapping by channel).
    ``mask`` (e.g. from :class:`SingletGate`) keeps only the events where it is True.
    """
    thr = []
    for name, t in (("x_threshold", x_threshold), ("y_threshold", y_threshold)):
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise param_error("quadrant_gate", name, "a number", t) from None
        if not math.isfinite(t):
            raise param_error("quadrant_gate", name, "a finite number", t)
        thr.append(t)
    xi, yi = sample.index(x), sample.index(y)
    names = (sample.pnn[xi], sample.pnn[yi])
    tx, ty = resolve_transforms(transform, (x, y))
    sp = resolve_spillover(sample, spillover)
    vals = channel_values(sample, [xi, yi], sp)
    codes = quadrant_codes(vals[:, 0], vals[:, 1], thr[0], thr[1], tx, ty)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != codes.shape:
            raise ParameterError(
                f"The mask for {sample.name} must have one entry per event ({codes.shape[0]}). "
                f"Got shape {mask.shape} instead."
            )
        codes[~mask] = EXCLUDED
    counts = _counts(codes)
    n = int(counts.sum())
    return QuadrantResult(
        source=sample.source,
        x_channel=names[0],
        y_channel=names[1],
        x_threshold=thr[0],
        y_threshold=thr[1],
        compensation=_spill_label(spillover),
        x_transform=tx.describe() if tx else "none",
        y_transform=ty.describe() if ty else "none",
        n_events=n,
        n_excluded=int(codes.shape[0] - n),
        quadrants={q: int(c) for q, c in zip(QUADRANTS, counts, strict=True)},
        percent={
            q: (100.0 * c / n if n else math.nan) for q, c in zip(QUADRANTS, counts, strict=True)
        },
        codes=codes,
    )


# ---- singlets ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SingletResult(_EventResult):
    """Where the singlet band lies and how many events it keeps (``mask``: per event)."""

    source: str = ""
    area_channel: str = ""
    other_channel: str = ""
    statistic: str = ""
    center: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    n_events: int = 0
    n_singlets: int = 0
    singlet_pct: float = math.nan
    mask: np.ndarray | None = dataclasses.field(
        default=None, repr=False, compare=False, metadata=_PER_EVENT
    )


@dataclasses.dataclass(frozen=True)
class SingletGate:
    """Doublet exclusion on pulse area vs height (ratio) or area vs width (width band).

    Give ``height`` or ``width`` (one of them). ``n_mad`` is the band half-width in robust SDs;
    ``ratio_range=(lo, hi)`` sets the band on the statistic directly instead.
    """

    area: str
    height: str | None = None
    width: str | None = None
    n_mad: float = 3.0
    ratio_range: tuple[float, float] | None = None

    def __post_init__(self):
        if (self.height is None) == (self.width is None):
            raise ParameterError(
                "SingletGate needs exactly one of 'height' (area/height ratio, e.g. FSC-A vs "
                f"FSC-H) or 'width' (e.g. PI-A vs PI-W). Got height={self.height!r}, "
                f"width={self.width!r}."
            )
        k = float(self.n_mad)
        if not math.isfinite(k) or k <= 0:
            raise param_error("SingletGate", "n_mad", "> 0", self.n_mad)
        if self.ratio_range is not None:
            lo, hi = (float(v) for v in self.ratio_range)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise param_error(
                    "SingletGate", "ratio_range", "(low, high) with low < high", self.ratio_range
                )
            object.__setattr__(self, "ratio_range", (lo, hi))
        object.__setattr__(self, "n_mad", k)

    def apply(self, sample: FcsData) -> SingletResult:
        a = sample.column(self.area)
        other_name = self.height if self.height is not None else self.width
        o = sample.column(other_name)
        if self.height is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                stat = np.where(o > 0, a / o, np.nan)
            label = "area/height"
        else:
            stat = np.asarray(o, dtype=np.float64)
            label = "width"
        fin = np.isfinite(stat)
        if fin.sum() < 10:
            raise ParameterError(
                f"{sample.name}: only {int(fin.sum())} events have a usable {label} for the "
                f"singlet gate ({self.area} vs {other_name}); at least 10 are needed. Check the "
                "channel names."
            )
        if self.ratio_range is not None:
            center = float(np.median(stat[fin]))
            lo, hi = self.ratio_range
        else:
            center = float(np.median(stat[fin]))
            mad = float(np.median(np.abs(stat[fin] - center))) * 1.4826
            if mad == 0:
                mad = 1e-6 * abs(center) or 1e-12
            lo, hi = center - self.n_mad * mad, center + self.n_mad * mad
        with np.errstate(invalid="ignore"):
            mask = fin & (stat >= lo) & (stat <= hi)
        n, k = sample.n_events, int(mask.sum())
        return SingletResult(
            status=OK,
            source=sample.source,
            area_channel=sample.pnn[sample.index(self.area)],
            other_channel=sample.pnn[sample.index(other_name)],
            statistic=label,
            center=center,
            lower=float(lo),
            upper=float(hi),
            n_events=n,
            n_singlets=k,
            singlet_pct=100.0 * k / n if n else math.nan,
            mask=mask,
        )


# ---- density valley ------------------------------------------------------------------------


def log_like_scale(values) -> Logicle:
    """A logicle scale with T = the largest |value| (W = 0.5, M = 4.5): where valleys are sought
    when the user gave no transform."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    top = float(np.max(np.abs(v))) if v.size else 1.0
    return Logicle(t=max(top, 1.0), w=0.5, m=4.5, a=0.0)


def density_valley(
    values,
    scale: Transform | None = None,
    *,
    bins: int = 256,
    smooth_bins: float = 2.0,
    where: str = "",
) -> float:
    """Threshold at the density minimum between the two main peaks.

    The valley is sought on ``scale.apply(values)`` (a log-like scale on which the negative and
    positive populations separate) and returned on the scale of ``values`` via
    ``scale.inverse``; with ``scale=None`` the values are used as given. Raises
    :class:`ParameterError` when the histogram does not have two clear peaks.
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    label = where or "the values"
    if v.size < 50:
        raise ParameterError(
            f"{label}: {v.size} events are too few to find a density valley (at least 50 "
            "needed). Give the threshold or control files instead."
        )
    s = scale.apply(v) if scale is not None else v
    lo, hi = np.percentile(s, [0.5, 99.5])
    if not hi > lo:
        raise ParameterError(f"{label}: all values are equal; there is no valley to find.")
    hist, edges = np.histogram(s, bins=bins, range=(lo, hi))
    dens = gaussian_filter1d(hist.astype(float), smooth_bins, mode="constant")
    peaks, props = find_peaks(dens, prominence=0.01 * dens.max())
    real = props["prominences"] >= 2.0 * np.sqrt(np.maximum(dens[peaks], 1.0))
    peaks, props = peaks[real], {"prominences": props["prominences"][real]}
    if len(peaks) < 2:
        raise ParameterError(
            f"{label}: the histogram has {len(peaks)} clear peak(s), so no density valley "
            "separates a negative and a positive population. Give the threshold, or "
            "unstained/single-stained control files."
        )
    top2 = np.sort(peaks[np.argsort(props["prominences"])[-2:]])
    seg = dens[top2[0] : top2[1] + 1]
    j0 = int(np.argmin(seg))
    flat = seg <= seg[j0] + 1e-6 * dens.max()  # an empty gap: take the middle of the flat run
    j1 = j0
    while j1 + 1 < seg.size and flat[j1 + 1]:
        j1 += 1
    j = top2[0] + (j0 + j1) // 2
    centre = 0.5 * (edges[j] + edges[j + 1])
    if scale is None:
        return float(centre)
    return float(scale.inverse(np.array([centre]))[0])
