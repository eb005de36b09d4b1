"""Cell fate rules and calibration against analytic answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from p53lab.errors import ParameterError
from p53lab.population.calibrate import FitParameter, Target, calibrate
from p53lab.population.fate import FateParams, decide


def test_untouched_cells_grow_exponentially_with_the_doubling_time():
    t = np.arange(0.0, 73.0)
    n = 5
    f = decide(t, np.full((n, t.size), 0.01), np.full((n, t.size), 5.0), 24.0, FateParams())
    np.testing.assert_allclose(f["weight"][:, -1], 2.0**3, rtol=1e-12)
    assert np.all(np.isinf(f["t_commit"]))
    assert f["annexin"].sum() == 0 and f["arrested"].sum() == 0


def test_commitment_stops_growth_and_sets_annexin_then_pi_after_the_delays():
    t = np.arange(0.0, 73.0)
    puma = np.full((1, t.size), 0.01)
    puma[0, 10:] = 2.0  # crosses 0.5 nM at 10 h
    fate = FateParams(annexin_delay_h=3.0, pi_delay_h=12.0)
    f = decide(t, puma, np.full((1, t.size), 5.0), 20.0, fate)
    assert f["t_commit"][0] == 10.0
    assert f["weight"][0, -1] == pytest.approx(2 ** (10 / 20), rel=1e-12)
    assert f["annexin"][0, 12] == 0 and f["annexin"][0, 13] == 1
    assert f["pi"][0, 24] == 0 and f["pi"][0, 25] == 1
    assert f["viable"][0, 13] == 0


def test_p21_above_threshold_arrests_and_release_resumes_growth():
    t = np.arange(0.0, 49.0)
    p21 = np.full((1, t.size), 5.0)
    p21[0, 12:36] = 20.0  # 4x baseline for 24 h
    f = decide(t, np.full((1, t.size), 0.01), p21, 12.0, FateParams(p21_arrest_fold=3.0))
    # grows 24 of 48 h: two doublings
    assert f["weight"][0, -1] == pytest.approx(4.0, rel=1e-12)
    assert f["arrested"][0, 12:36].all() and not f["arrested"][0, 36:].any()


def test_survival_signalling_raises_the_commitment_threshold():
    t = np.arange(0.0, 25.0)
    puma = np.full((1, t.size), 0.8)
    assert decide(t, puma, np.ones((1, t.size)), 24, FateParams())["t_commit"][0] == 0
    f = decide(t, puma, np.ones((1, t.size)), 24, FateParams(survival=2.0))
    assert np.isinf(f["t_commit"][0])


@pytest.mark.parametrize("bad", [{"puma_commit_nM": -1}, {"g2m_share": 1.5}, {"cell_cv": math.nan}])
def test_bad_fate_parameters_are_refused(bad):
    with pytest.raises(ParameterError):
        FateParams(**bad)


def test_calibration_recovers_a_known_parameter_with_the_analytic_interval():
    """value = a²: the target 4 gives a = 2; residual (2 ln a − ln 4)/σ has J = 2/σ, so the
    Gauss–Newton SE of ln a is σ/2 and the interval is 2·exp(±1.96 σ/2), exactly."""
    sd10 = 0.15
    res = calibrate(
        [FitParameter("a", 1.0, 0.01, 100.0)],
        [Target("square", 4.0, lambda p: p["a"] ** 2, log10_sd=sd10)],
        starts=3,
    )
    assert res.estimates["a"] == pytest.approx(2.0, rel=1e-6)
    half = 1.96 * sd10 * math.log(10) / 2
    lo, hi = res.intervals["a"]
    assert lo == pytest.approx(2 * math.exp(-half), rel=1e-3)
    assert hi == pytest.approx(2 * math.exp(half), rel=1e-3)
    assert res.fitted["square"]["fold_error"] == pytest.approx(1.0, abs=1e-6)


def test_profile_interval_equals_the_analytic_one_for_a_log_linear_model():
    sd10 = 0.2
    res = calibrate(
        [FitParameter("a", 3.0, 0.01, 100.0), FitParameter("b", 1.0, 0.01, 100.0)],
        [
            Target("ab", 6.0, lambda p: p["a"] * p["b"], log10_sd=sd10),
            Target("a/b", 1.5, lambda p: p["a"] / p["b"], log10_sd=sd10),
        ],
        starts=2,
        profile=True,
    )
    assert res.estimates["a"] == pytest.approx(3.0, rel=1e-5)
    assert res.estimates["b"] == pytest.approx(2.0, rel=1e-5)
    # ln a = (ln ab + ln(a/b))/2: SE = σ/√2; profile of a least-squares quadratic is exact.
    half = 1.96 * sd10 * math.log(10) / math.sqrt(2)
    lo, hi = res.intervals["a"]
    assert lo == pytest.approx(3 * math.exp(-half), rel=2e-3)
    assert hi == pytest.approx(3 * math.exp(half), rel=2e-3)


def test_calibration_refuses_a_non_positive_target():
    with pytest.raises(ParameterError):
        calibrate([FitParameter("a", 1, 0.1, 10)], [Target("t", 0.0, lambda p: 1.0)])
