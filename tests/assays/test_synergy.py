"""Synergy scores (Bliss, HSA, Loewe, ZIP) against hand-computed grids and analytic surfaces.

Known answers: Bliss and HSA on a 3x3 grid worked by hand below; ZIP is exactly 0 on a Bliss-
independent surface built from two LL.4 curves with top 100 (Yadav 2015, the column/row curves
are then LL.4 with bottom y_B(b) and top 100); Loewe is exactly 0 for a drug combined with
itself (y(a, b) = f(a + b), Loewe 1953).
"""

import math

import numpy as np
import pandas as pd
import pytest

from p53lab.assays import synergy
from p53lab.errors import FileFormatError, ParameterError

C = np.array([0.0, 1.0, 10.0])
# rows: conc1 = 0, 1, 10; columns: conc2 = 0, 1, 10 (% inhibition)
GRID = np.array([[0.0, 20.0, 50.0], [10.0, 40.0, 70.0], [30.0, 50.0, 90.0]])
# Bliss by hand: ref(1,1) = 10 + 20 - 10*20/100 = 28; ref(1,10) = 10 + 50 - 5 = 55;
# ref(10,1) = 30 + 20 - 6 = 44; ref(10,10) = 30 + 50 - 15 = 65
BLISS = {(1, 1): (28, 12), (1, 10): (55, 15), (10, 1): (44, 6), (10, 10): (65, 25)}
# HSA by hand: ref = max(y_A, y_B)
HSA = {(1, 1): (20, 20), (1, 10): (50, 20), (10, 1): (30, 20), (10, 10): (50, 40)}


def _cells(res):
    return {(c["conc1"], c["conc2"]): (c["reference"], c["score"]) for c in res.scores}


def hill(x, e, h):
    """LL.4 with bottom 0, top 100 (drc: b = -h)."""
    return 100.0 * np.power(x, h) / (np.power(x, h) + e**h)


C1 = np.array([0, 0.1, 0.3, 1, 3, 10])
C2 = np.array([0, 0.2, 0.6, 2, 6, 20])


def _bliss_surface(k=1.0):
    """Bliss-independent surface; combination doses multiplied by k (k > 1 synergy)."""
    a = hill(C1 * k, 1.0, 1.5)[:, None]
    b = hill(C2 * k, 2.0, 1.0)[None, :]
    s = a + b - a * b / 100.0
    a0, b0 = hill(C1, 1.0, 1.5), hill(C2, 2.0, 1.0)
    s[:, 0], s[0, :] = a0, b0  # monotherapy rows unchanged
    return s


@pytest.mark.parametrize("method, expected", [("bliss", BLISS), ("hsa", HSA)])
def test_hand_computed_grid(method, expected):
    res = synergy.fit(GRID, method, conc1=C, conc2=C)
    assert res.ok and res.conventions == "synergyfinder3-conventions"
    cells = _cells(res)
    for (a, b), (ref, score) in expected.items():
        assert cells[(a, b)] == pytest.approx((ref, score), abs=1e-12)
    assert cells[(0, 1)] == (20, 0) and cells[(10, 0)] == (30, 0)  # monotherapy cells: score 0
    assert res.mean_score == pytest.approx({"bliss": 14.5, "hsa": 25.0}[method], abs=1e-12)


def test_matrix_dataframe_and_long_input_agree():
    wide = pd.DataFrame(GRID, index=C, columns=C)
    long = synergy._grid_to_long(GRID, C, C)
    r1 = synergy.fit(wide, "bliss")
    r2 = synergy.fit(long, "bliss")
    assert r1.mean_score == r2.mean_score == pytest.approx(14.5)


def test_replicates_are_averaged_with_sd():
    long = synergy._grid_to_long(GRID, C, C)
    extra = long[(long.conc1 == 1) & (long.conc2 == 1)]
    long = pd.concat([long, extra, extra]).reset_index(drop=True)
    long.loc[long.index[-2], "response"] = 38.0
    long.loc[long.index[-1], "response"] = 42.0
    res = synergy.fit(long, "bliss")
    cell = next(c for c in res.scores if (c["conc1"], c["conc2"]) == (1, 1))
    assert cell["n"] == 3 and cell["response"] == pytest.approx(40.0)
    assert cell["response_sd"] == pytest.approx(2.0)  # values 40, 38, 42
    assert cell["score"] == pytest.approx(12.0)
    assert math.isnan(next(c for c in res.scores if c["conc1"] == 10)["response_sd"])


def test_viability_is_converted():
    inh = synergy.fit(GRID, "bliss", conc1=C, conc2=C)
    via = synergy.fit(100.0 - GRID, "bliss", "viability", conc1=C, conc2=C)
    assert via.response_kind == "viability"
    for key, (ref, score) in _cells(inh).items():
        assert _cells(via)[key] == pytest.approx((ref, score), abs=1e-12)
    assert via.mean_score == pytest.approx(14.5)


