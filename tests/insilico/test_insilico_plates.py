"""In-silico CellTiter-Glo and Caspase-Glo 3/7 plates, read back by p53lab.assays.plates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab import insilico
from p53lab.assays import plates
from p53lab.errors import FileFormatError, ParameterError
from p53lab.io.plates import read_layout, read_plate

N0 = 8000.0  # cells per vehicle well at read-out (DOMAIN.md §4: 5,000–10,000 seeded)
PLANTED = {"nutlin-3a": (300.0, 1.2), "idasanutlin": (30.0, 1.0)}  # IC50 nM, Hill slope
FLOOR = 0.05  # fraction of vehicle cells left at saturating dose


def viable(compound: str, conc_nM: float) -> float:
    """Planted LL4 in cells: N0·(FLOOR + (1 − FLOOR)/(1 + (c/IC50)^h)); staurosporine kills."""
    if compound == "staurosporine":
        return 0.0
    if conc_nM == 0:
        return N0
    ic50, h = PLANTED[compound]
    return N0 * (FLOOR + (1 - FLOOR) / (1 + (conc_nM / ic50) ** h))


@pytest.fixture(scope="module")
def layout():
    return insilico.dilution_layout(list(PLANTED), 10_000.0, n_points=9, dilution=3, replicates=3)


def test_dilution_layout_is_standard_and_lint_clean():
    lay = insilico.dilution_layout(["a", "b"], 10_000.0, n_points=9, dilution=3, replicates=3)
    assert plates.lint_layout(lay, 96) == []
    a = lay[(lay["compound"] == "a") & (lay["replicate"] == "1")]
    conc = a["concentration"].astype(float).to_numpy()
    np.testing.assert_allclose(conc, 10_000.0 / 3.0 ** np.arange(9), rtol=1e-5)  # 6 digits
    assert a["well"].tolist()[0] == "A02" and a["well"].tolist()[-1] == "A10"
    roles = lay.groupby("role").size().to_dict()
    assert roles == {"sample": 54, "vehicle": 6, "positive": 6, "blank": 6}
    assert set(lay.loc[lay.role == "vehicle", "well"].str[1:]) == {"01"}
    assert set(lay.loc[lay.role == "blank", "well"].str[1:]) == {"12"}
    # 384 wells, 1:10 in duplicate, 4 compounds, no positive control
    big = insilico.dilution_layout(
        ["a", "b", "c", "d"],
        [1e4, 1e3, 1e4, 1e5],
        dilution=10,
        replicates=2,
        n_wells=384,
        positive=None,
    )
    assert plates.lint_layout(big, 384) == []
    d = big[(big.compound == "d") & (big.replicate == "2")]["concentration"].astype(float)
    np.testing.assert_allclose(d, 1e5 / 10.0 ** np.arange(9), rtol=1e-5)
    assert "positive" not in set(big.role)


def test_dilution_layout_bad_input():
    with pytest.raises(ParameterError, match=r"3 compound.*9 rows.*has 8"):
        insilico.dilution_layout(["a", "b", "c"], 1000.0, replicates=3)
    with pytest.raises(ParameterError, match=r"'n_points' parameter of dilution_layout"):
        insilico.dilution_layout("a", 1000.0, n_points=11)
    with pytest.raises(ParameterError, match=r"'dilution' parameter.*> 1.*Got 1"):
        insilico.dilution_layout("a", 1000.0, dilution=1)
    with pytest.raises(ParameterError, match=r"'top_conc_nM' parameter.*Got nan"):
        insilico.dilution_layout("a", math.nan)


def test_noise_free_plate_reads_back_exactly(tmp_path, layout):
    """cv = 0 and a constant background: after blank subtraction the % of vehicle is exactly
    100·cells/N0 (to the whole-RLU rounding of the export, < 1e-3 %)."""
    w = insilico.write_celltiter_glo(tmp_path, layout, viable, cv=0.0, background_cv=0.0, seed=0)
    assert set(w.paths) == {"plate", "layout", "truth", "provenance"}
    res = plates.fit(w["plate"], w["layout"])
    t = res.table()
    assert res.plates[0]["blank_mean"] == insilico.plates.CTG_BACKGROUND_RLU
    s = t[t.role == "sample"]
    expected = [
        100 * viable(c, x) / N0 for c, x in zip(s.compound, s.concentration_nM, strict=True)
    ]
    np.testing.assert_allclose(s["percent"], expected, atol=1e-3)
    truth = pd.read_csv(w["truth"])
    assert (truth["rlu"] == np.rint(truth["expected_rlu"])).all()
    np.testing.assert_allclose(
        truth["expected_rlu"],
        insilico.plates.CTG_RLU_PER_CELL * truth["viable_cells"]
        + insilico.plates.CTG_BACKGROUND_RLU,
    )


def test_ic50_round_trip(tmp_path, layout):
    """Default noise (6 % CV): the LL4 fit recovers the planted IC50 inside its 95 % CI and
    within 15 %, and the Hill slope within 20 %."""
    w = insilico.write_celltiter_glo(tmp_path, layout, viable, seed=11)
    res = plates.fit(w["plate"], w["layout"], curves=True)
    assert res.ok and not res.plates[0]["edge_effect"]
    by = {c["compound"]: c for c in res.curves}
    for name, (ic50, h) in PLANTED.items():
        c = by[name]
        assert c["status"] == "ok"
        assert c["parameters"]["e"] == pytest.approx(ic50, rel=0.15), name
        assert c["ed"]["50"]["lower"] < ic50 < c["ed"]["50"]["upper"], name
        assert c["parameters"]["b"] == pytest.approx(h, rel=0.2), name
        assert c["parameters"]["c"] == pytest.approx(100 * FLOOR, abs=5), name


def test_z_prime_matches_the_noise_model(tmp_path):
    """48 vehicle and 47 kill wells: Z′ = 1 − 3(σ_pos + σ_veh)/|μ_veh − μ_pos| with
    σ_veh = cv·k·N0, σ_pos = cv_B·B (Zhang et al. 1999), here 0.8198; the sample SD of 48
    wells is within ~10 %, so Z′ within 0.06."""
    rows = []
    for r in "ABCDEFGH":
        for c in range(1, 13):
            if r == "H" and c == 12:  # one sample well: plates.fit wants something to analyse
                rows.append((f"{r}{c}", "nutlin-3a", "1", "nM", "1", "sample"))
            elif c <= 6:
                rows.append((f"{r}{c}", "", "", "", "", "vehicle"))
            else:
                rows.append((f"{r}{c}", "staurosporine", "1000", "nM", "", "positive"))
    lay = pd.DataFrame(
        rows, columns=["well", "compound", "concentration", "unit", "replicate", "role"]
    )
    w = insilico.write_celltiter_glo(tmp_path, lay, viable, seed=5)
    qc = plates.fit(w["plate"], w["layout"]).plates[0]
    k, b = insilico.plates.CTG_RLU_PER_CELL, insilico.plates.CTG_BACKGROUND_RLU
    expected = 1 - 3 * (0.06 * k * N0 + 0.10 * b) / (k * N0)
    assert qc["z_prime"] == pytest.approx(expected, abs=0.06)
    assert qc["vehicle_cv_pct"] == pytest.approx(6.0, abs=1.5)
    assert qc["signal_to_background"] == pytest.approx((k * N0 + b) / b, rel=0.1)


@pytest.mark.parametrize("factor", [0.8, 1.0])
def test_edge_effect_is_what_plate_qc_sees(tmp_path, layout, factor):
    w = insilico.write_celltiter_glo(tmp_path, layout, viable, seed=3, edge_factor=factor)
    qc = plates.fit(w["plate"], w["layout"]).plates[0]
    assert qc["edge_effect"] is (factor != 1.0)
    if factor != 1.0:
        assert qc["edge_ratio"] == pytest.approx(factor, abs=0.05)


def test_caspase_glo_fold_over_vehicle(tmp_path, layout):
    """Caspase signal = k_apo·A + k_live·L: blank-corrected signal over the vehicle's equals
    (k_apo·A + k_live·L)/(k_apo·A0 + k_live·L0) — exactly without noise, and within 4 standard
    errors (cv/√3 per triplicate mean, cv/√6 for the vehicle) with the default 6 % CV."""

    def apo(compound, c):  # apoptotic fraction rising from 5 % to 60 % (nutlin) at 24 h
        if compound == "staurosporine":
            return 0.9 * N0
        ic50 = PLANTED.get(compound, (1.0, 1.0))[0]
        return N0 * (0.05 + 0.55 * c / (c + ic50))

    def live(compound, c):
        return N0 - apo(compound, c)

    ka = insilico.plates.CASPASE_RLU_PER_APOPTOTIC_CELL
    kl = insilico.plates.CASPASE_RLU_PER_LIVE_CELL
    for cv, tol_fn in (
        (0.0, lambda n: 1e-4),
        (0.06, lambda n: 4 * 0.06 * math.sqrt(1 / n + 1 / 6)),
    ):
        w = insilico.write_caspase_glo(
            tmp_path / f"cv{cv}", layout, apo, live, cv=cv, background_cv=0.0, seed=8
        )
        t = plates.fit(w["plate"], w["layout"]).table()
        veh = t.loc[t.role == "vehicle", "corrected"].mean()
        s = t[t.role == "sample"].groupby(["compound", "concentration_nM"])["corrected"]
        for (comp, c), g in s:
            expected = (ka * apo(comp, c) + kl * live(comp, c)) / (
                ka * apo("", 0) + kl * live("", 0)
            )
            assert g.mean() / veh == pytest.approx(expected, rel=tol_fn(len(g))), (comp, c)


def test_same_seed_same_bytes(tmp_path, layout):
    a = insilico.write_celltiter_glo(tmp_path / "a", layout, viable, seed=42)
    b = insilico.write_celltiter_glo(tmp_path / "b", layout, viable, seed=42)
    c = insilico.write_celltiter_glo(tmp_path / "c", layout, viable, seed=43)
    for role in a.paths:
        assert a[role].read_bytes() == b[role].read_bytes(), role
    assert a["plate"].read_bytes() != c["plate"].read_bytes()
    assert a.provenance["seed"] == 42 and a.provenance["writer"].endswith("write_celltiter_glo")
    assert list(a) == list(a.paths.values()) and len(a) == 4
    with pytest.raises(ParameterError, match=r"No file with role 'fcs'.*roles: plate"):
        a["fcs"]


def test_layout_file_round_trip_and_mapping_input(tmp_path, layout):
    """A layout written by one writer is read by the next; cells may come as a mapping."""
    w = insilico.write_celltiter_glo(tmp_path / "a", layout, viable, cv=0, background_cv=0)
    lay = read_layout(w["layout"])
    cells = {
        r.well: viable(r.compound, float(r.concentration or 0))
        for r in lay.itertuples()
        if r.role != "blank"
    }
    w2 = insilico.write_celltiter_glo(tmp_path / "b", w["layout"], cells, cv=0, background_cv=0)
    assert w["plate"].read_bytes() == w2["plate"].read_bytes()
    f = read_plate(w2["plate"])
    assert f.attrs["n_wells"] == 96 and f["value"].notna().sum() == len(layout)


def test_bad_inputs_name_argument_and_value(tmp_path, layout):
    with pytest.raises(
        ParameterError, match=r"'viable_cells'.*>= 0.*Got -5.0 for well A01 \(vehicle\)"
    ):
        insilico.write_celltiter_glo(tmp_path, layout, lambda c, x: -5.0)
    with pytest.raises(ParameterError, match=r"'viable_cells'.*Got nan for well A01 \(vehicle"):
        insilico.write_celltiter_glo(tmp_path, layout, lambda c, x: math.nan)
    with pytest.raises(ParameterError, match=r"no value for well A01"):
        insilico.write_celltiter_glo(tmp_path, layout, {"B2": 10.0})
    with pytest.raises(ParameterError, match=r"'viable_cells' function .* failed for well"):
        insilico.write_celltiter_glo(tmp_path, layout, lambda c, x: {}["missing"])
    with pytest.raises(ParameterError, match=r"'cv' parameter of write_celltiter_glo"):
        insilico.write_celltiter_glo(tmp_path, layout, viable, cv=-0.1)
    with pytest.raises(ParameterError, match=r"'seed' parameter.*Got -1"):
        insilico.write_celltiter_glo(tmp_path, layout, viable, seed=-1)
    with pytest.raises(ParameterError, match=r"'apoptotic_cells'.*Got inf"):
        insilico.write_caspase_glo(tmp_path, layout, math.inf, 100.0)
    bad = layout.copy()
    bad.loc[0, "role"] = "postive"
    bad.loc[1, "concentration"] = "-3"
    with pytest.raises(FileFormatError, match=r"(?s)2 problem\(s\).*postive.*negative"):
        insilico.write_celltiter_glo(tmp_path, bad, viable)


@settings(max_examples=25, deadline=None)
@given(
    cells=st.lists(
        st.floats(0, 50_000, allow_nan=False, allow_infinity=False), min_size=96, max_size=96
    ),
    seed=st.integers(0, 2**32 - 1),
    cv=st.floats(0, 0.3),
)
def test_any_cell_counts_give_a_readable_finite_plate(tmp_path_factory, cells, seed, cv):
    """Property: whatever the (valid) cells, the file reads back, every laid-out well holds a
    finite reading >= 0, and the blank wells read the background alone."""
    lay = insilico.dilution_layout(["a", "b"], 1000.0, replicates=4, positive=None)
    by_well = dict(zip([f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13)], cells, strict=True))
    d = tmp_path_factory.mktemp("prop")
    w = insilico.write_celltiter_glo(d, lay, by_well, seed=seed, cv=cv)
    f = read_plate(w["plate"]).merge(lay.assign(well=lay.well), on="well")
    assert len(f) == len(lay) and np.isfinite(f["value"]).all() and (f["value"] >= 0).all()
    truth = pd.read_csv(w["truth"])
    numbers = truth[["col", "conc_nM", "viable_cells", "edge_factor", "expected_rlu", "rlu"]]
    assert np.isfinite(numbers.to_numpy(float)).all()
    assert (truth.loc[truth.role == "blank", "viable_cells"] == 0).all()
