"""A treated cell population: many cells of the core circuit, their fates, and the readouts
an experiment sees (viable cells, Annexin V/PI quadrants, DNA-content phases, mean protein and
mRNA levels relative to vehicle)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import columns as C
from .._version import __version__
from ..catalog import Compound, cell_line, compound
from ..errors import SimulationError, param_error
from ..model.cells import Variant, cell_model
from ..simulate import Schedule, simulate_ensemble
from .fate import VARIED_RATES, FateParams, decide

__all__ = ["Condition", "PopulationResult", "simulate_population"]

# Untreated run-in before the drug is added, so that every cell starts from its own steady
# state: 15 half-lives of the slowest turnover in the circuit (Bcl-2, BAX: t1/2 ~10 h).
RUN_IN_H = 150.0

_OUTPUTS = (
    "puma",
    C.P21,
    C.P53_TOTAL,
    C.MDM2_TOTAL,
    C.MDMX_TOTAL,
    C.PUMA,
    C.BAX,
    C.P21_MRNA,
    C.MDM2_MRNA,
    C.PUMA_MRNA,
    C.BAX_MRNA,
)
# Readouts averaged over the cells of a well (relative to vehicle).
_PROTEINS = {
    "p53": C.P53_TOTAL,
    "mdm2": C.MDM2_TOTAL,
    "mdmx": C.MDMX_TOTAL,
    "p21": C.P21,
    "puma": C.PUMA,
    "bax": C.BAX,
}
_MRNAS = {"CDKN1A": C.P21_MRNA, "MDM2": C.MDM2_MRNA, "BBC3": C.PUMA_MRNA, "BAX": C.BAX_MRNA}


@dataclass(frozen=True)
class Condition:
    """One treatment: drug at ``conc_nM`` from time 0, washed out at ``washout_h`` (None:
    continuous). ``params`` overrides model parameters for this condition (e.g. a second
    drug's effect, such as Bcl-2 held by venetoclax); ``label`` names it in tables."""

    conc_nM: float
    washout_h: float | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        c = self.conc_nM
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c) or c < 0:
            raise param_error("Condition", "conc_nM", "a finite concentration >= 0 nM", c)
        if self.washout_h is not None and not (
            math.isfinite(self.washout_h) and self.washout_h > 0
        ):
            raise param_error("Condition", "washout_h", "a time > 0 h (or None)", self.washout_h)


@dataclass(frozen=True)
class PopulationResult:
    """``table``: one row per condition and readout time (``compound, condition, conc_nM,
    time_h, viable_cells, viable_rel, live, early_apoptotic, late_apoptotic, necrotic,
    sub_g1, g1, s, g2m, arrested, committed, <protein>_fold, <gene>_mrna_fold``);
    ``cells``: per cell and condition, commitment time and final weight."""

    table: pd.DataFrame
    cells: pd.DataFrame
    provenance: dict

    def at(self, time_h: float) -> pd.DataFrame:
        t = self.table
        return t[np.isclose(t[C.TIME_H], time_h)].reset_index(drop=True)

    def nearest(self, time_h: float, conc_nM: float) -> pd.Series:
        """The treated condition closest to ``conc_nM`` (on log scale) at ``time_h``."""
        tab = self.at(time_h)
        tab = tab[tab[C.CONC_NM] > 0]
        k = int(np.argmin(np.abs(np.log(tab[C.CONC_NM].to_numpy()) - math.log(conc_nM))))
        return tab.iloc[k]


