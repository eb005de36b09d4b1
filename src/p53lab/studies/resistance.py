"""Resistance studies: the guides' escalation protocol over months, and the selection of a
pre-existing TP53-mutant subclone under constant drug (DOMAIN.md §3)."""

from __future__ import annotations

import pandas as pd

from ..population.resistance import (
    ROUTES,
    conc_for_advantage,
    escalation,
    growth_table,
    pool_ic50,
    selection,
)

__all__ = ["STUDY_KINDS"]


def _table(f, ctx):
    comp = f.compound("compound")
    line = f.cell_line("cell_line")
    grid = f.numbers("conc_grid_nM", minimum=0, exclusive_minimum=True, unit="nM", min_len=4)
    n_cells = f.integer("n_cells", 15, minimum=1)
    return comp, line, grid, n_cells


def _escalation_study(f, ctx) -> dict:
    comp, line, grid, n_cells = _table(f, ctx)
    mdm2_up = f.number("mdm2_up_fold", 4.0, minimum=1)
    efflux_up = f.number("efflux_up_fold", 20.0, minimum=1)
    months = f.number("months", 6.0, minimum=0, exclusive_minimum=True)
    start_level = f.number("start_inhibition_pct", 25.0, minimum=1, maximum=90)
    ceiling = f.number("ceiling_nM", 10000.0, minimum=0, exclusive_minimum=True, unit="nM")
    n0 = f.number("cells_at_start", 1e6, minimum=1)
    rates_f = f.sub("mutation_rates_per_division", {})
    rates = {}
    for g in list(rates_f.data):
        if g not in ROUTES[1:]:
            raise rates_f.error(g, f"unknown route; routes are {', '.join(ROUTES[1:])}.")
        rates[g] = rates_f.number(g, minimum=0, maximum=0.5)
    f.done()
    tab = growth_table(
        comp.name,
        line.name,
        grid,
        mdm2_up_fold=mdm2_up,
        efflux_up_fold=efflux_up,
        n_cells=n_cells,
        seed=ctx.seed,
        progress=ctx.progress,
    )
    ctx.progress(f"escalating {comp.name} on {line.name} for {months:g} months")
    e = escalation(
        tab,
        months=months,
        start_level=start_level,
        ceiling_nM=ceiling,
        n0=n0,
        mutation_rates=rates or None,
        td_h=float(line.doubling_time_h.value),
        seed=ctx.seed,
    )
    ctx.out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(e.pop("history")).to_csv(ctx.out / "escalation_history.csv", index=False)
    rates_tab = pd.DataFrame(
        {"conc_nM": tab.concs_nM, **{f"rate_per_day_{g}": r for g, r in tab.rates.items()}}
    )
    rates_tab.to_csv(ctx.out / "growth_rates.csv", index=False, float_format="%.6g")
    clones = {g: pool_ic50(tab, {g: 1.0})[0] for g in tab.rates}
    return {
        "compound": comp.name,
        "cell_line": line.name,
        **e,
        "tp53_mutant_share": e["shares"].get("tp53_mutant", 0.0),
        "clone_ic50_nM": clones,
        "mutation_rates_per_division": rates,
    }


def _selection_study(f, ctx) -> dict:
    comp, line, grid, n_cells = _table(f, ctx)
    f0 = f.number("initial_share", minimum=0, exclusive_minimum=True, maximum=0.5)
    days = f.number("days", minimum=1)
    adv = f.number("net_advantage_per_day", None) if f.has("net_advantage_per_day") else None
    conc = f.number("conc_nM", None, minimum=0, unit="nM") if f.has("conc_nM") else None
    f.done()
    if (adv is None) == (conc is None):
        raise f.error("conc_nM", "give exactly one of conc_nM and net_advantage_per_day.")
    tab = growth_table(
        comp.name,
        line.name,
        grid,
        genotypes=("parental", "tp53_mutant"),
        n_cells=n_cells,
        seed=ctx.seed,
        progress=ctx.progress,
    )
    if adv is not None:
        conc = conc_for_advantage(tab, adv)
        if conc is None:
            raise f.error(
                "net_advantage_per_day",
                f"{adv:g}/day is never reached by {comp.name} on {line.name} within "
                f"conc_grid_nM; widen the grid.",
            )
    s = selection(
        tab, conc, f0=f0, days=days, td_h=float(line.doubling_time_h.value), seed=ctx.seed
    )
    ctx.out.mkdir(parents=True, exist_ok=True)
    traj = pd.DataFrame(s["trajectory"])
    traj.to_csv(ctx.out / "subclone_share.csv", index=False, float_format="%.6g")
    over90 = traj[traj["share"] > 0.9]
    return {
        "compound": comp.name,
        "cell_line": line.name,
        "conc_nM": conc,
        "net_advantage_per_day": s["net_advantage_per_day"],
        "initial_share": f0,
        "final_share": float(traj["share"].iloc[-1]),
        "final_share_analytic": float(traj["share_analytic"].iloc[-1]),
        "day_above_90pct": None if over90.empty else int(over90["day"].iloc[0]),
    }


def _study_kinds():
    from .registry import StudyKind

    return {
        "resistance-escalation": StudyKind(
            "resistance-escalation",
            "the guides' dose-escalation protocol over months; IC50 shift and clone shares",
            _escalation_study,
        ),
        "subclone-selection": StudyKind(
            "subclone-selection",
            "a pre-existing TP53-mutant subclone under constant drug",
            _selection_study,
        ),
    }


STUDY_KINDS = _study_kinds()
