"""Xenograft: caliper volume, %TGI and T/C computed by hand on a tiny table."""

import pandas as pd
import pytest

from p53lab.assays import xenograft
from p53lab.errors import FileFormatError, ParameterError


def _table():
    # volumes (mm3): vehicle 100,100 -> 500,700 ; treated 100,120 -> 50 (regression), 0 (CR)
    rows = [
        ("v1", "vehicle", 0, 100),
        ("v2", "vehicle", 0, 100),
        ("t1", "drug", 0, 100),
        ("t2", "drug", 0, 120),
        ("v1", "vehicle", 14, 500),
        ("v2", "vehicle", 14, 700),
        ("t1", "drug", 14, 50),
        ("t2", "drug", 14, 0),
    ]
    return pd.DataFrame(rows, columns=["animal", "group", "day", "volume_mm3"])


def test_caliper_volume_swaps_diameters():
    assert xenograft.caliper_volume(10.0, 6.0) == pytest.approx(180.0)
    assert xenograft.caliper_volume(6.0, 10.0) == pytest.approx(180.0)


def test_tgi_and_tc_by_hand():
    r = xenograft.fit(_table(), "vehicle")
    drug = next(g for g in r.groups if g["group"] == "drug")
    # T0 = 110, Ti = 25, V0 = 100, Vi = 600: TGI = (1 - (25-110)/(600-100))*100 = 117 %
    assert drug["tgi_pct"] == pytest.approx(117.0)
    assert drug["tc_pct"] == pytest.approx(25 / 600 * 100)
    assert (drug["regressions"], drug["complete_responses"]) == (1, 1)
    veh = next(g for g in r.groups if g["group"] == "vehicle")
    assert veh["tgi_pct"] == pytest.approx(0.0) and veh["tc_pct"] == pytest.approx(100.0)
    assert r.day == 14 and r.baseline_day == 0
    # baseline means 100 vs 110, grand 105: within 10 %
    assert r.randomisation_ok and 0 < r.anova_p <= 1


def test_from_calipers_and_randomisation_tolerance():
    t = pd.DataFrame(
        {
            "animal": ["a", "b", "c", "d"] * 2,
            "group": ["veh", "veh", "drug", "drug"] * 2,
            "day": [0] * 4 + [7] * 4,
            "length_mm": [5, 5, 8, 8, 10, 10, 8, 8],
            "width_mm": [4, 4, 6, 6, 8, 8, 6, 6],
        }
    )
    r = xenograft.fit(t, "veh", tolerance=0.1)
    assert r.baseline_means["veh"] == pytest.approx(40.0)
    assert not r.randomisation_ok  # 40 vs 144 mm3


def test_bad_input():
    with pytest.raises(ParameterError, match="Groups present"):
        xenograft.fit(_table(), "control")
    t = _table().astype({"volume_mm3": object})
    t.loc[3, "volume_mm3"] = "big"
    with pytest.raises(FileFormatError, match=r"row 5.*'big'"):
        xenograft.fit(t, "vehicle")
    with pytest.raises(ParameterError, match="Days in every group"):
        xenograft.fit(_table(), "vehicle", day=3)
