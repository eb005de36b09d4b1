"""GR metrics against the ``gr50`` package's published example, planted counts, statuses."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from p53lab.assays import gr
from p53lab.cli import main

# datarail/gr_metrics SRC/python/gr50/__init__.py docstring (reference README: tolerance 2e-6)
EXPECTED_A = {
    "GR50": 0.114025,
    "GRmax": 0.0188,
    "GR_AOC": 0.481125,
    "GEC50": 0.110411,
    "GRinf": 0.018109,
    "Hill": 1.145262,
    "r2": 0.998579,
}


@pytest.fixture
def gr50_example(shared_reference):
    return pd.read_csv(shared_reference / "dose_response" / "gr50_example.csv")


def test_gr50_docstring_example(gr50_example):
    a, b = gr.fit_gr_table(gr50_example)
    assert a.keys == {"agent": "A"} and a.ok and not a.flat
    for k, v in EXPECTED_A.items():
        assert getattr(a, k) == pytest.approx(v, abs=2e-6), k
    assert a.pval == pytest.approx(5.4e-5, abs=1e-6)
    # Agent B is flat: GR50 inf, GRinf = mean GR 0.971, h 0.01, p 1.0
    assert b.flat and b.GR50 == math.inf and b.Hill == 0.01 and b.GEC50 == 0
    assert b.GRinf == pytest.approx(0.971, abs=2e-6)
    assert b.pval == pytest.approx(1.0, abs=1e-6)


def test_gr_value_docstring_example():
    assert gr.gr_value(1710, 1766, 492.8) == pytest.approx(0.965305500206, abs=1e-12)


@given(
    x0=st.floats(10, 1e5),
    growth=st.floats(1.1, 50),
)
def test_gr_value_anchors(x0, growth):
    xctrl = x0 * growth
    assert gr.gr_value(xctrl, xctrl, x0) == pytest.approx(1.0)  # untreated: no effect
    assert gr.gr_value(x0, xctrl, x0) == pytest.approx(0.0, abs=1e-12)  # cytostasis
    assert gr.gr_value(x0 / 2, xctrl, x0) < 0  # cell death


def _planted_counts(grinf=-0.2, gec50=0.3, h=1.6, reps=3, seed=1):
    """Counts whose GR values follow a planted curve exactly (inverse of the GR formula)."""
    rng = np.random.default_rng(seed)
    conc = np.geomspace(0.001, 10, 9)
    rows = []
    x0, xctrl = 1000.0, 4000.0  # two doublings in the control
    for rep in range(1, reps + 1):
        for c in conc:
            g = gr.gr_curve(c, grinf, gec50, h) + rng.normal(0, 0.005)
            x = x0 * 2 ** (np.log2(g + 1) * np.log2(xctrl / x0))
            rows.append(("MCF7", "nutlin-3a", "-", rep, 72, c, x, xctrl, x0))
    return pd.DataFrame(
        rows,
        columns=[
            "cell_line",
            "agent",
            "perturbation",
            "replicate",
            "time",
            "concentration",
            "cell_count",
            "cell_count__ctrl",
            "cell_count__time0",
        ],
    )


def test_replicates_fitted_one_by_one_like_gr50():
    results = gr.fit_gr_table(_planted_counts())
    assert [r.keys["replicate"] for r in results] == [1, 2, 3]
    assert all(r.n == 9 and r.ok for r in results)


def test_planted_counts_recovered():
    (r,) = gr.fit_gr_table(_planted_counts(), pool_replicates=True)
    assert r.ok and not r.flat
    assert r.keys == {"cell_line": "MCF7", "agent": "nutlin-3a", "perturbation": "-", "time": 72}
    assert r.n == 9  # replicates averaged per concentration
    assert r.GRinf == pytest.approx(-0.2, abs=0.01)
    assert r.GEC50 == pytest.approx(0.3, rel=0.05)
    assert r.Hill == pytest.approx(1.6, rel=0.05)
    # GR50 from the planted curve: (c/GEC50)^h = 0.5/(0.5 - GRinf)
    assert r.GR50 == pytest.approx(0.3 * (0.5 / 0.7) ** (1 / 1.6), rel=0.05)
    assert r.predict([r.GR50])[0] == pytest.approx(0.5, abs=1e-9)


def test_too_few_concentrations_is_a_status_not_an_exception():
    r = gr.fit_gr([0.1, 1.0], [0.9, 0.2])
    assert r.status == "not_estimable" and "at least 3" in r.message


def test_bad_concentration_raises():
    with pytest.raises(ValueError, match="concentration"):
        gr.fit_gr([0.1, -1.0, 1.0], [0.9, 0.5, 0.2])


def test_cli_json_contract(tmp_path):
    t = _planted_counts()
    t2 = t.copy()
    t2["agent"] = "DMSO-like"
    t2["cell_count"] = t2["cell_count__ctrl"] * (
        1 + np.random.default_rng(2).normal(0, 0.01, len(t2))
    )
    path = tmp_path / "gr.tsv"
    pd.concat([t, t2]).to_csv(path, sep="\t", index=False)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["fit", "gr", str(path), "--json"]) == 0
    rows = json.loads(buf.getvalue())
    assert len(rows) == 6  # 2 agents x 3 replicates
    for row in rows:
        for k in ("cell_line", "agent", "perturbation", "replicate", "time", *gr.METRICS):
            assert k in row
    flat = next(r for r in rows if r["agent"] == "DMSO-like")
    assert flat["GR50"] == "Inf"
    active = next(r for r in rows if r["agent"] == "nutlin-3a")
    assert isinstance(active["GR50"], float) and active["GR50"] > 0


def test_cli_bad_input(tmp_path, capsys):
    path = tmp_path / "gr.tsv"
    t = _planted_counts()
    t["cell_count"] = t["cell_count"].astype(object)
    t.loc[4, "cell_count"] = "n/a?"
    t.to_csv(path, sep="\t", index=False)
    assert main(["fit", "gr", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "row 6" in err and "cell_count" in err and "Traceback" not in err
    path.write_text("agent\tconcentration\nA\t1\n")
    assert main(["fit", "gr", str(path)]) == 2
    assert "cell_count" in capsys.readouterr().err