def _cell_draws(n: int, cv: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(math.log1p(cv * cv))
    return {k: np.exp(rng.normal(0.0, sigma, n)) for k in VARIED_RATES}


def simulate_population(
    compound_name: Compound | str,
    cell: str | Variant,
    conditions: Sequence[Condition | float],
    *,
    hours: float = 72.0,
    readout_h: Sequence[float] | None = None,
    n_cells: int = 100,
    seed: int = 0,
    fate: FateParams | None = None,
    doubling_time_h: float | None = None,
    params: Mapping[str, float] | None = None,
    rtol: float = 1e-5,
    progress: Callable[[int, int], None] | None = None,
) -> PopulationResult:
    """Simulate ``n_cells`` cells under each condition for ``hours`` after drug addition.

    ``conditions`` are :class:`Condition` objects or plain concentrations (nM, continuous);
    a vehicle condition is added when none is given (readouts are relative to it).
    ``params`` overrides model parameters for every condition (e.g. a variant's knobs).
    The same cells (same draws) are used in every condition, so a dose response is smooth.
    """
    fate = fate or FateParams()
    comp = compound(compound_name) if isinstance(compound_name, str) else compound_name
    if isinstance(cell, Variant):
        variant, line_name, td = cell, "custom", doubling_time_h
    else:
        line = cell_line(cell)
        variant, line_name = Variant.of(line), line.name
        td = doubling_time_h or float(line.doubling_time_h.value)
    if td is None or not (math.isfinite(td) and td > 0):
        raise param_error("simulate_population", "doubling_time_h", "a time > 0 h", td)
    if not (isinstance(n_cells, int) and n_cells >= 1):
        raise param_error("simulate_population", "n_cells", "a whole number >= 1", n_cells)
    if not (math.isfinite(hours) and hours > 0):
        raise param_error("simulate_population", "hours", "a time > 0 h", hours)
    conds = [c if isinstance(c, Condition) else Condition(float(c)) for c in conditions]
    if not conds:
        raise param_error("simulate_population", "conditions", "at least one condition", conds)
    if not any(c.conc_nM == 0 and not c.params for c in conds):
        conds = [Condition(0.0, label="vehicle"), *conds]
    readouts = sorted({float(hours), *(float(t) for t in (readout_h or ()))})
    if readouts[0] < 0 or readouts[-1] > hours:
        raise param_error(
            "simulate_population", "readout_h", f"times in [0, {hours:g}] h", readouts
        )
    grid = np.unique(np.concatenate([np.arange(0.0, hours + 1e-9, 1.0), readouts]))

    model = cell_model(comp, variant, **(params or {}))
    draws = _cell_draws(n_cells, fate.cell_cv, seed)
    n_cond = len(conds)
    member_params: dict[str, np.ndarray] = {}
    base = {k: model.value(k) for k in VARIED_RATES}
    for k in VARIED_RATES:
        member_params[k] = np.tile(base[k] * draws[k], n_cond)
    extra = sorted({k for c in conds for k in c.params})
    for k in extra:
        member_params[k] = np.repeat(
            [float(c.params.get(k, model.value(k))) for c in conds], n_cells
        )
    schedules = []
    for c in conds:
        s = Schedule.bath(
            c.conc_nM,
            at_h=RUN_IN_H,
            washout_h=None if c.washout_h is None else RUN_IN_H + c.washout_h,
        )
        schedules += [s] * n_cells
    ens = simulate_ensemble(
        model,
        member_params,
        schedule=schedules,
        times_h=np.concatenate([[0.0], RUN_IN_H + grid]),
        outputs=list(_OUTPUTS),
        rtol=rtol,
        atol=1e-8,
        progress=progress,
    )
    if np.any(ens.status != "ok"):
        bad = int(np.sum(ens.status != "ok"))
        raise SimulationError(
            f"{bad} of {ens.n_members} cells failed to integrate ({ens.message[0]}); "
            "check the parameters."
        )
    vals = ens.values[:, 1:, :]  # drop the run-in start
    col = {c: i for i, c in enumerate(ens.columns)}
    rows, cell_rows = [], []
    vehicle_means: dict[float, dict[str, float]] = {}
    per_cond = []
    for j, cond in enumerate(conds):
        sl = slice(j * n_cells, (j + 1) * n_cells)
        v = vals[sl]
        f = decide(grid, v[:, :, col["puma"]], v[:, :, col[C.P21]], td, fate)
        per_cond.append((cond, v, f))
    for cond, v, f in per_cond:
        for t in readouts:
            k = int(np.searchsorted(grid, t))
            w = f["weight"][:, k]
            alive_w = f["viable"][:, k]
            ann, pi = f["annexin"][:, k], f["pi"][:, k]
            arr = f["arrested"][:, k]
            total = w.sum()
            late = float((w * pi).sum() / total)
            early = float((w * (ann - pi)).sum() / total)
            nec = fate.necrotic_baseline * (1.0 - late - early)
            live = 1.0 - late - early - nec
            living = w * (1.0 - ann)
            lw = living.sum()
            arrested = float((living * arr).sum() / lw) if lw > 0 else 0.0
            g1s, ss, g2s = fate.phase_shares
            cyc = 1.0 - arrested
            ph = {
                "g1": cyc * g1s + arrested * (1 - fate.g2m_share),
                "s": cyc * ss,
                "g2m": cyc * g2s + arrested * fate.g2m_share,
            }
            # DNA content of the well's events: fragmented (sub-G1) are the late apoptotic.
            sub_g1 = late
            row = {
                C.COMPOUND: comp.name,
                "cell_line": line_name,
                "condition": cond.label or _label(cond),
                C.CONC_NM: cond.conc_nM,
                "washout_h": cond.washout_h,
                C.TIME_H: t,
                "viable_cells": float(alive_w.mean()),
                "live": live,
                "early_apoptotic": early,
                "late_apoptotic": late,
                "necrotic": nec,
                "committed": float(np.mean(f["t_commit"] <= t)),
                "arrested": arrested,
                "sub_g1": sub_g1,
                **{p: (1 - sub_g1) * x for p, x in ph.items()},
            }
            wts = living if lw > 0 else np.ones_like(living)
            for name, c_ in {**_PROTEINS, **{f"{g}_mrna": c for g, c in _MRNAS.items()}}.items():
                row[f"{name}_mean_nM"] = float(np.average(v[:, k, col[c_]], weights=wts))
            rows.append(row)
            if cond.conc_nM == 0 and not cond.params and cond.washout_h is None:
                vehicle_means[t] = row
        for i in range(n_cells):
            cell_rows.append(
                {
                    "condition": cond.label or _label(cond),
                    C.CONC_NM: cond.conc_nM,
                    "cell": i,
                    "t_commit_h": float(f["t_commit"][i]),
                    "final_weight": float(f["weight"][i, -1]),
                    **{k: float(draws[k][i]) for k in VARIED_RATES},
                }
            )
    table = pd.DataFrame(rows)
    for name in [*_PROTEINS, *(f"{g}_mrna" for g in _MRNAS)]:
        veh = table[C.TIME_H].map({t: r[f"{name}_mean_nM"] for t, r in vehicle_means.items()})
        table[f"{name}_fold"] = table[f"{name}_mean_nM"] / veh
    veh_cells = table[C.TIME_H].map({t: r["viable_cells"] for t, r in vehicle_means.items()})
    table.insert(
        table.columns.get_loc("viable_cells") + 1, "viable_rel", table["viable_cells"] / veh_cells
    )
    prov = {
        "compound": comp.name,
        "cell_line": line_name,
        "variant": repr(variant),
        "n_cells": n_cells,
        "seed": seed,
        "hours": hours,
        "doubling_time_h": td,
        "run_in_h": RUN_IN_H,
        "fate": fate.to_dict(),
        "params": dict(params or {}),
        "engine": ens.provenance.get("engine", ""),
        "p53lab_version": __version__,
    }
    return PopulationResult(table=table, cells=pd.DataFrame(cell_rows), provenance=prov)


def _label(c: Condition) -> str:
    s = "vehicle" if c.conc_nM == 0 else f"{c.conc_nM:g} nM"
    if c.washout_h is not None:
        s += f", washout {c.washout_h:g} h"
    if c.params:
        s += ", " + ", ".join(f"{k}={v:g}" for k, v in sorted(c.params.items()))
    return s
