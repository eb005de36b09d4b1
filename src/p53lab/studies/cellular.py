"""Cell-level studies: the headline degrader-vs-inhibitor comparison (``p53lab demo``), Bcl-2
and venetoclax, pulsed vs continuous exposure.

The headline (KT-253 vs milademetan in RS4;11, with a TP53-mutant control) is calibrated on
two published numbers only — KT-253 MDM2 DC50 0.4 nM and milademetan p53 EC50 81.4 nM (vendor
guide) — and everything else is predicted: KT-253's p53 EC50 (published 0.05 nM), both growth
IC50s (KT-253 0.3 nM in RS4;11), their ratio (> 200-fold, Kymera; > 1,500-fold, guide), the
MDM2 response at 8 h and the p53-mutant control.

Assay definitions (what "DC50" and "EC50" mean here): the mean cell of the line is simulated
at each concentration; DC50 is the concentration at which total MDM2 is 50 % of vehicle on the
fitted LL.4 curve at 4 h, Dmax the largest loss at 24 h; the p53 EC50 is the LL.4 EC50 of
total p53 (fold over vehicle) at 8 h; the growth IC50 is the LL.4 IC50 of the 72 h
CellTiter-Glo plate (% of vehicle).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .. import columns as C
from ..assays import dose_response as dr
from ..catalog import compound as lookup_compound
from ..errors import SimulationError
from ..model.cells import Variant, cell_model, drug_values
from ..population import Condition, FateParams, simulate_population
from ..population.calibrate import FitParameter, Target, calibrate
from ..simulate import Schedule, compile_model, simulate_ensemble, steady_state
from .registry import Fields

__all__ = ["HEADLINE_PUBLISHED", "dose_curve", "headline"]

DC50_TIME_H = 4.0
DMAX_TIME_H = 24.0
P53_EC50_TIME_H = 8.0

# Published values (vendor guide; Kymera) — two are calibration targets, the rest predictions.
HEADLINE_PUBLISHED = {
    "kt-253": {"dc50_nM": 0.4, "p53_ec50_nM": 0.05, "ic50_72h_nM": 0.3},
    "milademetan": {"p53_ec50_nM": 81.4},
    "growth_potency_ratio_min": 200.0,
}
CALIBRATED = ["kt-253.dc50_nM", "milademetan.p53_ec50_nM"]

DEGRADER_CONCS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
SMI_CONCS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)
# The core issue's Western concentrations, simulated beside the plate series.
WESTERN_CONCS_NM = {"kt-253": (10.0,), "milademetan": (1000.0,)}
# 9 points, 1:4: from the top down almost four decades, so that the curve has its upper
# plateau whichever the compound's potency (a 1:3 series from 10 uM stops at 1.5 nM).
PLATE_POINTS = 9
PLATE_DILUTION = 4.0
PLATE_TOPS_NM = {
    ("kt-253", "wild_type"): 30.0,
    ("milademetan", "wild_type"): 10000.0,
    ("kt-253", "mutant"): 30000.0,
    ("milademetan", "mutant"): 30000.0,
}


CELLS_PER_WELL = 5000  # CellTiter-Glo seeding, 5,000-10,000 cells/well (DOMAIN.md §4)


def plate_series(top: float, n: int = 9, dilution: float = 3.0) -> tuple[float, ...]:
    """The dilution series as the plate layout writes it (6 significant digits)."""
    return tuple(float(f"{top / dilution**k:.6g}") for k in range(n))


def _ll4(x: float, p: dict) -> float:
    return p["c"] + (p["d"] - p["c"]) / (1.0 + (x / p["e"]) ** p["b"])


def plate_ic50(
    out: Path,
    name: str,
    compound: str,
    top: float,
    pop,
    seed: int,
    n_points: int = 9,
    dilution: float = 3.0,
    hours: float = 72.0,
) -> dict:
    """Write a 96-well CellTiter-Glo plate of ``pop`` (simulated at
    ``plate_series(top, n_points, dilution)``) as the plate reader would, fit it with the plate
    module (LL.4 with Z' and edge checks) and return the IC50 (or the top concentration with
    qualifier '>' when the curve never falls below 50 % of vehicle)."""
    from ..assays import plates
    from ..insilico import dilution_layout, write_celltiter_glo

    lay = dilution_layout([compound], top, n_points=n_points, dilution=dilution, replicates=3)
    t = pop.at(hours)
    cells = dict(zip(t[C.CONC_NM].round(9), t["viable_cells"], strict=True))

    def viable(comp: str, conc_nM: float) -> float:
        if comp == "staurosporine":
            return 0.0  # positive control: every cell dead
        return CELLS_PER_WELL * cells[round(float(conc_nM) if comp else 0.0, 9)]

    w = write_celltiter_glo(out, lay, viable, seed=seed, name=name)
    res = plates.fit(w["plate"], w["layout"], curves=True)
    cur = next(c for c in res.curves if c["compound"] == compound)
    par = cur.get("parameters", {})
    e = par.get("e", math.nan)
    # An IC50 exists only where the fitted curve itself falls below 50 % of vehicle within the
    # tested range (a flat curve fits a meaningless midpoint).
    reached = cur["status"] == "ok" and math.isfinite(e) and e <= top and _ll4(top, par) < 50.0
    return {
        "ic50_nM": float(e) if reached else float(top),
        "qualifier": "=" if reached else ">",
        "status": cur["status"],
        "z_prime": res.plates[0].get("z_prime"),
        "files": [Path(w["plate"]).name, Path(w["layout"]).name],
    }


def dose_curve(
    comp: str,
    cell: str | Variant,
    concs,
    times_h,
    outputs,
    params: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """The line's mean cell at each concentration (after an untreated run-in): output ->
    array (concs, times) relative to vehicle."""
    model = cell_model(comp, cell, **(params or {}))
    concs = [0.0, *concs]
    # Every well starts from the untreated steady state (computed once); few members, so the
    # member-by-member engine is the faster one here.
    ss = steady_state(model)
    if ss.status != "ok":
        raise SimulationError(f"{comp}: the untreated cell has no steady state ({ss.message}).")
    ids = compile_model(model).state_ids
    ens = simulate_ensemble(
        model,
        {s: np.full(len(concs), ss.y[i]) for i, s in enumerate(ids)},
        schedule=[Schedule.bath(c) for c in concs],
        times_h=[0.0, *(float(t) for t in times_h)],
        outputs=list(outputs),
        method="serial",
    )
    out = {}
    for i, col in enumerate(ens.columns):
        v = ens.values[:, 1:, i]
        out[col] = v[1:] / v[:1]
    return out


def _ec50(concs, y) -> float:
    r = dr.fit(np.asarray(concs), np.asarray(y), "ll4")
    if r.status != "ok":
        return math.nan
    return float(r.parameters["e"])


def _dc50(comp, cell, params, concs=DEGRADER_CONCS) -> float:
    """DC50: the concentration that removes half of the protein (MDM2 at 50 % of vehicle on
    the fitted LL.4 curve), the usual definition for degraders."""
    d = dose_curve(comp, cell, concs, [DC50_TIME_H], [C.MDM2_TOTAL], params)
    y = 100 * d[C.MDM2_TOTAL][:, 0]
    r = dr.fit(np.asarray(concs), y, "ll4")
    if r.status != "ok":
        return math.nan
    b, c, dd, e = (r.parameters[k] for k in "bcde")
    if not c < 50 < dd:
        return math.nan
    # c + (d - c) / (1 + (x/e)^b) = 50  ->  x = e * ((d - c) / (50 - c) - 1)^(1/b)
    return float(e * ((dd - c) / (50 - c) - 1) ** (1 / b))


def _p53_ec50(comp, cell, params, concs) -> float:
    d = dose_curve(comp, cell, concs, [P53_EC50_TIME_H], [C.P53_TOTAL], params)
    return _ec50(concs, d[C.P53_TOTAL][:, 0])


def _calibrate_kt253(cell: str, seed: int):
    kt = lookup_compound("KT-253")
    k_ub0 = float(kt.degrader.k_ub_per_h.value)
    return calibrate(
        [
            FitParameter(
                "k_ub_mdm2", k_ub0, k_ub0 / 100, k_ub0 * 100, "1/h", "ternary-complex turnover"
            )
        ],
        [
            Target(
                "kt-253 dc50_nM",
                HEADLINE_PUBLISHED["kt-253"]["dc50_nM"],
                lambda p: _dc50(kt, cell, {"k_ub_mdm2": p["k_ub_mdm2"]}),
                "nM",
                "vendor guide; Kymera",
            )
        ],
        starts=2,
        seed=seed,
    )


def _milademetan_koff(kd_nM: float) -> dict[str, float]:
    mil = lookup_compound("milademetan")
    return {"koff_dm": drug_values(mil)["koff_dm"] * kd_nM / float(mil.mdm2_kd_nM.value)}


def _calibrate_milademetan(cell: str, seed: int):
    mil = lookup_compound("milademetan")
    kd0 = float(mil.mdm2_kd_nM.value)
    return calibrate(
        [
            FitParameter(
                "milademetan_kd_nM",
                kd0,
                kd0 / 1000,
                kd0 * 1000,
                "nM",
                "cellular MDM2 K_D (biochemical IC50 5.57 nM as start)",
            )
        ],
        [
            Target(
                "milademetan p53_ec50_nM",
                HEADLINE_PUBLISHED["milademetan"]["p53_ec50_nM"],
                lambda p: _p53_ec50(
                    mil, cell, _milademetan_koff(p["milademetan_kd_nM"]), SMI_CONCS
                ),
                "nM",
                "vendor guide",
            )
        ],
        starts=2,
        seed=seed,
    )


class _Inline:
    """An executor that runs each task at once (one worker)."""

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller by .result()
            f.set_exception(exc)
        return f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _executor(workers: int):
    if workers <= 1:
        return _Inline()
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def headline(
    out: str | Path,
    seed: int = 0,
    n_cells: int = 40,
    cell: str = "RS4;11",
    progress: Callable[[str], None] | None = None,
    fate: FateParams | None = None,
    workers: int | None = None,
) -> dict:
    """Calibrate on the two targets, then predict the rest. The growth IC50s come from the
    CellTiter-Glo plates written into ``out`` and fitted by the plate module, as at the bench.
    Returns the summary mapping with ``_populations`` (PopulationResult per arm), ``plates``
    and ``calibration`` attached. ``workers`` processes share the independent parts (default:
    up to 2, the cores of a laptop); the result does not depend on it."""
    import os

    say = progress or (lambda m: None)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    kt, mil = lookup_compound("KT-253"), lookup_compound("milademetan")
    from ..catalog import cell_line as lookup_line

    line = lookup_line(cell)
    wt = Variant.of(line)
    mutant = dataclasses.replace(wt, tp53="missense")
    td = float(line.doubling_time_h.value)
    with _executor(workers) as ex:
        # --- calibration: one uncertain parameter per compound, each against its own target.
        say(
            "calibrating KT-253 ubiquitination rate on DC50 0.4 nM and milademetan cellular "
            "MDM2 affinity on p53 EC50 81.4 nM"
        )
        f_kt = ex.submit(_calibrate_kt253, cell, seed)
        f_mil = ex.submit(_calibrate_milademetan, cell, seed)
        cal_kt, cal_mil = f_kt.result(), f_mil.result()
        kt_params = {"k_ub_mdm2": cal_kt.estimates["k_ub_mdm2"]}
        mil_params = _milademetan_koff(cal_mil.estimates["milademetan_kd_nM"])

        # --- populations: 72 h growth, wild type and TP53-mutant (in the background)
        futures = {}
        for name, status in PLATE_TOPS_NM:
            comp, params = (kt, kt_params) if name == "kt-253" else (mil, mil_params)
            concs = plate_series(PLATE_TOPS_NM[(name, status)], PLATE_POINTS, PLATE_DILUTION)
            # plus the core issue's Western concentrations (KT-253 10 nM, milademetan 1 uM)
            extra = WESTERN_CONCS_NM[name] if status == "wild_type" else ()
            concs = tuple(sorted({*concs, *extra}))
            say(f"simulating {n_cells} {cell} cells ({status}) x {len(concs) + 1} doses of {name}")
            futures[(name, status)] = ex.submit(
                simulate_population,
                comp.name,
                wt if status == "wild_type" else mutant,
                list(concs),
                hours=72.0,
                readout_h=[8.0, 24.0, 48.0],
                n_cells=n_cells,
                seed=seed,
                fate=fate,
                doubling_time_h=td,
                params=params,
            )
        # --- predictions at the mean cell
        say("predicting p53 EC50 and Dmax")
        # The calibration already simulated its targets at the estimates.
        kt_dc50 = cal_kt.fitted["kt-253 dc50_nM"]["simulated"]
        mil_p53_ec50 = cal_mil.fitted["milademetan p53_ec50_nM"]["simulated"]
        d = dose_curve(
            kt,
            cell,
            DEGRADER_CONCS,
            [P53_EC50_TIME_H, DMAX_TIME_H],
            [C.P53_TOTAL, C.MDM2_TOTAL],
            kt_params,
        )
        kt_p53_ec50 = _ec50(DEGRADER_CONCS, d[C.P53_TOTAL][:, 0])
        dmax = 100.0 - float(np.min(100 * d[C.MDM2_TOTAL][:, 1]))
        pops = {key: f.result() for key, f in futures.items()}
    say("writing CellTiter-Glo plates and fitting them")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plates = {
        (name, status): plate_ic50(
            out,
            f"ctg_{name}_{status}".replace("-", ""),
            kt.name if name == "kt-253" else mil.name,
            top,
            pops[(name, status)],
            seed + k,
            n_points=PLATE_POINTS,
            dilution=PLATE_DILUTION,
        )
        for k, ((name, status), top) in enumerate(PLATE_TOPS_NM.items())
    }
    summary: dict = {}
    for name, comp, params, p53_ec50 in (
        ("kt-253", kt, kt_params, kt_p53_ec50),
        ("milademetan", mil, mil_params, mil_p53_ec50),
    ):
        wt_plate, mut_plate = plates[(name, "wild_type")], plates[(name, "mutant")]
        # MDM2 at 8 h at 10x the compound's own IC50 (mean cell, vs vehicle)
        c10 = 10.0 * wt_plate["ic50_nM"]
        m8 = dose_curve(comp, cell, [c10], [8.0, 24.0], [C.MDM2_TOTAL], params)[C.MDM2_TOTAL]
        entry = {
            "ic50_72h_nM": wt_plate["ic50_nM"],
            "ic50_qualifier": wt_plate["qualifier"],
            "p53_ec50_nM": p53_ec50,
            "mdm2_fold_8h": float(m8[0, 0]),
            "mdm2_fold_24h": float(m8[0, 1]),
            "p53_mutant_ic50_nM": mut_plate["ic50_nM"],
            "p53_mutant_ic50_qualifier": mut_plate["qualifier"],
        }
        if name == "kt-253":
            entry |= {"dc50_nM": kt_dc50, "dmax_pct": dmax}
        summary[name] = entry
    ratio = summary["milademetan"]["ic50_72h_nM"] / summary["kt-253"]["ic50_72h_nM"]
    summary["growth_potency_ratio"] = ratio
    summary["calibrated"] = list(CALIBRATED)
    summary["predicted"] = [
        "kt-253.p53_ec50_nM",
        "kt-253.ic50_72h_nM",
        "kt-253.dmax_pct",
        "kt-253.mdm2_fold_8h",
        "milademetan.ic50_72h_nM",
        "milademetan.mdm2_fold_8h",
        "growth_potency_ratio",
        "kt-253.p53_mutant_ic50_nM",
        "milademetan.p53_mutant_ic50_nM",
    ]
    fold = {}
    for key, val in (
        ("kt-253.dc50_nM", summary["kt-253"]["dc50_nM"]),
        ("milademetan.p53_ec50_nM", summary["milademetan"]["p53_ec50_nM"]),
        ("kt-253.p53_ec50_nM", summary["kt-253"]["p53_ec50_nM"]),
        ("kt-253.ic50_72h_nM", summary["kt-253"]["ic50_72h_nM"]),
    ):
        comp_key, q = key.split(".")
        p = HEADLINE_PUBLISHED[comp_key][q]
        fold[key] = {"published": p, "p53lab": val, "fold_error": max(val / p, p / val)}
    summary["fold_errors"] = fold
    summary["plates"] = {f"{k[0]}/{k[1]}": v for k, v in plates.items()}
    summary["calibration"] = {"kt-253": cal_kt.to_dict(), "milademetan": cal_mil.to_dict()}
    summary["_populations"] = pops
    return summary


def population_table(pops: Mapping) -> pd.DataFrame:
    frames = []
    for (_name, status), r in pops.items():
        t = r.table.copy()
        t.insert(0, "tp53", status)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ study kinds
# Venetoclax as a knob of free Bcl-2: a fraction K/(K + C) of Bcl-2 stays free to hold PUMA.
# K = 8 nM is venetoclax's cellular EC50 in RS4;11 (Souers 2013 Nat Med 19:202), used as an
# effective occupancy constant (estimated: the biochemical K_i is < 0.01 nM).
VENETOCLAX_K_NM = 8.0


def _variant(f, key: str, line) -> Variant:
    v = Variant.of(line)
    sub = f.sub(key, {})
    kw = {
        "tp53": sub.choice("tp53", ("wild_type", "missense", "null"), v.tp53),
        "mdm2_amplification": sub.number(
            "mdm2_amplification", v.mdm2_amplification, minimum=0, exclusive_minimum=True
        ),
        "mdmx_fold": sub.number("mdmx_fold", v.mdmx_fold, minimum=0, exclusive_minimum=True),
        "bcl2_fold": sub.number("bcl2_fold", v.bcl2_fold, minimum=0, exclusive_minimum=True),
        "efflux_fold": sub.number("efflux_fold", v.efflux_fold, minimum=0, exclusive_minimum=True),
        "mdm2_construct_nM": sub.number("mdm2_construct_nM", 0.0, minimum=0, unit="nM"),
    }
    sub.done()
    return Variant(**kw)


def _dose_response_study(f, ctx) -> dict:
    """Study kind ``dose-response``: arms (compound x cell background) on CellTiter-Glo plates;
    IC50 per arm from the plate module, shift against the first arm, and MDM2/p53/p21 fold at
    ``probe_conc_nM`` and ``readout_h`` (mean of living cells)."""
    default_line = f.raw("cell_line", None)
    hours = f.number("hours", 72.0, minimum=0, exclusive_minimum=True, unit="h")
    readout = f.number("readout_h", 24.0, minimum=0, exclusive_minimum=True, maximum=hours)
    n_points = f.integer("n_points", 9, minimum=4)
    dilution = f.number("dilution", 3.0, minimum=1, exclusive_minimum=True)
    n_cells = f.integer("n_cells", 20, minimum=1)
    probe = f.number("probe_conc_nM", minimum=0, exclusive_minimum=True, unit="nM")
    arms = []
    for a in f.items("arms"):
        label = a.text("label")
        comp = a.compound("compound")
        if default_line is not None and not a.has("cell_line"):
            line = Fields({"cell_line": default_line}, f.label).cell_line("cell_line")
        else:
            line = a.cell_line("cell_line")
        variant = _variant(a, "variant", line)
        if a.boolean("efflux_inhibitor", False):
            variant = dataclasses.replace(variant, efflux_fold=1.0)
        top = a.number("top_conc_nM", minimum=0, exclusive_minimum=True, unit="nM")
        a.done()
        arms.append((label, comp, line, variant, top))
    if len({a[0] for a in arms}) != len(arms):
        raise f.error("arms", "every arm needs its own label.")
    f.done()
    ctx.out.mkdir(parents=True, exist_ok=True)
    out: dict = {"arms": {}}
    frames = []
    for k, (label, comp, line, variant, top) in enumerate(arms):
        ctx.progress(f"{label}: {comp.name} on {line.name} ({variant})")
        concs = plate_series(top, n_points, dilution)
        extra = [] if any(math.isclose(c, probe) for c in concs) else [probe]
        pop = simulate_population(
            comp,
            variant,
            [*concs, *extra],
            hours=hours,
            readout_h=[readout],
            n_cells=n_cells,
            seed=ctx.seed,
            doubling_time_h=float(line.doubling_time_h.value),
        )
        tag = "".join(ch if ch.isalnum() else "_" for ch in label)
        fit = plate_ic50(
            ctx.out, f"ctg_{tag}", comp.name, top, pop, ctx.seed + k, n_points, dilution, hours
        )
        row = pop.nearest(readout, probe)
        out["arms"][label] = {
            "compound": comp.name,
            "cell_line": line.name,
            "variant": dataclasses.asdict(variant),
            "ic50_nM": fit["ic50_nM"],
            "ic50_qualifier": fit["qualifier"],
            "plate": fit["files"][0],
            f"mdm2_fold_{readout:g}h": float(row["mdm2_fold"]),
            f"p53_fold_{readout:g}h": float(row["p53_fold"]),
            f"p21_fold_{readout:g}h": float(row["p21_fold"]),
        }
        t = pop.table.copy()
        t.insert(0, "arm", label)
        frames.append(t)
    first = next(iter(out["arms"].values()))["ic50_nM"]
    for v in out["arms"].values():
        v["ic50_shift_vs_first_arm"] = v["ic50_nM"] / first
    pd.concat(frames, ignore_index=True).to_csv(
        ctx.out / "population_readouts.csv", index=False, float_format="%.6g"
    )
    out["probe_conc_nM"] = probe
    return out


def _bcl2_venetoclax(f, ctx) -> dict:
    comp = f.compound("compound")
    line = f.cell_line("cell_line")
    conc = f.number("conc_nM", minimum=0, exclusive_minimum=True, unit="nM")
    low = f.number("bcl2_fold_low", 1.0, minimum=0, exclusive_minimum=True)
    high = f.number("bcl2_fold_high", minimum=0, exclusive_minimum=True)
    ven = f.numbers("venetoclax_nM", minimum=0, unit="nM")
    drug_concs = f.numbers("combination_conc_nM", minimum=0, unit="nM")
    ven_k = f.number("venetoclax_k_nM", VENETOCLAX_K_NM, minimum=0, exclusive_minimum=True)
    readout = f.number("readout_h", 48.0, minimum=0, exclusive_minimum=True, unit="h")
    hours = f.number("viability_h", 72.0, minimum=readout, unit="h")
    n_cells = f.integer("n_cells", 30, minimum=1)
    f.done()
    from ..assays import synergy

    base = Variant.of(line)
    td = float(line.doubling_time_h.value)

    def treat(a: float, b: float, fold: float) -> Condition:
        """MDM2 compound at ``a`` nM with venetoclax at ``b`` nM, on Bcl-2 ``fold``."""
        return Condition(a, params={"bcl2_level": fold * ven_k / (ven_k + b)}, label=f"{a:g}|{b:g}")

    # Bcl-2 low: the compound alone. Bcl-2 high: the compound with every venetoclax level,
    # and the combination matrix (venetoclax alone included) for Bliss.
    grid = {(a, b) for a in (0.0, conc, *drug_concs) for b in ven} - {(0.0, 0.0)}
    res = {}
    for tag, fold, pairs in (("low", low, [(conc, 0.0)]), ("high", high, sorted(grid))):
        ctx.progress(f"Bcl-2 {tag} ({fold:g}x): {comp.name} {conc:g} nM")
        res[tag] = simulate_population(
            comp,
            dataclasses.replace(base, bcl2_fold=fold),
            [treat(a, b, fold) for a, b in pairs],
            hours=hours,
            readout_h=[readout],
            n_cells=n_cells,
            seed=ctx.seed,
            doubling_time_h=td,
        )
    ctx.out.mkdir(parents=True, exist_ok=True)
    frames = []
    for tag, r in res.items():
        t = r.table.copy()
        t.insert(0, "bcl2", tag)
        frames.append(t)
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(ctx.out / "population_readouts.csv", index=False, float_format="%.6g")

    def row(tag: str, a: float, b: float, t: float) -> pd.Series:
        tt = res[tag].at(t)
        return tt[tt["condition"] == f"{a:g}|{b:g}"].iloc[0]

    low_r, high_r = row("low", conc, 0.0, readout), row("high", conc, 0.0, readout)
    apo = lambda r: 100 * float(r["early_apoptotic"] + r["late_apoptotic"])  # noqa: E731
    g1 = lambda r: 100 * float(r["arrested"] * (1 - r["early_apoptotic"] - r["late_apoptotic"]))  # noqa: E731
    ven_rows = {c: row("high", conc, c, readout) for c in ven if c > 0}
    # Bliss on the 72 h viability matrix (Bcl-2 high), scored by the synergy module; the
    # vehicle corner is 100 % by definition.
    mat = [{"conc1": 0.0, "conc2": 0.0, "response": 100.0}] if 0.0 in ven else []
    mat += [
        {"conc1": a, "conc2": b, "response": 100 * float(row("high", a, b, hours)["viable_rel"])}
        for a in (0.0, *drug_concs)
        for b in ven
        if (a, b) != (0.0, 0.0)
    ]
    m = pd.DataFrame(mat)
    m.to_csv(ctx.out / "combination_viability.csv", index=False, float_format="%.6g")
    bliss = synergy.fit(
        m, method="bliss", response_kind="viability", drug1=comp.name, drug2="venetoclax"
    )
    bliss.summary().to_csv(ctx.out / "bliss_scores.csv", index=False, float_format="%.6g")
    return {
        "compound": comp.name,
        "cell_line": line.name,
        "conc_nM": conc,
        "readout_h": readout,
        "apoptosis_pct_bcl2_low": apo(low_r),
        "apoptosis_pct_bcl2_high": apo(high_r),
        "g1_arrest_pct_bcl2_low": g1(low_r),
        "g1_arrest_pct_bcl2_high": g1(high_r),
        "apoptosis_pct_bcl2_high_with_venetoclax": {f"{c:g}": apo(r) for c, r in ven_rows.items()},
        "bliss_mean_score": float(bliss.mean_score),
        "bliss_status": bliss.status,
        "venetoclax_k_nM": ven_k,
    }


def _pulsed_vs_continuous(f, ctx) -> dict:
    comp = f.compound("compound")
    line = f.cell_line("cell_line")
    variant = _variant(f, "variant", line)
    conc = f.number("continuous_conc_nM", minimum=0, exclusive_minimum=True, unit="nM")
    fold = f.number("pulse_fold", minimum=1, exclusive_minimum=True)
    hours = f.number("hours", 48.0, minimum=0, exclusive_minimum=True, unit="h")
    n_cells = f.integer("n_cells", 30, minimum=1)
    f.done()
    pulse_h = hours / fold  # equal AUC: fold x conc for hours/fold
    ctx.progress(
        f"{comp.name}: {conc:g} nM for {hours:g} h vs {fold * conc:g} nM for {pulse_h:g} h"
    )
    r = simulate_population(
        comp,
        variant,
        [
            Condition(conc, label="continuous"),
            Condition(fold * conc, washout_h=pulse_h, label="pulsed"),
        ],
        hours=hours,
        n_cells=n_cells,
        seed=ctx.seed,
        doubling_time_h=float(line.doubling_time_h.value),
    )
    ctx.out.mkdir(parents=True, exist_ok=True)
    r.table.to_csv(ctx.out / "population_readouts.csv", index=False, float_format="%.6g")
    t = r.at(hours).set_index("condition")
    out = {"compound": comp.name, "cell_line": line.name, "auc_nM_h": conc * hours}
    for lab in ("continuous", "pulsed"):
        row = t.loc[lab]
        out[f"apoptosis_pct_{lab}"] = 100 * float(row["early_apoptotic"] + row["late_apoptotic"])
        out[f"arrest_pct_{lab}"] = 100 * float(row["arrested"])
        out[f"puma_fold_{lab}"] = float(row["puma_fold"])
        out[f"p21_fold_{lab}"] = float(row["p21_fold"])
    return out


def _headline_study(f, ctx) -> dict:
    n_cells = f.integer("n_cells", 40, minimum=1)
    f.done()
    from .demo import run_demo

    s = run_demo(ctx.out, seed=ctx.seed, n_cells=n_cells, progress=ctx.progress)
    return {k: v for k, v in s.items() if k != "provenance"}


def _study_kinds():
    from .registry import StudyKind

    return {
        "dose-response": StudyKind(
            "dose-response",
            "compounds x cell backgrounds on CellTiter-Glo plates: IC50 per arm and its shift",
            _dose_response_study,
        ),
        "headline": StudyKind(
            "headline",
            "the demo: KT-253 vs milademetan, calibrated on two numbers, the rest predicted",
            _headline_study,
        ),
        "bcl2-venetoclax": StudyKind(
            "bcl2-venetoclax",
            "Bcl-2 low vs high: apoptosis vs arrest, rescue by venetoclax, Bliss synergy",
            _bcl2_venetoclax,
        ),
        "pulsed-vs-continuous": StudyKind(
            "pulsed-vs-continuous",
            "equal AUC: a short high pulse vs continuous low exposure (apoptosis vs arrest)",
            _pulsed_vs_continuous,
        ),
    }


STUDY_KINDS = _study_kinds()
