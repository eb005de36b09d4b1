"""Growth-rate inhibition (GR) metrics (Hafner et al. 2016, Nat Methods 13:521–527).

GR value of one well from cell counts (``x`` treated, ``x0`` at time zero, ``xctrl`` untreated
control at the same time)::

    GR = 2^( log2(x/x0) / log2(xctrl/x0) ) − 1

with each ratio floored at 1e-6 before the logarithm (the convention of the ``gr50`` Python
package, datarail/gr_metrics). GR = 1: no effect; 0: complete cytostasis; < 0: cell death.

Curve fitted to the GR values against concentration ``c``::

    GR(c) = GRinf + (1 − GRinf) / (1 + (c/GEC50)^h)

by least squares on (GRinf, log10 GEC50, h) with bounds GRinf ∈ [−1, 1], h ∈ [0.1, 5],
GEC50 ∈ [c_min/100, c_max·100], from the start (0.1, log10 median(c), 2) with scipy's L-BFGS-B
at its default tolerances, as the ``gr50`` package does (its published example is reproduced to
1e-6; a tighter optimiser moves h by about 6e-6 on that example, so the default is kept on
purpose). A constant GR = m is fitted as the null model; the F-test has
df1 = 3 − 1 = 2 and df2 = n − 2 (the ``gr50`` package's choice: n − n_params + 1). When
p > alpha (0.05), or the sigmoid fit fails, the curve is flat: GEC50 = 0, h = 0.01, GRinf = m,
GR50 = +inf when m > 0.5 else −inf, and r² is that of the constant.

Metrics:

* GR50: concentration where the fitted curve crosses 0.5 (inf when it never does);
* GRmax: the smaller GR of the two highest concentrations (a robust minimum);
* GR_AOC: trapezoid area of (1 − GR) over log10 c, divided by the log10 concentration range;
* GEC50, GRinf, h (Hill), r² = 1 − RSS/TSS, pval of the F-test.

Experiments: one fit per combination of the grouping columns present among ``cell_line, agent,
perturbation, replicate, time`` (the keys of GRmetrics' long format, so each replicate gets its own
metrics, as the ``gr50`` package does). ``pool_replicates=True`` drops ``replicate`` from the
keys; GR values that then share a concentration are averaged before fitting, so n is always the
number of distinct concentrations. GRmax uses the two highest concentrations after sorting (the
``gr50`` package takes the last two rows in file order, which is the same for sorted files).
Concentrations keep the unit of the input; GR50 and GEC50 are in that unit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import FileFormatError, ParameterError, param_error
from ._base import FAILED, NOT_ESTIMABLE, FitResult

__all__ = [
    "COUNT_COLUMNS",
    "GROUP_KEYS",
    "GRResult",
    "fit_gr",
    "fit_gr_table",
    "gr_curve",
    "gr_value",
    "gr_values",
    "plot",
    "read_gr_table",
]

CITATION = "Hafner M, Niepel M, Chung M, Sorger PK (2016) Nat Methods 13:521-527"
GROUP_KEYS = ("cell_line", "agent", "perturbation", "replicate", "time")
COUNT_COLUMNS = ("cell_count", "cell_count__ctrl", "cell_count__time0")
CONCENTRATION = "concentration"
GR_VALUE = "GRvalue"
METRICS = ("GR50", "GRmax", "GR_AOC", "GEC50", "GRinf", "Hill", "r2", "pval")


def _log2_ratio(n, n0):
    return np.log2(np.maximum(np.asarray(n, dtype=float) / np.asarray(n0, dtype=float), 1e-6))


def gr_value(cell_count, cell_count__ctrl, cell_count__time0):
    """GR value(s) from counts: 2^(log2(x/x0)/log2(xctrl/x0)) − 1 (ratios floored at 1e-6).

    Works element-wise on arrays. Example (the ``gr50`` package's docstring):
    x = 1710, xctrl = 1766, x0 = 492.8 gives 0.965305500206.
    """
    num = _log2_ratio(cell_count, cell_count__time0)
    den = _log2_ratio(cell_count__ctrl, cell_count__time0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 2.0 ** (num / den) - 1.0
    return float(out) if np.ndim(out) == 0 else out


def gr_values(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with a ``GRvalue`` column computed from the three count columns."""
    missing = [c for c in COUNT_COLUMNS if c not in table.columns]
    if missing:
        raise param_error(
            "gr_values", "table", f"a table with columns {list(COUNT_COLUMNS)}", missing
        )
    out = table.copy()
    out[GR_VALUE] = gr_value(*(out[c].to_numpy(dtype=float) for c in COUNT_COLUMNS))
    return out


def gr_curve(c, GRinf: float, GEC50: float, h: float):
    """GR(c) = GRinf + (1 − GRinf)/(1 + (c/GEC50)^h); with GEC50 = 0 the curve is GRinf."""
    c = np.asarray(c, dtype=float)
    if GEC50 == 0:
        return np.full_like(c, GRinf)
    return GRinf + (1.0 - GRinf) / (1.0 + (c / GEC50) ** h)


def _rss_sigmoid(p, c, y):
    einf, lmid, h = p
    return float(np.sum((y - gr_curve(c, einf, 10.0**lmid, h)) ** 2))


@dataclasses.dataclass(frozen=True)
class GRResult(FitResult):
    """GR metrics of one dose–response experiment; concentrations in the input's unit."""

    GR50: float = math.nan
    GRmax: float = math.nan
    GR_AOC: float = math.nan
    GEC50: float = math.nan
    GRinf: float = math.nan
    Hill: float = math.nan
    r2: float = math.nan
    pval: float = math.nan
    flat: bool = False
    alpha: float = 0.05
    n: int = 0
    concentration: tuple = ()
    GRvalue: tuple = ()
    keys: dict = dataclasses.field(default_factory=dict)
    citation: str = CITATION

    def predict(self, c):
        return gr_curve(c, self.GRinf, self.GEC50, self.Hill)

    def summary(self) -> pd.DataFrame:
        d = {**self.keys, **{m: getattr(self, m) for m in METRICS}}
        d.update(status=self.status, message=self.message)
        return pd.DataFrame([d])

    def metrics(self) -> dict:
        """The grouping keys and the eight metrics as one plain dict."""
        return {**self.keys, **{m: getattr(self, m) for m in METRICS}}


def fit_gr(
    concentration: Sequence[float],
    gr: Sequence[float],
    *,
    alpha: float = 0.05,
    keys: dict | None = None,
) -> GRResult:
    """Fit the GR curve and compute GR50, GRmax, GR_AOC, GEC50, GRinf, Hill, r², pval.

    ``concentration`` > 0 (any unit; the result uses it), ``gr`` the GR values; replicates at one
    concentration are averaged. Fewer than 3 distinct concentrations → status "not_estimable".
    """
    owner = "fit_gr"
    c = np.asarray(concentration, dtype=float).ravel()
    y = np.asarray(gr, dtype=float).ravel()
    if c.size != y.size:
        raise param_error(owner, "gr", f"the same length as concentration ({c.size})", y.size)
    if not (0 < alpha < 1):
        raise param_error(owner, "alpha", "in (0, 1)", alpha)
    if not np.all(np.isfinite(c)) or np.any(c <= 0):
        raise param_error(
            owner, "concentration", "finite and > 0", c[~(np.isfinite(c) & (c > 0))][0]
        )
    keys = dict(keys or {})
    good = np.isfinite(y)
    df = pd.DataFrame({"c": c[good], "y": y[good]}).groupby("c", as_index=False)["y"].mean()
    c, y = df["c"].to_numpy(), df["y"].to_numpy()
    base = dict(alpha=alpha, n=int(c.size), concentration=tuple(c), GRvalue=tuple(y), keys=keys)
    if c.size < 3:
        return GRResult(
            status=NOT_ESTIMABLE,
            message=f"{c.size} distinct concentration(s) with a finite GR value; need at least 3.",
            **base,
        )

    # Observed-data metrics.
    grmax = float(min(y[-2:]))
    lc = np.log10(c)
    aoc = float(np.trapezoid(1.0 - y, lc) / (lc.max() - lc.min()))

    bounds = [(-1.0, 1.0), (np.log10(c.min() / 100), np.log10(c.max() * 100)), (0.1, 5.0)]
    prior = np.array([0.1, np.log10(np.median(c)), 2.0])
    try:
        res = optimize.minimize(_rss_sigmoid, prior, args=(c, y), method="L-BFGS-B", bounds=bounds)
    except (ValueError, FloatingPointError) as exc:  # pragma: no cover - defensive
        return GRResult(status=FAILED, message=f"GR curve fit failed: {exc}", **base)
    rss2 = float(res.fun)
    mean = float(y.mean())
    rss1 = float(np.sum((y - mean) ** 2))
    df1, df2 = 2, c.size - 2
    if rss2 <= 0:
        pval = 0.0 if rss1 > 0 else 1.0
    else:
        f = ((rss1 - rss2) / df1) / (rss2 / df2)
        pval = float(stats.f.sf(f, df1, df2))
    if pval > alpha or not res.success:
        grinf = float(np.clip(mean, -1.0, 1.0))
        r2 = 1.0 - float(np.sum((y - grinf) ** 2)) / rss1 if rss1 > 0 else math.nan
        return GRResult(
            GR50=math.inf if grinf > 0.5 else -math.inf,
            GRmax=grmax,
            GR_AOC=aoc,
            GEC50=0.0,
            GRinf=grinf,
            Hill=0.01,
            r2=r2,
            pval=pval,
            flat=True,
            message=f"no significant dose response (F-test p = {pval:.3g} > {alpha}); flat fit.",
            **base,
        )
    einf, lmid, h = (float(v) for v in res.x)
    gec50 = 10.0**lmid
    if min(1.0, einf) <= 0.5 <= max(1.0, einf) and einf != 0.5:
        gr50 = gec50 * ((0.5 - 1.0) / (einf - 0.5)) ** (1.0 / h)
    else:
        gr50 = math.inf
    r2 = 1.0 - rss2 / rss1 if rss1 > 0 else math.nan
    return GRResult(
        GR50=float(gr50),
        GRmax=grmax,
        GR_AOC=aoc,
        GEC50=gec50,
        GRinf=einf,
        Hill=h,
        r2=r2,
        pval=pval,
        **base,
    )


def _key_value(v):
    if isinstance(v, np.generic):
        v = v.item()
    return v


def fit_gr_table(
    table: pd.DataFrame, *, alpha: float = 0.05, pool_replicates: bool = False
) -> list[GRResult]:
    """Fit every experiment in a tidy table; one :class:`GRResult` per group, never raising.

    ``table`` holds ``concentration`` and either ``GRvalue`` or the three count columns
    (``cell_count``, ``cell_count__ctrl``, ``cell_count__time0``). Groups are the columns of
    ``GROUP_KEYS`` that are present; with ``pool_replicates`` the replicates of one experiment
    are averaged per concentration instead of fitted one by one.
    """
    if CONCENTRATION not in table.columns:
        raise param_error("fit_gr_table", "table", "a table with a 'concentration' column", None)
    if GR_VALUE not in table.columns:
        table = gr_values(table)
    keys = [
        k for k in GROUP_KEYS if k in table.columns and not (pool_replicates and k == "replicate")
    ]
    if not keys:
        groups = [((), table)]
    else:
        groups = [
            (k if isinstance(k, tuple) else (k,), g)
            for k, g in table.groupby(keys, sort=True, dropna=False)
        ]
    out = []
    for k, g in groups:
        kd = {name: _key_value(v) for name, v in zip(keys, k, strict=True)}
        try:
            out.append(fit_gr(g[CONCENTRATION], g[GR_VALUE], alpha=alpha, keys=kd))
        except ParameterError as exc:
            out.append(GRResult(status=FAILED, message=str(exc), keys=kd))
    return out


def read_gr_table(path, *, gr_values: bool = False) -> pd.DataFrame:
    """Read a GRmetrics long-format file (tab-separated; ``.csv`` read as comma-separated).

    Counts format: ``cell_line, agent, perturbation, replicate, time, concentration, cell_count,
    cell_count__ctrl, cell_count__time0``. With ``gr_values=True``: ``concentration, GRvalue``
    and any grouping columns. Rows with concentration 0 (untreated controls) are dropped.
    """
    from pathlib import Path

    path = Path(path)
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    try:
        table = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise FileFormatError(f"{path}: the file is empty; give a GR table.") from None
    table.columns = [str(c).strip() for c in table.columns]
    need = [CONCENTRATION, GR_VALUE] if gr_values else [CONCENTRATION, *COUNT_COLUMNS]
    missing = [c for c in need if c not in table.columns]
    if missing:
        hint = (
            "a table of GR values needs 'concentration' and 'GRvalue'"
            if gr_values
            else "the counts format needs " + ", ".join(need) + " (use --gr-values for GR values)"
        )
        raise FileFormatError(
            f"{path}: missing column(s) {missing}; found {list(table.columns)}. Note: {hint}."
        )
    for col in need:
        num = pd.to_numeric(table[col], errors="coerce")
        bad = num.isna() & table[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FileFormatError(
                f"{path}: row {i + 2}, column {col!r}: {table[col].iloc[i]!r} is not a number. "
                "Fix the value or remove the row."
            )
        table[col] = num
    neg = table[CONCENTRATION] < 0
    if neg.any():
        i = int(np.flatnonzero(neg.to_numpy())[0])
        raise FileFormatError(
            f"{path}: row {i + 2}, column 'concentration': {table[CONCENTRATION].iloc[i]!r} is "
            "negative. Concentrations must be >= 0."
        )
    return table[table[CONCENTRATION] > 0].reset_index(drop=True)


def plot(result: GRResult, ax=None):
    """GR values against concentration (log axis) with the fitted curve, GR50 and GEC50."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    c = np.asarray(result.concentration, dtype=float)
    ax.plot(c, result.GRvalue, "o", label="GR value")
    if result.ok and c.size:
        grid = np.geomspace(c.min() / 3, c.max() * 3, 200)
        ax.plot(grid, result.predict(grid), "-", label="fit" + (" (flat)" if result.flat else ""))
        if math.isfinite(result.GR50):
            ax.axvline(result.GR50, ls=":", color="gray", label="GR50")
    for yline in (0.0, 1.0):
        ax.axhline(yline, color="lightgray", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("concentration")
    ax.set_ylabel("GR value")
    ax.legend()
    return ax
