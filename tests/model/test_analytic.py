"""The simulator and motifs against analytic answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab.errors import ModelError
from p53lab.model import Components, Model, Parameter, Rule, Species
from p53lab.model.motifs import degradation, synthesis, ternary_complex, transport
from p53lab.simulate import Schedule, simulate, steady_state


def _decay(k: float, x0: float) -> Model:
    return Model.build(
        "decay",
        Components(species=(Species("x", x0),), parameters=(Parameter("k", k),)),
        degradation("x", "k"),
    )


@settings(max_examples=25, deadline=None)
@given(k=st.floats(0.01, 20.0), x0=st.floats(0.1, 1e4))
def test_first_order_decay_matches_exp(k, x0):
    t = np.linspace(0, 5.0 / k, 21)
    r = simulate(_decay(k, x0), times_h=t, rtol=1e-10, atol=1e-12 * x0)
    np.testing.assert_allclose(r["x"], x0 * np.exp(-k * t), rtol=1e-7, atol=1e-9 * x0)


def test_synthesis_degradation_steady_state_is_ratio():
    m = Model.build(
        "sd",
        Components(
            species=(Species("x", 0.0),), parameters=(Parameter("s", 7.0), Parameter("k", 0.35))
        ),
        synthesis("x", "s"),
        degradation("x", "k"),
    )
    assert steady_state(m)["x"] == pytest.approx(7.0 / 0.35, rel=1e-8)


def _three_body(kt, ke, alpha, t_tot, e_tot, kdeg=0.0):
    """Target T, ligase E and a drug held at a fixed free concentration b (= 'medium')."""
    sp = tuple(
        Species(s, v)
        for s, v in (("T", t_tot), ("E", e_tot), ("D", 0.0), ("DT", 0.0), ("DE", 0.0), ("DTE", 0.0))
    )
    pars = (
        Parameter("b", 0.0),
        Parameter("kp", 1e4),
        Parameter("kon", 1.0),
        Parameter("kt", kt),
        Parameter("ke", ke),
        Parameter("a", alpha),
        Parameter("kdeg", kdeg),
    )
    return Model.build(
        "tbe",
        Components(species=sp, parameters=pars),
        transport("D", "b", "kp", "kp"),
        ternary_complex(
            "D", "T", "E", "DT", "DE", "DTE", "kon", "kon * kt", "kon", "kon * ke", "a", "kdeg"
        ),
    )


def _tbe_exact(b, kt, ke, alpha, t_tot, e_tot):
    """Closed form at fixed free drug b: T_tot = x(A + c y), E_tot = y(B + c x), ternary c·x·y,
    with A = 1 + b/K_T, B = 1 + b/K_E, c = α b/(K_T K_E); a quadratic in the free target x."""
    A, B, c = 1 + b / kt, 1 + b / ke, alpha * b / (kt * ke)
    qa, qb, qc = A * c, A * B + c * (e_tot - t_tot), -t_tot * B
    x = (-qb + math.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
    y = e_tot / (B + c * x)
    return c * x * y


@pytest.mark.parametrize("alpha", [1.0, 5.0])
@pytest.mark.parametrize("b", [0.3, 3.0, 30.0, 300.0])
def test_three_body_equilibrium_matches_closed_form(b, alpha):
    # Douglass et al. 2013, J Am Chem Soc 135:6092 (three-body binding equilibria)
    kt, ke, t_tot, e_tot = 2.0, 50.0, 20.0, 40.0
    m = _three_body(kt, ke, alpha, t_tot, e_tot).with_params(b=b)
    ss = steady_state(m, tol=1e-12)
    assert ss.status == "ok"
    assert ss["DTE"] == pytest.approx(_tbe_exact(b, kt, ke, alpha, t_tot, e_tot), rel=1e-6)


def test_three_body_dilute_limit_peaks_at_sqrt_kt_ke():
    # Douglass 2013: with T, E << K, TBE ≈ α T E b / ((K_T + b)(K_E + b)), max at √(K_T K_E)
    kt, ke = 1.0, 400.0
    bs = np.logspace(0, 2.6, 61)
    tern = [
        steady_state(_three_body(kt, ke, 1.0, 1e-3, 1e-3).with_params(b=b), tol=1e-14)["DTE"]
        for b in bs
    ]
    i = int(np.argmax(tern))
    # refine the maximum with a parabola in log b
    lx = np.log(bs[i - 1 : i + 2])
    coef = np.polyfit(lx, tern[i - 1 : i + 2], 2)
    peak = math.exp(-coef[1] / (2 * coef[0]))
    assert peak == pytest.approx(math.sqrt(kt * ke), rel=0.02)


def test_degrader_is_catalytic_drug_and_ligase_come_back():
    # Bartlett & Gilbert 2020: the ternary complex destroys the target; drug and E3 are released
    m = _three_body(1.0, 10.0, 5.0, 100.0, 5.0, kdeg=50.0).with_params(kp=0.0, D=1.0)
    r = simulate(m, times_h=np.linspace(0, 50, 11), rtol=1e-9, atol=1e-12)
    drug_total = r["D"] + r["DT"] + r["DE"] + r["DTE"]
    np.testing.assert_allclose(drug_total, 1.0, rtol=1e-6)
    e_total = r["E"] + r["DE"] + r["DTE"]
    np.testing.assert_allclose(e_total, 5.0, rtol=1e-6)
    # one drug molecule destroyed many target molecules
    t_total = r["T"] + r["DT"] + r["DTE"]
    assert 100.0 - t_total[-1] > 10.0


def test_delay_model_matches_method_of_steps_by_hand():
    # x'(t) = -x(t-1), x = 1 for t <= 0. By hand: x = 1 - t on [0, 1];
    # x = 1 - t + (t-1)^2/2 on [1, 2]; x = -1/2 + (t-2)^2/2 - (t-2)^3/6 on [2, 3]
    m = Model.build(
        "dde", Components(species=(Species("x", 1.0),), rate_rules=(Rule("x", "-delay(x, 1.0)"),))
    )
    t = np.linspace(0, 3, 31)
    exact = np.where(
        t <= 1,
        1 - t,
        np.where(t <= 2, 1 - t + (t - 1) ** 2 / 2, -0.5 + (t - 2) ** 2 / 2 - (t - 2) ** 3 / 6),
    )
    r = simulate(m, times_h=t, rtol=1e-10, atol=1e-12)
    assert r.ok
    np.testing.assert_allclose(r["x"], exact, atol=1e-8)


def test_washout_restores_the_untreated_state():
    # a reversible inhibitor washed out: p53 returns to its resting level
    from p53lab.model.cells import cell_model

    m = cell_model("nutlin-3a", "reference")
    r = simulate(m, Schedule.bath(10000.0, washout_h=8.0), [0.0, 8.0, 72.0], preequilibrate=True)
    assert r.at(8, "p53_total_nM") > 3 * r.at(0, "p53_total_nM")
    assert r.at(72, "p53_total_nM") == pytest.approx(r.at(0, "p53_total_nM"), rel=0.02)


def test_bad_model_inputs_give_clear_errors():
    with pytest.raises(ModelError, match="unknown symbol"):
        Model.build(
            "bad", Components(species=(Species("x", 1.0),), rate_rules=(Rule("x", "-k * x"),))
        )
    with pytest.raises(ModelError, match="not allowed"):
        Model.build(
            "bad",
            Components(species=(Species("x", 1.0),), rate_rules=(Rule("x", "__import__('os')"),)),
        )
    with pytest.raises(ModelError, match="Did you mean"):
        _decay(1.0, 1.0).with_params(kk=2.0)


def test_failed_run_reports_status_instead_of_raising():
    # x' = x^2 blows up at t = 1 for x0 = 1
    m = Model.build(
        "blowup", Components(species=(Species("x", 1.0),), rate_rules=(Rule("x", "x * x"),))
    )
    r = simulate(m, times_h=np.linspace(0, 2, 5))
    assert r.status == "failed" and r.message
    assert np.isfinite(r["x"][0])


def test_result_round_trips_through_parquet_with_provenance(tmp_path):
    from p53lab.simulate import SimulationResult

    r = simulate(_decay(1.0, 5.0), times_h=[0.0, 1.0, 2.0])
    path = r.to_parquet(tmp_path / "r.parquet")
    back = SimulationResult.read_parquet(path)
    np.testing.assert_array_equal(back.values, r.values)
    assert back.provenance["model_id"] == "decay"
    assert back.provenance["parameters"] == {"k": 1.0}
