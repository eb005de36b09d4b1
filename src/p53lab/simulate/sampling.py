"""Parameter distributions and samplers for ensembles.

A :class:`Distribution` is frozen data (kind and two numbers) with a vectorised inverse CDF
taken from :mod:`scipy.stats`. :func:`sample` draws uniforms on (0, 1) -- plain random or a
Latin hypercube (McKay, Beckman & Conover 1979, Technometrics 21:239) -- optionally imposes a
correlation on their normal scores, and maps them through each distribution's inverse CDF. The
output is one array per name, ready for ``simulate_ensemble(model, params=...)``.

``correlation`` means the same in both methods: the correlation of the standard-normal scores
Φ⁻¹(F(x)) (a Gaussian copula). For normal marginals that is the Pearson correlation of the
values; for any marginals the Spearman correlation is (6/π)·asin(ρ/2), within 0.02 of ρ.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..errors import ParameterError, param_error

__all__ = ["KINDS", "METHODS", "Distribution", "lognormal_cv", "parse_distribution", "sample"]

KINDS = ("lognormal", "normal", "uniform", "loguniform", "fixed")
METHODS = ("random", "lhs")

# Uniforms are kept inside [2**-53, 1 - 2**-53] so no inverse CDF returns ±inf (or 0 for a
# lognormal): a draw of exactly 0.0 from the generator, or Φ(z) rounding to 1.0 for z > 8.3.
_U_LO = 2.0**-53
_U_HI = 1.0 - 2.0**-53

_ACCEPTED = (
    "Accepted: a number (fixed); {fixed: v}; {lognormal: {cv: c}} (median = the model's value) "
    "or {lognormal: {median: m, cv: c | sigma: s}}; {normal: {sd: s | cv: c, mean: m}} (mean "
    "defaults to the model's value); {uniform: [low, high]} or {uniform: {low: .., high: ..}}; "
    "{loguniform: [low, high]}; or the flat form {dist: <kind>, <keys as above>}."
)


@dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution for a sampled parameter.

    ``kind`` and the meaning of ``a`` and ``b``:

    ============ ========================= =====================================
    kind         a                         b
    ============ ========================= =====================================
    lognormal    median (> 0)              σ of log(x) (>= 0)
    normal       mean                      standard deviation (>= 0)
    uniform      low                       high (> low)
    loguniform   low (> 0)                 high (> low); log(x) is uniform
    fixed        value                     unused (0)
    ============ ========================= =====================================

    Values carry the unit of the parameter they describe. σ = 0 or sd = 0 gives the constant
    ``a``.
    """

    kind: str
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        owner = "Distribution"
        if self.kind not in KINDS:
            raise param_error(owner, "kind", f"one of {KINDS}", self.kind)
        owner = f"Distribution(kind={self.kind!r})"
        for name in ("a", "b"):
            v = getattr(self, name)
            if not _is_real(v) or not math.isfinite(v):
                raise param_error(owner, name, "a finite number", v)
            object.__setattr__(self, name, float(v))
        a, b = self.a, self.b
        if self.kind == "lognormal":
            if a <= 0:
                raise param_error(owner, "a", "> 0 (the median of a lognormal)", a)
            if b < 0:
                raise param_error(owner, "b", ">= 0 (sigma of the log)", b)
        elif self.kind == "normal":
            if b < 0:
                raise param_error(owner, "b", ">= 0 (the standard deviation)", b)
        elif self.kind in ("uniform", "loguniform"):
            if self.kind == "loguniform" and a <= 0:
                raise param_error(owner, "a", "> 0 (the low end of a loguniform)", a)
            if not b > a:
                raise param_error(owner, "b", f"> a = {a!r} (high above low)", b)
        elif b != 0:
            raise param_error(owner, "b", "0 (a fixed value has no spread)", b)

    @property
    def is_constant(self) -> bool:
        """True when every draw is ``a``: fixed, or zero spread."""
        return self.kind == "fixed" or (self.kind in ("lognormal", "normal") and self.b == 0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: quantiles ``u`` in (0, 1) -> values (any shape; float array).

        ``u`` of 0 or 1 gives the support's end (±inf for normal); outside [0, 1] gives NaN.
        """
        u = np.asarray(u, dtype=float)
        if self.is_constant:
            return np.where((u >= 0) & (u <= 1), self.a, np.nan)
        return np.asarray(self._frozen().ppf(u), dtype=float)

    def _frozen(self):
        a, b = self.a, self.b
        if self.kind == "lognormal":
            return stats.lognorm(s=b, scale=a)  # median = scale, sigma = s
        if self.kind == "normal":
            return stats.norm(loc=a, scale=b)
        if self.kind == "uniform":
            return stats.uniform(loc=a, scale=b - a)
        return stats.loguniform(a, b)

    def to_dict(self) -> dict:
        """JSON-able form; ``parse_distribution(d.to_dict(), None, where) == d``."""
        if self.kind == "lognormal":
            return {"lognormal": {"median": self.a, "sigma": self.b}}
        if self.kind == "normal":
            return {"normal": {"mean": self.a, "sd": self.b}}
        if self.kind in ("uniform", "loguniform"):
            return {self.kind: {"low": self.a, "high": self.b}}
        return {"fixed": self.a}


def lognormal_cv(value: float, cv: float) -> Distribution:
    """Lognormal with median ``value`` and coefficient of variation ``cv`` (sd/mean).

    σ = sqrt(ln(1 + cv²)), since a lognormal's CV is sqrt(exp(σ²) − 1) (Limpert, Stahel &
    Abbt 2001, BioScience 51:341). ``cv`` = 0 gives ``fixed`` at ``value``. The mean is
    ``value``·sqrt(1 + cv²), not ``value``.
    """
    if not _is_real(cv) or not math.isfinite(cv) or cv < 0:
        raise param_error("lognormal_cv", "cv", ">= 0 (a finite coefficient of variation)", cv)
    if not _is_real(value) or not math.isfinite(value):
        raise param_error("lognormal_cv", "value", "a finite number", value)
    if cv == 0:
        return Distribution("fixed", float(value))
    if value <= 0:
        raise param_error(
            "lognormal_cv", "value", "> 0 (a lognormal median; use normal for values <= 0)", value
        )
    return Distribution("lognormal", float(value), math.sqrt(math.log1p(float(cv) ** 2)))


# ---------------------------------------------------------------------------- parsing
def parse_distribution(spec, base: float | None, where: str) -> Distribution:
    """A :class:`Distribution` from a YAML/JSON value.

    ``base`` is the model's value of the parameter: the median of ``{lognormal: {cv: c}}`` and
    the mean of ``{normal: {cv: c}}`` or ``{normal: {sd: s}}``; None where no model value is
    known. ``where`` names the place for messages (``"sweep.yaml: parameters.k_f"``); every
    error is a :class:`ParameterError` whose message starts with it.
    """
    try:
        return _parse(spec, base, where)
    except ParameterError as exc:
        msg = str(exc)
        if msg.startswith(f"{where}: "):
            raise
        raise ParameterError(f"{where}: {msg}") from None


def _parse(spec, base, where: str) -> Distribution:
    if _is_real(spec):
        return Distribution("fixed", _finite(spec, where, "fixed value"))
    if not isinstance(spec, Mapping):
        raise ParameterError(f"{where}: cannot read {spec!r} as a distribution. {_ACCEPTED}")
    if "dist" in spec:
        kind = spec["dist"]
        body = {k: v for k, v in spec.items() if k != "dist"}
    elif len(spec) == 1:
        ((kind, body),) = spec.items()
    else:
        raise ParameterError(
            f"{where}: a distribution is one key naming its kind ({', '.join(KINDS)}) or "
            f"the flat form with 'dist'. Got keys {sorted(map(str, spec))}. {_ACCEPTED}"
        )
    if not isinstance(kind, str) or kind not in KINDS:
        raise ParameterError(
            f"{where}: unknown distribution {kind!r}; kinds are {', '.join(KINDS)}. {_ACCEPTED}"
        )
    return _BUILDERS[kind](body, base, where)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _finite(v, where: str, what: str) -> float:
    if not _is_real(v) or not math.isfinite(v):
        raise ParameterError(f"{where}: the {what} must be a finite number. Got {v!r}.")
    return float(v)


def _keys(body, kind: str, allowed: tuple[str, ...], where: str) -> dict:
    if not isinstance(body, Mapping):
        raise ParameterError(
            f"{where}: {kind} takes a mapping with keys {', '.join(allowed)}. Got {body!r}. "
            f"{_ACCEPTED}"
        )
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise ParameterError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} for {kind}; it accepts "
            f"{', '.join(allowed)}."
        )
    return dict(body)


def _one_of(body: dict, kind: str, names: tuple[str, str], where: str) -> str:
    given = [n for n in names if n in body]
    if len(given) != 1:
        raise ParameterError(
            f"{where}: {kind} needs exactly one of {names[0]!r} or {names[1]!r}. "
            f"Got {sorted(body) or 'neither'}."
        )
    return given[0]


def _centre(body: dict, key: str, base, kind: str, where: str) -> float:
    if key in body:
        return _finite(body[key], where, f"{kind} {key}")
    if base is None:
        raise ParameterError(
            f"{where}: {kind} without {key!r} takes the model's value as its {key}, but no "
            f"model value is known here; give {key!r}."
        )
    return _finite(base, where, f"model value used as the {kind} {key}")


def _spread(body: dict, key: str, kind: str, where: str) -> float:
    v = _finite(body[key], where, f"{kind} {key}")
    if v < 0:
        raise ParameterError(f"{where}: the {kind} {key} must be >= 0. Got {v!r}.")
    return v


def _build_lognormal(body, base, where: str) -> Distribution:
    body = _keys(body, "lognormal", ("median", "cv", "sigma"), where)
    which = _one_of(body, "lognormal", ("cv", "sigma"), where)
    median = _centre(body, "median", base, "lognormal", where)
    spread = _spread(body, which, "lognormal", where)
    if median <= 0:
        raise ParameterError(
            f"{where}: a lognormal's median must be > 0. Got {median!r}; use normal or "
            "uniform for values <= 0."
        )
    if which == "cv":
        return lognormal_cv(median, spread)
    return Distribution("lognormal", median, spread)


def _build_normal(body, base, where: str) -> Distribution:
    body = _keys(body, "normal", ("mean", "sd", "cv"), where)
    which = _one_of(body, "normal", ("sd", "cv"), where)
    mean = _centre(body, "mean", base, "normal", where)
    spread = _spread(body, which, "normal", where)
    return Distribution("normal", mean, spread * abs(mean) if which == "cv" else spread)


def _build_interval(kind: str):
    def build(body, base, where: str) -> Distribution:
        if isinstance(body, list | tuple):
            if len(body) != 2:
                raise ParameterError(
                    f"{where}: {kind} takes [low, high]. Got {len(body)} values: {body!r}."
                )
            low, high = body
        else:
            body = _keys(body, kind, ("low", "high"), where)
            missing = [k for k in ("low", "high") if k not in body]
            if missing:
                raise ParameterError(f"{where}: {kind} needs {' and '.join(missing)}.")
            low, high = body["low"], body["high"]
        low = _finite(low, where, f"{kind} low")
        high = _finite(high, where, f"{kind} high")
        if not high > low:
            raise ParameterError(
                f"{where}: {kind} needs low < high. Got low={low!r}, high={high!r}."
            )
        if kind == "loguniform" and low <= 0:
            raise ParameterError(
                f"{where}: loguniform needs low > 0. Got {low!r}; use uniform for a range "
                "that includes 0."
            )
        return Distribution(kind, low, high)

    return build


def _build_fixed(body, base, where: str) -> Distribution:
    if isinstance(body, Mapping):
        body = _keys(body, "fixed", ("value",), where)
        if "value" not in body:
            raise ParameterError(f"{where}: fixed needs 'value'.")
        body = body["value"]
    return Distribution("fixed", _finite(body, where, "fixed value"))


_BUILDERS = {
    "lognormal": _build_lognormal,
    "normal": _build_normal,
    "uniform": _build_interval("uniform"),
    "loguniform": _build_interval("loguniform"),
    "fixed": _build_fixed,
}


# ---------------------------------------------------------------------------- sampling
def sample(
    dists: Mapping[str, Distribution],
    n: int,
    *,
    seed: int | None,
    method: str = "random",
    correlation: np.ndarray | Mapping[tuple[str, str], float] | None = None,
) -> dict[str, np.ndarray]:
    """``n`` draws of every distribution, in the order of ``dists``.

    ``method="random"``: independent uniforms from ``numpy.random.default_rng(seed)``;
    ``"lhs"``: a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`, seeded by that
    generator), so each of the ``n`` equal-probability strata of every marginal holds exactly
    one draw. ``correlation`` (a d×d matrix in the order of ``dists``, or pairs such as
    ``{("k_f", "k_b"): 0.5}``, unnamed pairs 0) is imposed on the normal scores: for
    ``"random"`` by the Cholesky factor (a Gaussian copula), for ``"lhs"`` by Iman–Conover rank
    reordering, which keeps the strata. The same ``seed`` gives the same arrays bit for bit.
    """
    owner = "sample"
    if not isinstance(dists, Mapping):
        raise param_error(owner, "dists", "a mapping of names to Distribution", type(dists))
    for name, dist in dists.items():
        if not isinstance(dist, Distribution):
            raise ParameterError(
                f"sample: {name!r} must be a Distribution (see parse_distribution). "
                f"Got {type(dist).__name__}."
            )
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise param_error(owner, "n", "an integer >= 1", n)
    n = int(n)
    if method not in METHODS:
        raise param_error(owner, "method", f"one of {METHODS}", method)
    if seed is not None and (
        not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0
    ):
        raise param_error(owner, "seed", "None or an integer >= 0", seed)
    names = list(dists)
    d = len(names)
    corr = None if correlation is None else _correlation_matrix(correlation, names)
    if d == 0:
        return {}

    rng = np.random.default_rng(seed)
    if method == "random":
        u = rng.random((n, d))
    else:
        try:
            engine = qmc.LatinHypercube(d, rng=rng)
        except TypeError:  # SciPy < 1.15 calls it seed
            engine = qmc.LatinHypercube(d, seed=rng)
        u = engine.random(n)
    u = np.clip(u, _U_LO, _U_HI)

    if corr is not None and not np.array_equal(corr, np.eye(d)):
        chol = np.linalg.cholesky(corr)
        if method == "random":
            z = stats.norm.ppf(u) @ chol.T
            u = np.clip(stats.norm.cdf(z), _U_LO, _U_HI)
        else:
            u = _iman_conover(u, chol)
    return {name: dists[name].ppf(u[:, j]) for j, name in enumerate(names)}


def _correlation_matrix(correlation, names: list[str]) -> np.ndarray:
    d = len(names)
    if isinstance(correlation, Mapping):
        c = np.eye(d)
        index = {name: i for i, name in enumerate(names)}
        seen: set[tuple[int, int]] = set()
        for pair, r in correlation.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ParameterError(
                    f"sample: correlation keys are pairs of names such as ('k_f', 'k_b'). "
                    f"Got {pair!r}."
                )
            unknown = [p for p in pair if p not in index]
            if unknown:
                raise ParameterError(
                    f"sample: correlation names {unknown!r} are not sampled; sampled names: "
                    f"{', '.join(names)}."
                )
            i, j = index[pair[0]], index[pair[1]]
            if i == j:
                raise ParameterError(
                    f"sample: correlation pair {pair!r} pairs a name with itself; its "
                    "correlation is 1 by definition."
                )
            if not _is_real(r) or not math.isfinite(r):
                raise ParameterError(
                    f"sample: correlation {pair!r} must be a finite number. Got {r!r}."
                )
            key = (min(i, j), max(i, j))
            if key in seen and c[i, j] != r:
                raise ParameterError(
                    f"sample: correlation of {pair!r} is given twice, as {c[i, j]!r} and {r!r}."
                )
            seen.add(key)
            c[i, j] = c[j, i] = float(r)
    else:
        try:
            c = np.array(correlation, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(
                f"sample: correlation must be a {d}×{d} matrix or a mapping of name pairs. "
                f"Got {type(correlation).__name__}."
            ) from None
        if c.shape != (d, d):
            raise ParameterError(
                f"sample: the correlation matrix must be {d}×{d} (one row per sampled name, "
                f"in the order {', '.join(names)}). Got shape {c.shape}."
            )
        if not np.isfinite(c).all():
            raise ParameterError("sample: the correlation matrix has non-finite entries.")
        if not np.allclose(c, c.T, rtol=0, atol=1e-12):
            raise ParameterError("sample: the correlation matrix must be symmetric.")
        if not np.array_equal(np.diag(c), np.ones(d)):
            raise ParameterError(
                f"sample: the correlation matrix needs 1 on its diagonal. Got {np.diag(c)}."
            )
        c = 0.5 * (c + c.T)
    if np.abs(c).max(initial=0.0) > 1:
        raise ParameterError(
            f"sample: correlations must lie in [-1, 1]. Got {c[np.abs(c) > 1][0]!r}."
        )
    if d:
        low = float(np.linalg.eigvalsh(c).min())
        if low <= 1e-10:
            raise ParameterError(
                "sample: the correlation matrix must be positive definite (smallest "
                f"eigenvalue {low:.3g}). Some correlations contradict each other (e.g. a~b "
                "0.9, b~c 0.9, a~c -0.9) or are ±1; weaken them."
            )
    return c


def _iman_conover(u: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Reorder each column of ``u`` so its ranks follow scores with correlation ``chol·cholᵀ``.

    Iman & Conover (1982), "A distribution-free approach to inducing rank correlation among
    input variables", Commun. Stat. Simul. Comput. 11:311-334. Van der Waerden scores
    Φ⁻¹(i/(n+1)), permuted as the Latin hypercube's own columns, have sample correlation T
    = Q·Qᵀ; scores·(P·Q⁻¹)ᵀ have sample correlation exactly P·Pᵀ; each column of ``u`` is
    then sorted into the rank order of the matching column. Values per column are unchanged.
    """
    n = u.shape[0]
    if n < 3:  # too few rows to carry a correlation
        return u
    ranks = np.argsort(np.argsort(u, axis=0, kind="stable"), axis=0, kind="stable")
    vdw = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    scores = vdw[ranks]
    t = np.corrcoef(scores, rowvar=False)
    try:
        q = np.linalg.cholesky(t)
        transform = chol @ np.linalg.inv(q)
    except np.linalg.LinAlgError:  # n <= d: the scores' correlation is singular
        transform = chol
    target = scores @ transform.T
    new_ranks = np.argsort(np.argsort(target, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(u, axis=0), new_ranks, axis=0)
