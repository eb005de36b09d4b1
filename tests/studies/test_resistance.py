"""Resistance: escalation over months and subclone selection, from the cell model's own
growth rates; the subclone share against the two-population logistic solution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from p53lab.population.resistance import GrowthTable, escalation, pool_ic50, selection
from p53lab.studies.registry import run_study


def _toy_table() -> GrowthTable:
    """Hand-made rates (1/day): parental dies above 10 nM, mutant unaffected."""
    c = np.array([0.0, 1, 10, 100, 1000, 10000])
    return GrowthTable(
        c,
        {"parental": np.array([0.5, 0.5, 0.2, -0.5, -1, -1]), "tp53_mutant": np.full(6, 0.5)},
    )


def test_selection_follows_the_logistic_solution_exactly_for_large_clones():
    tab = _toy_table()
    s = selection(tab, 10.0, f0=0.01, days=30, n0=1e9)
    assert s["net_advantage_per_day"] == pytest.approx(0.3)
    for row in s["trajectory"]:
        assert row["share"] == pytest.approx(row["share_analytic"], rel=1e-9)


def test_pool_ic50_of_a_pure_parental_pool_matches_its_own_curve():
    tab = _toy_table()
    ic50, q = pool_ic50(tab, {"parental": 1.0})
    # 72 h viability: 100 % at 1 nM, exp(3·(0.2 − 0.5)) = 40.7 % at 10 nM: crosses 50 % between
    assert q == "=" and 1 < ic50 < 10
    assert pool_ic50(tab, {"tp53_mutant": 1.0}) == (10000.0, ">")


def test_escalation_without_mutation_goes_extinct_or_stays_parental():
    tab = _toy_table()
    e = escalation(tab, months=3, mutation_rates={"tp53_mutant": 0.0}, seed=1)
    assert e["shares"].get("tp53_mutant", 0.0) == 0.0
    assert math.isclose(e["ic50_shift"], 1.0)


@pytest.mark.slow
def test_subclone_selected_to_over_90pct_within_96_days(tmp_path):
    s = run_study("subclone-selection-molm13", out=tmp_path)
    assert s["net_advantage_per_day"] == pytest.approx(0.14, rel=1e-6)
    assert s["final_share"] > 0.9
    assert s["day_above_90pct"] <= 96
    assert s["final_share"] == pytest.approx(s["final_share_analytic"], rel=1e-3)


@pytest.mark.slow
def test_escalation_tp53_route_shifts_ic50_40x_with_a_mutant_pool(tmp_path):
    s = run_study("resistance-tp53-route", out=tmp_path)
    assert s["ic50_shift"] >= 40
    assert s["tp53_mutant_share"] > 0.9
    assert (tmp_path / "escalation_history.csv").exists()


@pytest.mark.slow
def test_efflux_route_shift_is_smaller_and_reversed_by_an_efflux_inhibitor(tmp_path):
    tp53 = run_study("resistance-tp53-route", out=tmp_path / "tp53")
    eff = run_study("resistance-efflux-route", out=tmp_path / "efflux")
    assert 1.5 < eff["ic50_shift"] < tp53["ic50_shift"]
    assert eff["ic50_shift_with_efflux_inhibitor"] < 1.5
