"""Resistance over months: clones of resistant genotypes arise and are selected under drug.

Each genotype's net growth rate at a drug concentration comes from the cell model itself:
r_g(c) = ln(viable cells after 72 h) / 72 h of a simulated population of that genotype
(:func:`~p53lab.population.simulate_population`), tabulated on a log grid of concentrations
and interpolated in log c. Resistant cells arise from dividing parental cells at per-division
mutation rates (inputs), as Poisson events; small clones grow or die stochastically (Poisson
offspring numbers below ``STOCHASTIC_BELOW`` cells), large ones deterministically. Culture is
passaged (split back to ``passage_to``) whenever it exceeds ``passage_at`` cells; passaging
keeps the genotype shares (a random sample for small clones).

The guides' escalation protocol (DOMAIN.md §3): start at the parental IC25, let the survivors
regrow to the starting size, double the concentration, repeat up to a ceiling (5–10 µM), for
months; then compare the IC50 of the pool with the parent.

Routes (genotypes): ``tp53_mutant`` (missense, no transactivation), ``mdm2_up`` (MDM2 gene
copies ×``mdm2_up_fold``), ``efflux_up`` (ABC efflux ×``efflux_up_fold``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..assays import dose_response as dr
from ..catalog import cell_line as lookup_line
from ..catalog import compound as lookup_compound
from ..errors import param_error
from ..model.cells import Variant
from .population import simulate_population

__all__ = [
    "ROUTES",
    "GrowthTable",
    "escalation",
    "growth_table",
    "pool_ic50",
    "selection",
]

ROUTES = ("parental", "tp53_mutant", "mdm2_up", "efflux_up")
STOCHASTIC_BELOW = 1e4
DAY_H = 24.0


@dataclass(frozen=True)
class GrowthTable:
    """Net growth rates (1/day) per genotype on a concentration grid (nM)."""

    concs_nM: np.ndarray
    rates: dict[str, np.ndarray]
    efflux_inhibited: dict[str, np.ndarray] = field(default_factory=dict)

    def rate(self, genotype: str, conc_nM: float, efflux_inhibitor: bool = False) -> float:
        table = self.efflux_inhibited if efflux_inhibitor else self.rates
        r = table.get(genotype, self.rates[genotype])
        if conc_nM <= 0:
            return float(r[0])
        x = np.log(self.concs_nM[1:])
        return float(np.interp(math.log(conc_nM), x, r[1:], left=r[1], right=r[-1]))


def _variants(line, mdm2_up_fold: float, efflux_up_fold: float) -> dict[str, Variant]:
    v = Variant.of(line)
    return {
        "parental": v,
        "tp53_mutant": replace(v, tp53="missense"),
        "mdm2_up": replace(v, mdm2_amplification=v.mdm2_amplification * mdm2_up_fold),
        "efflux_up": replace(v, efflux_fold=v.efflux_fold * efflux_up_fold),
    }


def growth_table(
    compound: str,
    cell: str,
    concs_nM: Sequence[float],
    *,
    genotypes: Sequence[str] = ROUTES,
    mdm2_up_fold: float = 4.0,
    efflux_up_fold: float = 20.0,
    n_cells: int = 20,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> GrowthTable:
    """Tabulate each genotype's net growth rate (1/day) over ``concs_nM`` (a vehicle column is
    added first). With ``efflux_up`` among the genotypes, its rates with an efflux inhibitor
    (efflux back to the parental level) are tabulated too."""
    line = lookup_line(cell)
    comp = lookup_compound(compound)
    variants = _variants(line, mdm2_up_fold, efflux_up_fold)
    concs = np.array([0.0, *sorted(float(c) for c in concs_nM)])
    td = float(line.doubling_time_h.value)
    rates, inhibited = {}, {}

    def rates_of(variant: Variant) -> np.ndarray:
        r = simulate_population(
            comp,
            variant,
            list(concs[1:]),
            hours=72.0,
            n_cells=n_cells,
            seed=seed,
            doubling_time_h=td,
        ).at(72.0)
        vc = dict(zip(r["conc_nM"], r["viable_cells"], strict=True))
        return np.array([math.log(max(vc[c], 1e-9)) / 3.0 for c in concs])  # per day

    for g in genotypes:
        if g not in variants:
            raise param_error("growth_table", "genotypes", f"names in {ROUTES}", g)
        if progress:
            progress(f"growth rates of {g} cells under {comp.name}")
        rates[g] = rates_of(variants[g])
    for g in genotypes:
        # With the inhibitor, efflux-up cells are parental cells again.
        if g == "efflux_up":
            inhibited[g] = (
                rates["parental"] if "parental" in rates else rates_of(variants["parental"])
            )
        else:
            inhibited[g] = rates[g]
    return GrowthTable(concs, rates, inhibited)


def pool_viability(table: GrowthTable, shares: Mapping[str, float], concs, inhibitor=False):
    """% of vehicle after 72 h for a pool with genotype ``shares``."""
    out = []
    for c in concs:
        num = sum(f * math.exp(3 * table.rate(g, c, inhibitor)) for g, f in shares.items())
        den = sum(f * math.exp(3 * table.rate(g, 0.0, inhibitor)) for g, f in shares.items())
        out.append(100 * num / den)
    return np.array(out)


def pool_ic50(table: GrowthTable, shares: Mapping[str, float], inhibitor: bool = False):
    """IC50 (nM) of a pool, fitted by the dose-response module (LL.4, top fixed at 100 %);
    (top concentration, '>') when the pool never falls to 50 %."""
    concs = table.concs_nM[1:]
    return viability_ic50(concs, pool_viability(table, shares, concs, inhibitor))


def viability_ic50(concs, viable_pct) -> tuple[float, str]:
    """IC50 of a viability curve (% of vehicle, LL.4 with the top fixed at 100 % by the
    dose-response module); (top concentration, '>') when it never falls below 50 %."""
    concs, y = np.asarray(concs, float), np.asarray(viable_pct, float)
    if np.all(y > 50):
        return float(concs.max()), ">"
    r = dr.fit(concs, y, "ll4", fixed={"d": 100.0})
    if r.status != "ok":
        return math.nan, "not estimable"
    return float(r.parameters["e"]), "="


def _ic(table: GrowthTable, level: float) -> float:
    """Parental concentration leaving ``level`` % of vehicle growth after 72 h (e.g. IC25)."""
    concs = table.concs_nM[1:]
    y = pool_viability(table, {"parental": 1.0}, concs)
    target = 100 - level
    for k in range(1, len(y)):
        if y[k] <= target < y[k - 1]:
            a, b = math.log(concs[k - 1]), math.log(concs[k])
            return float(math.exp(a + (b - a) * (y[k - 1] - target) / (y[k - 1] - y[k])))
    return float(concs[0] if y[0] <= target else concs[-1])


def _step(n: dict, table, conc, days, rng, mu: Mapping[str, float], td_days: float, inhibitor):
    """Advance clone sizes by ``days``; mutants arise from dividing parental cells."""
    births = n["parental"] * days / td_days
    for g, rate in mu.items():
        if rate > 0 and births > 0:
            n[g] = n.get(g, 0.0) + float(rng.poisson(rate * births))
    for g in list(n):
        mean = n[g] * math.exp(table.rate(g, conc, inhibitor) * days)
        n[g] = float(rng.poisson(mean)) if mean < STOCHASTIC_BELOW else mean
    return n


def _passage(n: dict, at: float, to: float, rng) -> dict:
    total = sum(n.values())
    if total <= at:
        return n
    keep = to / total
    return {
        g: (float(rng.binomial(int(v), keep)) if v < STOCHASTIC_BELOW else v * keep)
        for g, v in n.items()
    }


def escalation(
    table: GrowthTable,
    *,
    months: float = 6.0,
    start_level: float = 25.0,
    ceiling_nM: float = 10000.0,
    n0: float = 1e6,
    mutation_rates: Mapping[str, float] | None = None,
    td_h: float = 48.0,
    passage_at: float = 2e7,
    passage_to: float = 1e6,
    min_days_per_dose: int = 7,
    seed: int = 0,
) -> dict:
    """The guides' escalation protocol; returns the concentration history, the final pool and
    its IC50 shift (with and without an efflux inhibitor)."""
    mu = dict(mutation_rates or {"tp53_mutant": 1e-6, "mdm2_up": 1e-7, "efflux_up": 1e-7})
    for g, v in mu.items():
        if g not in ROUTES[1:] or not (0 <= v < 1):
            raise param_error("escalation", f"mutation_rates.{g}", "a rate in [0, 1) of a route", v)
    rng = np.random.default_rng(seed)
    conc = start = _ic(table, start_level)
    n = {"parental": float(n0)}
    size_at_dose, day_of_dose = float(n0), 0
    history = []
    for day in range(1, round(months * 30.4) + 1):
        n = _step(n, table, conc, 1.0, rng, mu, td_h / DAY_H, False)
        total = sum(n.values())
        if total <= 0:
            history.append({"day": day, "conc_nM": conc, "cells": 0.0})
            break
        # Survivors regrew to the size at which this dose started (and at least a week on
        # it): double the dose, up to the ceiling.
        if total >= size_at_dose and day - day_of_dose >= min_days_per_dose and conc < ceiling_nM:
            conc = min(2 * conc, ceiling_nM)
            day_of_dose = day
            n = _passage(n, passage_to, passage_to, rng)
            size_at_dose = sum(n.values())
        n = _passage(n, passage_at, passage_to, rng)
        history.append(
            {
                "day": day,
                "conc_nM": conc,
                "cells": sum(n.values()),
                **{f"n_{g}": v for g, v in n.items()},
            }
        )
    total = sum(n.values())
    shares = {g: v / total for g, v in n.items()} if total > 0 else {"parental": 1.0}
    parent_ic50, _ = pool_ic50(table, {"parental": 1.0})
    ic50, q = pool_ic50(table, shares)
    ic50_inh, _ = pool_ic50(table, shares, inhibitor=True)
    return {
        "start_conc_nM": start,
        "months": months,
        "final_conc_nM": conc,
        "parental_ic50_nM": parent_ic50,
        "pool_ic50_nM": ic50,
        "pool_ic50_qualifier": q,
        "ic50_shift": ic50 / parent_ic50,
        "pool_ic50_with_efflux_inhibitor_nM": ic50_inh,
        "ic50_shift_with_efflux_inhibitor": ic50_inh / parent_ic50,
        "shares": shares,
        "history": history,
    }


def selection(
    table: GrowthTable,
    conc_nM: float,
    *,
    f0: float,
    days: float,
    genotype: str = "tp53_mutant",
    n0: float = 1e7,
    td_h: float = 48.0,
    seed: int = 0,
) -> dict:
    """A pre-existing subclone (share ``f0``) under constant drug: its share over time, with
    the two-population logistic solution f(t) = f0·e^{st}/(1 − f0 + f0·e^{st}) beside it."""
    rng = np.random.default_rng(seed)
    n = {"parental": n0 * (1 - f0), genotype: n0 * f0}
    s = table.rate(genotype, conc_nM) - table.rate("parental", conc_nM)
    rows = []
    for day in range(int(days) + 1):
        total = sum(n.values())
        f = n[genotype] / total
        ana = f0 * math.exp(s * day) / (1 - f0 + f0 * math.exp(s * day))
        rows.append({"day": day, "share": f, "share_analytic": ana})
        n = _step(n, table, conc_nM, 1.0, rng, {}, td_h / DAY_H, False)
        total = sum(n.values())
        if total > 1e9:  # passage, keeping shares
            n = {g: v * 1e7 / total for g, v in n.items()}
    return {"net_advantage_per_day": s, "trajectory": rows}


def conc_for_advantage(table: GrowthTable, advantage_per_day: float, genotype="tp53_mutant"):
    """The drug concentration at which ``genotype`` out-grows parental cells by
    ``advantage_per_day`` (interpolated on the table; None when never reached)."""
    concs = table.concs_nM[1:]
    adv = np.array([table.rate(genotype, c) - table.rate("parental", c) for c in concs])
    for k in range(1, len(adv)):
        if adv[k - 1] < advantage_per_day <= adv[k]:
            a, b = math.log(concs[k - 1]), math.log(concs[k])
            t = (advantage_per_day - adv[k - 1]) / (adv[k] - adv[k - 1])
            return float(math.exp(a + t * (b - a)))
    return None
