"""Model-based part of the advice: simulate the user's experiment under each cell-model
hypothesis and measure how well each reproduces the observed readouts.

All hypotheses run in one population ensemble (:func:`p53lab.population.simulate_population`):
each is a set of :class:`~p53lab.population.Condition` objects whose ``params`` change the cell
background (TP53 transactivation, MDM2 copies, MDMX, Bcl-2, efflux), with its own vehicle, so
every fold is relative to the hypothesis's own untreated cells. Survival signalling changes the
fate rule, not the circuit, and runs as a second, small population. The same cells (same
draws) serve every hypothesis.

Misfit of hypothesis h over the observed readouts k (a chi-square):

    chi2_h = sum_k ((y_k - s_hk) / sigma_k)^2

with y, s on a log scale for folds and IC50s and on a linear scale for percentages. The
hypothesis weights are w_h = pi_h exp(-chi2_h / 2) / sum_j pi_j exp(-chi2_j / 2) (prior pi: 2 for
the line as catalogued, 1 for each alteration), and
the goodness of the best fit is the chi-square survival function of min_h chi2_h with one
degree of freedom per readout.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._version import __version__
from ..catalog import cell_line as lookup_line
from ..catalog import compound as lookup_compound
from ..errors import SimulationError
from ..model.cells import Variant, variant_values
from ..population import Condition, FateParams, simulate_population
from ._causes import HYPOTHESES

__all__ = ["READOUTS", "SIGMA", "ModelFit", "fit_hypotheses"]

# Measurement scatter assumed for the misfit (estimated): band quantification of Westerns and
# qPCR folds scatter by ~30-50 % between biological replicates -> sigma of ln(fold) = ln 1.5;
# flow percentages by several points -> 10 points; IC50s between independent assays ~2-fold
# -> sigma of log10(IC50) = 0.3.
SIGMA = {"log_fold": math.log(1.5), "pct": 10.0, "log10_ic50": 0.3}
# Prior odds (estimated, parsimony): a line is more often as catalogued than altered, so the
# unchanged line counts twice as much as each single alteration when the fits are equal.
PRIOR = {"baseline": 2.0}
FOLD_FLOOR = 0.01  # a band at 1 % of vehicle is "gone"; keeps log(0) out of the misfit
VIABILITY_H = 72.0  # the guides' CellTiter-Glo read (72-96 h)
# Highest concentration simulated (estimated): these drugs are not soluble in medium much above
# 100 uM, and no guide dose goes there; a dilution series is cut at this concentration.
SIM_MAX_CONC_NM = 1.0e5
# Solver tolerance: 1e-3 keeps an advice call to seconds; wells the loose tolerance cannot
# integrate (very high concentrations) are run again at 1e-4.
RTOLS = (1e-3, 1e-4)
IC50_SERIES = tuple(10.0**e for e in np.arange(-1.5, 1.51, 0.5))  # x observed IC50, half-log

# observation key -> (kind, how the simulated value is read)
READOUTS = {
    "p53_fold": "log_fold",
    "mdm2_fold": "log_fold",
    "p21_fold": "log_fold",
    "mdm2_basal_fold": "log_fold",
    "mdmx_fold": "log_fold",
    "bcl2_fold": "log_fold",
    "apoptosis_pct": "pct",
    "g1_arrest_pct": "pct",
    "g2m_arrest_pct": "pct",
    "ic50_nM": "log10_ic50",
}
_KNOB_PARAM = {  # Variant field -> core-model parameter (model/cells.py variant_values)
    "mdm2_amplification": "mdm2_copies",
    "mdmx_fold": "mdmx_level",
    "bcl2_fold": "bcl2_level",
    "efflux_fold": "efflux",
}


@dataclass(frozen=True)
class ModelFit:
    """Per hypothesis: simulated readouts, standardised residuals, chi2 and weight."""

    simulated: dict[str, dict[str, float]]
    residuals: dict[str, dict[str, float]]
    chi2: dict[str, float]
    weight: dict[str, float]
    best_fit_p: float
    n_readouts: int
    settings: dict
    notes: tuple[str, ...]
    dose_check: dict  # the line as catalogued at the user's and at 10x the concentration


def _variant(line_name: str | None, tp53_status: str) -> Variant:
    v = Variant.of(line_name or "reference")
    if tp53_status == "mutant":
        v = Variant(**{**v.__dict__, "tp53": "missense"})
    elif tp53_status == "null":
        v = Variant(**{**v.__dict__, "tp53": "null"})
    return v


def _hypothesis_params(base: dict[str, float], change: dict, pumped: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, x in change.items():
        if k == "tp53":
            out |= {"p53_tact": 0.0, "p53_gene": 0.0 if x == "null" else 1.0}
        elif k in _KNOB_PARAM:
            p = _KNOB_PARAM[k]
            # A compound known not to be pumped ignores efflux (as variant_values does).
            out[p] = 1.0 if p == "efflux" and not pumped else base[p] * float(x)
    return out


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def _simulate(
    compound: str,
    line: str | None,
    tp53_status: str,
    conc: float,
    hours: float,
    ic50_concs: tuple[float, ...],
    n_cells: int,
    seed: int,
) -> dict:
    """Readouts of every hypothesis: {hyp: {conc: {time: row}}} plus reference vehicle.
    Deterministic in its arguments, so results are cached (per process, a few entries)."""
    key = (compound, line, tp53_status, conc, hours, ic50_concs, n_cells, seed)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    comp = lookup_compound(compound)
    variant = _variant(line, tp53_status)
    td = float(lookup_line(line).doubling_time_h.value) if line else 24.0
    base = variant_values(variant, comp)
    pgp = comp.p_gp_substrate.value if comp.p_gp_substrate is not None else None
    concs = sorted({conc, min(conc * 10.0, SIM_MAX_CONC_NM), *ic50_concs} - {0.0})
    total_h = max(hours, VIABILITY_H) if ic50_concs else hours
    readout_h = sorted({hours, total_h})
    reference = variant_values(Variant(), comp)
    conds: list[Condition] = [Condition(0.0, label="baseline|0")]
    conds.append(
        Condition(0.0, params={k: reference[k] for k in _KNOB_PARAM.values()}, label="reference|0")
    )
    plan: dict[str, list[float]] = {}
    for h, change in HYPOTHESES.items():
        if "survival" in change:
            continue
        params = _hypothesis_params(base, change, pgp is not False)
        wanted = concs if h == "baseline" else sorted({conc, *ic50_concs} - {0.0})
        plan[h] = wanted
        if h != "baseline":
            conds.append(Condition(0.0, params=params, label=f"{h}|0"))
        for c in wanted:
            conds.append(Condition(c, params=params, label=f"{h}|{c:.6g}"))
    common = dict(
        hours=total_h,
        readout_h=readout_h,
        n_cells=n_cells,
        seed=seed,
        doubling_time_h=td,
    )
    res, rtol = _run(comp, variant, conds, common)
    rows = _rows(res.table)
    out: dict = {"reference": rows["reference|0"]}
    for h, wanted in plan.items():
        out[h] = {0.0: rows[f"{h}|0"]} | {c: rows[f"{h}|{c:.6g}"] for c in wanted}
    for h, change in HYPOTHESES.items():
        if "survival" not in change:
            continue
        fate = FateParams(survival=float(change["survival"]))
        wanted = sorted({conc, *ic50_concs} - {0.0})
        sconds = [Condition(c, label=f"{c:.6g}") for c in wanted] or [Condition(0.0)]
        r, rtol_s = _run(comp, variant, sconds, common | {"fate": fate})
        rtol = min(rtol, rtol_s)
        rr = _rows(r.table)
        out[h] = {0.0: rr["vehicle"]} | {c: rr[f"{c:.6g}"] for c in wanted}
    out["_settings"] = {
        "compound": comp.name,
        "cell_line": line or "reference",
        "variant": repr(variant),
        "conc_nM": conc,
        "hours": hours,
        "viability_h": total_h if ic50_concs else None,
        "n_cells": n_cells,
        "seed": seed,
        "rtol": rtol,
        "hypotheses": {h: dict(v) for h, v in HYPOTHESES.items()},
        "bcl2_level": {
            h: base["bcl2_level"] * float(HYPOTHESES[h].get("bcl2_fold", 1.0)) for h in HYPOTHESES
        }
        | {"reference": reference["bcl2_level"]},
        "efflux_applies": pgp is not False,
        "p53lab_version": __version__,
    }
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _run(comp, variant, conds, kwargs):
    for i, rtol in enumerate(RTOLS):
        try:
            return simulate_population(comp, variant, conds, rtol=rtol, **kwargs), rtol
        except SimulationError:
            if i == len(RTOLS) - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _rows(table) -> dict[str, dict[float, dict]]:
    out: dict[str, dict[float, dict]] = {}
    for rec in table.to_dict(orient="records"):
        out.setdefault(str(rec["condition"]), {})[float(rec["time_h"])] = rec
    return out


def _readouts(sim: dict, h: str, conc: float, hours: float, ic50_concs, settings) -> dict:
    rows = sim[h]
    veh, trt = rows[0.0][hours], rows[conc][hours] if conc > 0 else rows[0.0][hours]
    ref = sim["reference"][hours]

    def fold(num: float, den: float) -> float:
        return num / den if den > 0 else 1.0  # no protein at all (TP53 null): nothing changes

    out = {
        "p53_fold": fold(trt["p53_mean_nM"], veh["p53_mean_nM"]),
        "mdm2_fold": fold(trt["mdm2_mean_nM"], veh["mdm2_mean_nM"]),
        "p21_fold": fold(trt["p21_mean_nM"], veh["p21_mean_nM"]),
        "mdm2_basal_fold": fold(veh["mdm2_mean_nM"], ref["mdm2_mean_nM"]),
        "mdmx_fold": fold(veh["mdmx_mean_nM"], ref["mdmx_mean_nM"]),
        # Bcl-2 is made at k_bcl2_syn * bcl2_level and turned over first-order, so its basal
        # level relative to the reference line is the ratio of bcl2_level (exact at steady
        # state; the population table carries no Bcl-2 column).
        "bcl2_fold": settings["bcl2_level"][h] / settings["bcl2_level"]["reference"],
        "apoptosis_pct": 100.0 * (trt["early_apoptotic"] + trt["late_apoptotic"]),
        "g1_arrest_pct": 100.0 * trt["g1"],
        "g2m_arrest_pct": 100.0 * trt["g2m"],
    }
    if ic50_concs:
        t = settings["viability_h"]
        v0 = rows[0.0][t]["viable_cells"]
        viab = [rows[c][t]["viable_cells"] / v0 for c in ic50_concs]
        out["ic50_nM"] = _ic50(ic50_concs, viab)
    return out


def _ic50(concs, viable) -> float:
    """Where viability crosses 50 % (log-linear interpolation between the bracketing points);
    the series' end when it never does (a censored value: the misfit is then a lower bound)."""
    lc = np.log10(concs)
    for i in range(len(concs) - 1):
        a, b = viable[i], viable[i + 1]
        if a >= 0.5 > b:
            return float(10 ** (lc[i] + (a - 0.5) / (a - b) * (lc[i + 1] - lc[i])))
    return float(concs[0] if viable[0] < 0.5 else concs[-1])


