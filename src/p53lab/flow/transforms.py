"""Display transforms for fluorescence: logicle, asinh and biexponential.

Each transform is a small frozen object with ``apply(x)`` and ``inverse(y)``; all three are
strictly increasing, which the gates use to move a threshold between scales exactly
(:func:`p53lab.flow.gating.above`).

**Logicle** (Parks DR, Roederer M, Moore WA (2006) Cytometry A 69:541–551; Moore WA, Parks DR
(2012) Cytometry A 81:273–277; GatingML 2.0). ``y = logicle(x)`` is the root of ``B(y) = x``::

    B(y) = a·e^(b·y) − c·e^(−d·y) + f        for y ≥ x1;   B(y) = −B(2·x1 − y) below
    w = W/(M + A),  x2 = A/(M + A),  x1 = x2 + w,  x0 = x2 + 2w,  b = (M + A)·ln 10,
    d solves 2(ln d − ln b) + w(b + d) = 0,
    c_a = e^(x0(b + d)),  f_a = e^(b·x1) − c_a·e^(−d·x1),
    a = T / (e^b − f_a − c_a·e^(−d)),  c = c_a·a,  f = −f_a·a

so that B(x1) = 0 and B(1) = T. T is the top of scale, M the decades of the log part, W the
decades of the near-linear region and A extra negative decades (T > 0, M > 0, 0 ≤ W ≤ M/2,
−W ≤ A ≤ M − 2W). Computed by flowutils (the authors' reference algorithm, in C); flowutils maps
NaN and ±∞ to −1, so non-finite inputs are passed through unchanged here instead.

**Asinh** (GatingML 2.0, ``fasinh``), also via flowutils::

    y = [asinh(x · sinh(M ln 10) / T) + A ln 10] / [(M + A) ln 10]      (T > 0, M > 0, 0 ≤ A ≤ M)

**Biexponential** (the generalised form of flowCore's ``biexponentialTransform``; Hahne F et al.
(2009) BMC Bioinformatics 10:106): ``y`` is the root of::

    a·e^(b(y − w)) − c·e^(−d(y − w)) + f − x = 0          (a, b, c, d > 0)

which has no closed form; it is solved to machine precision by bracketed Newton iteration.
The defaults a = c = 0.5, b = d = 1, f = w = 0 give ``y = asinh(x)``. (flowutils has no
biexponential; FlowJo's "biex" is a lookup table of a different parameterisation.)
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from ..errors import ParameterError, param_error

__all__ = [
    "Asinh",
    "Biexponential",
    "Logicle",
    "Transform",
    "asinh",
    "biexponential",
    "logicle",
    "parse_transform",
]


def _finite(owner: str, name: str, v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise param_error(owner, name, "a finite number", v) from None
    if not math.isfinite(f):
        raise param_error(owner, name, "a finite number", v)
    return f


def _passthrough(fn, x) -> np.ndarray:
    """Apply ``fn`` to the finite values of ``x``; NaN and ±∞ are returned unchanged."""
    x = np.asarray(x, dtype=np.float64)
    fin = np.isfinite(x)
    if fin.all():
        return fn(x.ravel()).reshape(x.shape)
    out = x.copy()
    if fin.any():
        out[fin] = fn(x[fin])
    return out


class Transform:
    """Base of the display transforms: ``apply`` (data → display), ``inverse`` (display → data).

    Subclasses are frozen dataclasses of their parameters and are strictly increasing.
    """

    name: ClassVar[str] = ""

    def apply(self, x) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def inverse(self, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x) -> np.ndarray:
        return self.apply(x)

    def describe(self) -> str:
        """``name(param=value, ...)``, as :func:`parse_transform` reads it back."""
        args = ",".join(f"{f.name}={getattr(self, f.name):g}" for f in dataclasses.fields(self))
        return f"{self.name}:{args}"


@dataclasses.dataclass(frozen=True)
class Logicle(Transform):
    """Logicle scale (Parks et al. 2006) with GatingML 2.0 parameters T, W, M, A."""

    t: float = 262144.0
    w: float = 0.5
    m: float = 4.5
    a: float = 0.0
    name: ClassVar[str] = "logicle"

    def __post_init__(self):
        t, w, m, a = (_finite("Logicle", k, getattr(self, k)) for k in ("t", "w", "m", "a"))
        if t <= 0:
            raise param_error("Logicle", "t", "> 0 (the top of scale, e.g. 262144)", t)
        if m <= 0:
            raise param_error("Logicle", "m", "> 0 (decades, e.g. 4.5)", m)
        if not 0 <= w <= m / 2:
            raise param_error("Logicle", "w", f"in [0, m/2] = [0, {m / 2:g}]", w)
        if not -w <= a <= m - 2 * w:
            raise param_error("Logicle", "a", f"in [-w, m - 2w] = [{-w:g}, {m - 2 * w:g}]", a)
        for k, v in zip("twma", (t, w, m, a), strict=True):
            object.__setattr__(self, k, v)

    def apply(self, x) -> np.ndarray:
        from flowutils.transforms import logicle as _fu

        return _passthrough(lambda v: _fu(v, None, t=self.t, m=self.m, w=self.w, a=self.a), x)

    def inverse(self, y) -> np.ndarray:
        from flowutils.transforms import logicle_inverse as _fu

        return _passthrough(lambda v: _fu(v, None, t=self.t, m=self.m, w=self.w, a=self.a), y)


@dataclasses.dataclass(frozen=True)
class Asinh(Transform):
    """GatingML 2.0 parametrised inverse hyperbolic sine (T, M, A)."""

    t: float = 262144.0
    m: float = 4.5
    a: float = 0.0
    name: ClassVar[str] = "asinh"

    def __post_init__(self):
        t, m, a = (_finite("Asinh", k, getattr(self, k)) for k in ("t", "m", "a"))
        if t <= 0:
            raise param_error("Asinh", "t", "> 0", t)
        if m <= 0:
            raise param_error("Asinh", "m", "> 0", m)
        if not 0 <= a <= m:
            raise param_error("Asinh", "a", f"in [0, m] = [0, {m:g}]", a)
        for k, v in zip("tma", (t, m, a), strict=True):
            object.__setattr__(self, k, v)

    def apply(self, x) -> np.ndarray:
        from flowutils.transforms import asinh as _fu

        return _passthrough(lambda v: _fu(v, None, t=self.t, m=self.m, a=self.a), x)

    def inverse(self, y) -> np.ndarray:
        from flowutils.transforms import asinh_inverse as _fu

        return _passthrough(lambda v: _fu(v, None, t=self.t, m=self.m, a=self.a), y)


@dataclasses.dataclass(frozen=True)
class Biexponential(Transform):
    """Inverse of ``x = a·e^(b(y−w)) − c·e^(−d(y−w)) + f`` (flowCore's biexponential)."""

    a: float = 0.5
    b: float = 1.0
    c: float = 0.5
    d: float = 1.0
    f: float = 0.0
    w: float = 0.0
    name: ClassVar[str] = "biex"

    def __post_init__(self):
        vals = {k: _finite("Biexponential", k, getattr(self, k)) for k in "abcdfw"}
        for k in "abcd":
            if vals[k] <= 0:
                raise param_error("Biexponential", k, "> 0", vals[k])
        for k, v in vals.items():
            object.__setattr__(self, k, v)

    def inverse(self, y) -> np.ndarray:
        """The biexponential function itself: display value → data value."""
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(over="ignore"):
            u = y - self.w
            return self.a * np.exp(self.b * u) - self.c * np.exp(-self.d * u) + self.f

    def apply(self, x) -> np.ndarray:
        return _passthrough(self._solve, x)

    def _solve(self, x: np.ndarray) -> np.ndarray:
        a, b, c, d, f, w = self.a, self.b, self.c, self.d, self.f, self.w
        r = np.abs(x - f)
        # brackets with g(lo) <= x <= g(hi) (g = the biexponential), proved from the bounds
        # a·e^(b·u) <= a for u <= 0 and c·e^(−d·u) <= c for u >= 0
        lo = w - (np.log1p((r + a) / c) + 1.0) / d
        hi = w + (np.log1p((r + c) / a) + 1.0) / b
        # start from the asymptotes: log on either side, linear near the centre
        pos = np.log(np.maximum(x - f, 0) / a + 1e-300) / b
        neg = -np.log(np.maximum(f - x, 0) / c + 1e-300) / d
        y = w + np.where(x - f > a + c, pos, np.where(f - x > a + c, neg, 0.0))
        y = np.clip(y, lo, hi).astype(np.float64)
        # each value iterates on its own and is frozen once converged, so a value's result does
        # not depend on the other values in the array
        act = np.arange(x.size)
        for _ in range(200):
            ya, la, ha, xa = y[act], lo[act], hi[act], x[act]
            eb = np.exp(b * (ya - w))
            ed = np.exp(-d * (ya - w))
            g = a * eb - c * ed + f - xa
            la = np.where(g < 0, ya, la)
            ha = np.where(g > 0, ya, ha)
            y_new = ya - g / (a * b * eb + c * d * ed)
            y_new = np.where((y_new > la) & (y_new < ha), y_new, 0.5 * (la + ha))
            done = (g == 0) | (np.abs(y_new - ya) <= 1e-15 * (1.0 + np.abs(ya)))
            y[act] = np.where(g == 0, ya, y_new)
            lo[act], hi[act] = la, ha
            act = act[~done]
            if act.size == 0:
                break
        return y


def logicle(x, t: float = 262144.0, w: float = 0.5, m: float = 4.5, a: float = 0.0):
    """Logicle-transformed values (see :class:`Logicle`)."""
    return Logicle(t, w, m, a).apply(x)


def asinh(x, t: float = 262144.0, m: float = 4.5, a: float = 0.0):
    """GatingML asinh-transformed values (see :class:`Asinh`)."""
    return Asinh(t, m, a).apply(x)


def biexponential(x, a=0.5, b=1.0, c=0.5, d=1.0, f=0.0, w=0.0):
    """Biexponential-transformed values (see :class:`Biexponential`)."""
    return Biexponential(a, b, c, d, f, w).apply(x)


_KINDS: dict[str, type[Transform]] = {
    "logicle": Logicle,
    "asinh": Asinh,
    "arcsinh": Asinh,
    "biex": Biexponential,
    "biexponential": Biexponential,
}


def parse_transform(spec: str | Transform | None) -> Transform | None:
    """``"logicle"``, ``"logicle:t=262144,w=0.5,m=4.5,a=0"``, ``"asinh:t=…,m=…,a=…"``,
    ``"biex:a=…,b=…,c=…,d=…,f=…,w=…"``; ``"none"``/``"linear"``/``None`` give ``None``."""
    if spec is None or isinstance(spec, Transform):
        return spec
    text = str(spec).strip()
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind in ("", "none", "linear"):
        return None
    if kind not in _KINDS:
        raise ParameterError(
            f"Unknown transform {kind!r} in {text!r}. Use one of logicle, asinh, biex (or none), "
            "optionally with parameters, e.g. 'logicle:t=262144,w=0.5,m=4.5,a=0'."
        )
    cls = _KINDS[kind]
    allowed = [f.name for f in dataclasses.fields(cls)]
    kw = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in allowed:
            raise ParameterError(
                f"Transform {text!r}: {item!r} is not NAME=VALUE with NAME one of "
                f"{', '.join(allowed)}."
            )
        try:
            kw[key] = float(value)
        except ValueError:
            raise ParameterError(f"Transform {text!r}: {value!r} is not a number.") from None
    return cls(**kw)
