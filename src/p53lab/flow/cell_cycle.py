"""Cell-cycle phases from a DNA-content (PI) histogram.

The DNA channel (pulse area, linear scale) is histogrammed after optional doublet exclusion
(:class:`p53lab.flow.gating.SingletGate`; a G1 doublet has the DNA of one G2/M cell). Events
below the **sub-G1 cutoff** ``μ1 − 4σ1`` (hypodiploid apoptotic cells and debris) give
``sub_g1_pct`` (of all analysed events); events above ``μ2 + 4σ2`` (aggregates) give
``above_g2_pct``. G1, S and G2/M percentages are of the cycling cells between the two, and sum
to 100. CVs are in percent (``100·σ/μ``). Each histogram bin ``[e_i, e_i+1)`` is compared with
the bin integral of the model, using ``Φ`` the standard normal distribution function::

    G(i; A, μ, σ) = A·[Φ((e_i+1 − μ)/σ) − Φ((e_i − μ)/σ)]

**Watson pragmatic model** (Watson JV, Chambers SH, Smith PJ (1987) Cytometry 8:1–8). S phase
gets no shape: the G1 and G2/M peaks are fitted by Gaussians on the halves of the peaks that S
phase overlaps least — G1 on its lower half, G2/M on its upper half — and S phase is what
remains::

    G1 = A1,   G2/M = A2,   S = N_cycling − A1 − A2

(``N_cycling``: events between the cutoffs). As implemented here, each peak's mean is first
located by a fit over ``μ ± 2σ``; ``A`` and ``σ`` then come from the outer half alone
(``μ − 3σ … μ`` for G1, ``μ … μ + 3σ`` for G2/M) with the mean held. The S-phase cells that
still fall under an outer half (its broadened edge) are taken as a step at the S level measured
in the trough beside the peak, ``L·Φ((x − μ1)/σ1)`` under G1 and ``L·Φ((μ2 − x)/σ2)`` under
G2/M; without it a large S phase inflates G2/M by several percentage points. ``reduced_chi2``
is computed over the bins of the two outer-half fits.

**Dean–Jett–Fox model** (Dean PN, Jett JH (1974) J Cell Biol 60:523–527; Fox MH (1980)
Cytometry 1:71–77). The whole cycling region is fitted at once: two Gaussians for G1 and G2/M
and an S phase that is a second-degree polynomial in DNA content between μ1 and μ2, each
S-phase DNA content ``u`` broadened by a Gaussian whose σ varies linearly from σ1 to σ2::

    t = (u − μ1)/(μ2 − μ1),   P(t) = b0(1 − t)² + 2·b1·t(1 − t) + b2·t²   (b_k ≥ 0)
    S(i) = ∫₀¹ P(t)·[Φ((e_i+1 − u)/σ(u)) − Φ((e_i − u)/σ(u))] dt,   σ(u) = σ1 + (σ2 − σ1)·t
    f(i) = G(i; A1, μ1, σ1) + G(i; A2, μ2, σ2) + S(i),     S area = (b0 + b1 + b2)/3

(the Bernstein form keeps P ≥ 0; the integral uses 48-point Gauss–Legendre). Parameters are
fitted by weighted least squares, first with Neyman weights 1/max(y, 1), then refitted with
the first fit's expected counts as Pearson weights, which removes the low-count bias of
Neyman's χ².

For both: ``reduced_chi2 = Σ (y − f)²/max(f, 1) / (bins − parameters)``; values near 1 mean the
model describes the histogram within counting noise.
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
from scipy.optimize import least_squares
from scipy.special import ndtr

from ..assays._base import NOT_ESTIMABLE, OK, FitResult
from ..errors import ParameterError, param_error
from .fcs import FcsData, read_fcs
from .gating import SingletGate

__all__ = [
    "MODELS",
    "SUMMARY_KEYS",
    "CellCycleResult",
    "DeanJettFox",
    "Watson",
    "fit",
    "plot",
]

# The fields of one result as ``p53lab flow cell-cycle --json`` and the web app report them.
SUMMARY_KEYS = (
    "status",
    "message",
    "source",
    "channel",
    "model",
    "g1_pct",
    "s_pct",
    "g2m_pct",
    "sub_g1_pct",
    "above_g2_pct",
    "g1_mean",
    "g1_cv",
    "g2_mean",
    "g2_cv",
    "g2_g1_ratio",
    "reduced_chi2",
    "dof",
    "n_events",
    "n_excluded",
    "n_cycling",
    "sub_g1_cutoff",
    "upper_cutoff",
)

MIN_EVENTS = 500
SUB_G1_SIGMAS = 4.0
"""The sub-G1 cutoff (and the aggregate cutoff) lie this many σ outside the G1 (G2) mean."""
G2_RATIO_RANGE = (1.6, 2.4)
"""Allowed G2/G1 mean ratios (2 for an ideal linear instrument; 1.9–2.05 is typical)."""


@dataclasses.dataclass(frozen=True)
class CellCycleResult(FitResult):
    """Phase percentages, peak positions and CVs, goodness of fit and the fitted histogram."""

    source: str = ""
    channel: str = ""
    model: str = ""
    n_events: int = 0
    n_excluded: int = 0
    n_cycling: int = 0
    g1_pct: float = math.nan
    s_pct: float = math.nan
    g2m_pct: float = math.nan
    sub_g1_pct: float = math.nan
    above_g2_pct: float = math.nan
    g1_mean: float = math.nan
    g1_cv: float = math.nan
    g2_mean: float = math.nan
    g2_cv: float = math.nan
    g2_g1_ratio: float = math.nan
    reduced_chi2: float = math.nan
    dof: int = 0
    sub_g1_cutoff: float = math.nan
    upper_cutoff: float = math.nan
    parameters: dict = dataclasses.field(default_factory=dict)
    bin_edges: tuple = ()
    counts: tuple = ()
    components: dict = dataclasses.field(default_factory=dict)


def _gauss_bins(edges: np.ndarray, a: float, mu: float, sd: float) -> np.ndarray:
    z = ndtr((edges - mu) / sd)
    return a * np.diff(z)


# ---- histogram and first guesses -----------------------------------------------------------


def _histogram(v: np.ndarray, bins: int, upper: float | None, integral: bool):
    top = float(upper) if upper is not None else float(np.percentile(v, 99.9)) * 1.1
    if not top > 0:
        raise ParameterError(
            f"The DNA values are not positive (99.9th percentile {top:g}); give the linear "
            "area channel of the DNA dye."
        )
    if integral:  # integer channel numbers: whole-channel bins, edges between channels
        width = max(1, round(top / bins))
        edges = np.arange(-0.5, top + width, width, dtype=float)
    else:
        edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
    return edges, counts.astype(float)


@dataclasses.dataclass
class _Guess:
    mu1: float
    sd1: float
    mu2: float
    sd2: float
    g2_peak: bool


def _initial(edges, counts, g1_guess: float | None, where: str) -> _Guess:
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks, peak_widths

    c = 0.5 * (edges[1:] + edges[:-1])
    bw = float(edges[1] - edges[0])
    sm = gaussian_filter1d(counts, 1.0)
    search = np.where(c >= 0.05 * c[-1], sm, 0.0)
    if search.max() <= 0:
        raise ParameterError(f"{where}: the DNA histogram is empty above the debris region.")
    peaks, _ = find_peaks(search, prominence=0.03 * search.max())
    if len(peaks) == 0:
        raise ParameterError(f"{where}: no G1 peak is visible in the DNA histogram.")
    widths = peak_widths(search, peaks, rel_height=0.5)[0] * bw
    heights = search[peaks]
    rel_w = widths / c[peaks]
    if g1_guess is not None:
        k = int(np.argmin(np.abs(c[peaks] - float(g1_guess))))
    else:
        k = int(np.argmax(heights))
        # a G2/M-arrested sample can have its tallest peak at G2: prefer a narrow peak at half
        # the position (a broad one there is a sub-G1 hump, not G1)
        ratio = c[peaks] / c[peaks[k]]
        cand = np.flatnonzero(
            (ratio > 0.42)
            & (ratio < 0.58)
            & (heights >= 0.1 * heights[k])
            & (rel_w < 2.0 * rel_w[k])
        )
        if cand.size:
            k = int(cand[np.argmax(heights[cand])])
    mu1 = float(c[peaks[k]])
    sd1 = max(float(widths[k]) / 2.3548, 0.5 * bw)
    ratio = c[peaks] / mu1
    g2c = np.flatnonzero((ratio > 1.75) & (ratio < 2.25))
    if g2c.size:
        j = int(g2c[np.argmax(heights[g2c])])
        mu2, g2_peak = float(c[peaks[j]]), True
    else:
        mu2, g2_peak = 2.0 * mu1, False
    return _Guess(mu1, sd1, mu2, sd1 * mu2 / mu1, g2_peak)


# ---- models --------------------------------------------------------------------------------


@dataclasses.dataclass
class _ModelFit:
    a1: float
    mu1: float
    sd1: float
    a2: float
    mu2: float
    sd2: float
    s_area: float
    chi2: float
    dof: int
    components: dict  # name -> expected counts per histogram bin
    parameters: dict
    status: str = OK
    message: str = ""


def _inside(x, lo, hi, rel=1e-9):
    """``x`` moved just inside finite bounds (least_squares wants a strictly feasible start)."""
    pad_lo = np.where(np.isfinite(lo), rel * (np.abs(lo) + 1.0), 0.0)
    pad_hi = np.where(np.isfinite(hi), rel * (np.abs(hi) + 1.0), 0.0)
    return np.minimum(np.maximum(x, lo + pad_lo), hi - pad_hi)


def _weighted_fit(fun, x0, lo, hi):
    """Neyman-weighted fit, then a Pearson-weighted refit (weights from the first model)."""
    y = fun.y
    w = 1.0 / np.sqrt(np.maximum(y, 1.0))
    r1 = least_squares(
        lambda p: (fun(p) - y) * w, _inside(x0, lo, hi), bounds=(lo, hi), x_scale="jac"
    )
    w = 1.0 / np.sqrt(np.maximum(fun(r1.x), 1.0))
    return least_squares(
        lambda p: (fun(p) - y) * w, _inside(r1.x, lo, hi), bounds=(lo, hi), x_scale="jac"
    )


class _Binned:
    """A model evaluated on histogram bins; ``y`` holds the observed counts."""

    def __init__(self, edges, y, model):
        self.edges, self.y, self.model = edges, y, model

    def __call__(self, p):
        return self.model(self.edges, p)


def _chi2(y, f, n_par) -> tuple[float, int]:
    dof = int(y.size - n_par)
    chi2 = float(np.sum((y - f) ** 2 / np.maximum(f, 1.0)))
    return (chi2 / dof if dof > 0 else math.nan), dof


class Watson:
    """Watson pragmatic model: outer-half Gaussian fits, S phase by subtraction."""

    name = "watson"
    citation = "Watson JV, Chambers SH, Smith PJ (1987) Cytometry 8:1-8"

    def fit(self, edges, counts, g: _Guess, lo_cut: float, hi_cut: float) -> _ModelFit:
        c = 0.5 * (edges[1:] + edges[:-1])
        bw = float(edges[1] - edges[0])

        def s_level(lo_x, hi_x):
            # counts per bin of S phase just inside a peak (the trough between the peaks)
            sel = (c >= lo_x) & (c <= hi_x) & (c > g.mu1 + 2.5 * g.sd1) & (c < g.mu2 - 2.5 * g.sd2)
            return float(np.median(counts[sel])) if sel.any() else 0.0

        def peak(mu, sd, level, rising: bool):
            sign = 1.0 if rising else -1.0

            def fit_on(sel, p0, lo, hi, fixed_mu=None):
                e = np.append(edges[sel], edges[sel[-1] + 1])
                cc = c[sel]

                def model(ed, p):
                    m = p[1] if fixed_mu is None else fixed_mu
                    sd_ = p[2] if fixed_mu is None else p[1]
                    return _gauss_bins(ed, p[0], m, sd_) + level * ndtr(sign * (cc - m) / sd_)

                fun = _Binned(e, counts[sel], model)
                r = _weighted_fit(fun, p0, lo, hi)
                return r.x, fun(r.x), counts[sel]

            # 1. locate the mean on the peak top (both sides, |x - mu| <= 2 sd)
            top = np.flatnonzero(np.abs(c - mu) <= 2 * sd)
            if top.size < 4:
                raise ParameterError(
                    f"a peak at {mu:.4g} spans only {top.size} bins within 2 SD; the Watson "
                    "model needs at least 4. Use more bins (e.g. bins=512)."
                )
            area0 = max(
                float(counts[top].max() - level / 2) * sd * math.sqrt(2 * math.pi) / bw, 1.0
            )
            lo = np.array([0.0, mu - 2 * sd, 0.3 * bw])
            hi = np.array([np.inf, mu + 2 * sd, max(6 * sd, bw)])
            p, _, _ = fit_on(top, np.array([area0, mu, sd]), lo, hi)
            mu_hat, sd0 = float(p[1]), float(p[2])
            # 2. area and SD from the outer half only (G1: below the mean; G2/M: above it)
            if rising:
                outer = np.flatnonzero((c >= max(mu_hat - 3 * sd0, lo_cut)) & (c <= mu_hat))
            else:
                outer = np.flatnonzero((c >= mu_hat) & (c <= mu_hat + 3 * sd0))
            if outer.size < 4:
                raise ParameterError(
                    f"the outer half of the peak at {mu_hat:.4g} spans only {outer.size} bins; "
                    "the Watson model needs at least 4. Use more bins (e.g. bins=512)."
                )
            lo2 = np.array([0.0, 0.3 * bw])
            hi2 = np.array([np.inf, max(6 * sd0, bw)])
            q, f, y = fit_on(outer, np.array([p[0], sd0]), lo2, hi2, fixed_mu=mu_hat)
            return float(q[0]), mu_hat, float(q[1]), f, y

        lev1 = s_level(g.mu1 + 3 * g.sd1, g.mu1 + 5 * g.sd1)
        lev2 = s_level(g.mu2 - 5 * g.sd2, g.mu2 - 3 * g.sd2)
        a1, mu1, sd1, f1, y1 = peak(g.mu1, g.sd1, lev1, True)
        a2, mu2, sd2, f2, y2 = peak(g.mu2, g.sd2, lev2, False)
        inside = (c >= lo_cut) & (c <= hi_cut)
        n_cyc = float(counts[inside].sum())
        s_area = max(n_cyc - a1 - a2, 0.0)
        g1c = _gauss_bins(edges, a1, mu1, sd1)
        g2c = _gauss_bins(edges, a2, mu2, sd2)
        s_c = np.where(inside & (c > mu1) & (c < mu2), np.maximum(counts - g1c - g2c, 0.0), 0.0)
        red, dof = _chi2(np.concatenate([y1, y2]), np.concatenate([f1, f2]), 4)
        return _ModelFit(
            a1,
            mu1,
            sd1,
            a2,
            mu2,
            sd2,
            s_area,
            red,
            dof,
            {"g1": g1c, "s": s_c, "g2m": g2c},
            {
                "a1": a1,
                "mu1": mu1,
                "sd1": sd1,
                "a2": a2,
                "mu2": mu2,
                "sd2": sd2,
                "s_area": s_area,
                "s_level_g1": lev1,
                "s_level_g2": lev2,
            },
        )


class DeanJettFox:
    """Dean–Jett–Fox model: two Gaussians and a broadened second-degree polynomial S phase."""

    name = "djf"
    citation = "Dean PN, Jett JH (1974) J Cell Biol 60:523-527; Fox MH (1980) Cytometry 1:71-77"
    _t, _w = np.polynomial.legendre.leggauss(48)
    _t = 0.5 * (_t + 1.0)
    _w = 0.5 * _w

    @classmethod
    def s_phase(cls, edges, mu1, sd1, mu2, sd2, b):
        t = cls._t[:, None]
        u = mu1 + (mu2 - mu1) * t
        sd = sd1 + (sd2 - sd1) * t
        poly = b[0] * (1 - t) ** 2 + 2 * b[1] * t * (1 - t) + b[2] * t**2
        z = ndtr((edges[None, :] - u) / sd)
        return np.sum(cls._w[:, None] * poly * np.diff(z, axis=1), axis=0)

    @classmethod
    def model(cls, edges, p):
        a1, mu1, sd1, a2, mu2, sd2, b0, b1, b2 = p
        return (
            _gauss_bins(edges, a1, mu1, sd1)
            + _gauss_bins(edges, a2, mu2, sd2)
            + cls.s_phase(edges, mu1, sd1, mu2, sd2, (b0, b1, b2))
        )

    def fit(self, edges, counts, g: _Guess, lo_cut: float, hi_cut: float) -> _ModelFit:
        c = 0.5 * (edges[1:] + edges[:-1])
        bw = float(edges[1] - edges[0])
        sel = np.flatnonzero((c >= lo_cut) & (c <= hi_cut))
        if sel.size < 15:
            raise ParameterError(
                f"the cycling region spans only {sel.size} bins; the Dean-Jett-Fox model "
                "needs at least 15. Use more bins."
            )
        e = np.append(edges[sel], edges[sel[-1] + 1])
        y = counts[sel]
        mid = (c > g.mu1 + 2.5 * g.sd1) & (c < g.mu2 - 2.5 * g.sd2)
        s_level = float(np.median(counts[mid])) if mid.any() else 0.0
        p_t = max(s_level * (g.mu2 - g.mu1) / bw, 1.0)
        near1 = np.abs(c - g.mu1) < 2.5 * g.sd1
        near2 = np.abs(c - g.mu2) < 2.5 * g.sd2
        a1 = max(float(counts[near1].sum()) - s_level * near1.sum() * 0.5, 1.0)
        a2 = max(float(counts[near2].sum()) - s_level * near2.sum() * 0.5, 1.0)
        x0 = np.array([a1, g.mu1, g.sd1, a2, g.mu2, g.sd2, p_t, p_t, p_t])
        lo = np.array(
            [0, 0.85 * g.mu1, 0.3 * bw, 0, G2_RATIO_RANGE[0] * g.mu1, 0.3 * bw, 0, 0, 0],
            dtype=float,
        )
        hi = np.array(
            [
                np.inf,
                1.15 * g.mu1,
                0.3 * g.mu1,
                np.inf,
                G2_RATIO_RANGE[1] * g.mu1,
                0.3 * g.mu2,
                np.inf,
                np.inf,
                np.inf,
            ]
        )
        fun = _Binned(e, y, self.model)
        r = _weighted_fit(fun, x0, lo, hi)
        a1, mu1, sd1, a2, mu2, sd2, b0, b1, b2 = (float(v) for v in r.x)
        red, dof = _chi2(y, fun(r.x), 9)
        s_area = (b0 + b1 + b2) / 3.0
        comps = {
            "g1": _gauss_bins(edges, a1, mu1, sd1),
            "s": self.s_phase(edges, mu1, sd1, mu2, sd2, (b0, b1, b2)),
            "g2m": _gauss_bins(edges, a2, mu2, sd2),
        }
        params = dict(a1=a1, mu1=mu1, sd1=sd1, a2=a2, mu2=mu2, sd2=sd2, b0=b0, b1=b1, b2=b2)
        fit_ = _ModelFit(a1, mu1, sd1, a2, mu2, sd2, s_area, red, dof, comps, params)
        if not r.success:
            fit_.status, fit_.message = NOT_ESTIMABLE, f"optimizer: {r.message}"
        return fit_


MODELS = {"watson": Watson(), "djf": DeanJettFox()}
"""The cell-cycle models by name."""


def fit(
    sample,
    channel: str | None = None,
    *,
    model: str = "watson",
    singlets: SingletGate | None = None,
    bins: int = 256,
    upper: float | None = None,
    g1_guess: float | None = None,
) -> CellCycleResult:
    """Cell-cycle phases of one sample.

    ``sample``: an FCS path or :class:`FcsData` (then ``channel`` names the linear DNA area
    channel, ``$PnN`` or ``$PnS``), or a 1-D array of DNA values. ``model``: "watson" or "djf".
    ``singlets``: a :class:`SingletGate` (e.g. ``SingletGate("PI-A", width="PI-W")``) applied
    first. ``bins`` over ``[0, upper]`` (default upper: 1.1 × the 99.9th percentile; integer
    channel data get whole-channel bins). ``g1_guess``: position of the G1 peak, when the
    automatic choice (the tallest narrow peak) is wrong.
    """
    key = str(model).lower()
    if key not in MODELS:
        raise param_error("cell_cycle.fit", "model", f"one of {', '.join(MODELS)}", model)
    nb = int(bins)
    if nb < 32 or nb > 4096:
        raise param_error("cell_cycle.fit", "bins", "in [32, 4096]", bins)
    if isinstance(sample, str | os.PathLike):
        sample = read_fcs(sample)
    if isinstance(sample, FcsData):
        if channel is None:
            raise ParameterError(
                f"Name the DNA channel of {sample.name}. Channels: {sample.channel_list()}."
            )
        values = sample.column(channel)
        name, source = sample.pnn[sample.index(channel)], sample.source
        where = f"{sample.source} ({name})"
        mask = singlets.apply(sample).mask if singlets is not None else None
    else:
        if singlets is not None:
            raise ParameterError("A singlet gate needs an FCS sample, not an array of values.")
        values = np.asarray(sample, dtype=np.float64).ravel()
        name, source, where, mask = str(channel or ""), "", "DNA values", None
    n_all = values.size
    if mask is not None:
        values = values[mask]
    v = values[np.isfinite(values)]
    if v.size < MIN_EVENTS:
        raise ParameterError(
            f"{where}: {v.size} events"
            f"{' after doublet exclusion' if mask is not None else ''}; a cell-cycle fit needs "
            f"at least {MIN_EVENTS}. Acquire more events or check the singlet gate."
        )
    integral = bool(np.all(v == np.round(v))) and upper is None and v.max() < 1e6
    edges, counts = _histogram(v, nb, upper, integral)
    if counts.sum() == 0:
        raise ParameterError(f"{where}: the DNA histogram is empty.")
    g = _initial(edges, counts, g1_guess, where)
    m = MODELS[key]
    cuts = (g.mu1 - SUB_G1_SIGMAS * g.sd1, g.mu2 + SUB_G1_SIGMAS * g.sd2)
    for _ in range(3):  # refine the cutoffs from the fitted peaks
        try:
            res = m.fit(edges, counts, g, *cuts)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
        new = (res.mu1 - SUB_G1_SIGMAS * res.sd1, res.mu2 + SUB_G1_SIGMAS * res.sd2)
        g = _Guess(res.mu1, res.sd1, res.mu2, res.sd2, g.g2_peak)
        if abs(new[0] - cuts[0]) < 0.5 * (edges[1] - edges[0]) and abs(new[1] - cuts[1]) < 1:
            cuts = new
            break
        cuts = new
    n = v.size
    n_sub = int(np.sum(v < cuts[0]))
    n_above = int(np.sum(v > cuts[1]))
    total = res.a1 + res.a2 + res.s_area
    if not total > 0:
        raise ParameterError(f"{where}: the fit found no cycling cells.")
    status, message = res.status, res.message
    if not g.g2_peak and res.a2 < 0.01 * total:
        message = (message + "; " if message else "") + "no G2/M peak found; G2/M set near 2×G1"
    return CellCycleResult(
        status=status,
        message=message,
        source=source,
        channel=name,
        model=key,
        n_events=int(n),
        n_excluded=int(n_all - values.size),
        n_cycling=int(n - n_sub - n_above),
        g1_pct=100.0 * res.a1 / total,
        s_pct=100.0 * res.s_area / total,
        g2m_pct=100.0 * res.a2 / total,
        sub_g1_pct=100.0 * n_sub / n,
        above_g2_pct=100.0 * n_above / n,
        g1_mean=res.mu1,
        g1_cv=100.0 * res.sd1 / res.mu1,
        g2_mean=res.mu2,
        g2_cv=100.0 * res.sd2 / res.mu2,
        g2_g1_ratio=res.mu2 / res.mu1,
        reduced_chi2=res.chi2,
        dof=res.dof,
        sub_g1_cutoff=float(cuts[0]),
        upper_cutoff=float(cuts[1]),
        parameters={"model": m.citation, **res.parameters},
        bin_edges=tuple(float(x) for x in edges),
        counts=tuple(float(x) for x in counts),
        components={k: tuple(float(x) for x in val) for k, val in res.components.items()},
    )


def plot(result: CellCycleResult, ax=None):
    """DNA histogram with the fitted G1, S and G2/M components and the sub-G1 cutoff."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    edges = np.asarray(result.bin_edges, dtype=float)
    counts = np.asarray(result.counts, dtype=float)
    if edges.size < 2:
        return ax
    c = 0.5 * (edges[1:] + edges[:-1])
    ax.stairs(counts, edges, color="0.5", fill=True, alpha=0.5, label="data")
    colours = {"g1": "tab:blue", "s": "tab:green", "g2m": "tab:orange"}
    labels = {
        "g1": f"G1 {result.g1_pct:.1f} %",
        "s": f"S {result.s_pct:.1f} %",
        "g2m": f"G2/M {result.g2m_pct:.1f} %",
    }
    total = np.zeros_like(c)
    for k in ("g1", "s", "g2m"):
        y = np.asarray(result.components.get(k, ()), dtype=float)
        if y.size == c.size:
            ax.plot(c, y, color=colours[k], lw=1.2, label=labels[k])
            total += y
    ax.plot(c, total, color="k", lw=1, ls="--", label="model")
    ax.axvline(
        result.sub_g1_cutoff, color="tab:red", lw=0.8, label=f"sub-G1 {result.sub_g1_pct:.1f} %"
    )
    ax.set_xlabel(f"DNA content ({result.channel or 'PI'})")
    ax.set_ylabel("events per bin")
    model = "Watson pragmatic" if result.model == "watson" else "Dean-Jett-Fox"
    ax.set_title(
        f"{os.path.basename(result.source) or 'cell cycle'} — {model}, "
        f"reduced χ² {result.reduced_chi2:.2f}",
        fontsize=9,
    )
    ax.legend(fontsize=7, frameon=False)
    return ax
