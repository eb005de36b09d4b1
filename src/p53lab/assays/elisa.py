"""ELISA / immunoassay standard curves (4PL, 5PL), back-calculation, LOD, LLOQ, and the MDM2–p53
interaction assay (% inhibition → IC50).

Curve (5PL; 4PL is G = 1)::

    y = D + (A − D) / (1 + (x/C)^B)^G        A: response at x → 0, D: at x → ∞, C: midpoint conc

Fitted by weighted least squares, Σ w_i (y_i − f(x_i))², with w = 1 ("none"), 1/y ("1/y") or
1/y² ("1/y2"), from a grid of starts (multi-start); the result states the weighting.
Back-calculation: x = C·(((A − D)/(y − D))^(1/G) − 1)^(1/B); a response outside the range of the
standards' mean responses is flagged "below_range"/"above_range" (its value is an
extrapolation), and one beyond an asymptote gets NaN and "not_estimable".

LOD = mean(blank) + 3·SD(blank), in response units, and back-calculated to concentration.
LLOQ rule: the lowest standard concentration whose mean back-calculated concentration lies within
20 % of nominal and whose back-calculated replicates have CV ≤ 20 % (CV is not tested with one
replicate).

Reference: Gottschalk PG, Dunn JR (2005) Anal Biochem 343:54–65 (5PL); the 5PL reference
numbers are checked in tests against ``shared/reference/elisa/elisa_5pl_example.csv``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..errors import FileFormatError, ParameterError, param_error
from ._base import FAILED, NOT_ESTIMABLE, OK, FitResult
from ._tables import numeric_column, read_csv, require_columns

__all__ = [
    "ElisaResult",
    "InhibitionResult",
    "back_calculate",
    "curve",
    "fit",
    "fit_inhibition",
    "fit_table",
    "percent_inhibition",
    "plot",
    "plot_inhibition",
    "read_plate_table",
]

SAMPLE = "sample"
KIND = "kind"
CONC = "conc"
RESPONSE = "response"
KINDS = ("standard", "unknown", "blank")
MODELS = ("4pl", "5pl")
WEIGHTINGS = ("none", "1/y", "1/y2")


def curve(x, A: float, B: float, C: float, D: float, G: float = 1.0):
    """The 5PL (4PL when G = 1) response at concentration ``x``."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return D + (A - D) / (1.0 + (np.clip(x, 0, None) / C) ** B) ** G


