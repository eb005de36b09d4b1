"""In-silico Annexin V / PI and PI DNA-content FCS files, read back by p53lab.flow."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab import insilico
from p53lab.errors import ParameterError
from p53lab.flow import SingletGate, Spillover, apoptosis, cell_cycle, read_fcs
from p53lab.insilico.flow import APOPTOSIS_CLASSES, CELL_CYCLE_CLASSES, DEFAULT_SPILLOVER

TOL_PP = 2.0  # percentage points, at 20,000 events
FSC_GATE = 25_000.0  # debris lies below 15,000 FSC-A, the smallest cells above ~25,000


def fsc_gated(path):
    """The FSC-A gate a user draws around the cells (debris out), as an FcsData."""
    d = read_fcs(path)
    return dataclasses.replace(d, events=d.events[d.column("FSC-A") > FSC_GATE])


def _apoptosis(files, spill):
    return apoptosis.fit(
        fsc_gated(files["sample"]),
        "Annexin V",
        "PI",
        unstained=fsc_gated(files["unstained"]),
        percentile=99.9,
        spillover="file" if spill else None,
    )


@pytest.fixture(scope="module")
def apo(tmp_path_factory):
    frac = dict(live=0.55, early_apoptotic=0.2, late_apoptotic=0.18, necrotic=0.07)
    d = tmp_path_factory.mktemp("apo")
    return frac, insilico.write_annexin_pi(d, frac, 20_000, seed=7, spillover=True)


def test_annexin_pi_files_and_channels(apo):
    _, w = apo
    assert set(w.paths) == {"sample", "unstained", "truth", "provenance"}
    s = read_fcs(w["sample"])
    assert s.version == "3.1" and s.n_events == 20_000
    assert s.pnn == ("FSC-A", "FSC-H", "SSC-A", "FITC-A", "PE-A", "Time")
    assert s.index("Annexin V") == 3 and s.index("PI") == 4
    sp = Spillover.from_keyword(s.keywords["spillover"])
    np.testing.assert_allclose(sp.matrix, DEFAULT_SPILLOVER)
    assert np.isfinite(s.events).all() and (s.events[:, :5] < 262144).all()
    t = s.column("Time")  # acquisition order, ticks × $TIMESTEP = seconds
    assert np.all(np.diff(t) >= 0) and t[-1] == pytest.approx(20_000 / 2000, rel=0.05)
    truth = pd.read_csv(w["truth"])
    assert len(truth) == 20_000
    assert set(truth.population) == {*APOPTOSIS_CLASSES, "debris"}
    assert (truth.population == "debris").sum() == round(0.02 * 20_000)
    u = read_fcs(w["unstained"])
    # unstained: nothing bright on the Annexin axis (autofluorescence 250, σ_ln 0.45)
    assert np.percentile(u.column("FITC-A"), 99.9) < 2000


def test_annexin_pi_round_trip(apo):
    """FSC gate, unstained 99.9th-percentile thresholds, compensation from $SPILLOVER: every
    quadrant within 2 pp of the planted fraction and within 1 pp of the realised one."""
    frac, w = apo
    r = _apoptosis(w, spill=True)
    truth = pd.read_csv(w["truth"])
    cells = truth[truth.population != "debris"].population
    for k in APOPTOSIS_CLASSES:
        got = getattr(r, f"{k}_pct")
        assert got == pytest.approx(100 * frac[k], abs=TOL_PP), k
        assert got == pytest.approx(100 * np.mean(cells == k), abs=1.0), k
    assert r.n_events == len(cells)  # the FSC gate removed exactly the debris


def test_uncompensated_spillover_shows(apo):
    """Left uncompensated, FITC spill (15 %) lifts bright Annexin events over the PI
    threshold: early apoptotic cells are counted late — the file carries real spillover."""
    frac, w = apo
    r = apoptosis.fit(
        fsc_gated(w["sample"]),
        "FITC-A",
        "PE-A",
        unstained=fsc_gated(w["unstained"]),
        percentile=99.9,
    )
    assert r.late_apoptotic_pct > 100 * frac["late_apoptotic"] + 5


def test_density_valley_without_controls(tmp_path):
    """No debris, no spillover, no control: the density valley on a logicle scale finds the
    same quadrants."""
    frac = dict(live=0.7, early=0.12, late=0.1, necrotic=0.08)
    w = insilico.write_annexin_pi(
        tmp_path, frac, 20_000, seed=2, debris_fraction=0.0, unstained=False
    )
    assert set(w.paths) == {"sample", "truth", "provenance"}
    r = apoptosis.fit(w["sample"], "FITC-A", "PE-A", transform="logicle")
    assert r.annexin_threshold_method == "density valley"
    for k, key in (
        ("live", "live"),
        ("early", "early_apoptotic"),
        ("late", "late_apoptotic"),
        ("necrotic", "necrotic"),
    ):
        assert getattr(r, f"{key}_pct") == pytest.approx(100 * frac[k], abs=TOL_PP), k


@settings(max_examples=12, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0.1),
    seed=st.integers(0, 2**32 - 1),
    spill=st.booleans(),
)
def test_property_fractions_round_trip(tmp_path_factory, weights, seed, spill):
    """Property: any fractions → FCS → apoptosis.fit → the same fractions within 2 pp."""
    total = sum(weights)
    frac = dict(zip(APOPTOSIS_CLASSES, [x / total for x in weights], strict=True))
    frac["live"] = 1.0 - sum(v for k, v in frac.items() if k != "live")
    w = insilico.write_annexin_pi(
        tmp_path_factory.mktemp("p"), frac, 20_000, seed=seed, spillover=spill
    )
    r = _apoptosis(w, spill)
    for k in APOPTOSIS_CLASSES:
        assert getattr(r, f"{k}_pct") == pytest.approx(100 * frac[k], abs=TOL_PP), k


# ---- PI DNA content ---------------------------------------------------------------------------

PROFILES = {
    # fractions of single cells; illustrative of the experiments in DOMAIN.md §4
    "asynchronous": dict(sub_g1=0.03, g1=0.52, s=0.30, g2m=0.15),
    "g1_arrest": dict(sub_g1=0.05, g1=0.75, s=0.08, g2m=0.12),  # p21 after an MDM2 inhibitor
    "apoptotic": dict(sub_g1=0.25, g1=0.45, s=0.15, g2m=0.15),
    "g2m_arrest": dict(sub_g1=0.04, g1=0.25, s=0.21, g2m=0.50),
}


@pytest.fixture(scope="module")
def pi_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pi")
    return {
        name: insilico.write_pi_cell_cycle(d, frac, 20_000, seed=i, name=name)
        for i, (name, frac) in enumerate(PROFILES.items())
    }


def _planted_pct(frac, w):
    cyc = frac["g1"] + frac["s"] + frac["g2m"]
    prov = w.provenance["parameters"]
    n_cells = prov["n_events"] - prov["n_doublets"] - prov["n_debris"]
    sub = 100 * (frac["sub_g1"] * n_cells + prov["n_debris"]) / (n_cells + prov["n_debris"])
    return {
        "g1": 100 * frac["g1"] / cyc,
        "s": 100 * frac["s"] / cyc,
        "g2m": 100 * frac["g2m"] / cyc,
        "sub_g1": sub,
    }


@pytest.mark.parametrize("model", ["watson", "djf"])
@pytest.mark.parametrize("profile", list(PROFILES))
def test_cell_cycle_round_trip(pi_files, profile, model):
    """Width singlet gate, then Watson or Dean–Jett–Fox: G1, S, G2/M (of cycling cells) and
    sub-G1 + debris (of singlets) within 2 pp of the planted values; G1 position within 1 %,
    CV within 0.5 points, G2/G1 within 0.03 (planted 50,000, 4 %, 1.95)."""
    w = pi_files[profile]
    r = cell_cycle.fit(w["sample"], "PI-A", model=model, singlets=SingletGate("PI-A", width="PI-W"))
    assert r.status == "ok", r.message
    for k, v in _planted_pct(PROFILES[profile], w).items():
        assert getattr(r, f"{k}_pct") == pytest.approx(v, abs=TOL_PP), k
    assert r.g1_mean == pytest.approx(50_000, rel=0.01)
    assert r.g1_cv == pytest.approx(4.0, abs=0.5)
    assert r.g2_g1_ratio == pytest.approx(1.95, abs=0.03)


def test_pi_files_and_truth(pi_files):
    w = pi_files["asynchronous"]
    s = read_fcs(w["sample"])
    assert s.pnn == ("FSC-A", "SSC-A", "PI-A", "PI-H", "PI-W") and s.index("PI") == 2
    assert np.isfinite(s.events).all() and (s.events >= 0).all()
    truth = pd.read_csv(w["truth"])
    assert len(truth) == s.n_events == 20_000
    assert set(truth.population) == {*CELL_CYCLE_CLASSES, "debris", "doublet"}
    # the file's PI-A is content · G1 position · (1 + cv·z): per population, ratio ≈ 1
    pop = truth.population.to_numpy()
    g1 = s.column("PI-A")[pop == "g1"]
    assert np.mean(g1) == pytest.approx(50_000, rel=0.005)
    assert np.std(g1) / np.mean(g1) == pytest.approx(0.04, rel=0.05)
    # the width gate an analyst uses keeps the single cells and drops the doublets
    kept = SingletGate("PI-A", width="PI-W").apply(s).mask
    assert np.mean(kept[pop == "doublet"]) < 0.05
    assert np.mean(kept[pop != "doublet"]) > 0.95


def test_doublets_are_what_the_gate_removes(tmp_path):
    """Without the singlet gate, G1+G1 doublets (10 % of events here) sit on G2/M and
    inflate it; with the gate G2/M is right."""
    frac = PROFILES["asynchronous"]
    w = insilico.write_pi_cell_cycle(tmp_path, frac, 20_000, seed=1, doublet_fraction=0.1)
    g2m = _planted_pct(frac, w)["g2m"]
    raw = cell_cycle.fit(w["sample"], "PI-A", model="watson")
    gated = cell_cycle.fit(
        w["sample"], "PI-A", model="watson", singlets=SingletGate("PI-A", width="PI-W")
    )
    assert raw.g2m_pct > g2m + TOL_PP
    assert gated.g2m_pct == pytest.approx(g2m, abs=TOL_PP)


@settings(max_examples=15, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: w[1] > 0.05),
    n=st.integers(500, 5000),
    seed=st.integers(0, 2**32 - 1),
    cv=st.floats(1.0, 8.0),
)
def test_property_pi_writer(tmp_path_factory, weights, n, seed, cv):
    """Property: the written file holds n finite, on-scale events, and the truth file's
    realised fractions match the planted ones within 5 binomial standard errors."""
    total = sum(weights)
    frac = dict(zip(CELL_CYCLE_CLASSES, [x / total for x in weights], strict=True))
    frac["g1"] = 1.0 - frac["sub_g1"] - frac["s"] - frac["g2m"]
    w = insilico.write_pi_cell_cycle(tmp_path_factory.mktemp("p"), frac, n, seed=seed, g1_cv_pct=cv)
    s = read_fcs(w["sample"])
    assert s.n_events == n and np.isfinite(s.events).all()
    assert (s.events >= 0).all() and (s.events < 262144).all()
    pops = pd.read_csv(w["truth"]).population
    cells = pops[pops.isin(CELL_CYCLE_CLASSES)]
    for k in CELL_CYCLE_CLASSES:
        se = math.sqrt(max(frac[k] * (1 - frac[k]), 1e-12) / len(cells))
        assert np.mean(cells == k) == pytest.approx(frac[k], abs=5 * se + 1e-9), k


def test_same_seed_same_bytes(tmp_path):
    frac = dict(live=0.5, early=0.3, late=0.1, necrotic=0.1)
    a = insilico.write_annexin_pi(tmp_path / "a", frac, 2000, seed=9, spillover=True)
    b = insilico.write_annexin_pi(tmp_path / "b", frac, 2000, seed=9, spillover=True)
    c = insilico.write_annexin_pi(tmp_path / "c", frac, 2000, seed=10, spillover=True)
    for role in a.paths:
        assert a[role].read_bytes() == b[role].read_bytes(), role
    assert a["sample"].read_bytes() != c["sample"].read_bytes()
    cc = dict(sub_g1=0.1, g1=0.5, s=0.25, g2m=0.15)
    x = insilico.write_pi_cell_cycle(tmp_path / "a", cc, 2000, seed=9)
    y = insilico.write_pi_cell_cycle(tmp_path / "b", cc, 2000, seed=9)
    assert all(x[r].read_bytes() == y[r].read_bytes() for r in x.paths)


def test_bad_inputs_name_argument_and_value(tmp_path):
    good = dict(live=0.5, early=0.3, late=0.1, necrotic=0.1)
    with pytest.raises(
        ParameterError,
        match=r"'fractions' parameter of write_annexin_pi must "
        r"sum to 1.*sum 0\.9",
    ):
        insilico.write_annexin_pi(tmp_path, {**good, "live": 0.4}, 1000)
    with pytest.raises(ParameterError, match=r"fractions\['early'\].*\[0, 1\].*Got -0\.1"):
        insilico.write_annexin_pi(tmp_path, {**good, "early": -0.1, "live": 0.7}, 1000)
    with pytest.raises(ParameterError, match=r"fractions\['late'\].*finite.*Got nan"):
        insilico.write_annexin_pi(tmp_path, {**good, "late": math.nan}, 1000)
    with pytest.raises(ParameterError, match=r"unknown key 'dead'"):
        insilico.write_annexin_pi(tmp_path, {**good, "dead": 0.0}, 1000)
    with pytest.raises(ParameterError, match=r"'n_events'.*>= 500.*Got 10"):
        insilico.write_annexin_pi(tmp_path, good, 10)
    with pytest.raises(ParameterError, match=r"'spillover'.*2×2"):
        insilico.write_annexin_pi(tmp_path, good, 1000, spillover=[[1, 0.1, 0]])
    cc = dict(sub_g1=0.1, g1=0.5, s=0.25, g2m=0.15)
    with pytest.raises(ParameterError, match=r"'g1_cv_pct'.*Got 0"):
        insilico.write_pi_cell_cycle(tmp_path, cc, 1000, g1_cv_pct=0)
    with pytest.raises(ParameterError, match=r"'g1_mean'.*Got 200000"):
        insilico.write_pi_cell_cycle(tmp_path, cc, 1000, g1_mean=200_000)
    with pytest.raises(ParameterError, match=r"some cycling cells"):
        insilico.write_pi_cell_cycle(tmp_path, dict(sub_g1=1.0), 1000)
    with pytest.raises(ParameterError, match=r"'out_dir'.*existing file"):
        (tmp_path / "file").write_text("x")
        insilico.write_pi_cell_cycle(tmp_path / "file", cc, 1000)
