"""Clinical endpoints: response rates with exact CIs, Kaplan–Meier, log-rank.

* ORR = (CR + PR)/N, DCR = (CR + PR + SD)/N (RECIST best overall response; NE stays in N), with the
  exact Clopper–Pearson interval: lower = Beta⁻¹(α/2; k, n − k + 1), upper = Beta⁻¹(1 − α/2;
  k + 1, n − k) (Clopper & Pearson 1934).
* Kaplan–Meier S(t) = Π (1 − d_j/n_j); Greenwood: se_j = √(Σ d/(n(n − d))) (the s.e. of log S).
  ``ci="log"`` (R survival's default conf.type): S·exp(±z·se), upper clipped at 1.
  ``ci="log-log"`` (lifelines): exp(−exp(log(−log S) ∓ z·se/log S)) (lower, upper).
* Median: the first time S < 0.5; where S equals 0.5 over a stretch, the midpoint of that stretch
  (R's rule). Median CI: the same rule applied to the lower (→ lower limit) and upper (→ upper
  limit) CI curves; a limit never reached is +inf.
* Log-rank test over k groups: χ² = (O − E)ᵀ V⁻¹ (O − E) on k − 1 df (Mantel 1966).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError, param_error
from ._base import OK, FitResult
from ._tables import numeric_column, require_columns

__all__ = [
    "KaplanMeier",
    "ResponseRateResult",
    "SurvivalResult",
    "fit",
    "kaplan_meier",
    "logrank",
    "plot",
    "response_rate",
    "response_rates",
]

CI_TYPES = ("log", "log-log")
RESPONSES = ("CR", "PR", "SD", "PD", "NE")


# ---- response rates -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ResponseRateResult(FitResult):
    responders: int = 0
    n: int = 0
    rate_pct: float = math.nan
    ci_lower_pct: float = math.nan
    ci_upper_pct: float = math.nan
    confidence: float = 0.95
    method: str = "clopper-pearson"


def response_rate(responders: int, n: int, confidence: float = 0.95) -> ResponseRateResult:
    """Rate k/n (%) with the exact Clopper–Pearson CI."""
    k, n_ = int(responders), int(n)
    if k != responders or k < 0:
        raise param_error("response_rate", "responders", "an integer >= 0", responders)
    if n_ != n or n_ < 1:
        raise param_error("response_rate", "n", "an integer >= 1", n)
    if k > n_:
        raise param_error("response_rate", "responders", f"<= n ({n_})", responders)
    if not 0 < confidence < 1:
        raise param_error("response_rate", "confidence", "in (0, 1)", confidence)
    a = 1 - confidence
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n_ - k + 1))
    hi = 1.0 if k == n_ else float(stats.beta.ppf(1 - a / 2, k + 1, n_ - k))
    return ResponseRateResult(
        responders=k,
        n=n_,
        rate_pct=100.0 * k / n_,
        ci_lower_pct=100.0 * lo,
        ci_upper_pct=100.0 * hi,
        confidence=float(confidence),
    )


def response_rates(
    best_responses: Sequence[str], confidence: float = 0.95
) -> dict[str, ResponseRateResult]:
    """ORR and DCR from best overall responses (CR, PR, SD, PD, NE; case-insensitive)."""
    r = [str(x).strip().upper() for x in best_responses]
    bad = sorted(set(r) - set(RESPONSES))
    if bad:
        raise ParameterError(
            f"Unknown best response(s) {', '.join(map(repr, bad))}; use {', '.join(RESPONSES)}."
        )
    n = len(r)
    orr = sum(x in ("CR", "PR") for x in r)
    dcr = sum(x in ("CR", "PR", "SD") for x in r)
    return {"ORR": response_rate(orr, n, confidence), "DCR": response_rate(dcr, n, confidence)}


# ---- Kaplan–Meier ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KaplanMeier:
    """One Kaplan–Meier curve at its distinct observed times (events and censorings)."""

    time: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    n_censored: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    ci: str
    confidence: float
    median: float
    median_lower: float
    median_upper: float

    def at_risk(self, times: Sequence[float]) -> np.ndarray:
        """Number at risk just before each of ``times`` (as printed under KM plots)."""
        t = np.asarray(times, dtype=float)
        total = int(self.n_at_risk[0]) if len(self.n_at_risk) else 0
        gone = np.concatenate([[0], np.cumsum(self.n_events + self.n_censored)])
        idx = np.searchsorted(self.time, t, side="left")
        return total - gone[idx]


def _median(time: np.ndarray, surv: np.ndarray) -> float:
    """R's rule: the first time S < 0.5; if S == 0.5 on a stretch, that stretch's midpoint."""
    tol = math.sqrt(np.finfo(float).eps)
    s = np.where(np.isnan(surv), 1.0, surv)  # undefined CI limits never cross
    below = np.flatnonzero(s < 0.5 - tol)
    at = np.flatnonzero(np.abs(s - 0.5) <= tol)
    if at.size and (not below.size or at[0] < below[0]):
        return float((time[at[0]] + time[below[0]]) / 2) if below.size else math.inf
    return float(time[below[0]]) if below.size else math.inf


def _check_survival_data(time, event, owner: str):
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape or t.ndim != 1 or t.size == 0:
        raise ParameterError(f"{owner}: time and event must be 1-D, non-empty, of equal length.")
    if np.any(~np.isfinite(t)):
        raise param_error(owner, "time", "finite numbers", t[~np.isfinite(t)][0])
    if np.any(t < 0):
        raise param_error(owner, "time", ">= 0 for every subject", float(t[t < 0][0]))
    vals = set(np.unique(e).tolist())
    if not vals <= {0.0, 1.0}:
        hint = (
            " R's lung data code 1 = censored, 2 = dead: recode to 0/1."
            if vals <= {1.0, 2.0}
            else ""
        )
        raise ParameterError(
            f"The 'event' parameter of {owner} must be 0 (censored) or 1 (event). Got values "
            f"{sorted(vals)} instead.{hint}"
        )
    return t, e.astype(int)


def kaplan_meier(time, event, ci: str = "log", confidence: float = 0.95) -> KaplanMeier:
    """Kaplan–Meier estimate with Greenwood-based pointwise CIs (see the module docstring)."""
    if ci not in CI_TYPES:
        raise param_error("kaplan_meier", "ci", f"one of {', '.join(CI_TYPES)}", ci)
    t, e = _check_survival_data(time, event, "kaplan_meier")
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=len(ut)).astype(int)
    c = np.bincount(inv, weights=1 - e, minlength=len(ut)).astype(int)
    n = len(t) - np.concatenate([[0], np.cumsum(d + c)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(1.0 - d / n)
        gw = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
        se = np.sqrt(gw)
        z = stats.norm.ppf(1 - (1 - confidence) / 2)
        if ci == "log":
            lo = np.where(s > 0, s * np.exp(-z * se), np.nan)
            hi = np.where(s > 0, np.minimum(1.0, s * np.exp(z * se)), np.nan)
        else:
            ls = np.log(s)
            lo = np.exp(-np.exp(np.log(-ls) - z * se / ls))
            hi = np.exp(-np.exp(np.log(-ls) + z * se / ls))
            lo = np.where(s >= 1, 1.0, lo)
            hi = np.where(s >= 1, 1.0, hi)
    return KaplanMeier(
        time=ut,
        n_at_risk=n,
        n_events=d,
        n_censored=c,
        survival=s,
        lower=lo,
        upper=hi,
        ci=ci,
        confidence=float(confidence),
        median=_median(ut, s),
        median_lower=_median(ut, lo),
        median_upper=_median(ut, hi),
    )


def logrank(time, event, group) -> tuple[float, float, int]:
    """Log-rank test over the groups in ``group``: (χ², p, df)."""
    t, e = _check_survival_data(time, event, "logrank")
    g = np.asarray(group)
    labels = list(dict.fromkeys(g.tolist()))
    k = len(labels)
    if k < 2:
        raise ParameterError("The log-rank test needs at least two groups.")
    gi = np.array([labels.index(x) for x in g.tolist()])
    o_minus_e = np.zeros(k)
    v = np.zeros((k, k))
    for tj in np.unique(t[e == 1]):
        risk = t >= tj
        nj = np.bincount(gi[risk], minlength=k).astype(float)
        dj = np.bincount(gi[(t == tj) & (e == 1)], minlength=k).astype(float)
        n, d = nj.sum(), dj.sum()
        o_minus_e += dj - d * nj / n
        if n > 1:
            f = d * (n - d) / (n - 1)
            v += f * (np.diag(nj / n) - np.outer(nj, nj) / n**2)
    chi2 = float(o_minus_e[:-1] @ np.linalg.solve(v[:-1, :-1], o_minus_e[:-1]))
    return chi2, float(stats.chi2.sf(chi2, k - 1)), k - 1


@dataclasses.dataclass(frozen=True)
class SurvivalResult(FitResult):
    """Per-group KM summaries (``groups``), curves and, when grouped, the log-rank test."""

    ci: str = "log"
    confidence: float = 0.95
    group_col: str = ""
    groups: tuple = ()
    curves: tuple = ()
    logrank: dict = dataclasses.field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.groups))


def fit(
    table: pd.DataFrame,
    time_col: str,
    event_col: str,
    group_col: str | None = None,
    ci: str = "log",
    confidence: float = 0.95,
    source: str = "survival table",
) -> SurvivalResult:
    """Kaplan–Meier per group (or overall) with median and CI; log-rank when grouped.

    A group without any event raises :class:`ParameterError` (its curve never drops; check the
    event coding).
    """
    if ci not in CI_TYPES:
        raise param_error("survival fit", "ci", f"one of {', '.join(CI_TYPES)}", ci)
    cols = [time_col, event_col] + ([group_col] if group_col else [])
    require_columns(table, cols, source)
    t = numeric_column(table, time_col, source)
    e = numeric_column(table, event_col, source)
    neg = np.flatnonzero(t < 0)
    if neg.size:
        raise ParameterError(
            f"{source}: row {neg[0] + 2}, column {time_col!r} is negative ({t[neg[0]]:g}); "
            "times are counted from entry and must be >= 0."
        )
    _check_survival_data(t, e, "survival fit")
    g = table[group_col].astype(str).str.strip().to_numpy() if group_col else None
    labels = list(dict.fromkeys(g.tolist())) if group_col else ["all"]
    try:
        labels = sorted(labels, key=float)
    except ValueError:
        labels = sorted(labels)
    rows, curves = [], []
    for lab in labels:
        m = (g == lab) if group_col else np.ones(len(t), bool)
        if e[m].sum() == 0:
            where = f"group {lab!r} of column {group_col!r}" if group_col else "the table"
            raise ParameterError(
                f"{source}: {where} has no events (every {event_col!r} is 0), so no survival "
                "curve or median can be estimated. Check the event coding (1 = event) or drop "
                "the group."
            )
        km = kaplan_meier(t[m], e[m], ci=ci, confidence=confidence)
        rows.append(
            {
                "group": lab,
                "n": int(m.sum()),
                "events": int(e[m].sum()),
                "median": km.median,
                "median_lower": km.median_lower,
                "median_upper": km.median_upper,
            }
        )
        curves.append(
            {
                "group": lab,
                "time": km.time,
                "n_at_risk": km.n_at_risk,
                "n_events": km.n_events,
                "survival": km.survival,
                "lower": km.lower,
                "upper": km.upper,
            }
        )
    lr = {}
    if group_col and len(labels) > 1:
        chi2, p, df = logrank(t, e, g)
        lr = {"chi2": chi2, "p": p, "df": df}
    return SurvivalResult(
        status=OK,
        ci=ci,
        confidence=float(confidence),
        group_col=group_col or "",
        groups=tuple(rows),
        curves=tuple(curves),
        logrank=lr,
    )


def plot(result: SurvivalResult, ax=None, show_ci: bool = True):
    """Kaplan–Meier step curves per group with shaded pointwise CIs."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for i, c in enumerate(result.curves):
        tt = np.concatenate([[0.0], np.asarray(c["time"], float)])
        s = np.concatenate([[1.0], np.asarray(c["survival"], float)])
        ax.step(tt, s, where="post", color=f"C{i}", label=str(c["group"]))
        if show_ci:
            lo = np.concatenate([[1.0], np.asarray(c["lower"], float)])
            hi = np.concatenate([[1.0], np.asarray(c["upper"], float)])
            ax.fill_between(tt, lo, hi, step="post", color=f"C{i}", alpha=0.2)
    if result.logrank:
        ax.set_title(f"log-rank χ² {result.logrank['chi2']:.2f}, p = {result.logrank['p']:.3g}")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel("survival probability")
    ax.legend()
    return ax
