"""ELISA standard curves: 5PL reference (plate-reader example), weighting, back-calculation."""

import numpy as np
import pandas as pd
import pytest

from p53lab.assays import elisa


@pytest.fixture(scope="module")
def ref(shared_reference):
    return pd.read_csv(shared_reference / "elisa" / "elisa_5pl_example.csv")


def test_5pl_unweighted_reference(ref):
    # reference/README elisa/: A 0.0831, B 1.16, C 2.44, D 1.87, G 1.13 (to 2 decimals)
    r = elisa.fit(ref.conc, ref.od450, model="5pl", weighting="none")
    assert r.ok and r.weighting == "none"
    assert pytest.approx(0.0831, abs=5e-4) == r.A
    for name, want in (("B", 1.16), ("C", 2.44), ("D", 1.87), ("G", 1.13)):
        assert getattr(r, name) == pytest.approx(want, abs=0.005), name


def test_1_over_y2_moves_c(ref):
    r = elisa.fit(ref.conc, ref.od450, model="5pl", weighting="1/y2")
    assert r.weighting == "1/y2"
    assert pytest.approx(2.87, abs=0.01) == r.C


def test_back_calculation_and_flags(ref):
    r = elisa.fit(ref.conc, ref.od450, unknowns=[0.05, 1.0, 1.9], blanks=[0.05, 0.06, 0.055])
    # the back-calculated concentration reproduces the curve
    assert r.predict(r.unknowns[1]["conc"]) == pytest.approx(1.0, rel=1e-9)
    assert [u["flag"] for u in r.unknowns] == ["below_range", "in_range", "above_range"]
    assert np.isnan(r.lod_conc)  # the LOD response lies below the lower asymptote
    assert r.lod_response == pytest.approx(0.055 + 3 * 0.005)
    assert r.lloq_conc == pytest.approx(0.098)  # every standard recovers within 20 %
    assert r.to_dict() == elisa.ElisaResult.from_dict(r.to_dict()).to_dict()


def test_4pl_exact_and_table():
    x = np.repeat([0.1, 0.3, 1, 3, 10, 30], 2)
    y = elisa.curve(x, 0.05, 1.3, 2.0, 2.2)
    tab = pd.DataFrame(
        {
            "sample": [f"s{i}" for i in range(len(x))] + ["u1", "b1", "b2"],
            "kind": ["standard"] * len(x) + ["unknown", "blank", "blank"],
            "conc": [*list(x), "", "", ""],
            "response": [*list(y), float(elisa.curve(2.0, 0.05, 1.3, 2.0, 2.2)), 0.01, 0.03],
        }
    )
    r = elisa.fit_table(tab, model="4pl", weighting="1/y")
    assert pytest.approx((0.05, 1.3, 2.0, 2.2), rel=1e-5) == (r.A, r.B, r.C, r.D)
    assert r.unknowns[0]["conc"] == pytest.approx(2.0, rel=1e-5)
    assert r.lod_conc > 0 and r.lloq_conc == pytest.approx(0.1)


def test_mdm2_p53_inhibition_ic50():
    conc = np.geomspace(0.01, 100, 10)
    a450 = 0.1 + (1.5 - 0.1) / (1 + (conc / 0.7) ** 1.2)  # no-inhibitor 1.5, blank 0.1
    assert elisa.percent_inhibition([1.5, 0.1, 0.8], [1.5], [0.1]) == pytest.approx([0, 100, 50])
    r = elisa.fit_inhibition(conc, a450, no_inhibitor=[1.5, 1.5], blank=[0.1, 0.1])
    assert r.ic50 == pytest.approx(0.7, rel=1e-4) and r.hill == pytest.approx(1.2, rel=1e-4)


def test_bad_input():
    with pytest.raises(ValueError, match="weighting"):
        elisa.fit([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], weighting="1/x")
    tab = pd.DataFrame({"sample": ["a"], "kind": ["std"], "conc": ["1"], "response": ["1"]})
    with pytest.raises(ValueError, match=r"row 2.*'std'"):
        elisa.fit_table(tab)
    assert elisa.fit([1, 2, 3], [1, 2, 3]).status == "not_estimable"
