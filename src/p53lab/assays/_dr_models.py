"""Dose–response curve models: each one small class with parameter names, bounds, formula and
citation. Every function broadcasts: doses ``x`` of shape (..., m) and parameter arrays of
shape (..., 1), so one code path serves one curve and a stack of thousands.

Log-logistic family, drc's parameterisation (Ritz, Baty, Streibig, Gerhard 2015, PLoS ONE
10:e0146021; R package drc, ``llogistic``)::

    f(x) = c + (d − c) / (1 + exp(b·(log x − log e)))^f

LL.2 fixes c = 0, d = 1, f = 1; LL.3 fixes c = 0, f = 1; LL.4 fixes f = 1; LL.5 is free.
At x = 0 the curve takes its limit: d when b > 0, c when b < 0.

Bell (hook) model for degraders, documented on :class:`Bell`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import expit

__all__ = ["LL2", "LL3", "LL4", "LL5", "MODELS", "Bell", "DoseResponseModel", "get_model"]

DRC_CITATION = (
    "Ritz C, Baty F, Streibig JC, Gerhard D (2015) Dose-Response Analysis Using R. "
    "PLoS ONE 10:e0146021 (R package drc, llogistic)"
)
B_MAX = 100.0  # |slope| bound
LOG_E_PAD = np.log(1e3)  # e may lie up to 1000x outside the tested dose range
F_BOUNDS = (1e-3, 1e3)


def _logx(x):
    x = np.asarray(x, dtype=float)
    pos = x > 0
    return pos, np.log(np.where(pos, x, 1.0))


class DoseResponseModel:
    """One curve family. ``params``: all natural parameters, in order; ``defaults``: the ones
    the model fixes; ``log_params``: positive parameters optimised on the log scale."""

    name = ""
    params: tuple[str, ...] = ()
    defaults: ClassVar[dict[str, float]] = {}
    log_params: tuple[str, ...] = ()
    formula = ""
    citation = DRC_CITATION

    def predict(self, x, p):
        """Response at doses ``x``; ``p`` maps every name in :attr:`params` to an array."""
        raise NotImplementedError

    def jacobian(self, x, p) -> dict:
        """d predict / d parameter, one array per name in :attr:`params`."""
        raise NotImplementedError

    def bounds(self, name: str, dose) -> tuple[float, float]:
        """Bounds of one parameter on the optimiser's scale (log for :attr:`log_params`)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _LogLogistic(DoseResponseModel):
    params = ("b", "c", "d", "e", "f")
    log_params = ("e", "f")
    formula = "f(x) = c + (d - c) / (1 + exp(b*(log(x) - log(e))))^f"

    def _parts(self, x, p):
        pos, lx = _logx(x)
        b, e = p["b"], p["e"]
        le = np.log(e)
        with np.errstate(invalid="ignore", over="ignore"):
            t = np.where(pos, b * (lx - le), np.where(b == 0, 0.0, -np.inf * np.sign(b)))
        f = np.asarray(p["f"])
        # 1/(1 + exp(t))^f; the plain logistic when f = 1
        uf = expit(-t) if np.all(f == 1.0) else np.exp(f * -np.logaddexp(0.0, t))
        return pos, lx, le, t, uf

    def predict(self, x, p):
        _, _, _, _, uf = self._parts(x, p)
        return p["c"] + (p["d"] - p["c"]) * uf

    def jacobian(self, x, p):
        pos, lx, le, t, uf = self._parts(x, p)
        b, c, d, e, f = (p[k] for k in self.params)
        logu = -np.logaddexp(0.0, t)
        dydt = -(d - c) * f * uf * expit(t)
        zero = np.zeros_like(uf)
        with np.errstate(invalid="ignore"):
            return {
                "b": np.where(pos, dydt * (lx - le), zero),
                "c": 1.0 - uf,
                "d": uf,
                "e": np.where(pos, dydt * (-b / e), zero),
                "f": np.where(uf > 0, (d - c) * uf * logu, zero),
            }

    def bounds(self, name, dose):
        dose = np.asarray(dose, dtype=float)
        pos = dose[dose > 0]
        lo, hi = (np.log(pos.min()), np.log(pos.max())) if pos.size else (0.0, 0.0)
        return {
            "b": (-B_MAX, B_MAX),
            "c": (-np.inf, np.inf),
            "d": (-np.inf, np.inf),
            "e": (lo - LOG_E_PAD, hi + LOG_E_PAD),
            "f": tuple(np.log(F_BOUNDS)),
        }[name]

    @staticmethod
    def ed(p, level):
        """drc's relative effective dose: the dose where f = d − level/100·(d − c)::

        ED_p = e · ((100/(100 − p))^(1/f) − 1)^(1/b)     (ED_50 = e for f = 1)
        """
        level = np.asarray(level, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return p["e"] * ((100.0 / (100.0 - level)) ** (1.0 / p["f"]) - 1.0) ** (1.0 / p["b"])


class LL2(_LogLogistic):
    """Two-parameter log-logistic (drc ``LL.2``): c = 0, d = 1, f = 1."""

    name = "ll2"
    defaults: ClassVar[dict[str, float]] = {"c": 0.0, "d": 1.0, "f": 1.0}


class LL3(_LogLogistic):
    """Three-parameter log-logistic (drc ``LL.3``): c = 0, f = 1."""

    name = "ll3"
    defaults: ClassVar[dict[str, float]] = {"c": 0.0, "f": 1.0}


class LL4(_LogLogistic):
    """Four-parameter log-logistic (drc ``LL.4``; the Hill or 4PL curve): f = 1."""

    name = "ll4"
    defaults: ClassVar[dict[str, float]] = {"f": 1.0}


class LL5(_LogLogistic):
    """Five-parameter (asymmetric) log-logistic (drc ``LL.5``)."""

    name = "ll5"
    defaults: ClassVar[dict[str, float]] = {}


class Bell(DoseResponseModel):
    """Bell (hook) curve of a degrader: a falling log-logistic switched off by a hook::

        R(x) = d − (d − c) · A(x) · H(x)
        A(x) = 1 / (1 + exp(−b·(log x − log e)))     degradation arm, rises around e
        H(x) = 1 / (1 + exp( g·(log x − log h)))     hook, falls around h

    with b, g > 0. Without the hook (h → ∞) this is LL.4 with the same b, c, d, e. R is the
    remaining target level (for example % of control): d at x = 0, towards c on the descending
    arm, back towards d at high doses (the hook effect of PROTACs and molecular glues).

    Derived on the fitted curve: the hook onset x* = argmin R (the dose of maximal degradation,
    where the curve turns back up); Dmax = 100·(d − R(x*))/d, the maximal degradation in % of
    the top; DC50 = the dose on the descending arm (x < x*) where R = d − (d − R(x*))/2.
    ED_p on this model is the descending-arm dose where R = d − p/100·(d − R(x*)), so
    ED_50 = DC50. Bounds: b, g ∈ [0.05, 100]; e, h within 1000x of the tested range.
    """

    name = "bell"
    params = ("b", "c", "d", "e", "g", "h")
    defaults: ClassVar[dict[str, float]] = {}
    log_params = ("e", "h")
    formula = (
        "R(x) = d - (d - c) * A(x) * H(x); "
        "A = 1/(1+exp(-b(log x - log e))), H = 1/(1+exp(g(log x - log h)))"
    )
    citation = (
        "hook model: product of a rising and a falling log-logistic; cf. Douglass EF et al. "
        "(2013) J Am Chem Soc 135:6092-6099 (ternary-complex hook effect)"
    )

    def _parts(self, x, p):
        pos, lx = _logx(x)
        b, e, g, h = p["b"], p["e"], p["g"], p["h"]
        le, lh = np.log(e), np.log(h)
        with np.errstate(invalid="ignore"):
            a = np.where(pos, expit(b * (lx - le)), (b < 0) * 1.0)
            hk = np.where(pos, expit(-g * (lx - lh)), (g > 0) * 1.0)
        return pos, lx, le, lh, a, hk

    def predict(self, x, p):
        _, _, _, _, a, hk = self._parts(x, p)
        return p["d"] - (p["d"] - p["c"]) * a * hk

    def jacobian(self, x, p):
        pos, lx, le, lh, a, hk = self._parts(x, p)
        b, c, d, e, g, h = (p[k] for k in self.params)
        amp = d - c
        da = a * (1 - a)
        dh = hk * (1 - hk)
        zero = np.zeros_like(a)
        return {
            "b": np.where(pos, -amp * hk * da * (lx - le), zero),
            "c": a * hk,
            "d": 1.0 - a * hk,
            "e": np.where(pos, -amp * hk * da * (-b / e), zero),
            "g": np.where(pos, amp * a * dh * (lx - lh), zero),
            "h": np.where(pos, amp * a * dh * (-g / h), zero),
        }

    def bounds(self, name, dose):
        dose = np.asarray(dose, dtype=float)
        pos = dose[dose > 0]
        lo, hi = (np.log(pos.min()), np.log(pos.max())) if pos.size else (0.0, 0.0)
        return {
            "b": (0.05, B_MAX),
            "g": (0.05, B_MAX),
            "c": (-np.inf, np.inf),
            "d": (-np.inf, np.inf),
            "e": (lo - LOG_E_PAD, hi + LOG_E_PAD),
            "h": (lo - LOG_E_PAD, hi + LOG_E_PAD),
        }[name]


MODELS: dict[str, type[DoseResponseModel]] = {
    "ll2": LL2,
    "ll3": LL3,
    "ll4": LL4,
    "ll5": LL5,
    "bell": Bell,
}
ALIASES = {"hill": "ll4", "4pl": "ll4", "ll.2": "ll2", "ll.3": "ll3", "ll.4": "ll4", "ll.5": "ll5"}


def get_model(model) -> DoseResponseModel | None:
    """The model object for a name (case-insensitive, aliases "hill"/"4pl" = "ll4") or
    instance; None when unknown."""
    if isinstance(model, DoseResponseModel):
        return model
    key = str(model).lower()
    key = ALIASES.get(key, key)
    cls = MODELS.get(key)
    return cls() if cls else None
