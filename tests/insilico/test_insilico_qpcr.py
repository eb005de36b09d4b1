"""In-silico Ct tables, read back by p53lab.assays.qpcr (ΔΔCt / Pfaffl)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab import insilico
from p53lab.assays import qpcr
from p53lab.errors import ParameterError

# Illustrative p53 target inductions after an MDM2 inhibitor (6–12 h, DOMAIN.md §4).
FOLDS = {
    "nutlin_1uM": {"CDKN1A": 4.0, "MDM2": 3.0, "BBC3": 2.0},
    "nutlin_10uM": {"CDKN1A": 12.0, "MDM2": 6.0, "BBC3": 4.0},
}


def _fit(w, efficiencies=None):
    return qpcr.fit(
        qpcr.read_ct_table(w["ct_table"]), "GAPDH", "vehicle", efficiencies=efficiencies
    )


def _log2_errors(res):
    return {
        (r["group"], r["gene"]): -r["delta_delta_ct"] - math.log2(FOLDS[r["group"]][r["gene"]])
        for r in res.rows
    }


def test_table_format(tmp_path):
    w = insilico.write_ct_table(tmp_path, FOLDS, seed=1)
    assert set(w.paths) == {"ct_table", "truth", "provenance"}
    t = pd.read_csv(w["ct_table"], dtype=str)
    assert list(t.columns) == ["well", "sample", "group", "gene", "replicate", "ct"]
    assert len(t) == 3 * 3 * 4 * 3  # groups × samples × genes × wells
    assert t["well"].is_unique and t["well"].iloc[0] == "A01"
    assert set(t["group"]) == {"vehicle", *FOLDS}
    ct = t["ct"].astype(float)
    assert ct.between(10, 40).all()
    gapdh = ct[t.gene == "GAPDH"]
    assert gapdh.mean() == pytest.approx(insilico.qpcr.DEFAULT_BASELINE_CT["GAPDH"], abs=0.5)
    truth = pd.read_csv(w["truth"])
    assert len(truth) == 6 and set(truth.columns) >= {"group", "gene", "fold_change"}


@pytest.mark.parametrize("efficiency", [2.0, {"CDKN1A": 1.9, "MDM2": 1.95, "BBC3": 1.85}])
def test_noise_free_folds_are_exact(tmp_path, efficiency):
    """No technical or biological noise, but 0.5 log2 of cDNA loading variation (which ΔCt
    removes): the fold changes come back to the 3-decimal rounding of Ct (|log2 err| < 0.005);
    with E ≠ 2 through the Pfaffl correction given the same efficiencies."""
    w = insilico.write_ct_table(
        tmp_path, FOLDS, seed=3, technical_sd=0.0, loading_sd=0.5, efficiency=efficiency
    )
    eff = efficiency if isinstance(efficiency, dict) else None
    res = _fit(w, eff)
    assert res.method == ("pfaffl" if eff else "delta-delta-ct")
    for key, err in _log2_errors(res).items():
        assert abs(err) < 0.005, key


def test_noisy_folds_within_the_predicted_error(tmp_path):
    """Default noise (technical SD 0.15 Ct, triplicate wells, three samples per group):
    predicted SD of log2 fold 0.10; every estimate within 4 SD (0.4) — and most within 0.2."""
    w = insilico.write_ct_table(tmp_path, FOLDS, seed=2024)
    errs = _log2_errors(_fit(w))
    sd = insilico.expected_log2_sd(3, 3, 0.15)
    assert sd == pytest.approx(0.1)
    assert all(abs(e) < 4 * sd for e in errs.values()), errs


def test_estimator_sd_matches_the_error_model(tmp_path):
    """Over 200 simulated experiments (E_target 1.9 with the Pfaffl correction, biological SD
    0.1, technical SD 0.15) the log2 fold errors have mean 0 (within 4 SE) and an SD within
    15 % of the analytic value (the SD of an SD estimate from 200 draws is ~5 %)."""
    errs = []
    for seed in range(200):
        w = insilico.write_ct_table(
            tmp_path,
            {"treated": {"CDKN1A": 5.0}},
            seed=seed,
            biological_sd=0.1,
            efficiency={"CDKN1A": 1.9, "GAPDH": 2.0},
        )
        (row,) = _fit(w, {"CDKN1A": 1.9}).rows
        errs.append(-row["delta_delta_ct"] - math.log2(5.0))
    errs = np.asarray(errs)
    sd = insilico.expected_log2_sd(3, 3, 0.15, 0.1, efficiency_target=1.9)
    assert abs(errs.mean()) < 4 * sd / math.sqrt(errs.size)
    assert errs.std(ddof=1) == pytest.approx(sd, rel=0.15)


def test_absent_and_late_targets_are_undetermined(tmp_path):
    """Fold 0 (no transcript) writes 'Undetermined' in every well; a Ct pushed past 40
    cycles too. qpcr flags them and the comparison is not estimable."""
    folds = {"p53_null": {"CDKN1A": 0.0, "BBC3": 0.25, "MDM2": 1.0}}
    w = insilico.write_ct_table(
        tmp_path, folds, seed=4, baseline_ct={"BBC3": 38.5}, technical_sd=0.0, loading_sd=0.0
    )
    t = pd.read_csv(w["ct_table"], dtype=str)
    assert (t.loc[(t.group == "p53_null") & (t.gene == "CDKN1A"), "ct"] == "Undetermined").all()
    assert (t.loc[(t.group == "p53_null") & (t.gene == "BBC3"), "ct"] == "Undetermined").all()
    assert (t.loc[t.group == "vehicle", "ct"] != "Undetermined").all()
    res = _fit(w)
    by = {r["gene"]: r for r in res.rows}
    assert by["CDKN1A"]["status"] == by["BBC3"]["status"] == "not_estimable"
    assert by["MDM2"]["fold_change"] == pytest.approx(1.0, abs=0.01)
    assert len(res.flagged) == 2 * 9


def test_same_seed_same_bytes(tmp_path):
    a = insilico.write_ct_table(tmp_path / "a", FOLDS, seed=8)
    b = insilico.write_ct_table(tmp_path / "b", FOLDS, seed=8)
    c = insilico.write_ct_table(tmp_path / "c", FOLDS, seed=9)
    assert all(a[r].read_bytes() == b[r].read_bytes() for r in a.paths)
    assert a["ct_table"].read_bytes() != c["ct_table"].read_bytes()


def test_bad_inputs_name_argument_and_value(tmp_path):
    with pytest.raises(ParameterError, match=r"fold_changes\['t'\]\['MDM2'\].*>= 0.*Got -2"):
        insilico.write_ct_table(tmp_path, {"t": {"MDM2": -2}})
    with pytest.raises(ParameterError, match=r"fold_changes\['t'\]\['MDM2'\].*finite.*Got nan"):
        insilico.write_ct_table(tmp_path, {"t": {"MDM2": math.nan}})
    with pytest.raises(ParameterError, match=r"reference gene 'GAPDH'.*fold 2"):
        insilico.write_ct_table(tmp_path, {"t": {"GAPDH": 2.0}})
    with pytest.raises(ParameterError, match=r"control group 'vehicle'"):
        insilico.write_ct_table(tmp_path, {"vehicle": {"MDM2": 2.0}, "t": {"MDM2": 2.0}})
    with pytest.raises(ParameterError, match=r"'baseline_ct'.*no value for gene 'XYZ1'"):
        insilico.write_ct_table(tmp_path, {"t": {"XYZ1": 2.0}})
    with pytest.raises(ParameterError, match=r"efficiency\['MDM2'\].*\(1, 2.5\].*Got 3"):
        insilico.write_ct_table(tmp_path, {"t": {"MDM2": 2.0}}, efficiency={"MDM2": 3})
    with pytest.raises(ParameterError, match=r"do not fit a 96-well plate"):
        insilico.write_ct_table(tmp_path, FOLDS, n_wells=96, n_technical=4)
    with pytest.raises(ParameterError, match=r"at least one group besides 'vehicle'"):
        insilico.write_ct_table(tmp_path, {"vehicle": {"MDM2": 1.0}})


@settings(max_examples=30, deadline=None)
@given(
    folds=st.lists(st.floats(1 / 64, 64), min_size=3, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    eff=st.floats(1.8, 2.0),
)
def test_property_noise_free_round_trip(tmp_path_factory, folds, seed, eff):
    """Property: any positive folds (1/64–64×) and efficiency come back exactly (noise off);
    the written table never holds NaN or a negative Ct."""
    genes = ("CDKN1A", "MDM2", "BBC3")
    w = insilico.write_ct_table(
        tmp_path_factory.mktemp("q"),
        {"t": dict(zip(genes, folds, strict=True))},
        seed=seed,
        technical_sd=0.0,
        efficiency=dict.fromkeys(genes, eff),
    )
    t = pd.read_csv(w["ct_table"], dtype=str)
    ct = pd.to_numeric(t["ct"], errors="coerce")
    assert (ct.isna() == (t["ct"] == "Undetermined")).all() and (ct.dropna() >= 0).all()
    res = _fit(w, dict.fromkeys(genes, eff))
    for r in res.rows:
        if r["status"] == "ok":
            f = folds[genes.index(r["gene"])]
            assert -r["delta_delta_ct"] == pytest.approx(math.log2(f), abs=0.01)
        else:  # only when a strongly reduced, late target passes 40 cycles
            assert folds[genes.index(r["gene"])] < 1
