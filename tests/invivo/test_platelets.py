"""Platelets: Friberg model properties, CTCAE grading, the milademetan schedule comparison."""

import numpy as np
import pytest

from p53lab.invivo.platelets import ctcae_grade, friberg, run_platelets
from p53lab.invivo.regimens import Regimen


def test_ctcae_grades():
    # CTCAE v5: G1 < 150-75, G2 < 75-50, G3 < 50-25, G4 < 25 (x10^9/L)
    np.testing.assert_array_equal(
        ctcae_grade([300, 150, 149.9, 75, 74.9, 50, 49.9, 25, 24.9, 3]),
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
    )


def test_friberg_steady_without_drug_and_nadir_delayed_by_transit():
    t = np.arange(0.0, 24 * 150.0, 24.0)
    flat = friberg(t, lambda tt: np.zeros(1), np.array([250.0]))[:, 0]
    np.testing.assert_allclose(flat, 250.0, rtol=1e-9)
    # a 3-day block of proliferation: the nadir comes after the transit chain (MTT 170 h)
    p = friberg(t, lambda tt: np.ones(1) * (tt < 72.0), np.array([250.0]))[:, 0]
    nadir_day = t[np.argmin(p)] / 24
    assert 7 <= nadir_day <= 16
    assert p[-1] == pytest.approx(250.0, rel=0.02)  # recovers (feedback)
    assert p.max() > 250.0  # rebound overshoot from the (Circ0/Circ)^gamma feedback


@pytest.mark.slow
def test_schedules_at_equal_monthly_dose_report_nadir_and_recovery():
    arms = {
        "intermittent": Regimen(260, "mg", "d1-3,15-17/q28d", 56),
        "daily": Regimen(1560 / 28, "mg", "qd", 56),
    }
    r = run_platelets("milademetan", arms, n_patients=12, days=56, seed=0)
    for arm in arms:
        row = r.arm(arm)
        assert row["dose_per_28_days"] == pytest.approx(1560)
        assert 0 < row["median_nadir_1e9_per_L"] < 250
        assert 10 <= row["median_nadir_day"] <= 56
    assert np.isfinite(r.arm("intermittent")["median_recovery_days"])
    assert {"nadir_day", "recovery_days", "worst_grade"} <= set(r.patients.columns)


@pytest.fixture(scope="module")
def built_in_study_arms():
    """The built-in study's two equal-monthly-dose arms: 40 patients, 84 days, seed 0."""
    arms = {
        "intermittent": Regimen(260, "mg", "d1-3,15-17/q28d", 84),
        "daily": Regimen(1560 / 28, "mg", "qd", 84),
    }
    return run_platelets("milademetan", arms, n_patients=40, days=84, seed=0)


@pytest.mark.slow
def test_intermittent_less_grade34_than_daily_at_equal_monthly_dose(built_in_study_arms):
    r = built_in_study_arms
    assert r.arm("intermittent")["grade34_pct"] < r.arm("daily")["grade34_pct"]


@pytest.mark.slow
def test_a50_calibration_record_still_holds(built_in_study_arms):
    # parameters.yaml: a50 was chosen so that 260 mg d1-3,15-17 q28d gives the published 15 %
    # grade 3/4 (Gounder 2023) in the 40 patients of the built-in study; if the circuit or the
    # PK changes, this fails and a50 must be re-derived by the rule written there.
    assert built_in_study_arms.arm("intermittent")["grade34_pct"] == pytest.approx(15.0, abs=5.0)


def test_progenitor_driver_is_the_arrest_arm_and_saturates():
    from p53lab.invivo.platelets import READOUT, progenitor_response

    er = progenitor_response("milademetan")
    assert READOUT == "p21_fold_minus_1" and er.readout == READOUT
    top = er.response.max()
    # half of the maximal p21 induction is reached well below the free peak of a 260 mg dose
    # (~0.3 uM), and the response is flat at the top (saturating, unlike PUMA's switch)
    c_half = er.concs_nM[np.argmax(er.response >= 0.5 * top)]
    assert c_half < 300.0
    assert er.steady(1e4) == pytest.approx(top, rel=0.05)
