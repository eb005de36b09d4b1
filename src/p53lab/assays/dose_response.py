"""Dose–response curves: log-logistic LL.2–LL.5 (drc's parameterisation) and a bell (hook)
model for degraders; one curve with :func:`fit`, thousands with :func:`fit_many`.

LL family (Ritz et al. 2015, R package drc)::

    f(x) = c + (d − c) / (1 + exp(b·(log x − log e)))^f

b: slope (b > 0: response falls with dose), c: lower limit, d: upper limit, e: the dose half
way between them (f = 1), f: asymmetry. Doses keep the unit of the input; x = 0 gives the
limit of the curve. The bell model is documented on :class:`~p53lab.assays._dr_models.Bell`.

Estimation: ordinary least squares, bounded (|b| ≤ 100, e within 1000x of the tested range),
from several starts picked on a grid of (b, e) with c and d solved linearly; the single-curve
fitter polishes with ``scipy.optimize.least_squares`` at tight tolerances, the batch fitter runs
a vectorised Levenberg–Marquardt with per-curve damping and convergence.

Standard errors as drc (``vcov.drc``): the observed Hessian H of the residual sum of squares at
the optimum (central differences of its analytic gradient), σ² = RSS/df, covariance
(H/(2σ²))⁻¹, df = n − number of free parameters.

Effective doses: drc's relative ED, ``ED_p = e·((100/(100−p))^(1/f) − 1)^(1/b)``, the dose where
the curve has gone p % of the way from d to c; SE by the delta method, CI est ± t(df)·SE.

Data that cannot determine the curve (all NaN, one concentration, constant response, too few
points, a singular Hessian) give ``status = "not_estimable"``, never an exception; invalid input
(negative or NaN doses, length mismatch, unknown model) raises :class:`ParameterError`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import ParameterError, param_error
from ._base import FAILED, NOT_ESTIMABLE, OK, FitResult
from ._dr_batch import fit_ll_fast, inference_table
from ._dr_models import LL2, LL3, LL4, LL5, MODELS, Bell, DoseResponseModel, get_model

__all__ = [
    "LL2",
    "LL3",
    "LL4",
    "LL5",
    "MODELS",
    "BatchFit",
    "Bell",
    "DoseResponseResult",
    "fit",
    "fit_arrays",
    "fit_batch",
    "fit_many",
    "plot",
    "profile_ci",
    "result_row",
]

OWNER = "fit_dose_response"
DEFAULT_ED = (10, 50, 90)
SINGULAR_MESSAGE = (
    "the fit is not identifiable from these data (singular Hessian at the optimum); the "
    "estimates are shown without standard errors"
)


# ---- result ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DoseResponseResult(FitResult):
    """One fitted curve. ``parameters``/``se`` hold every natural parameter (SE NaN for fixed
    ones); ``ed`` maps a level ("50") to {estimate, se, lower, upper}; ``cov`` is the
    covariance of the ``free`` parameters in that order; ``metrics`` holds the bell model's
    dc50, dmax (%) and hook_onset."""

    model: str = "ll4"
    group: str = ""
    parameters: dict = dataclasses.field(default_factory=dict)
    se: dict = dataclasses.field(default_factory=dict)
    free: tuple = ()
    cov: tuple = ()
    ed: dict = dataclasses.field(default_factory=dict)
    metrics: dict = dataclasses.field(default_factory=dict)
    rss: float = math.nan
    df: int = 0
    sigma: float = math.nan
    n_obs: int = 0
    level: float = 0.95
    dose: tuple = ()
    response: tuple = ()

    def predict(self, dose) -> np.ndarray:
        """The fitted curve at ``dose`` (same unit as the input)."""
        m = get_model(self.model)
        p = {k: np.asarray(float(v)) for k, v in self.parameters.items()}
        return np.asarray(m.predict(np.asarray(dose, dtype=float), p), dtype=float)

    def summary(self) -> pd.DataFrame:
        """One row per parameter and per ED level: term, estimate, se, lower, upper."""
        t = stats.t.ppf(0.5 + self.level / 2, self.df) if self.df > 0 else math.nan
        rows = []
        for k, v in self.parameters.items():
            s = self.se.get(k, math.nan)
            rows.append({"term": k, "estimate": v, "se": s, "lower": v - t * s, "upper": v + t * s})
        for k, v in self.ed.items():
            rows.append({"term": f"ED{k}", **v})
        for k, v in self.metrics.items():
            rows.append({"term": k, "estimate": v})
        out = pd.DataFrame(rows, columns=["term", "estimate", "se", "lower", "upper"])
        out.insert(0, "group", self.group)
        out["status"] = self.status
        return out


# ---- validation -----------------------------------------------------------------------------


def _model(model) -> DoseResponseModel:
    m = get_model(model)
    if m is None:
        raise param_error(OWNER, "model", f"one of {sorted(MODELS)} (or 'hill', '4pl')", model)
    return m


def _fixed(m: DoseResponseModel, fixed) -> dict[str, float]:
    out = dict(m.defaults)
    for k, v in (fixed or {}).items():
        if k not in m.params:
            raise param_error(OWNER, "fixed", f"a dict with keys among {list(m.params)}", fixed)
        v = float(v)
        if not math.isfinite(v) or (k in m.log_params and v <= 0):
            raise param_error(OWNER, f"fixed[{k!r}]", "finite (and > 0 for e, f, h)", v)
        out[k] = v
    if len(out) == len(m.params):
        raise param_error(OWNER, "fixed", "leaving at least one parameter free", fixed)
    return out


def _arrays(dose, response) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(dose, dtype=float).ravel()
        y = np.asarray(response, dtype=float).ravel()
    except (TypeError, ValueError):
        raise param_error(OWNER, "dose/response", "numeric arrays", (dose, response)) from None
    if x.size != y.size:
        raise param_error(
            OWNER, "response", f"as long as 'dose' ({x.size} values)", f"{y.size} values"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        raise param_error(OWNER, "dose", "finite numbers", float(x[bad][0]))
    if (x < 0).any():
        raise param_error(OWNER, "dose", ">= 0 (doses cannot be negative)", float(x[x < 0][0]))
    if np.isinf(y).any():
        raise param_error(OWNER, "response", "finite or NaN (missing)", float(y[np.isinf(y)][0]))
    return x, y


def _not_estimable_reason(x, y, k) -> str:
    """Why (x, y) cannot determine k free parameters; "" when they can. NaN y are dropped."""
    ok = np.isfinite(y)
    n = int(ok.sum())
    if n == 0:
        return "every response is missing (NaN)"
    xs = np.unique(x[ok])
    if xs.size < 2 or (xs > 0).sum() < 1:
        return f"one concentration only ({xs.size} distinct dose); a curve needs several"
    if xs.size < k:
        return f"{xs.size} distinct doses cannot determine {k} parameters; add concentrations"
    if n <= k:
        return f"{n} responses leave no residual degree of freedom for {k} parameters"
    if np.ptp(y[ok]) == 0:
        return "the response is constant; no dose effect to fit"
    return ""


# ---- parameter plumbing (batched: arrays of shape (n, k)) -----------------------------------


def _natural(m, free, fixed, theta):
    """dict of (n, 1) natural parameters from optimiser-scale theta (n, k)."""
    n = theta.shape[0]
    p = {}
    for i, name in enumerate(free):
        v = theta[:, i : i + 1]
        p[name] = np.exp(v) if name in m.log_params else v
    for name, v in fixed.items():
        p[name] = np.full((n, 1), v)
    return p


def _theta_jac(m, free, x, p):
    """(n, mobs, k) Jacobian of the prediction wrt the optimiser-scale parameters."""
    j = m.jacobian(x, p)
    cols = [j[k] * p[k] if k in m.log_params else j[k] for k in free]
    return np.stack(np.broadcast_arrays(*cols), axis=-1)


def _rss(m, free, fixed, theta, x, y, w):
    r = np.where(w, y - m.predict(x, _natural(m, free, fixed, theta)), 0.0)
    out = np.einsum("nm,nm->n", r, r)
    return np.where(np.isfinite(out), out, np.inf)


def _bounds(m, free, x):
    """Per-curve bounds (n, k): curves of one batch share the bounds of their pooled doses
    except e and h, whose bounds follow each curve's dose range."""
    xs = np.where(np.isfinite(x) & (x > 0), x, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xmin, xmax = np.nanmin(xs, axis=1), np.nanmax(xs, axis=1)
    lo, hi = np.empty((x.shape[0], len(free))), np.empty((x.shape[0], len(free)))
    for j, k in enumerate(free):
        if k in ("e", "h"):
            l0, h0 = m.bounds(k, np.array([1.0]))
            lo[:, j] = np.log(xmin) + l0
            hi[:, j] = np.log(xmax) + h0
        else:
            lo[:, j], hi[:, j] = m.bounds(k, np.array([1.0]))
    return lo, hi


def _grid(m, free, fixed, x, y, w, keep):
    """Best ``keep`` starts per curve (n, keep, k): nonlinear parameters on a grid, c and d by
    weighted linear least squares (y = c·(1 − s) + d·s with s the curve for c = 0, d = 1)."""
    n = x.shape[0]
    pos = w & (x > 0)
    big = np.where(pos, x, np.nan)
    lo = np.log(np.nanmin(np.where(pos, big, np.inf), axis=1))
    hi = np.log(np.nanmax(np.where(pos, big, -np.inf), axis=1))
    lo = np.where(np.isfinite(lo), lo, 0.0)[:, None]
    hi = np.where(np.isfinite(hi), hi, 0.0)[:, None]
    q = np.linspace(0.0, 1.0, 8)
    if isinstance(m, Bell):
        q2 = np.linspace(-0.2, 1.2, 8)
        pts = [
            {"b": b, "g": g, "e": qe, "h": qh}
            for b in (1.0, 3.0)
            for g in (1.0, 3.0)
            for i, qe in enumerate(q2)
            for qh in q2[i + 1 :]
        ]
    else:
        pts = [{"b": b, "e": qe} for b in (-4, -1.5, -0.5, 0.5, 1.5, 4) for qe in q]
    cand, score = [], []
    for pt in pts:
        p = {}
        for k in m.params:
            if k in ("c", "d"):  # the unit shape s (c = 0, d = 1); fixed c/d enter below
                p[k] = np.zeros((n, 1)) if k == "c" else np.ones((n, 1))
            elif k in fixed:
                p[k] = np.full((n, 1), fixed[k])
            elif k in ("e", "h"):
                p[k] = np.exp(lo + pt[k] * (hi - lo))
            elif k == "f":
                p[k] = np.ones((n, 1))
            elif k in ("c", "d"):
                p[k] = np.zeros((n, 1)) if k == "c" else np.ones((n, 1))
            else:
                p[k] = np.full((n, 1), float(pt[k]))
        s = np.where(w, m.predict(x, p), 0.0)
        u = np.where(w, 1.0 - s, 0.0)
        yy = np.where(w, y, 0.0)
        fc, fd = "c" not in fixed, "d" not in fixed
        c = np.full(n, fixed.get("c", 0.0))
        d = np.full(n, fixed.get("d", 1.0))
        if fc and fd:
            a11, a12, a22 = (u * u).sum(1), (u * s).sum(1), (s * s).sum(1)
            b1, b2 = (u * yy).sum(1), (s * yy).sum(1)
            det = a11 * a22 - a12 * a12
            good = np.abs(det) > 1e-12 * (a11 * a22 + 1e-300)
            with np.errstate(invalid="ignore", divide="ignore"):
                c = np.where(good, (a22 * b1 - a12 * b2) / det, yy.sum(1) / w.sum(1))
                d = np.where(good, (a11 * b2 - a12 * b1) / det, c)
        elif fd:
            with np.errstate(invalid="ignore", divide="ignore"):
                d = ((yy - c[:, None] * u) * s).sum(1) / np.maximum((s * s).sum(1), 1e-300)
        elif fc:
            with np.errstate(invalid="ignore", divide="ignore"):
                c = ((yy - d[:, None] * s) * u).sum(1) / np.maximum((u * u).sum(1), 1e-300)
        p["c"], p["d"] = c[:, None], d[:, None]
        th = np.concatenate([np.log(p[k]) if k in m.log_params else p[k] for k in free], axis=1)
        cand.append(th)
        r = np.where(w, yy - p["c"] * u - p["d"] * s, 0.0)
        score.append(np.where(np.isfinite(th).all(1), np.einsum("nm,nm->n", r, r), np.inf))
    cand = np.stack(cand, axis=1)  # (n, G, k)
    score = np.nan_to_num(np.stack(score, axis=1), nan=np.inf)
    order = np.argsort(score, axis=1)[:, :keep]
    return np.take_along_axis(cand, order[:, :, None], axis=1)


def _lm(m, free, fixed, theta, x, y, w, lo, hi, max_iter=300):
    """Vectorised bounded Levenberg–Marquardt: per-curve damping and convergence."""
    theta = np.clip(theta, lo, hi)
    n, k = theta.shape
    rss = _rss(m, free, fixed, theta, x, y, w)
    lam = np.full(n, 1e-3)
    active = np.isfinite(rss)
    scale = np.einsum("nm,nm->n", np.where(w, y, 0.0), np.where(w, y, 0.0)) + 1e-300
    iters = np.zeros(n, dtype=int)
    eye = np.eye(k)
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        th, xi, yi, wi = theta[idx], x[idx], y[idx], w[idx]
        p = _natural(m, free, fixed, th)
        r = np.where(wi, yi - m.predict(xi, p), 0.0)
        jac = _theta_jac(m, free, xi, p) * wi[:, :, None]
        a = np.einsum("nmi,nmj->nij", jac, jac)
        g = np.einsum("nmi,nm->ni", jac, r)
        dg = np.einsum("nii->ni", a)
        dg = np.maximum(dg, 1e-12 * dg.max(axis=1, keepdims=True) + 1e-300)
        mat = a + lam[idx, None, None] * dg[:, :, None] * eye
        mat = np.nan_to_num(mat, nan=0.0, posinf=0.0, neginf=0.0) + 1e-300 * eye
        try:
            step = np.linalg.solve(mat, np.nan_to_num(g)[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.stack(
                [np.linalg.lstsq(mi, gi, rcond=None)[0] for mi, gi in zip(mat, g, strict=True)]
            )
        new = np.clip(th + step, lo[idx], hi[idx])
        new_rss = _rss(m, free, fixed, new, xi, yi, wi)
        old = rss[idx]
        better = new_rss < old
        theta[idx] = np.where(better[:, None], new, th)
        rss[idx] = np.where(better, new_rss, old)
        lam[idx] = np.where(better, np.maximum(lam[idx] / 3, 1e-12), lam[idx] * 4)
        iters[idx] += 1
        rel = (old - new_rss) / (old + 1e-300)
        small = np.max(np.abs(new - th) / (np.abs(th) + 1e-6), axis=1) < 1e-9
        done = (
            (better & ((rel < 1e-13) | small)) | (lam[idx] > 1e12) | (rss[idx] < 1e-28 * scale[idx])
        )
        active[idx[done]] = False
    return theta, rss, iters, active


def _canonical(m, free, theta):
    """LL.4 is unchanged by (b, c, d) -> (-b, d, c); keep drc's convention d >= c."""
    if isinstance(m, Bell) or "f" in free or not {"b", "c", "d"} <= set(free):
        return theta
    theta = theta.copy()
    ib, ic, id_ = free.index("b"), free.index("c"), free.index("d")
    swap = theta[:, id_] < theta[:, ic]
    theta[swap, ib] *= -1
    theta[swap, ic], theta[swap, id_] = theta[swap, id_], theta[swap, ic].copy()
    return theta


# ---- inference ------------------------------------------------------------------------------


def _grad_nat(m, free, fixed, pn, x, y, w):
    """Gradient of the RSS wrt the natural free parameters pn (n, k)."""
    p = {k: pn[:, i : i + 1] for i, k in enumerate(free)}
    p.update({k: np.full((pn.shape[0], 1), v) for k, v in fixed.items()})
    r = np.where(w, y - m.predict(x, p), 0.0)
    j = m.jacobian(x, p)
    return np.stack([-2.0 * np.einsum("nm,nm->n", np.where(w, j[k], 0.0), r) for k in free], 1)


def _hessian(m, free, fixed, pn, x, y, w):
    """Observed Hessian of the RSS (n, k, k): central differences of the analytic gradient."""
    n, k = pn.shape
    nw = np.maximum(w.sum(1), 1)
    mean = np.where(w, y, 0.0).sum(1) / nw
    ysd = np.sqrt(np.where(w, (y - mean[:, None]) ** 2, 0.0).sum(1) / nw) + 1e-12
    h = np.empty((n, k, k))
    for i, name in enumerate(free):
        s = 0.1 if name in ("b", "g", "f") else (ysd if name in ("c", "d") else 0.0)
        step = 1e-5 * (np.abs(pn[:, i]) + s)
        up, dn = pn.copy(), pn.copy()
        up[:, i] += step
        dn[:, i] -= step
        h[:, i, :] = (
            _grad_nat(m, free, fixed, up, x, y, w) - _grad_nat(m, free, fixed, dn, x, y, w)
        ) / (2 * step[:, None])
    return 0.5 * (h + np.swapaxes(h, 1, 2))


def _bell_metrics(m, p: dict) -> dict:
    """hook_onset (argmin R), dmax (%) and the ED function on the descending arm."""
    p = {k: np.asarray(float(v)) for k, v in p.items()}
    le, lh = math.log(float(p["e"])), math.log(float(p["h"]))
    a, b = min(le, lh) - 15.0, max(le, lh) + 15.0

    def r(lx):
        return float(m.predict(np.exp(np.asarray(lx)), p))

    grid = np.linspace(a, b, 601)
    vals = np.array([r(v) for v in grid])
    i = int(np.argmin(vals))
    res = optimize.minimize_scalar(
        r,
        bounds=(grid[max(i - 1, 0)], grid[min(i + 1, 600)]),
        method="bounded",
        options={"xatol": 1e-10},
    )
    lx_star, rmin = float(res.x), float(res.fun)
    d = float(p["d"])

    def ed(level):
        target = d - level / 100.0 * (d - rmin)
        lo = a - 20.0
        if not (r(lo) - target) * (rmin - target) < 0:
            return math.nan
        return math.exp(optimize.brentq(lambda v: r(v) - target, lo, lx_star, xtol=1e-14))

    dmax = 100.0 * (d - rmin) / d if d != 0 else math.nan
    return {"hook_onset": math.exp(lx_star), "dmax": dmax, "rmin": rmin, "ed": ed}


def _ed_values(m, free, fixed, pn, levels):
    """ED estimates (n, L) for natural free parameters pn (n, k)."""
    n = pn.shape[0]
    if isinstance(m, Bell):
        out = np.full((n, len(levels)), np.nan)
        for i in range(n):
            p = {k: pn[i, j] for j, k in enumerate(free)} | fixed
            try:
                fn = _bell_metrics(m, p)["ed"]
                out[i] = [fn(lv) for lv in levels]
            except (ValueError, FloatingPointError, OverflowError):
                pass
        return out
    p = {k: pn[:, i : i + 1] for i, k in enumerate(free)}
    p.update({k: np.full((n, 1), v) for k, v in fixed.items()})
    return m.ed(p, np.asarray(levels, dtype=float)[None, :])


def _inference(m, free, fixed, pn, x, y, w, rss, levels, level):
    """SEs, covariance and ED table, batched. Returns dicts of arrays."""
    n, k = pn.shape
    nobs = w.sum(1)
    df = nobs - k
    sigma2 = rss / np.maximum(df, 1)
    hess = _hessian(m, free, fixed, pn, x, y, w)
    cov = np.full((n, k, k), np.nan)
    good = np.all(np.isfinite(hess), axis=(1, 2))
    if good.any():
        ev = np.full((n, k), -1.0)
        ev[good] = np.linalg.eigvalsh(hess[good])
        good &= ev.min(1) > 1e-12 * np.abs(ev).max(1)
    if good.any():
        cov[good] = 2.0 * sigma2[good, None, None] * np.linalg.inv(hess[good])
    est = _ed_values(m, free, fixed, pn, levels)
    grad = np.empty((n, len(levels), k))
    for i in range(k):
        step = 1e-6 * (np.abs(pn[:, i]) + 1e-3)
        up, dn = pn.copy(), pn.copy()
        up[:, i] += step
        dn[:, i] -= step
        grad[:, :, i] = (
            _ed_values(m, free, fixed, up, levels) - _ed_values(m, free, fixed, dn, levels)
        ) / (2 * step[:, None])
    ed_se = np.sqrt(np.einsum("nli,nij,nlj->nl", grad, cov, grad))
    return inference_table(cov, good, df, sigma2, est, ed_se, level)


def _results(m, free, fixed, pn, rss, inf, levels, level, xs, ys, groups, status, messages):
    out = []
    for i in range(pn.shape[0]):
        st, msg = status[i], messages[i]
        params, se, ed, metrics = {}, {}, {}, {}
        cov = ()
        if st in (OK, NOT_ESTIMABLE) and np.all(np.isfinite(pn[i])) and inf is not None:
            for name in m.params:
                if name in fixed:
                    params[name], se[name] = float(fixed[name]), math.nan
                else:
                    j = free.index(name)
                    params[name], se[name] = float(pn[i, j]), float(inf["se"][i, j])
            for j, lv in enumerate(levels):
                ed[f"{lv:g}"] = {
                    "estimate": float(inf["ed"][i, j]),
                    "se": float(inf["ed_se"][i, j]),
                    "lower": float(inf["ed_lo"][i, j]),
                    "upper": float(inf["ed_hi"][i, j]),
                }
            cov = tuple(tuple(float(v) for v in row) for row in inf["cov"][i])
            if isinstance(m, Bell):
                bm = _bell_metrics(m, params)
                metrics = {
                    "dc50": float(bm["ed"](50.0)),
                    "dmax": bm["dmax"],
                    "hook_onset": bm["hook_onset"],
                }
            if st == OK and not inf["good"][i]:
                st = NOT_ESTIMABLE
                msg = SINGULAR_MESSAGE
        df = int(inf["df"][i]) if inf is not None and st != FAILED else 0
        out.append(
            DoseResponseResult(
                status=st,
                message=msg,
                model=m.name,
                group=groups[i],
                parameters=params,
                se=se,
                free=tuple(free),
                cov=cov,
                ed=ed,
                metrics=metrics,
                rss=float(rss[i]) if params else math.nan,
                df=df,
                sigma=float(inf["sigma"][i]) if params else math.nan,
                n_obs=int(np.isfinite(ys[i]).sum()),
                level=level,
                dose=tuple(float(v) for v in xs[i]),
                response=tuple(float(v) for v in ys[i]),
            )
        )
    return out


def _empty(m, group, x, y, status, message, level=0.95):
    return DoseResponseResult(
        status=status,
        message=message,
        model=m.name,
        group=group,
        n_obs=int(np.isfinite(y).sum()),
        level=level,
        dose=tuple(float(v) for v in x),
        response=tuple(float(v) for v in y),
    )


def _levels(ed_levels, level):
    lv = tuple(float(v) for v in ed_levels)
    if any(not 0 < v < 100 for v in lv):
        raise param_error(OWNER, "ed_levels", "percentages strictly between 0 and 100", ed_levels)
    if not 0 < float(level) < 1:
        raise param_error(OWNER, "level", "between 0 and 1 (exclusive)", level)
    return lv, float(level)


# ---- public API -----------------------------------------------------------------------------


def result_row(r: DoseResponseResult) -> dict:
    """One fitted curve as ``p53lab fit dose-response --json`` (and the web app) report it."""
    return {
        "group": r.group,
        "status": r.status,
        "message": r.message,
        "model": r.model,
        "parameters": r.parameters,
        "se": r.se,
        "ed": r.ed,
        "metrics": r.metrics,
        "sigma": r.sigma,
        "df": r.df,
    }


def fit(
    dose,
    response,
    model="ll4",
    *,
    fixed: dict | None = None,
    ed_levels: Sequence[float] = DEFAULT_ED,
    level: float = 0.95,
    n_starts: int = 4,
    group: str = "",
) -> DoseResponseResult:
    """Fit one dose–response curve by least squares.

    ``model``: "ll2", "ll3", "ll4" (aliases "hill", "4pl"), "ll5", "bell" or a model object;
    ``fixed``: parameters held at a value, e.g. ``{"d": 1.0}``; ``ed_levels``: the ED levels
    (percent) reported with delta-method SE and t-based CI at ``level``. NaN responses are
    dropped. Returns a :class:`DoseResponseResult` whose ``status`` says whether the data
    determined the curve.
    """
    m = _model(model)
    fx = _fixed(m, fixed)
    levels, level = _levels(ed_levels, level)
    x, y = _arrays(dose, response)
    free = [k for k in m.params if k not in fx]
    reason = _not_estimable_reason(x, y, len(free))
    if reason:
        return _empty(m, group, x, y, NOT_ESTIMABLE, reason, level)
    ok = np.isfinite(y)
    xf, yf = x[ok][None, :], y[ok][None, :]
    wf = np.ones_like(xf, dtype=bool)
    lo, hi = _bounds(m, free, xf)
    starts = _grid(m, free, fx, xf, yf, wf, max(int(n_starts), 1))[0]
    best, best_rss = None, np.inf

    def resid(th):
        return (yf - m.predict(xf, _natural(m, free, fx, th[None, :])))[0]

    def jac(th):
        p = _natural(m, free, fx, th[None, :])
        return -_theta_jac(m, free, xf, p)[0]

    for th0 in starts:
        th0 = np.clip(th0, lo[0], hi[0])
        try:
            sol = optimize.least_squares(
                resid,
                th0,
                jac=jac,
                bounds=(lo[0], hi[0]),
                x_scale="jac",
                method="trf",
                ftol=1e-15,
                xtol=1e-15,
                gtol=1e-15,
                max_nfev=2000,
            )
        except (ValueError, FloatingPointError):
            continue
        r = float(np.sum(sol.fun**2))
        if np.isfinite(r) and r < best_rss:
            best, best_rss = sol.x, r
    if best is None:
        return _empty(m, group, x, y, FAILED, "the optimiser failed from every start", level)
    best = _canonical(m, free, best[None, :])[0]
    pn = np.array(
        [[np.exp(v) if k in m.log_params else v for k, v in zip(free, best, strict=True)]]
    )
    inf = _inference(m, free, fx, pn, xf, yf, wf, np.array([best_rss]), levels, level)
    at_bound = np.isclose(best, lo[0], rtol=0, atol=1e-8) | np.isclose(
        best, hi[0], rtol=0, atol=1e-8
    )
    msg = ""
    if at_bound.any():
        names = [free[i] for i in np.nonzero(at_bound)[0]]
        msg = f"parameter(s) {names} at their bound; the data do not determine them well"
    return _results(
        m, free, fx, pn, np.array([best_rss]), inf, levels, level, [x], [y], [group], [OK], [msg]
    )[0]


def profile_ci(
    result: DoseResponseResult, parameter: str, level: float | None = None
) -> tuple[float, float]:
    """Profile-likelihood confidence interval of one parameter of a fitted curve.

    The profile-t interval of Bates & Watts (1988, *Nonlinear Regression Analysis and Its
    Applications*, ch. 6): the values v for which the curve refitted with the parameter fixed at
    v has RSS(v) − RSS_min ≤ t²(df) · RSS_min/df. Unlike the delta method it follows the shape of
    the likelihood, so it is asymmetric where the curve is (e, the ED50 of LL.4, on its log
    scale). A side whose profile never reaches the threshold inside the parameter's bounds is
    open (±inf); a side where refits do not give a monotone profile is NaN. Each bound costs a
    few dozen refits.
    """
    if parameter not in result.free:
        raise param_error(
            "profile_ci", "parameter", f"one of the free ones {result.free}", parameter
        )
    if not result.ok or result.df < 1 or not math.isfinite(result.rss):
        raise param_error("profile_ci", "result", "a fitted curve with status ok", result.status)
    level = result.level if level is None else float(level)
    if not 0 < level < 1:
        raise param_error("profile_ci", "level", "between 0 and 1", level)
    m = _model(result.model)
    fixed = {k: v for k, v in result.parameters.items() if k not in result.free}
    x = np.asarray(result.dose, dtype=float)
    y = np.asarray(result.response, dtype=float)
    est = float(result.parameters[parameter])
    logscale = parameter in m.log_params
    tq = float(stats.t.ppf(0.5 + level / 2, result.df))
    limit = tq * tq * result.rss / result.df

    def excess(u):  # RSS above the minimum, beyond the threshold, at parameter = u (scaled)
        v = math.exp(u) if logscale else u
        r = fit(x, y, m, fixed={**fixed, parameter: v}, ed_levels=(50,))
        rss = r.rss if math.isfinite(r.rss) else math.inf
        return rss - result.rss - limit

    u0 = math.log(est) if logscale else est
    se = float(result.se.get(parameter, math.nan))
    step = se / est if logscale and math.isfinite(se) and est > 0 else se
    if not math.isfinite(step) or step <= 0:
        step = 0.1 if logscale else 0.1 * (abs(est) + 1.0)
    lo_b, hi_b = m.bounds(parameter, x)
    bounds = []
    for sign in (-1.0, 1.0):
        inner, outer = u0, u0 + sign * step
        found = False
        for _ in range(40):
            if not (lo_b <= outer <= hi_b):
                outer = min(max(outer, lo_b), hi_b)
                found = excess(outer) > 0
                break
            if excess(outer) > 0:
                found = True
                break
            inner, outer = outer, outer + sign * step
            step *= 1.6
        if not found:
            bounds.append(sign * math.inf)
            continue
        # the refit at the estimate is the fit itself
        f_in = -limit if inner == u0 else excess(inner)
        if f_in > 0:  # a refit found a worse local optimum: the profile is not usable here
            bounds.append(math.nan)
            continue
        root = optimize.brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-10)
        bounds.append(math.exp(root) if logscale else root)
    lower, upper = bounds
    if logscale and lower == -math.inf:
        lower = 0.0
    return float(lower), float(upper)


@dataclasses.dataclass(frozen=True)
class BatchFit:
    """Many curves fitted at once, as arrays (row i is curve i): the form for screens.

    ``parameters``/``se``: (n, k) in the order of ``free``; ``cov``: (n, k, k); ``ed``,
    ``ed_se``, ``ed_lower``, ``ed_upper``: (n, L) for ``levels``; ``status``: (n,) strings
    ("ok", "not_estimable", "failed") and ``messages`` the reasons. :meth:`to_frame` gives a
    tidy table, :meth:`results` one :class:`DoseResponseResult` per curve.
    """

    model: str
    free: tuple
    fixed: dict
    levels: tuple
    level: float
    parameters: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    ed: np.ndarray
    ed_se: np.ndarray
    ed_lower: np.ndarray
    ed_upper: np.ndarray
    rss: np.ndarray
    df: np.ndarray
    sigma: np.ndarray
    good: np.ndarray
    status: np.ndarray
    messages: tuple
    dose: np.ndarray
    response: np.ndarray

    def __len__(self) -> int:
        return int(self.status.shape[0])

    def to_frame(self, groups: Sequence | None = None) -> pd.DataFrame:
        """One row per curve: group, status, message, each parameter and its SE, each ED
        level with SE and CI bounds."""
        n = len(self)
        out = {"group": list(groups) if groups is not None else list(range(n))}
        out["status"] = self.status
        out["message"] = list(self.messages)
        for j, k in enumerate(self.free):
            out[k] = self.parameters[:, j]
            out[f"se_{k}"] = self.se[:, j]
        for k, v in self.fixed.items():
            out[k] = np.full(n, v)
        for j, lv in enumerate(self.levels):
            tag = f"ED{lv:g}"
            out[tag] = self.ed[:, j]
            out[f"{tag}_se"] = self.ed_se[:, j]
            out[f"{tag}_lower"] = self.ed_lower[:, j]
            out[f"{tag}_upper"] = self.ed_upper[:, j]
        out["rss"], out["df"], out["sigma"] = self.rss, self.df, self.sigma
        return pd.DataFrame(out)

    def results(self, groups: Sequence | None = None) -> list[DoseResponseResult]:
        n = len(self)
        groups = [str(g) for g in groups] if groups is not None else [str(i) for i in range(n)]
        inf = {
            "cov": self.cov,
            "se": self.se,
            "good": self.good,
            "df": self.df,
            "sigma": self.sigma,
            "ed": self.ed,
            "ed_se": self.ed_se,
            "ed_lo": self.ed_lower,
            "ed_hi": self.ed_upper,
        }
        return _results(
            _model(self.model),
            list(self.free),
            self.fixed,
            self.parameters,
            self.rss,
            inf,
            self.levels,
            self.level,
            list(self.dose),
            list(self.response),
            groups,
            list(self.status),
            list(self.messages),
        )


def _batch_arrays(dose, response) -> tuple[np.ndarray, np.ndarray]:
    """(curves × points) float arrays of equal shape."""
    x = np.atleast_2d(np.asarray(dose, dtype=float))
    y = np.atleast_2d(np.asarray(response, dtype=float))
    if x.shape != y.shape:
        raise param_error(OWNER, "response", f"of the shape of 'dose' {x.shape}", y.shape)
    return x, y


def _screen_rows(x, y, k):
    """Per-row status and message before fitting (bad doses: failed; data that cannot fix the
    curve: not_estimable). Vectorised; messages are built only for the flagged rows."""
    n = x.shape[0]
    status = np.full(n, OK, dtype=object)
    messages = [""] * n
    fy = np.isfinite(y)
    fx = np.isfinite(x)
    bad = ((~fx) & fy).any(1) | (np.where(fx, x, 0.0) < 0).any(1)
    for i in np.nonzero(bad)[0]:
        xi, yi = x[i], y[i]
        cand = xi[np.isfinite(yi)]
        cand = cand[~np.isfinite(cand) | (cand < 0)]
        if not cand.size:
            cand = xi[np.isfinite(xi) & (xi < 0)]
        status[i] = FAILED
        messages[i] = f"dose {cand[0]:g} in this curve; doses must be finite and >= 0. Fix it."
    nfin = fy.sum(1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        flat = np.nanmax(np.where(fy, y, np.nan), 1) == np.nanmin(np.where(fy, y, np.nan), 1)
    if n > 1 and np.array_equal(x, np.broadcast_to(x[:1], x.shape)) and fx[0].all():
        u, inv = np.unique(x[0], return_inverse=True)
        g = np.zeros((x.shape[1], u.size))
        g[np.arange(x.shape[1]), inv] = 1.0
        has = (fy.astype(float) @ g) > 0
        distinct = has.sum(1)
        npos = has[:, u > 0].sum(1)
        suspect = (nfin == 0) | (distinct < 2) | (npos < 1) | (distinct < k) | (nfin <= k) | flat
    else:
        suspect = np.ones(n, dtype=bool)
    for i in np.nonzero(suspect & ~bad)[0]:
        reason = _not_estimable_reason(np.nan_to_num(x[i]), y[i], k)
        if reason:
            status[i], messages[i] = NOT_ESTIMABLE, reason
    return status, messages


def fit_batch(
    dose,
    response,
    model="ll4",
    *,
    fixed=None,
    ed_levels=DEFAULT_ED,
    level=0.95,
    max_iter: int = 200,
) -> BatchFit:
    """Fit many log-logistic curves at once; ``dose`` and ``response`` of shape (n, m) (pad
    shorter curves with NaN responses). Returns arrays (:class:`BatchFit`), never raising for
    one bad curve: it carries its status.

    LL.2–LL.4 use variable projection with replicates aggregated
    (:mod:`p53lab.assays._dr_batch`); LL.5 a vectorised Levenberg–Marquardt on all parameters.
    For the bell model use :func:`fit_arrays` (it fits those curves one by one).
    """
    m = _model(model)
    if isinstance(m, Bell):
        raise param_error("fit_batch", "model", "a log-logistic model (use fit_arrays)", model)
    fx = _fixed(m, fixed)
    levels, level = _levels(ed_levels, level)
    x, y = _batch_arrays(dose, response)
    n = x.shape[0]
    free = [k for k in m.params if k not in fx]
    k = len(free)
    status, messages = _screen_rows(x, y, k)
    todo = status == OK
    pn = np.full((n, k), np.nan)
    rss = np.full(n, np.nan)
    nlv = len(levels)
    inf = {
        "cov": np.full((n, k, k), np.nan),
        "se": np.full((n, k), np.nan),
        "good": np.zeros(n, dtype=bool),
        "df": np.zeros(n),
        "sigma": np.full(n, np.nan),
        "ed": np.full((n, nlv), np.nan),
        "ed_se": np.full((n, nlv), np.nan),
        "ed_lo": np.full((n, nlv), np.nan),
        "ed_hi": np.full((n, nlv), np.nan),
    }
    if todo.any():
        xs = np.nan_to_num(x[todo])
        ys = y[todo]
        w = np.isfinite(ys)
        if fx.get("f") == 1.0 and "e" in free and "b" in free:
            # LL.2-LL.4: variable projection on (b, log e), replicates aggregated
            _, pt, r, sub, converged = fit_ll_fast(xs, ys, fx, levels, level, max_iter=max_iter)
            active = ~converged
        else:
            ys = np.where(w, ys, 0.0)
            lo, hi = _bounds(m, free, np.where(w, xs, np.nan))
            lo = np.where(np.isfinite(lo), lo, -np.inf)
            hi = np.where(np.isfinite(hi), hi, np.inf)
            th0 = _grid(m, free, fx, xs, ys, w, 1)[:, 0]
            th, r, _, active = _lm(m, free, fx, th0, xs, ys, w, lo, hi, max_iter=max_iter)
            th = _canonical(m, free, th)
            pt = np.where(np.isin(free, list(m.log_params))[None, :], np.exp(th), th)
            sub = _inference(m, free, fx, pt, xs, ys, w, r, levels, level)
        pn[todo], rss[todo] = pt, r
        for key, v in sub.items():
            inf[key][todo] = v
        idx = np.nonzero(todo)[0]
        for j in np.nonzero(active)[0]:
            messages[idx[j]] = f"no convergence within {max_iter} iterations"
            status[idx[j]] = FAILED
        for i in idx[~inf["good"][idx].astype(bool)]:
            if status[i] == OK:
                status[i] = NOT_ESTIMABLE
                messages[i] = SINGULAR_MESSAGE
    return BatchFit(
        model=m.name,
        free=tuple(free),
        fixed=dict(fx),
        levels=levels,
        level=level,
        parameters=pn,
        se=inf["se"],
        cov=inf["cov"],
        ed=inf["ed"],
        ed_se=inf["ed_se"],
        ed_lower=inf["ed_lo"],
        ed_upper=inf["ed_hi"],
        rss=rss,
        df=np.nan_to_num(inf["df"]),
        sigma=inf["sigma"],
        good=inf["good"].astype(bool),
        status=status,
        messages=tuple(messages),
        dose=x,
        response=y,
    )


def fit_arrays(
    dose,
    response,
    model="ll4",
    *,
    fixed=None,
    ed_levels=DEFAULT_ED,
    level=0.95,
    groups=None,
    max_iter: int = 200,
) -> list[DoseResponseResult]:
    """Batched fit of many curves, one :class:`DoseResponseResult` each (see
    :func:`fit_batch`, which returns plain arrays and is the faster choice for screens). The
    bell model is fitted curve by curve with :func:`fit`."""
    m = _model(model)
    if not isinstance(m, Bell):
        batch = fit_batch(
            dose, response, m, fixed=fixed, ed_levels=ed_levels, level=level, max_iter=max_iter
        )
        return batch.results(groups)
    levels, level = _levels(ed_levels, level)
    x, y = _batch_arrays(dose, response)
    n = x.shape[0]
    groups = [str(g) for g in groups] if groups is not None else [str(i) for i in range(n)]
    free = [k for k in m.params if k not in _fixed(m, fixed)]
    status, messages = _screen_rows(x, y, len(free))
    out = []
    for i in range(n):
        if status[i] != OK:
            out.append(_empty(m, groups[i], x[i], y[i], status[i], messages[i], level))
        else:
            out.append(
                fit(x[i], y[i], m, fixed=fixed, ed_levels=levels, level=level, group=groups[i])
            )
    return out


def fit_many(
    df: pd.DataFrame,
    dose_col: str,
    response_col: str,
    group_col: str | None = None,
    model="ll4",
    *,
    fixed=None,
    ed_levels: Sequence[float] = DEFAULT_ED,
    level: float = 0.95,
) -> list[DoseResponseResult]:
    """Fit one curve per group of a long table (batched; see :func:`fit_arrays`). Groups keep
    their order of first appearance; without ``group_col`` the whole table is one curve."""
    for col in (dose_col, response_col) + ((group_col,) if group_col else ()):
        if col not in df.columns:
            raise param_error(
                "fit_many",
                "column",
                f"one of the table's columns {list(map(str, df.columns))}",
                col,
            )
    if group_col:
        keys = pd.unique(df[group_col].astype(str))
        parts = [df[df[group_col].astype(str) == k] for k in keys]
    else:
        keys, parts = [""], [df]
    mlen = max((len(p) for p in parts), default=0)
    x = np.full((len(parts), max(mlen, 1)), np.nan)
    y = np.full_like(x, np.nan)
    for i, p in enumerate(parts):
        x[i, : len(p)] = pd.to_numeric(p[dose_col], errors="coerce").to_numpy(float)
        y[i, : len(p)] = pd.to_numeric(p[response_col], errors="coerce").to_numpy(float)
    res = fit_arrays(
        x, y, model, fixed=fixed, ed_levels=ed_levels, level=level, groups=[str(k) for k in keys]
    )
    out = []
    for r, p in zip(res, parts, strict=False):
        k = len(p)
        out.append(dataclasses.replace(r, dose=r.dose[:k], response=r.response[:k]))
    return out


def plot(result: DoseResponseResult, ax=None):
    """Data points and the fitted curve on a log dose axis (x = 0 drawn one decade below the
    smallest positive dose), ED50 (DC50 for the bell model) marked. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    x = np.asarray(result.dose, dtype=float)
    y = np.asarray(result.response, dtype=float)
    pos = x[x > 0]
    zero_at = pos.min() / 10 if pos.size else 1.0
    ax.plot(np.where(x > 0, x, zero_at), y, "o", label="data")
    if result.parameters:
        lo = zero_at if (x == 0).any() else (pos.min() if pos.size else 0.1) / 2
        hi = pos.max() * 2 if pos.size else 10.0
        grid = np.geomspace(lo, hi, 300)
        ax.plot(grid, result.predict(grid), "-", label=f"{result.model} fit")
        e50 = result.ed.get("50", {}).get("estimate", math.nan)
        if e50 is not None and math.isfinite(e50):
            ax.axvline(e50, ls="--", color="grey", label=f"ED50 = {e50:.4g}")
    ax.set_xscale("log")
    ax.set_xlabel("dose")
    ax.set_ylabel("response")
    ax.set_title(f"{result.group or 'curve'} ({result.status})")
    ax.legend()
    return ax


_ = (LL2, LL3, LL4, LL5, ParameterError)  # re-exported names