def back_calculate(y, A: float, B: float, C: float, D: float, G: float = 1.0):
    """Concentration giving response ``y`` (NaN where ``y`` is not between the asymptotes)."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inner = ((A - D) / (y - D)) ** (1.0 / G) - 1.0
        x = C * inner ** (1.0 / B)
    lo, hi = min(A, D), max(A, D)
    return np.where((y > lo) & (y < hi) & (inner > 0), x, np.nan)


def _weights(y: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "none":
        return np.ones_like(y)
    if np.any(y <= 0):
        raise ParameterError(
            f"Weighting {weighting!r} needs positive responses; some standards are <= 0. "
            "Use --weighting none or subtract a smaller blank."
        )
    return 1.0 / y if weighting == "1/y" else 1.0 / y**2


def _fit_curve(x: np.ndarray, y: np.ndarray, model: str, weighting: str):
    """Multi-start weighted least squares; returns (params dict, residual sum of squares)."""
    w = np.sqrt(_weights(y, weighting))
    five = model == "5pl"
    pos = x[x > 0]
    c_starts = np.geomspace(pos.min(), pos.max(), 7) if pos.size else [1.0]
    lo_y, hi_y = float(y.min()), float(y.max())
    # A is the low-concentration end: guess from the order of responses
    inc = np.corrcoef(x, y)[0, 1] >= 0 if len(x) > 1 else True
    a0, d0 = (lo_y, hi_y) if inc else (hi_y, lo_y)
    span = max(hi_y - lo_y, 1e-12)
    lower = [-np.inf, 1e-3, 1e-12, -np.inf] + ([1e-3] if five else [])
    upper = [np.inf, 50.0, np.inf, np.inf] + ([50.0] if five else [])
    best = None

    def resid(p):
        g = p[4] if five else 1.0
        return w * (curve(x, p[0], p[1], p[2], p[3], g) - y)

    for c0 in c_starts:
        for b0 in (0.5, 1.0, 2.0):
            for g0 in (0.5, 1.0, 2.0) if five else (1.0,):
                p0 = [a0, b0, c0, d0] + ([g0] if five else [])
                try:
                    r = least_squares(
                        resid,
                        p0,
                        bounds=(lower, upper),
                        x_scale=[span, 1, c0, span] + ([1] if five else []),
                        max_nfev=4000,
                    )
                except (ValueError, FloatingPointError):
                    continue
                if np.all(np.isfinite(r.fun)) and (best is None or r.cost < best.cost):
                    best = r
    if best is None:
        return None, math.nan
    names = ("A", "B", "C", "D", "G")
    p = dict(zip(names, [*best.x.tolist(), 1.0] if not five else best.x.tolist(), strict=True))
    return p, float(2 * best.cost)


@dataclasses.dataclass(frozen=True)
class ElisaResult(FitResult):
    """A fitted standard curve with back-calculated unknowns, LOD and LLOQ."""

    model: str = "5pl"
    weighting: str = "none"
    A: float = math.nan
    B: float = math.nan
    C: float = math.nan
    D: float = math.nan
    G: float = 1.0
    rss: float = math.nan
    n_standards: int = 0
    standards_conc: tuple = ()
    standards_response: tuple = ()
    standards_range: tuple = (math.nan, math.nan)
    lod_response: float = math.nan
    lod_conc: float = math.nan
    lloq_conc: float = math.nan
    lloq_rule: str = (
        "lowest standard whose mean back-calculated concentration is within 20 % of nominal and "
        "whose replicate CV is <= 20 %"
    )
    standards: tuple = ()
    unknowns: tuple = ()

    @property
    def params(self) -> dict:
        return {"A": self.A, "B": self.B, "C": self.C, "D": self.D, "G": self.G}

    def predict(self, x):
        return curve(x, **self.params)

    def concentration(self, y):
        return back_calculate(y, **self.params)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.unknowns))


def _check_choice(owner, name, value, choices):
    if value not in choices:
        raise param_error(owner, name, f"one of {', '.join(choices)}", value)


def fit(
    conc: Sequence[float],
    response: Sequence[float],
    model: str = "5pl",
    weighting: str = "none",
    unknowns: Sequence[float] | None = None,
    unknown_names: Sequence[str] | None = None,
    blanks: Sequence[float] | None = None,
) -> ElisaResult:
    """Fit the standard curve to (``conc``, ``response``) and back-calculate ``unknowns``."""
    _check_choice("elisa.fit", "model", model, MODELS)
    _check_choice("elisa.fit", "weighting", weighting, WEIGHTINGS)
    x = np.asarray(conc, dtype=float)
    y = np.asarray(response, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ParameterError("conc and response must be 1-D and of equal length.")
    if np.any(~np.isfinite(x)) or np.any(~np.isfinite(y)):
        raise ParameterError("Standards need finite concentrations and responses.")
    if np.any(x < 0):
        raise param_error("elisa.fit", "conc", ">= 0 for every standard", float(x.min()))
    n_par = 5 if model == "5pl" else 4
    n_levels = len(np.unique(x))
    if n_levels < n_par:
        return ElisaResult(
            status=NOT_ESTIMABLE,
            message=f"{model} needs at least {n_par} standard concentrations; got {n_levels}.",
            model=model,
            weighting=weighting,
            n_standards=len(x),
        )
    p, rss = _fit_curve(x, y, model, weighting)
    if p is None:
        return ElisaResult(
            status=FAILED,
            message="the curve fit did not converge",
            model=model,
            weighting=weighting,
        )

    # standards: mean response per level, back-calculated recovery and CV
    levels = np.unique(x)
    std_rows = []
    for lv in levels:
        ys = y[x == lv]
        xs = back_calculate(ys, **p)
        mean_bc = float(np.nanmean(xs)) if np.any(np.isfinite(xs)) else math.nan
        cv = (
            float(np.std(xs, ddof=1) / np.mean(xs) * 100)
            if len(xs) > 1 and np.all(np.isfinite(xs))
            else math.nan
        )
        rec = mean_bc / lv * 100 if lv > 0 else math.nan
        std_rows.append(
            {
                CONC: float(lv),
                "n": len(ys),
                "mean_response": float(ys.mean()),
                "back_calculated": mean_bc,
                "recovery_pct": rec,
                "cv_pct": cv,
            }
        )
    lloq = math.nan
    for r in std_rows:  # ascending concentration
        ok_rec = r["recovery_pct"] == r["recovery_pct"] and abs(r["recovery_pct"] - 100) <= 20
        ok_cv = r["cv_pct"] != r["cv_pct"] or r["cv_pct"] <= 20
        if r[CONC] > 0 and ok_rec and ok_cv:
            lloq = r[CONC]
            break
    means = [r["mean_response"] for r in std_rows if r[CONC] > 0]
    y_lo, y_hi = (min(means), max(means)) if means else (math.nan, math.nan)

    lod_r = lod_c = math.nan
    msg = ""
    if blanks is not None and len(blanks) >= 2:
        b = np.asarray(blanks, dtype=float)
        lod_r = float(b.mean() + 3 * b.std(ddof=1))
        lod_c = float(back_calculate(lod_r, **p))
    elif blanks is not None and len(blanks) == 1:
        msg = "one blank well only: no LOD (needs >= 2 blanks for an SD)"

    unk_rows = []
    if unknowns is not None:
        names = list(unknown_names) if unknown_names is not None else []
        for i, yu in enumerate(np.asarray(unknowns, dtype=float)):
            xc = float(back_calculate(yu, **p))
            if yu < y_lo:
                flag = "below_range"
            elif yu > y_hi:
                flag = "above_range"
            else:
                flag = "in_range"
            if xc == xc and lloq == lloq and xc < lloq and flag == "in_range":
                flag = "below_lloq"
            unk_rows.append(
                {
                    SAMPLE: names[i] if i < len(names) else f"unknown_{i + 1}",
                    RESPONSE: float(yu),
                    CONC: xc,
                    "flag": flag,
                    "status": OK if xc == xc else NOT_ESTIMABLE,
                }
            )
    return ElisaResult(
        status=OK,
        message=msg,
        model=model,
        weighting=weighting,
        rss=rss,
        n_standards=len(x),
        standards_conc=tuple(x.tolist()),
        standards_response=tuple(y.tolist()),
        standards_range=(float(y_lo), float(y_hi)),
        lod_response=lod_r,
        lod_conc=lod_c,
        lloq_conc=float(lloq),
        standards=tuple(std_rows),
        unknowns=tuple(unk_rows),
        **p,
    )


def read_plate_table(path) -> pd.DataFrame:
    """Read a plate CSV: ``sample`` (or ``well``), ``kind`` (standard|unknown|blank), ``conc``
    (standards only), ``response``."""
    df = read_csv(path)
    if SAMPLE not in df.columns and "well" in df.columns:
        df = df.rename(columns={"well": SAMPLE})
    require_columns(df, (SAMPLE, KIND, RESPONSE), str(path))
    return df


def fit_table(
    table: pd.DataFrame, model: str = "5pl", weighting: str = "none", source: str = "plate table"
) -> ElisaResult:
    """Fit a tidy plate table (see :func:`read_plate_table`)."""
    require_columns(table, (SAMPLE, KIND, RESPONSE), source)
    kind = table[KIND].astype(str).str.strip().str.lower()
    bad = ~kind.isin(KINDS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise FileFormatError(
            f"{source}: row {i + 2}, column 'kind' holds {table[KIND].iloc[i]!r}. "
            f"Use one of {', '.join(KINDS)}."
        )
    resp = numeric_column(table, RESPONSE, source)
    std = (kind == "standard").to_numpy()
    if not std.any():
        raise FileFormatError(f"{source}: no row of kind 'standard'; a curve needs standards.")
    require_columns(table, (CONC,), source)
    conc_all = numeric_column(table, CONC, source, allow_missing=True)
    missing = std & ~np.isfinite(conc_all)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise FileFormatError(f"{source}: row {i + 2} is a standard without a 'conc'. Give it.")
    unk = (kind == "unknown").to_numpy()
    blank = (kind == "blank").to_numpy()
    return fit(
        conc_all[std],
        resp[std],
        model=model,
        weighting=weighting,
        unknowns=resp[unk],
        unknown_names=table[SAMPLE].astype(str).to_numpy()[unk].tolist(),
        blanks=resp[blank] if blank.any() else None,
    )


# ---- MDM2–p53 interaction assay ----------------------------------------------------------------


def percent_inhibition(a450, no_inhibitor, blank):
    """% inhibition = 100·(1 − (A450 − mean blank)/(mean no-inhibitor − mean blank))."""
    top = float(np.mean(no_inhibitor))
    bot = float(np.mean(blank))
    if not top > bot:
        raise ParameterError(
            f"The no-inhibitor wells (mean {top:g}) must read above the blank wells "
            f"(mean {bot:g}); check the plate layout."
        )
    return 100.0 * (1.0 - (np.asarray(a450, dtype=float) - bot) / (top - bot))


@dataclasses.dataclass(frozen=True)
class InhibitionResult(FitResult):
    """IC50 of an MDM2–p53 binding ELISA from a 4PL fit of % inhibition vs inhibitor conc."""

    ic50: float = math.nan
    hill: float = math.nan
    bottom_pct: float = math.nan
    top_pct: float = math.nan
    conc: tuple = ()
    inhibition_pct: tuple = ()


def fit_inhibition(conc, a450, no_inhibitor, blank) -> InhibitionResult:
    """% inhibition from A450 against no-inhibitor and blank wells, then IC50 = C of a 4PL fit."""
    x = np.asarray(conc, dtype=float)
    inh = percent_inhibition(a450, no_inhibitor, blank)
    if np.any(x <= 0):
        raise param_error("fit_inhibition", "conc", "> 0 for every well", float(x.min()))
    if len(np.unique(x)) < 4:
        return InhibitionResult(
            status=NOT_ESTIMABLE,
            message="a 4PL needs at least 4 concentrations",
            conc=tuple(x.tolist()),
            inhibition_pct=tuple(inh.tolist()),
        )
    p, _ = _fit_curve(x, inh, "4pl", "none")
    if p is None:
        return InhibitionResult(status=FAILED, message="the 4PL fit did not converge")
    within = x.min() <= p["C"] <= x.max()
    return InhibitionResult(
        status=OK,
        message="" if within else "IC50 outside the tested concentrations (extrapolated)",
        ic50=p["C"],
        hill=p["B"],
        bottom_pct=p["A"],
        top_pct=p["D"],
        conc=tuple(x.tolist()),
        inhibition_pct=tuple(inh.tolist()),
    )


def plot(result: ElisaResult, ax=None):
    """Standards, fitted curve and back-calculated unknowns on a log concentration axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    x = np.asarray(result.standards_conc, dtype=float)
    y = np.asarray(result.standards_response, dtype=float)
    pos = x[x > 0]
    ax.plot(pos, y[x > 0], "o", label="standards")
    if result.ok and pos.size:
        grid = np.geomspace(pos.min() / 2, pos.max() * 2, 200)
        ax.plot(grid, result.predict(grid), "-", label=f"{result.model} ({result.weighting})")
    for u in result.unknowns:
        if u["status"] == OK:
            ax.plot(u[CONC], u[RESPONSE], "x", color="tab:red")
    if result.lod_response == result.lod_response:
        ax.axhline(result.lod_response, ls=":", color="gray", label="LOD")
    ax.set_xscale("log")
    ax.set_xlabel("concentration")
    ax.set_ylabel("response")
    ax.legend()
    return ax


def plot_inhibition(result: InhibitionResult, ax=None):
    """% inhibition against concentration with the 4PL curve and the IC50."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    x = np.asarray(result.conc, dtype=float)
    ax.plot(x, result.inhibition_pct, "o")
    if result.ok:
        grid = np.geomspace(x.min(), x.max(), 200)
        ax.plot(grid, curve(grid, result.bottom_pct, result.hill, result.ic50, result.top_pct))
        ax.axvline(result.ic50, ls=":", color="gray")
    ax.set_xscale("log")
    ax.set_xlabel("inhibitor concentration")
    ax.set_ylabel("% inhibition")
    return ax