def _z(kind: str, observed: float, simulated: float) -> float:
    if kind == "pct":
        return (observed - simulated) / SIGMA["pct"]
    if kind == "log10_ic50":
        return math.log10(observed / simulated) / SIGMA["log10_ic50"]
    lo, ls = math.log(max(observed, FOLD_FLOOR)), math.log(max(simulated, FOLD_FLOOR))
    return (lo - ls) / SIGMA["log_fold"]


def fit_hypotheses(
    compound: str,
    line: str | None,
    tp53_status: str,
    observations: dict,
    conc_nM: float,
    hours: float,
    n_cells: int,
    seed: int,
) -> ModelFit | None:
    """Simulate every hypothesis and score it against the observed readouts; None when no
    observed readout has a simulated counterpart."""
    keys = [k for k in READOUTS if k in observations]
    if not keys:
        return None
    notes = []
    if conc_nM > SIM_MAX_CONC_NM:
        notes.append(
            f"{conc_nM:g} nM is above what the model simulates; it uses {SIM_MAX_CONC_NM:g} nM."
        )
        conc_nM = SIM_MAX_CONC_NM
    ic50 = observations.get("ic50_nM")
    series = [float(f"{ic50 * f:.6g}") for f in IC50_SERIES] if ic50 else []
    ic50_concs = tuple(c for c in series if c <= SIM_MAX_CONC_NM)
    if ic50 and len(ic50_concs) < 3:
        notes.append(f"IC50 {ic50:g} nM is beyond the simulated range: not compared.")
        keys.remove("ic50_nM")
        ic50_concs = ()
        if not keys:
            return None
    sim = _simulate(compound, line, tp53_status, conc_nM, hours, ic50_concs, n_cells, seed)
    settings = sim["_settings"]
    simulated, residuals, chi2 = {}, {}, {}
    for h in HYPOTHESES:
        s = _readouts(sim, h, conc_nM, hours, ic50_concs, settings)
        simulated[h] = {k: s[k] for k in keys}
        residuals[h] = {k: _z(READOUTS[k], float(observations[k]), s[k]) for k in keys}
        chi2[h] = float(sum(z * z for z in residuals[h].values()))
    best = min(chi2.values())
    raw = {h: PRIOR.get(h, 1.0) * math.exp(-(c - best) / 2.0) for h, c in chi2.items()}
    tot = sum(raw.values())
    if not settings["efflux_applies"]:
        notes.append(
            f"{settings['compound']} is not a P-gp substrate (catalog): efflux leaves it alone "
            "in the model."
        )
    base_rows = sim["baseline"]
    ten = min(conc_nM * 10.0, SIM_MAX_CONC_NM)
    dose_check = {
        "conc_nM": conc_nM,
        "ten_fold_conc_nM": ten,
        "here": _summary(base_rows, conc_nM, hours),
        "ten_fold": _summary(base_rows, ten, hours) if 0 < conc_nM < ten else None,
    }
    return ModelFit(
        simulated=simulated,
        residuals=residuals,
        chi2=chi2,
        weight={h: r / tot for h, r in raw.items()},
        best_fit_p=float(stats.chi2.sf(best, df=len(keys))),
        n_readouts=len(keys),
        settings=settings,
        notes=tuple(notes),
        dose_check=dose_check,
    )


def _summary(rows: dict, conc: float, hours: float) -> dict:
    veh, trt = rows[0.0][hours], rows[conc][hours] if conc > 0 else rows[0.0][hours]
    return {
        "p53_fold": trt["p53_mean_nM"] / veh["p53_mean_nM"] if veh["p53_mean_nM"] > 0 else 1.0,
        "p21_fold": trt["p21_mean_nM"] / veh["p21_mean_nM"] if veh["p21_mean_nM"] > 0 else 1.0,
        "apoptosis_pct": 100.0 * (trt["early_apoptotic"] + trt["late_apoptotic"]),
        "g1_arrest_pct": 100.0 * trt["g1"],
    }
