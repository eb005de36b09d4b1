"""A virtual single-arm trial: RECIST-like best response, ORR/DCR, PFS and thrombocytopenia.

Each virtual patient has: individual PK (lognormal variability, :func:`sample_population`);
an MDM2 copy gain of the tumour (lognormal around ``mdm2_amp_median``; the tumour's p53 circuit
is the core circuit with that amplification); a tumour sensitivity factor (lognormal) on the
apoptotic driver; a tumour doubling time (lognormal); a small resistant (TP53-mutant) fraction;
a baseline platelet count.

Tumour burden: sensitive cells S and resistant cells R with ``dS/dt = (g − k(t))·S`` and
``dR/dt = g·R`` (g = ln2/doubling), solved exactly by the running integral of k. The kill rate
is the xenograft mapping (:func:`p53lab.invivo.xenograft.kill_rate`) of the free-PUMA excess of
the tumour circuit times the sensitivity factor. The sum of diameters scales with burden^(1/3).
Scans every ``scan_interval_weeks``: best response CR (< 5 % of baseline SLD, i.e. no
measurable disease), PR (≤ −30 %), PD (≥ +20 % over the nadir and ≥ 5 mm), else SD; unconfirmed
responses count (as in the MANTRA-2 best ORR). PFS: the first scan with PD, censored at
drop-out (exponential) or the end of follow-up. ORR/DCR with exact Clopper–Pearson CIs and the
Kaplan–Meier PFS come from :mod:`p53lab.assays.clinical`. Thrombocytopenia: the Friberg model
of :mod:`p53lab.invivo.platelets` per patient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..assays import clinical
from ..errors import param_error
from ..model.cells import Variant
from . import _params
from .pathway import exposure_response
from .pk import check_dose_unit, concentrations, pk_params, sample_population
from .platelets import ctcae_grade, progenitor_response, simulate_arm
from .regimens import Regimen
from .xenograft import kill_rate

__all__ = ["TrialResult", "run_trial"]

DAYS_PER_MONTH = 30.4375
_AMP_GRID = (6.0, 12.0, 24.0)


@dataclass(frozen=True)
class TrialResult:
    patients: pd.DataFrame
    scans: pd.DataFrame
    orr: clinical.ResponseRateResult
    dcr: clinical.ResponseRateResult
    pfs: clinical.KaplanMeier
    grade34_thrombocytopenia_pct: float
    provenance: dict = field(default_factory=dict)


def _best_response(sld: np.ndarray, base: float) -> tuple[str, int | None]:
    """Best response over scans and the index of the first PD scan (None if none)."""
    nadir = base
    best = "SD"
    pd_at = None
    for i, s in enumerate(sld):
        if s >= 1.2 * nadir and s - nadir >= 5.0:
            pd_at = i
            break
        nadir = min(nadir, s)
        ch = (s - base) / base
        if s < 0.05 * base:
            best = "CR"
        elif ch <= -0.30 and best != "CR":
            best = "PR"
    if pd_at == 0 and best == "SD":
        best = "PD"
    return best, pd_at


def run_trial(
    compound: str,
    regimen: Regimen,
    n_patients: int = 31,
    followup_months: float = 12.0,
    seed: int = 0,
    progress=None,
) -> TrialResult:
    """Simulate the trial (``regimen.duration_days`` is ignored: patients are treated until
    progression, drop-out or the end of follow-up)."""
    say = progress or (lambda m: None)
    if int(n_patients) != n_patients or n_patients < 1:
        raise param_error("run_trial", "n_patients", "a whole number >= 1", n_patients)
    if not (math.isfinite(followup_months) and followup_months > 0):
        raise param_error("run_trial", "followup_months", "> 0 months", followup_months)
    n = int(n_patients)
    pk = pk_params(compound, "human")
    check_dose_unit(pk, regimen.dose_unit, "the trial regimen")
    tp = {k: _params.value(f"trial/{k}") for k in _params.parameters()["trial"]}
    rng = np.random.default_rng(seed)
    pops = sample_population(pk, n, rng)

    def lognormal(median, cv, size):
        return median * np.exp(rng.normal(0.0, math.sqrt(math.log1p(cv**2)), size))

    amp = lognormal(tp["mdm2_amp_median"], tp["mdm2_amp_cv"], n)
    sens = lognormal(1.0, tp["sensitivity_cv"], n)
    doubling = lognormal(tp["tumour_doubling_days"], tp["doubling_cv"], n)
    b0 = _params.value("platelets/baseline_1e9_per_L")
    bcv = _params.value("platelets/baseline_cv")
    bom = math.sqrt(math.log1p(bcv**2))
    plt0 = b0 * np.exp(rng.normal(-(bom**2) / 2, bom, n))
    dropout = rng.exponential(1.0 / tp["dropout_per_month"], n)

    say("trial: exposure-response of the tumour circuit (MDM2 copy gains 6, 12, 24)")
    ers = {
        a: exposure_response(compound, Variant(mdm2_amplification=a), "puma_free_excess_nM")
        for a in _AMP_GRID
    }
    t_end_h = followup_months * DAYS_PER_MONTH * 24.0
    dt = 1.0
    t = np.arange(0.0, t_end_h + dt, dt)
    long = replace(regimen, duration_days=followup_months * DAYS_PER_MONTH + 1)
    doses = long.doses()
    scan_h = np.arange(
        tp["scan_interval_weeks"] * 7 * 24.0, t_end_h + 1e-9, tp["scan_interval_weeks"] * 7 * 24.0
    )
    say(f"trial: {n} patients, {regimen.describe()}")
    rows, scan_rows = [], []
    for i in range(n):
        c = concentrations(pops[i], doses, t, "tumour_free")
        a_near = min(_AMP_GRID, key=lambda a, ai=amp[i]: abs(math.log(a / ai)))
        d = ers[a_near].trace(t, c)
        k = kill_rate(sens[i] * d)
        g = math.log(2) / (doubling[i] * 24.0)
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (k[1:] + k[:-1]) * dt)])
        r0 = tp["resistant_fraction"]
        burden = (1 - r0) * np.exp(g * t - cum) + r0 * np.exp(g * t)
        sld = tp["baseline_sld_mm"] * np.interp(scan_h, t, burden) ** (1.0 / 3.0)
        best, pd_at = _best_response(sld, tp["baseline_sld_mm"])
        drop_h = dropout[i] * DAYS_PER_MONTH * 24.0
        if pd_at is not None and scan_h[pd_at] <= drop_h:
            pfs_m, event = scan_h[pd_at] / 24.0 / DAYS_PER_MONTH, 1
        else:
            pfs_m, event = min(drop_h, t_end_h) / 24.0 / DAYS_PER_MONTH, 0
        seen = scan_h <= min(drop_h, scan_h[pd_at] if pd_at is not None else np.inf)
        if not seen.any():
            best = "NE"
        else:
            best, _ = _best_response(sld[seen], tp["baseline_sld_mm"])
        rows.append(
            {
                "patient": f"P{i + 1:03d}",
                "cl_L_per_h": pops[i].cl_L_per_h,
                "v_L": pops[i].v1_L,
                "mdm2_copy_gain": amp[i],
                "sensitivity": sens[i],
                "doubling_days": doubling[i],
                "baseline_platelets_1e9_per_L": plt0[i],
                "best_response": best,
                "best_sld_change_pct": float(100 * (sld[seen].min() / tp["baseline_sld_mm"] - 1))
                if seen.any()
                else math.nan,
                "pfs_months": pfs_m,
                "pfs_event": event,
            }
        )
        for h, s in zip(scan_h[seen], sld[seen], strict=True):
            scan_rows.append({"patient": f"P{i + 1:03d}", "week": h / 24 / 7, "sld_mm": s})
    patients = pd.DataFrame(rows)
    say("trial: platelets (Friberg) for every patient over the first three cycles")
    er_p = progenitor_response(compound)
    short = replace(regimen, duration_days=84.0)
    p = simulate_arm(short, pops, plt0, er_p, np.arange(0.0, 85.0, 1.0))
    worst = ctcae_grade(p.min(axis=0))
    patients["nadir_platelets_1e9_per_L"] = p.min(axis=0)
    patients["worst_platelet_grade"] = worst
    rates = clinical.response_rates(patients["best_response"].tolist())
    km = clinical.kaplan_meier(patients["pfs_months"], patients["pfs_event"])
    prov = {
        "compound": compound,
        "regimen": regimen.describe(),
        "n_patients": n,
        "followup_months": followup_months,
        "seed": seed,
        "pk": pk.to_dict(),
        "trial_parameters": tp,
        "amplification_grid": list(_AMP_GRID),
    }
    return TrialResult(
        patients,
        pd.DataFrame(scan_rows),
        rates["ORR"],
        rates["DCR"],
        km,
        float(100 * np.mean(worst >= 3)),
        prov,
    )
