"""Pharmacokinetics: linear one- and two-compartment models, IV and oral routes.

States (amounts, in the dose unit: mg/kg for the mouse sets, mg for the human ones)::

    depot --ktr--> transit_1 ... transit_n --ka--> central <--k12/k21--> peripheral
                                                    |
                                                    k10 = CL/V1

With ``n_transit = 0`` the depot empties straight into the central compartment at ``ka``
(first-order absorption); with transit compartments the depot passes ``n`` compartments at
``ktr`` first (Savic 2007 J Pharmacokinet Pharmacodyn 34:711). IV bolus doses enter the
central compartment; IV infusions add a constant rate there for their duration; oral doses
enter the depot times the bioavailability F.

The system is linear, so between two dose events it is solved exactly with the matrix
exponential (the infusion rate is an extra constant state of an augmented matrix):
``x(t + dt) = expm(A·dt)·x(t)``. This is exact superposition of the doses, so the
analytic solutions (Bateman, bi-exponential) are reproduced to rounding error — which the
tests check. We write this by hand because the field's PK packages for Python are either
NONMEM front-ends or simulation suites far larger than the two-page linear algebra needed.

Concentrations: total plasma C = central/V1 (mg/L), in nM via the molecular weight; free
C_u = fu·C; free tumour concentration = Kp_u·C_u (free-drug hypothesis, Kp_u = 1 by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.linalg import expm

from ..catalog import compound as lookup_compound
from ..errors import ParameterError, UnitError, param_error
from . import _params

__all__ = [
    "DOSE_UNITS",
    "ROUTES",
    "Dose",
    "PKParams",
    "bateman",
    "concentrations",
    "pk_params",
    "sample_population",
    "simulate_amounts",
    "two_compartment_iv_bolus",
]

ROUTES = ("iv", "oral", "infusion")
DOSE_UNITS = ("mg/kg", "mg")
SPECIES = ("mouse", "human")


@dataclass(frozen=True)
class PKParams:
    """A linear PK parameter set. Volumes in L (per kg for mouse sets), clearances in L/h
    (per kg), rate constants per hour; ``dose_unit`` is 'mg/kg' (mouse) or 'mg' (human)."""

    compound: str
    species: str
    dose_unit: str
    cl_L_per_h: float
    v1_L: float
    compartments: int = 1
    q_L_per_h: float = 0.0
    v2_L: float = 1.0
    ka_per_h: float = 1.0
    f_oral: float = 1.0
    n_transit: int = 0
    ktr_per_h: float = 1.0
    fu: float = 1.0
    tumour_kp_free: float = 1.0
    mw_g_per_mol: float = 500.0
    route: str = "oral"

    def __post_init__(self) -> None:
        own = "PKParams"
        if self.species not in SPECIES:
            raise param_error(own, "species", f"one of {SPECIES}", self.species)
        if self.dose_unit not in DOSE_UNITS:
            raise param_error(own, "dose_unit", f"one of {DOSE_UNITS}", self.dose_unit)
        if self.compartments not in (1, 2):
            raise param_error(own, "compartments", "1 or 2", self.compartments)
        if self.route not in ROUTES:
            raise param_error(own, "route", f"one of {ROUTES}", self.route)
        for name in ("cl_L_per_h", "v1_L", "v2_L", "ka_per_h", "ktr_per_h", "mw_g_per_mol"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise param_error(own, name, "a finite number > 0", v)
        if not (math.isfinite(self.q_L_per_h) and self.q_L_per_h >= 0):
            raise param_error(own, "q_L_per_h", "a finite number >= 0", self.q_L_per_h)
        for name in ("f_oral", "fu"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0 < v <= 1):
                raise param_error(own, name, "in (0, 1]", v)
        if not (math.isfinite(self.tumour_kp_free) and self.tumour_kp_free > 0):
            raise param_error(own, "tumour_kp_free", "a finite number > 0", self.tumour_kp_free)
        if int(self.n_transit) != self.n_transit or self.n_transit < 0:
            raise param_error(own, "n_transit", "a whole number >= 0", self.n_transit)

    # ------------------------------------------------------------------ derived
    @property
    def k10(self) -> float:
        return self.cl_L_per_h / self.v1_L

    @property
    def k12(self) -> float:
        return self.q_L_per_h / self.v1_L if self.compartments == 2 else 0.0

    @property
    def k21(self) -> float:
        return self.q_L_per_h / self.v2_L if self.compartments == 2 else 0.0

    @property
    def state_names(self) -> tuple[str, ...]:
        return (
            "depot",
            *(f"transit_{i + 1}" for i in range(self.n_transit)),
            "central",
            "peripheral",
        )

    @property
    def central(self) -> int:
        return 1 + self.n_transit

    def mg_per_L_to_nM(self) -> float:
        """Factor from mg/L to nM: 1 mg/L = 1e6/MW nM."""
        return 1e6 / self.mw_g_per_mol

    def matrix(self) -> np.ndarray:
        """The rate matrix A of dx/dt = A·x over :attr:`state_names`."""
        n = len(self.state_names)
        a = np.zeros((n, n))
        c, p = self.central, self.central + 1
        k_out_depot = self.ktr_per_h if self.n_transit else self.ka_per_h
        a[0, 0] = -k_out_depot
        a[1, 0] += k_out_depot
        for i in range(1, 1 + self.n_transit):
            k = self.ktr_per_h if i < self.n_transit else self.ka_per_h
            a[i, i] = -k
            a[i + 1, i] += k
        a[c, c] = -(self.k10 + self.k12)
        a[c, p] = self.k21
        a[p, c] = self.k12
        a[p, p] = -self.k21
        return a

    def scaled(self, cl: float = 1.0, v: float = 1.0, ka: float = 1.0) -> PKParams:
        """A copy with CL, both volumes (and Q, as CL) and ka multiplied by the factors."""
        return replace(
            self,
            cl_L_per_h=self.cl_L_per_h * cl,
            q_L_per_h=self.q_L_per_h * cl,
            v1_L=self.v1_L * v,
            v2_L=self.v2_L * v,
            ka_per_h=self.ka_per_h * ka,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def pk_params(compound: str, species: str) -> PKParams:
    """The parameter set of ``compound`` in ``species`` from ``parameters.yaml``."""
    if species not in SPECIES:
        raise param_error("pk_params", "species", f"one of {SPECIES}", species)
    name = lookup_compound(compound).name
    if not _params.has(f"pk/{name}/{species}"):
        known = ", ".join(_params.parameters()["pk"])
        raise ParameterError(
            f"No {species} PK parameter set for {name!r} in {_params.PARAMETER_FILE.name}. "
            f"Compounds with PK sets: {known}."
        )
    base = f"pk/{name}/{species}"
    kw = {}
    for field_name in (
        "cl_L_per_h",
        "v1_L",
        "q_L_per_h",
        "v2_L",
        "ka_per_h",
        "f_oral",
        "n_transit",
        "ktr_per_h",
        "fu",
        "tumour_kp_free",
        "mw_g_per_mol",
    ):
        if _params.has(f"{base}/{field_name}"):
            kw[field_name] = _params.value(f"{base}/{field_name}")
    kw["n_transit"] = int(kw.get("n_transit", 0))
    return PKParams(
        compound=name,
        species=species,
        dose_unit=_params.value(f"{base}/dose_unit"),
        compartments=int(_params.value(f"{base}/compartments")),
        route=_params.value(f"{base}/route"),
        **kw,
    )


@dataclass(frozen=True, order=True)
class Dose:
    """One administration at ``t_h``: ``amount`` in the parameter set's dose unit; route
    'iv' (bolus), 'oral' or 'infusion' (over ``duration_h``)."""

    t_h: float
    amount: float
    route: str = "oral"
    duration_h: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.t_h):
            raise param_error("Dose", "t_h", "a finite time in hours", self.t_h)
        if not (math.isfinite(self.amount) and self.amount >= 0):
            raise param_error("Dose", "amount", "a finite dose >= 0", self.amount)
        if self.route not in ROUTES:
            raise param_error("Dose", "route", f"one of {ROUTES}", self.route)
        if self.route == "infusion" and not (self.duration_h > 0):
            raise param_error("Dose", "duration_h", "> 0 h for an infusion", self.duration_h)


def _events(pk: PKParams, doses: Sequence[Dose]) -> list[tuple[float, int, float, float]]:
    """(time, state index or -1 for an infusion-rate change, amount, rate change)."""
    ev = []
    for d in doses:
        if d.route == "iv":
            ev.append((d.t_h, pk.central, d.amount, 0.0))
        elif d.route == "oral":
            ev.append((d.t_h, 0, d.amount * pk.f_oral, 0.0))
        else:
            rate = d.amount / d.duration_h
            ev.append((d.t_h, -1, 0.0, rate))
            ev.append((d.t_h + d.duration_h, -1, 0.0, -rate))
    return sorted(ev, key=lambda e: e[0])


def simulate_amounts(pk: PKParams, doses: Sequence[Dose], times_h) -> np.ndarray:
    """Exact amounts in every state (rows: times, columns: :attr:`PKParams.state_names`)."""
    times = np.asarray(times_h, dtype=float)
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)):
        raise param_error("simulate_amounts", "times_h", "a non-empty list of finite times", times)
    if np.any(np.diff(times) < 0):
        raise param_error("simulate_amounts", "times_h", "increasing", times_h)
    n = len(pk.state_names)
    # augmented system: the last state is the constant infusion rate into the central state
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n] = pk.matrix()
    aug[pk.central, n] = 1.0
    cache: dict[float, np.ndarray] = {}

    def step(x: np.ndarray, dt: float) -> np.ndarray:
        if dt <= 0:
            return x
        key = round(dt, 12)
        if key not in cache:
            cache[key] = expm(aug * dt)
        return cache[key] @ x

    events = _events(pk, doses)
    x = np.zeros(n + 1)
    t = min(float(times[0]), events[0][0] if events else float(times[0]))
    out = np.zeros((times.size, n))
    ei = 0
    for i, tout in enumerate(times):
        while ei < len(events) and events[ei][0] <= tout:
            te, idx, amt, rate = events[ei]
            x = step(x, te - t)
            t = te
            if idx >= 0:
                x[idx] += amt
            else:
                x[n] = max(0.0, x[n] + rate)
            ei += 1
        x = step(x, tout - t)
        t = float(tout)
        out[i] = x[:n]
    return out


def concentrations(pk: PKParams, doses: Sequence[Dose], times_h, kind: str = "total") -> np.ndarray:
    """Plasma concentration (nM) at ``times_h``: ``kind`` 'total', 'free' (fu·C) or
    'tumour_free' (Kp_u·fu·C). Amounts are in the dose unit, so mg/kg over L/kg and mg over
    L both give mg/L."""
    kinds = ("total", "free", "tumour_free")
    if kind not in kinds:
        raise param_error("concentrations", "kind", f"one of {kinds}", kind)
    amt = simulate_amounts(pk, doses, times_h)[:, pk.central]
    c = amt / pk.v1_L * pk.mg_per_L_to_nM()
    if kind in ("free", "tumour_free"):
        c = c * pk.fu
    if kind == "tumour_free":
        c = c * pk.tumour_kp_free
    return c


def check_dose_unit(pk: PKParams, dose_unit: str, owner: str = "regimen") -> None:
    """A dose unit must match the parameter set: mg/kg for mouse sets, mg for human ones."""
    if dose_unit != pk.dose_unit:
        what = "per kilogram (mg/kg)" if pk.dose_unit == "mg/kg" else "as a flat dose in mg"
        raise UnitError(
            f"The dose of {owner} is in {dose_unit!r}, but the {pk.species} PK set of "
            f"{pk.compound} takes doses {what}. Give the dose in {pk.dose_unit!r}."
        )


# ------------------------------------------------------------------------------ analytic
def bateman(
    t_h, dose: float, f: float, ka_per_h: float, cl_L_per_h: float, v_L: float
) -> np.ndarray:
    """One-compartment oral single dose (Bateman 1910), mg/L:
    C = F·D·ka / (V·(ka − k)) · (e^(−k·t) − e^(−ka·t)), k = CL/V, C = 0 before the dose."""
    t = np.asarray(t_h, dtype=float)
    k = cl_L_per_h / v_L
    c = f * dose * ka_per_h / (v_L * (ka_per_h - k)) * (np.exp(-k * t) - np.exp(-ka_per_h * t))
    return np.where(t >= 0, c, 0.0)


def two_compartment_iv_bolus(t_h, dose: float, cl: float, v1: float, q: float, v2: float):
    """Two-compartment IV bolus (mg/L): C = A·e^(−α·t) + B·e^(−β·t), with α, β the roots of
    s² − (k10 + k12 + k21)·s + k10·k21 = 0, A = D/V1·(α − k21)/(α − β),
    B = D/V1·(k21 − β)/(α − β) (Gibaldi & Perrier, Pharmacokinetics, 2nd ed., ch. 2)."""
    t = np.asarray(t_h, dtype=float)
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    root = math.sqrt(s * s - 4 * k10 * k21)
    alpha, beta = (s + root) / 2, (s - root) / 2
    a = dose / v1 * (alpha - k21) / (alpha - beta)
    b = dose / v1 * (k21 - beta) / (alpha - beta)
    return np.where(t >= 0, a * np.exp(-alpha * t) + b * np.exp(-beta * t), 0.0)


# ------------------------------------------------------------------------------ population
def sample_population(
    pk: PKParams, n: int, rng: np.random.Generator, cv: dict[str, float] | None = None
) -> list[PKParams]:
    """``n`` individual parameter sets with lognormal inter-individual variability:
    P_i = P·exp(η), η ~ N(0, ω²), ω² = ln(1 + CV²) (so CV is the CV of P_i). ``cv`` keys:
    'cl', 'v', 'ka' (default: the set's ``iiv_cv`` in ``parameters.yaml``, or none)."""
    if int(n) != n or n < 1:
        raise param_error("sample_population", "n", "a whole number >= 1", n)
    if cv is None:
        base = f"pk/{pk.compound}/{pk.species}/iiv_cv"
        cv = {}
        if _params.has(base):
            cv = {k: float(_params.value(f"{base}/{k}")) for k in ("cl", "v", "ka")}
    for k, v in cv.items():
        if k not in ("cl", "v", "ka"):
            raise param_error("sample_population", "cv", "keys among cl, v, ka", k)
        if not (math.isfinite(v) and v >= 0):
            raise param_error("sample_population", f"cv[{k}]", ">= 0", v)
    omega = {k: math.sqrt(math.log1p(cv.get(k, 0.0) ** 2)) for k in ("cl", "v", "ka")}
    eta = {k: rng.normal(0.0, omega[k], size=int(n)) for k in ("cl", "v", "ka")}
    return [
        pk.scaled(
            cl=float(np.exp(eta["cl"][i])),
            v=float(np.exp(eta["v"][i])),
            ka=float(np.exp(eta["ka"][i])),
        )
        for i in range(int(n))
    ]
