"""Normalising pre-quantified band tables: hand-computed answers, invariances, bad tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab import blot
from p53lab.errors import FileFormatError, ParameterError

# lane 1 vehicle; GAPDH loading differs by lane
HAND = """lane,target,intensity,label
1,GAPDH,1000,veh
1,MDM2,200,veh
1,p53,50,veh
2,GAPDH,800,2 h
2,MDM2,400,2 h
2,p53,100,2 h
3,GAPDH,1250,8 h
3,MDM2,125,8 h
3,p53,250,8 h
"""


@pytest.fixture
def hand_csv(tmp_path):
    p = tmp_path / "bands.csv"
    p.write_text(HAND)
    return p


def _value(res, lane, target, key="normalised"):
    return next(r[key] for r in res.rows if r["lane"] == lane and r["target"] == target)


def test_hand_computed_normalisation(hand_csv):
    res = blot.normalise(blot.read_band_table(hand_csv), loading_control="GAPDH")
    # lane 2: MDM2 400/800 = 0.5 vs 200/1000 = 0.2 -> 2.5; p53 100/800 = 0.125 vs 0.05 -> 2.5
    # lane 3: MDM2 125/1250 = 0.1 -> 0.5; p53 250/1250 = 0.2 -> 4.0
    assert _value(res, 2, "MDM2") == pytest.approx(2.5)
    assert _value(res, 2, "p53") == pytest.approx(2.5)
    assert _value(res, 3, "MDM2") == pytest.approx(0.5)
    assert _value(res, 3, "p53") == pytest.approx(4.0)
    assert _value(res, 1, "MDM2") == pytest.approx(1.0)
    assert all(_value(res, k, "GAPDH") == pytest.approx(1.0) for k in (1, 2, 3))
    assert _value(res, 2, "MDM2", "ratio") == pytest.approx(0.5)
    assert _value(res, 3, "p53", "loading_control_intensity") == 1250
    wide = res.wide()
    assert list(wide["label"]) == ["veh", "2 h", "8 h"]
    assert list(wide.columns) == ["lane", "label", "GAPDH", "MDM2", "p53"]


def test_without_loading_control_and_other_reference(hand_csv):
    t = blot.read_band_table(hand_csv)
    res = blot.normalise(t)  # relative to lane 1 only: 400/200, 125/200
    assert _value(res, 2, "MDM2") == pytest.approx(2.0)
    assert _value(res, 3, "MDM2") == pytest.approx(0.625)
    res2 = blot.normalise(t, loading_control="GAPDH", reference_lane=2)
    assert _value(res2, 1, "MDM2") == pytest.approx(0.2 / 0.5)
    assert _value(res2, 3, "p53") == pytest.approx(0.2 / 0.125)


def test_round_trip(hand_csv, tmp_path):
    res = blot.normalise(blot.read_band_table(hand_csv), loading_control="GAPDH")
    back = blot.NormalisedBlot.load(res.save(tmp_path / "n.json"))
    assert back == res


@settings(max_examples=40, deadline=None)
@given(
    loading=st.lists(st.floats(0.2, 5.0), min_size=4, max_size=4),
    scale=st.floats(1e-3, 1e6),
)
def test_loading_and_exposure_cancel(loading, scale):
    # Invariance: per-lane loading factors and a global exposure factor leave the normalised
    # values unchanged (that is what the two divisions are for).
    truth = {"MDM2": [1.0, 2.0, 0.5, 3.0], "p53": [1.0, 4.0, 1.5, 0.8]}
    rows = []
    for k in range(4):
        rows.append({"lane": k + 1, "target": "GAPDH", "intensity": 700 * loading[k] * scale})
        for target, rel in truth.items():
            rows.append(
                {"lane": k + 1, "target": target, "intensity": 90 * rel[k] * loading[k] * scale}
            )
    res = blot.normalise(pd.DataFrame(rows), loading_control="GAPDH")
    for target, rel in truth.items():
        got = [_value(res, k + 1, target) for k in range(4)]
        assert got == pytest.approx(rel, rel=1e-9)


def test_missing_or_zero_loading_control_is_not_estimable():
    t = pd.DataFrame(
        {
            "lane": [1, 1, 2, 2, 3, 4, 4],
            "target": ["GAPDH", "p21", "GAPDH", "p21", "p21", "GAPDH", "MDM2"],
            "intensity": [100, 10, 0, 30, 40, 90, 5],
        }
    )
    res = blot.normalise(t, loading_control="GAPDH")
    assert _value(res, 1, "p21") == 1.0
    bad2 = next(r for r in res.rows if r["lane"] == 2 and r["target"] == "p21")
    assert bad2["status"] == "not_estimable" and "not above background" in bad2["message"]
    bad3 = next(r for r in res.rows if r["lane"] == 3 and r["target"] == "p21")
    assert bad3["status"] == "not_estimable" and "lane 3 has no GAPDH band" in bad3["message"]
    mdm2 = next(r for r in res.rows if r["target"] == "MDM2")
    assert math.isnan(mdm2["normalised"]) and "reference lane 1 has no MDM2" in mdm2["message"]
    assert res.status == "ok" and "not estimable" in res.message


@pytest.mark.parametrize(
    ("content", "kwargs", "error", "pattern"),
    [
        ("lane,protein,value\n1,a,2\n", {}, FileFormatError, r"missing column.*'target'"),
        ("lane,target,intensity\n1,a,2\nx,b,3\n", {}, FileFormatError, r"row 3.*'x'"),
        ("lane,target,intensity\n1,a,2\n1.5,b,3\n", {}, FileFormatError, r"row 3.*numbered"),
        ("lane,target,intensity\n1,a,2\n1,a,3\n", {}, FileFormatError, r"rows 2 and 3.*lane 1"),
        ("lane,target,intensity\n1,a,2\n2,a,lots\n", {}, FileFormatError, r"row 3.*'lots'"),
        ("lane,target,intensity\n1, ,2\n", {}, FileFormatError, r"row 2.*empty"),
        (
            "lane,target,intensity,label\n1,a,2,veh\n1,b,2,2 h\n",
            {},
            FileFormatError,
            r"row 3 labels lane 1 '2 h'",
        ),
        (
            "lane,target,intensity\n1,MDM2,2\n1,GAPDH,3\n",
            {"loading_control": "actin"},
            ParameterError,
            r"'actin' is not a target.*'MDM2', 'GAPDH'",
        ),
        (
            "lane,target,intensity\n2,MDM2,2\n3,MDM2,3\n",
            {},
            ParameterError,
            r"reference lane 1 does not exist; lanes present: 2, 3",
        ),
        ("lane,target,intensity\n", {}, FileFormatError, r"no rows"),
        ("", {}, FileFormatError, r"empty"),
    ],
)
def test_bad_tables(tmp_path, content, kwargs, error, pattern):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(error, match=pattern) as info:
        blot.normalise(blot.read_band_table(p), source=str(p), **kwargs)
    if error is FileFormatError:
        assert str(p) in str(info.value)


def test_bad_reference_lane_argument():
    t = pd.DataFrame({"lane": [1], "target": ["a"], "intensity": [1.0]})
    with pytest.raises(ParameterError, match="reference_lane"):
        blot.normalise(t, reference_lane=0)
    assert np.isfinite(blot.normalise(t).rows[0]["normalised"])
