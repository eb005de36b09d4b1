"""The observation file: accepted keys, unknown keys reported, bad values refused with the
file and the key named; the vocabulary and the shape of the answer."""

from __future__ import annotations

import math

import pytest

import p53lab.advisor as advisor
from p53lab.advisor import CAUSES, OBSERVATION_KEYS, advise, load_observations, validate
from p53lab.errors import CatalogError, FileFormatError, ParameterError

VOCABULARY = {
    "tp53_not_wild_type", "low_mdm2", "dose_or_time", "assay_sensitivity",
    "arrest_not_apoptosis", "bcl2_high", "survival_signalling", "mdmx_high", "efflux",
    "acquired_tp53_mutation", "mdm2_upregulation", "culture_variability", "off_target",
    "expected_feedback",
}  # fmt: skip
BRIEF_KEYS = {
    "p53_fold", "mdm2_fold", "p21_fold", "apoptosis_pct", "g1_arrest_pct", "g2m_arrest_pct",
    "ic50_nM", "ic50_fold_change_over_time", "replicate_cv_pct", "mdmx_fold", "bcl2_fold",
    "efflux_inhibitor_reverses", "hours", "conc_nM",
}  # fmt: skip


def test_vocabulary_and_documentation():
    assert set(CAUSES) == VOCABULARY
    assert BRIEF_KEYS <= set(OBSERVATION_KEYS)
    for name, cause in CAUSES.items():
        assert cause.next_experiments, name
        assert name in advisor.__doc__, f"{name} missing from the package table"


def test_unknown_keys_are_reported_not_ignored():
    clean, warnings = validate(
        {"compound": "nutlin-3a", "cel_line": "SJSA-1",
         "observations": {"p53_fold": 2.0, "p21_fodl": 3.0}},
        "x.yaml",
    )  # fmt: skip
    assert clean["observations"] == {"p53_fold": 2.0}
    assert len(warnings) == 2
    assert "'cel_line'" in warnings[0] and "'cell_line'" in warnings[0]  # suggestion
    assert "observations.'p21_fodl'" in warnings[1] and "'p21_fold'" in warnings[1]
    ranked = advise({"observations": {"replicate_cv_pct": 40, "foo": 1}}, simulate=False)
    assert any("'foo'" in w for w in ranked.warnings)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("p53_fold", -1.0),
        ("p53_fold", math.nan),
        ("mdm2_fold", "high"),
        ("p21_fold", True),
        ("apoptosis_pct", 120.0),
        ("hours", 0.0),
        ("hours", 1000.0),
        ("conc_nM", -5.0),
        ("ic50_nM", 0.0),
        ("efflux_inhibitor_reverses", 1.0),
        ("replicate_cv_pct", math.inf),
    ],
)
def test_bad_values_name_the_file_and_key(key, value):
    with pytest.raises(ParameterError) as e:
        validate({"observations": {key: value}}, "obs.yaml")
    msg = str(e.value)
    assert "obs.yaml" in msg and f"observations.{key}" in msg and "Got" in msg


def test_bad_top_level_values():
    with pytest.raises(CatalogError, match=r"obs.yaml: key 'compound'"):
        validate({"compound": "no-such-drug"}, "obs.yaml")
    with pytest.raises(CatalogError, match=r"obs.yaml: key 'cell_line'"):
        validate({"cell_line": "HeLa-XYZ"}, "obs.yaml")
    with pytest.raises(ParameterError, match="tp53_status"):
        validate({"tp53_status": "sort of"}, "obs.yaml")
    with pytest.raises(FileFormatError, match="mapping"):
        validate(["p53_fold", 2], "obs.yaml")
    with pytest.raises(FileFormatError, match="'observations' must be a mapping"):
        validate({"observations": [1, 2]}, "obs.yaml")


def test_load_observations_names_the_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("compound: nutlin-3a\nobservations:\n  p21_fold: -3\n")
    with pytest.raises(ParameterError, match=r"bad\.yaml.*observations\.p21_fold"):
        load_observations(f)
    g = tmp_path / "ok.yaml"
    g.write_text("tp53_status: wild-type\nobservations:\n  p21_fold: 3\n  extra: 1\n")
    data = load_observations(g)
    assert data["observations"]["extra"] == 1  # kept, so that advise reports it
    clean, warnings = validate(data, str(g))
    assert clean["tp53_status"] == "wild_type" and len(warnings) == 1


def test_answer_shape_and_order():
    ranked = advise(
        {"compound": "nutlin-3a", "cell_line": "SJSA-1", "tp53_status": "wild_type",
         "observations": {"p53_fold": 4.0, "mdm2_fold": 1.0, "p21_fold": 1.0}},
        simulate=False,
    )  # fmt: skip
    assert {d["cause"] for d in ranked} == VOCABULARY
    scores = [d["score"] for d in ranked]
    assert scores == sorted(scores, reverse=True)
    for d in ranked:
        assert {"cause", "score", "evidence", "next_experiments"} <= set(d)
        assert isinstance(d["score"], float)
        assert d["score"] == pytest.approx(d["rule_score"] + d["model_score"])
    assert ranked[0]["cause"] == "tp53_not_wild_type"
    assert ranked.provenance["simulated"] is False


def test_rules_known_answers():
    """Single rules, rules only: each control experiment's result moves its cause."""

    def top(obs, **kw):
        return advise({**kw, "observations": obs}, simulate=False)[0]["cause"]

    assert top({"efflux_inhibitor_reverses": True}) == "efflux"
    assert top({"ic50_fold_change_over_time": 50.0}) == "acquired_tp53_mutation"
    assert top({"mdmx_fold": 4.0}) == "mdmx_high"
    assert top({"bcl2_fold": 4.0}) == "bcl2_high"
    assert top({"mdm2_basal_fold": 0.2}) == "low_mdm2"
    assert top({"conc_nM": 0.0}) == "dose_or_time"
    assert top({"apoptosis_pct": 60.0}, tp53_status="null") == "off_target"
    assert top({"apoptosis_pct": 2.0}, tp53_status="null") == "tp53_not_wild_type"
    assert top({"p53_fold": 3.0, "mdm2_fold": 4.0}, compound="idasanutlin") == ("expected_feedback")
    no = advise({"observations": {"efflux_inhibitor_reverses": False}}, simulate=False)
    assert next(d for d in no if d["cause"] == "efflux")["score"] < 0


def test_rules_only_without_compound_says_so():
    ranked = advise({"observations": {"p53_fold": 1.0}})
    assert ranked.provenance["model_note"] == "no compound given: rules only"
    assert all(d["model"] is None for d in ranked)


def test_n_cells_is_checked():
    with pytest.raises(ParameterError, match="n_cells"):
        advise({}, n_cells=0)
