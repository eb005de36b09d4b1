"""Summary statistics of trajectories, one number per ensemble member.

Every statistic reads the trajectory as the straight lines between its samples, so results are
exact for piecewise-linear data and converge as O(h²) in the sampling step h otherwise. A
window ``[t_start, t_end]`` cuts the lines at its edges (values interpolated there). Units: the
output's unit (``cmax``, ``cmin``, ``final``, ``mean``), the time unit (``tmax``,
``time_above``, ``time_below``), or their product (``auc``, e.g. nM·h).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, param_error

__all__ = ["STATS", "SummarySpec", "summarise"]

STATS = ("auc", "cmax", "tmax", "cmin", "final", "mean", "time_above", "time_below")
_THRESHOLD_STATS = ("time_above", "time_below")


def summarise(
    times: np.ndarray,
    values: np.ndarray,
    stat: str,
    *,
    threshold: float | None = None,
    t_start: float | None = None,
    t_end: float | None = None,
) -> np.ndarray:
    """One statistic per member of ``values`` (members, times) -> (members,).

    - ``auc``: trapezoidal ∫ y dt over the window;
    - ``mean``: ``auc`` / (t_end − t_start);
    - ``cmax``/``cmin``: largest/smallest value; ``tmax``: first time of ``cmax``;
    - ``final``: the value at ``t_end``;
    - ``time_above``/``time_below``: total time y > ``threshold`` / y < ``threshold``, with
      crossings interpolated (time exactly at the threshold counts as neither).

    ``times`` strictly increasing (at least 2); the window defaults to all of it and must lie
    inside it. Leading axes other than members are allowed (the last axis is time). A member
    with any NaN (a failed member) gives NaN.
    """
    owner = "summarise"
    if stat not in STATS:
        raise param_error(owner, "stat", f"one of {STATS}", stat)
    thr = _threshold(owner, stat, threshold)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise param_error(owner, "times", "a 1-D array of at least 2 times", t.shape)
    if not np.isfinite(t).all() or not (np.diff(t) > 0).all():
        raise ParameterError(
            "summarise: 'times' must be finite and strictly increasing; sort them and drop "
            "duplicates."
        )
    y = np.asarray(values, dtype=float)
    if y.ndim < 1 or y.shape[-1] != t.size:
        raise ParameterError(
            f"summarise: 'values' must have shape (members, {t.size}) to match 'times'. "
            f"Got {y.shape}."
        )
    t0, t1 = _window(owner, t, t_start, t_end)
    lead = y.shape[:-1]
    y = y.reshape(-1, t.size)
    failed = np.isnan(y).any(axis=1)

    inner = (t > t0) & (t < t1)
    tw = np.concatenate(([t0], t[inner], [t1]))
    yw = np.concatenate((_at(t, y, t0), y[:, inner], _at(t, y, t1)), axis=1)
    out = _STAT[stat](tw, yw, thr)
    out[failed] = np.nan
    return out.reshape(lead)


def _threshold(owner: str, stat: str, threshold) -> float | None:
    if stat in _THRESHOLD_STATS:
        if threshold is None:
            raise ParameterError(
                f"{owner}: stat {stat!r} needs a threshold (in the output's unit)."
            )
        if not _is_real(threshold) or not math.isfinite(threshold):
            raise param_error(owner, "threshold", "a finite number", threshold)
        return float(threshold)
    if threshold is not None:
        raise ParameterError(
            f"{owner}: a threshold is used only by {' and '.join(_THRESHOLD_STATS)}, not by "
            f"{stat!r}. Got threshold={threshold!r}; drop it or change the stat."
        )
    return None


def _window(owner: str, t: np.ndarray, t_start, t_end) -> tuple[float, float]:
    lo, hi = float(t[0]), float(t[-1])
    for name, v in (("t_start", t_start), ("t_end", t_end)):
        if v is not None and (not _is_real(v) or not math.isfinite(v)):
            raise param_error(owner, name, "a finite time", v)
    t0 = lo if t_start is None else float(t_start)
    t1 = hi if t_end is None else float(t_end)
    if not t0 < t1:
        raise ParameterError(
            f"{owner}: the window [{t0:g}, {t1:g}] is empty; t_start must be < t_end."
        )
    if t0 < lo or t1 > hi:
        raise ParameterError(
            f"{owner}: the window [{t0:g}, {t1:g}] reaches outside the sampled times "
            f"[{lo:g}, {hi:g}]; narrow it or simulate longer."
        )
    return t0, t1


def _at(t: np.ndarray, y: np.ndarray, tq: float) -> np.ndarray:
    """(members, 1) values at time ``tq`` by linear interpolation; exact at sample times."""
    i = int(np.searchsorted(t, tq, side="left"))
    if i < t.size and t[i] == tq:
        return y[:, i : i + 1]
    w = (tq - t[i - 1]) / (t[i] - t[i - 1])
    return (y[:, i - 1] + w * (y[:, i] - y[:, i - 1]))[:, None]


def _auc(t, y, _thr):
    return np.sum(0.5 * (y[:, 1:] + y[:, :-1]) * np.diff(t), axis=1)


def _mean(t, y, _thr):
    return _auc(t, y, None) / (t[-1] - t[0])


def _tmax(t, y, _thr):
    return t[np.argmax(y, axis=1)]  # first maximum; NaN rows are overwritten by the caller


def _time_above(t, y, thr):
    return _time_beyond(t, y, thr, above=True)


def _time_below(t, y, thr):
    return _time_beyond(t, y, thr, above=False)


def _time_beyond(t, y, thr, *, above: bool):
    """Time the lines through (t, y) spend strictly above (or below) ``thr``, exactly."""
    if not above:
        y, thr = -y, -thr
    y0, y1 = y[:, :-1], y[:, 1:]
    dy = np.abs(y1 - y0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # on a sloped segment the fraction above is (top - thr) / |Δy|, clipped to [0, 1]
        frac = np.clip((np.maximum(y0, y1) - thr) / dy, 0.0, 1.0)
    frac = np.where(dy > 0, frac, (y0 > thr).astype(float))
    return np.sum(frac * np.diff(t), axis=1)


_STAT = {
    "auc": _auc,
    "cmax": lambda t, y, _: np.max(y, axis=1),
    "tmax": _tmax,
    "cmin": lambda t, y, _: np.min(y, axis=1),
    "final": lambda t, y, _: y[:, -1].copy(),
    "mean": _mean,
    "time_above": _time_above,
    "time_below": _time_below,
}


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _label(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


@dataclass(frozen=True)
class SummarySpec:
    """One summary column: ``stat`` of output ``output``, optionally over a window.

    ``threshold`` (output's unit) is needed by, and only by, ``time_above``/``time_below``;
    ``t_start``/``t_end`` (time unit of the simulation, h for p53lab models) bound the window.
    """

    output: str
    stat: str
    threshold: float | None = None
    t_start: float | None = None
    t_end: float | None = None

    def __post_init__(self) -> None:
        owner = "SummarySpec"
        if not isinstance(self.output, str) or not self.output:
            raise param_error(owner, "output", "a non-empty output name", self.output)
        if self.stat not in STATS:
            raise param_error(owner, "stat", f"one of {STATS}", self.stat)
        object.__setattr__(self, "threshold", _threshold(owner, self.stat, self.threshold))
        for name in ("t_start", "t_end"):
            v = getattr(self, name)
            if v is None:
                continue
            if not _is_real(v) or not math.isfinite(v):
                raise param_error(owner, name, "a finite time", v)
            object.__setattr__(self, name, float(v))
        if self.t_start is not None and self.t_end is not None and not self.t_start < self.t_end:
            raise ParameterError(
                f"{owner}: the window [{self.t_start:g}, {self.t_end:g}] is empty; t_start "
                "must be < t_end."
            )

    @property
    def name(self) -> str:
        """Column name: ``p_auc``, ``p_time_above_50``, ``p_cmax_24_48``, ``p_auc_start_24``."""
        parts = [self.output, self.stat]
        if self.threshold is not None:
            parts.append(_label(self.threshold))
        if self.t_start is not None or self.t_end is not None:
            parts.append("start" if self.t_start is None else _label(self.t_start))
            parts.append("end" if self.t_end is None else _label(self.t_end))
        return "_".join(parts)

    def compute(self, times: np.ndarray, values: np.ndarray) -> np.ndarray:
        """:func:`summarise` of ``values`` (members, times) with this spec's settings."""
        return summarise(
            times,
            values,
            self.stat,
            threshold=self.threshold,
            t_start=self.t_start,
            t_end=self.t_end,
        )

    def to_dict(self) -> dict:
        """The mapping :meth:`from_dict` reads (None fields left out)."""
        keys = ("output", "stat", "threshold", "t_start", "t_end")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    @classmethod
    def from_dict(cls, d: dict, where: str) -> SummarySpec:
        """From ``{"output": "p", "stat": "auc", ...}``; errors start with ``where``."""
        allowed = ("output", "stat", "threshold", "t_start", "t_end")
        if not isinstance(d, Mapping):
            raise ParameterError(
                f"{where}: a summary is a mapping with keys {', '.join(allowed)}. Got {d!r}."
            )
        unknown = sorted(str(k) for k in d if k not in allowed)
        if unknown:
            raise ParameterError(
                f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; a summary accepts "
                f"{', '.join(allowed)}."
            )
        missing = [k for k in ("output", "stat") if k not in d]
        if missing:
            raise ParameterError(
                f"{where}: a summary needs {' and '.join(map(repr, missing))} "
                f"(stat is one of {', '.join(STATS)})."
            )
        try:
            return cls(**dict(d))
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