def test_zip_is_zero_on_bliss_independent_surface():
    res = synergy.fit(_bliss_surface(), "zip", conc1=C1, conc2=C2)
    assert res.ok and res.fallback_cells == 0
    assert abs(res.mean_score) < 1.0
    assert max(abs(c["score"]) for c in res.scores) < 0.05
    fits = res.single_drug_fits
    assert fits["drug1"]["ec50"] == pytest.approx(1.0, rel=1e-4)
    assert fits["drug2"]["slope"] == pytest.approx(-1.0, rel=1e-4)  # drc sign: b = -h


def test_bliss_is_zero_on_bliss_independent_surface():
    res = synergy.fit(_bliss_surface(), "bliss", conc1=C1, conc2=C2)
    assert max(abs(c["score"]) for c in res.scores) < 1e-10


def test_loewe_is_zero_on_sham_combination():
    c = np.array([0, 0.25, 0.5, 1, 2, 4])
    sham = hill(c[:, None] + c[None, :], 1.0, 1.3)
    res = synergy.fit(sham, "loewe", conc1=c, conc2=c)
    assert res.ok and res.fallback_cells == 0
    assert abs(res.mean_score) < 1e-3
    assert max(abs(c["score"]) for c in res.scores) < 1e-3


def test_loewe_unreachable_uses_fallback():
    # drug 2 stimulates growth (inhibition falls with dose): no isobole, no Loewe root; the
    # reference falls back to max(f_A(a + b), f_B(a + b))
    c = np.array([0, 0.25, 0.5, 1, 2, 4])
    grid = hill(c, 1.0, 1.3)[:, None] - 0.2 * hill(c, 1.0, 1.0)[None, :]
    res = synergy.fit(grid, "loewe", conc1=c, conc2=c)
    assert res.ok and res.fallback_cells == 25
    cell = next(x for x in res.scores if (x["conc1"], x["conc2"]) == (1, 2))
    assert cell["reference"] == pytest.approx(hill(3.0, 1.0, 1.3), abs=1e-3)
    assert all(math.isfinite(x["reference"]) and x["reference"] <= 100 for x in res.scores)


@pytest.mark.parametrize("method", synergy.METHODS)
def test_planted_synergy_and_antagonism_have_the_right_sign(method):
    syn = synergy.fit(_bliss_surface(3.0), method, conc1=C1, conc2=C2)
    ant = synergy.fit(_bliss_surface(1 / 3), method, conc1=C1, conc2=C2)
    assert syn.mean_score > 5.0
    assert ant.mean_score < -5.0


def test_block_without_single_drug_rows_is_not_estimable():
    long = synergy._grid_to_long(GRID, C, C)
    res = synergy.fit(long[long.conc2 > 0], "bliss")
    assert res.status == "not_estimable" and "single-drug" in res.message


def test_bad_arguments():
    with pytest.raises(ParameterError, match="'method' parameter of fit"):
        synergy.fit(GRID, "chou", conc1=C, conc2=C)
    with pytest.raises(ParameterError, match="conc1="):
        synergy.fit(GRID, "bliss")
    with pytest.raises(ParameterError, match="'conc1' parameter"):
        synergy.fit(GRID, "bliss", conc1=-C, conc2=C)


def test_save_load_roundtrip_and_summary(tmp_path):
    res = synergy.fit(_bliss_surface(), "zip", conc1=C1, conc2=C2)
    back = synergy.SynergyResult.load(res.save(tmp_path / "s.json"))
    assert back.to_dict() == res.to_dict()
    assert len(res.summary()) == C1.size * C2.size
    assert list(res.summary().columns[:5]) == ["block_id", "drug1", "drug2", "method", "status"]


def test_read_table_rejects_bad_files(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("block_id,drug1,drug2,conc1,conc2\n1,A,B,0,0\n")
    with pytest.raises(FileFormatError, match="'response'"):
        synergy.read_synergy_table(p)
    p.write_text("block_id,drug1,drug2,conc1,conc2,response\n1,A,B,0,0,5\n1,A,B,1,-2,7\n")
    with pytest.raises(FileFormatError, match=r"row 3, column 'conc2'.*negative"):
        synergy.read_synergy_table(p)


def test_fit_blocks_keeps_going():
    ok = synergy._grid_to_long(GRID, C, C).assign(block_id="1", drug1="A", drug2="B")
    bad = ok[ok.conc1 > 0].assign(block_id="2")
    res = synergy.fit_blocks(pd.concat([ok, bad]), "hsa")
    assert [r.status for r in res] == ["ok", "not_estimable"]
    assert res[0].mean_score == pytest.approx(25.0) and res[1].block_id == "2"


@pytest.mark.parametrize("surface", [False, True])
def test_plot(surface):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = synergy.fit(GRID, "bliss", conc1=C, conc2=C)
    ax = synergy.plot(res, surface=surface)
    assert ax.get_xlabel() == "drug2 concentration"
    plt.close("all")
