"""Regimens: dose times of the named schedules and clear errors for impossible ones."""

import numpy as np
import pytest

from p53lab.errors import ParameterError
from p53lab.invivo.regimens import Regimen


def test_named_schedules():
    days = Regimen(260, "mg", "d1-3,15-17/q28d", 56).dose_times_h() / 24
    np.testing.assert_array_equal(days, [0, 1, 2, 14, 15, 16, 28, 29, 30, 42, 43, 44])
    assert Regimen(1, "mg", "bid", 2).dose_times_h().tolist() == [0, 12, 24, 36]
    assert (Regimen(1, "mg", "qw", 21).dose_times_h() / 24).tolist() == [0, 7, 14]
    assert (Regimen(1, "mg", "q3w", 43).dose_times_h() / 24).tolist() == [0, 21, 42]
    assert (Regimen(1, "mg", "d1,8/q4w", 56).dose_times_h() / 24).tolist() == [0, 7, 28, 35]
    assert Regimen(3, "mg/kg", "single", 1, route="iv").dose_times_h().tolist() == [0]
    # equal monthly dose: 6 x 260 mg = 28 x 55.714 mg
    assert Regimen(260, "mg", "d1-3,15-17/q28d", 28).total_dose(28) == 1560
    assert Regimen(1560 / 28, "mg", "qd", 28).total_dose(28) == pytest.approx(1560)


def test_custom_schedules():
    r = Regimen(1, "mg", "custom", 14, days=(1, 3), cycle_days=7, per_day=2)
    assert (r.dose_times_h()).tolist() == [0, 12, 48, 60, 168, 180, 216, 228]
    assert Regimen(1, "mg", "custom", 1, interval_h=8).dose_times_h().tolist() == [0, 8, 16]


def test_impossible_regimens():
    with pytest.raises(ParameterError, match=r"day 3, outside a 2-day cycle"):
        Regimen(1, "mg", "custom", 10, days=(1, 2, 3), cycle_days=2)
    with pytest.raises(ParameterError, match="interval_h"):
        Regimen(1, "mg", "custom", 10, interval_h=-12)
    with pytest.raises(ParameterError, match=r"'dose'.*no unit text"):
        Regimen("260 mg", "mg")
    with pytest.raises(ParameterError, match="schedule"):
        Regimen(1, "mg", "tid")
    with pytest.raises(ParameterError, match="dose_unit"):
        Regimen(1, "mg/m2")
