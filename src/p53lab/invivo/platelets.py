"""On-target thrombocytopenia: Friberg's myelosuppression model driven by p53 activation.

Friberg 2002 J Clin Oncol 20:4713, applied to platelets::

    dProl/dt = ktr·Prol·(1 − E(t))·(Circ0/Circ)^γ − ktr·Prol
    dT1/dt = ktr·(Prol − T1),  dT2/dt = ktr·(T1 − T2),  dT3/dt = ktr·(T2 − T3)
    dCirc/dt = ktr·T3 − ktr·Circ               ktr = 4/MTT, all pools start at Circ0

The drug effect E(t) is p53 activation in megakaryocyte progenitors (on-target, DOMAIN.md §6).
Friberg's E slows the proliferation of the precursor pool, so its driver is the circuit's
antiproliferative arm: the core circuit of a TP53-wild-type reference cell under the patient's
free plasma concentration gives A(t) = p21 / untreated − 1 (through the circuit's
exposure–response reduction, :func:`p53lab.invivo.pathway.exposure_response`), and
``E = Emax·A^h/(A50^h + A^h)`` (``parameters.yaml``, section ``platelets``). p21, not PUMA:
MDM2 inhibition impairs megakaryocyte proliferation and maturation rather than killing the
progenitors (RG7112: Iancu-Rubin 2014 Exp Hematol 42:137), and the cell-fate module reads arrest
from p21 in the same way. The choice matters for schedules: p21 saturates at the free
concentrations of clinical doses while PUMA is still in its steep, switch-like range, so with
PUMA a peak-heavy schedule would suppress progenitors more than the same monthly dose spread
daily, the opposite of the clinic's experience with days 1–3 and 15–17 (Gounder 2023).

CTCAE v5 platelet count decreased (×10⁹/L): grade 1 < LLN (150)–75, grade 2 < 75–50,
grade 3 < 50–25, grade 4 < 25. Per patient: nadir and its day; recovery = days from a nadir
below 75 until the count is back to ≥ 75 (grade ≤ 1, the usual condition to start the next
cycle); NaN where the nadir stayed ≥ 75 or the count did not recover within the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from ..errors import SimulationError, param_error
from . import _params
from .pathway import ExposureResponse, exposure_response
from .pk import PKParams, check_dose_unit, concentrations, pk_params, sample_population
from .regimens import Regimen

__all__ = ["PlateletResult", "ctcae_grade", "friberg", "progenitor_response", "run_platelets"]

LLN = 150.0
READOUT = "p21_fold_minus_1"  # the circuit readout that drives the progenitor effect
RECOVERED_1E9_PER_L = 75.0  # recovery: back to grade <= 1 (>= 75 x10^9/L) after a nadir below
_GRADE_EDGES = (150.0, 75.0, 50.0, 25.0)


def ctcae_grade(count_1e9_per_L) -> np.ndarray:
    """CTCAE grade (0–4) of platelet counts (×10⁹/L)."""
    p = np.asarray(count_1e9_per_L, dtype=float)
    return sum((p < edge).astype(int) for edge in _GRADE_EDGES)


def friberg(
    times_h: np.ndarray,
    effect: callable,
    circ0: np.ndarray,
    mtt_h: float | None = None,
    gamma: float | None = None,
) -> np.ndarray:
    """Circulating platelets (×10⁹/L; rows: times, columns: subjects). ``effect(t)`` returns E for
    every subject (an array of the subjects' length)."""
    mtt = _params.value("platelets/mtt_h") if mtt_h is None else mtt_h
    gam = _params.value("platelets/gamma") if gamma is None else gamma
    circ0 = np.atleast_1d(np.asarray(circ0, dtype=float))
    n = circ0.size
    ktr = 4.0 / mtt

    def rhs(t, y):
        prol, t1, t2, t3, circ = y.reshape(5, n)
        e = effect(t)
        fb = (circ0 / np.maximum(circ, 1e-9)) ** gam
        return np.concatenate(
            [
                ktr * prol * (1.0 - e) * fb - ktr * prol,
                ktr * (prol - t1),
                ktr * (t1 - t2),
                ktr * (t2 - t3),
                ktr * (t3 - circ),
            ]
        )

    y0 = np.tile(circ0, 5)
    sol = solve_ivp(
        rhs,
        (float(times_h[0]), float(times_h[-1])),
        y0,
        t_eval=times_h,
        method="LSODA",
        rtol=1e-7,
        atol=1e-6,
        max_step=6.0,
    )
    if sol.status != 0:
        raise SimulationError(f"Friberg model integration failed: {sol.message}")
    return sol.y[4 * n : 5 * n].T


def progenitor_response(compound) -> ExposureResponse:
    """The progenitor drive A of :func:`drug_effect` (p21 fold − 1 of the reference cell) as an
    exposure–response of ``compound``: one place pairs the readout with ``a50``, for the
    platelet, clonal and trial modules alike."""
    return exposure_response(compound, "reference", READOUT)


def drug_effect(a, emax=None, a50=None, hill=None):
    emax = _params.value("platelets/emax") if emax is None else emax
    a50 = _params.value("platelets/a50") if a50 is None else a50
    h = _params.value("platelets/hill") if hill is None else hill
    a = np.maximum(np.asarray(a, dtype=float), 0.0)
    return emax * a**h / (a50**h + a**h)


def _median(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


@dataclass(frozen=True)
class PlateletResult:
    counts: pd.DataFrame  # arm, patient, day, platelets_1e9_per_L, grade
    patients: pd.DataFrame  # arm, patient, baseline, nadir, nadir_day, recovery_days, worst grade
    arms: pd.DataFrame  # per arm: grade 3/4 rate, median nadir, ...
    provenance: dict = field(default_factory=dict)

    def arm(self, label: str) -> dict:
        return self.arms.set_index("arm").loc[label].to_dict()


def _patient_summary(days: np.ndarray, p: np.ndarray, base: float) -> dict:
    i = int(np.argmin(p))
    nadir = float(p[i])
    after = np.flatnonzero((days > days[i]) & (p >= RECOVERED_1E9_PER_L))
    low = nadir < RECOVERED_1E9_PER_L
    rec = float(days[after[0]] - days[i]) if after.size and low else math.nan
    return {
        "baseline_1e9_per_L": base,
        "nadir_1e9_per_L": nadir,
        "nadir_day": float(days[i]),
        "recovery_days": rec,
        "worst_grade": int(ctcae_grade(nadir)),
        "days_below_75": float(np.sum(p < 75.0) * (days[1] - days[0])),
    }


def simulate_arm(
    regimen: Regimen,
    patients_pk: Sequence[PKParams],
    baselines: np.ndarray,
    er: ExposureResponse,
    days: np.ndarray,
) -> np.ndarray:
    """Platelet counts (rows: days, columns: patients) for one regimen."""
    t = days * 24.0
    fine = np.arange(0.0, t[-1] + 1.0, 1.0)
    doses = regimen.doses()
    conc = np.column_stack([concentrations(pk, doses, fine, "free") for pk in patients_pk])
    eff = drug_effect(er.trace(fine, conc))

    def effect(tt):
        k = min(int(tt), fine.size - 1)
        return eff[k]

    return friberg(t, effect, baselines)


def run_platelets(
    compound: str,
    arms: dict[str, Regimen],
    n_patients: int = 40,
    days: float = 84.0,
    seed: int = 0,
    progress=None,
) -> PlateletResult:
    """Virtual patients (PK variability, baseline platelets) under each arm's regimen; the same
    patients in every arm (a crossover in silico, so arms differ only by schedule)."""
    say = progress or (lambda m: None)
    if not arms:
        raise param_error("run_platelets", "arms", "at least one arm", arms)
    if int(n_patients) != n_patients or n_patients < 1:
        raise param_error("run_platelets", "n_patients", "a whole number >= 1", n_patients)
    pk = pk_params(compound, "human")
    for label, reg in arms.items():
        check_dose_unit(pk, reg.dose_unit, f"arm {label!r}")
    rng = np.random.default_rng(seed)
    pops = sample_population(pk, int(n_patients), rng)
    b0 = _params.value("platelets/baseline_1e9_per_L")
    cv = _params.value("platelets/baseline_cv")
    om = math.sqrt(math.log1p(cv**2))
    base = b0 * np.exp(rng.normal(-(om**2) / 2, om, int(n_patients)))
    say(f"platelets: exposure-response of the p53 circuit in progenitor cells ({compound})")
    er = progenitor_response(compound)
    grid = np.arange(0.0, days + 0.5, 1.0)
    count_rows, pat_rows, arm_rows = [], [], []
    for label, reg in arms.items():
        say(f"platelets: arm {label!r}: {reg.describe()}")
        p = simulate_arm(reg, pops, base, er, grid)
        grades = ctcae_grade(p)
        for j in range(p.shape[1]):
            pid = f"P{j + 1:03d}"
            s = _patient_summary(grid, p[:, j], float(base[j]))
            pat_rows.append({"arm": label, "patient": pid, **s})
            for k, d in enumerate(grid):
                count_rows.append(
                    {
                        "arm": label,
                        "patient": pid,
                        "day": d,
                        "platelets_1e9_per_L": p[k, j],
                        "grade": int(grades[k, j]),
                    }
                )
        pats = pd.DataFrame([r for r in pat_rows if r["arm"] == label])
        g34 = int(np.sum(pats["worst_grade"] >= 3))
        arm_rows.append(
            {
                "arm": label,
                "regimen": reg.describe(),
                "dose_per_28_days": reg.total_dose(28.0),
                "n": len(pats),
                "grade34_n": g34,
                "grade34_pct": 100.0 * g34 / len(pats),
                "median_nadir_1e9_per_L": float(pats["nadir_1e9_per_L"].median()),
                "median_nadir_day": float(pats["nadir_day"].median()),
                "median_recovery_days": _median(pats["recovery_days"]),
            }
        )
    prov = {
        "compound": compound,
        "n_patients": int(n_patients),
        "days": days,
        "seed": seed,
        "pk": pk.to_dict(),
        "exposure_response_tau_h": er.tau_h,
        "friberg": {k: _params.value(f"platelets/{k}") for k in ("mtt_h", "gamma")},
        "effect": {k: _params.value(f"platelets/{k}") for k in ("emax", "a50", "hill")},
    }
    return PlateletResult(
        pd.DataFrame(count_rows), pd.DataFrame(pat_rows), pd.DataFrame(arm_rows), prov
    )
