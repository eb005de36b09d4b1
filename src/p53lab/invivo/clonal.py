"""Clonal haematopoiesis under MDM2 inhibition: selection of TP53-mutant progenitor clones.

MDM2 inhibitors arrest or kill TP53-wild-type haematopoietic progenitors (the same on-target
effect that lowers platelets); TP53-mutant progenitors are blind to the drug and gain ground
(DOMAIN.md §3: one milademetan patient carried 20 TP53 mutations in blood and marrow, more with
longer treatment, persisting over a year after stopping).

Each virtual patient carries N ~ Poisson(``clones_per_patient``) pre-existing TP53-mutant
clones with variant allele fraction (VAF) log-uniform in [``vaf_min``, ``vaf_max``] (all below
detection). A clone's share f of haematopoiesis follows logistic selection,
``df/dt = s(t)·f·(1 − f)``, so logit f grows by ∫s dt (exact). On treatment
``s = m·s_max·Ē`` with Ē the mean progenitor drug effect over a cycle (the Friberg effect of
:mod:`p53lab.invivo.platelets`, from the p53 circuit) and m a lognormal clone factor; off
treatment ``s = m·s_off`` (a slow loss). VAF = f/2 (heterozygous). A clone is detectable at
VAF ≥ ``detection_vaf`` (2 %, Steensma 2015 Blood 126:9). All parameters: ``parameters.yaml``
section ``clonal``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import param_error
from . import _params
from .pk import check_dose_unit, concentrations, pk_params
from .platelets import drug_effect, progenitor_response
from .regimens import Regimen

__all__ = ["ClonalResult", "mean_progenitor_effect", "run_clonal"]

DAYS_PER_MONTH = 30.4375


def mean_progenitor_effect(compound: str, regimen: Regimen, cycle_days: float = 28.0) -> float:
    """Ē: the progenitor drug effect of the typical patient averaged over one cycle."""
    pk = pk_params(compound, "human")
    check_dose_unit(pk, regimen.dose_unit, "the clonal study")
    er = progenitor_response(compound)
    # the second cycle (accumulation done) of a regimen given for two cycles
    two = replace(regimen, duration_days=2 * cycle_days)
    t = np.arange(0.0, 2 * cycle_days * 24.0 + 1.0, 1.0)
    c = concentrations(pk, two.doses(), t, "free")
    e = drug_effect(er.trace(t, c))
    return float(np.mean(e[t >= cycle_days * 24.0]))


@dataclass(frozen=True)
class ClonalResult:
    clones: pd.DataFrame  # duration, patient, clone, vaf_start, vaf_stop, vaf_followup
    summary: pd.DataFrame  # per treatment duration
    mean_effect: float
    provenance: dict = field(default_factory=dict)


def _logit(f):
    return np.log(f) - np.log1p(-f)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def run_clonal(
    compound: str,
    regimen: Regimen,
    durations_months: Sequence[float],
    followup_months: float = 12.0,
    n_patients: int = 50,
    seed: int = 0,
    progress=None,
) -> ClonalResult:
    """Clones per patient after each treatment duration and ``followup_months`` after
    stopping. The same patients (same clones) are followed under every duration."""
    say = progress or (lambda m: None)
    durs = [float(d) for d in durations_months]
    if not durs or any(not (math.isfinite(d) and d > 0) for d in durs):
        raise param_error("run_clonal", "durations_months", "months > 0", durations_months)
    if not (math.isfinite(followup_months) and followup_months >= 0):
        raise param_error("run_clonal", "followup_months", ">= 0", followup_months)
    if int(n_patients) != n_patients or n_patients < 1:
        raise param_error("run_clonal", "n_patients", "a whole number >= 1", n_patients)
    p = {
        k: float(_params.value(f"clonal/{k}"))
        for k in (
            "clones_per_patient",
            "vaf_min",
            "vaf_max",
            "s_max_per_day",
            "s_off_per_day",
            "s_cv",
            "detection_vaf",
        )
    }
    say(f"clonal: progenitor drug effect of {compound} {regimen.describe()}")
    e_bar = mean_progenitor_effect(compound, regimen)
    rng = np.random.default_rng(seed)
    om = math.sqrt(math.log1p(p["s_cv"] ** 2))
    rows = []
    for i in range(int(n_patients)):
        n = int(rng.poisson(p["clones_per_patient"]))
        vaf0 = np.exp(rng.uniform(math.log(p["vaf_min"]), math.log(p["vaf_max"]), n))
        m = np.exp(rng.normal(-(om**2) / 2, om, n))
        for d in durs:
            x = _logit(2 * vaf0) + m * p["s_max_per_day"] * e_bar * d * DAYS_PER_MONTH
            stop = _expit(x) / 2
            after = _expit(x + m * p["s_off_per_day"] * followup_months * DAYS_PER_MONTH) / 2
            for k in range(n):
                rows.append(
                    {
                        "duration_months": d,
                        "patient": f"P{i + 1:03d}",
                        "clone": k + 1,
                        "vaf_start": vaf0[k],
                        "vaf_at_stop": stop[k],
                        "vaf_followup": after[k],
                    }
                )
    clones = pd.DataFrame(rows)
    det = p["detection_vaf"]
    summ = []
    for d in durs:
        sub = clones[clones["duration_months"] == d]
        seen = sub[sub["vaf_at_stop"] >= det]
        per_pat_stop = (
            seen.groupby("patient")
            .size()
            .reindex([f"P{i + 1:03d}" for i in range(int(n_patients))], fill_value=0)
        )
        later = sub[sub["vaf_followup"] >= det]
        summ.append(
            {
                "duration_months": d,
                "mean_detectable_clones_at_stop": float(per_pat_stop.mean()),
                "patients_with_clone_pct": float(100 * np.mean(per_pat_stop > 0)),
                "median_vaf_detectable_at_stop": float(seen["vaf_at_stop"].median())
                if len(seen)
                else math.nan,
                "mean_vaf_at_stop_of_detectable": float(seen["vaf_at_stop"].mean())
                if len(seen)
                else math.nan,
                "mean_vaf_followup_of_same_clones": float(seen["vaf_followup"].mean())
                if len(seen)
                else math.nan,
                "mean_detectable_clones_followup": float(len(later) / int(n_patients)),
            }
        )
    prov = {
        "compound": compound,
        "regimen": regimen.describe(),
        "mean_progenitor_effect": e_bar,
        "followup_months": followup_months,
        "n_patients": int(n_patients),
        "seed": seed,
        "parameters": p,
    }
    return ClonalResult(clones, pd.DataFrame(summ), e_bar, prov)
