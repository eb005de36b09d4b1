"""Built-in cell-level studies: what the guides claim, reproduced by the population model;
and study files with bad input refused with exit code 2."""

from __future__ import annotations

import json

import pytest
import yaml

from p53lab.cli import main
from p53lab.errors import ParameterError
from p53lab.studies.registry import builtin_studies, run_study


@pytest.mark.slow
def test_bcl2_high_turns_apoptosis_into_arrest_and_venetoclax_restores_it(tmp_path):
    s = run_study("bcl2-venetoclax", out=tmp_path)
    assert s["apoptosis_pct_bcl2_high"] < s["apoptosis_pct_bcl2_low"] - 20
    assert s["g1_arrest_pct_bcl2_high"] > s["g1_arrest_pct_bcl2_low"] + 20
    with_ven = s["apoptosis_pct_bcl2_high_with_venetoclax"]
    assert max(with_ven.values()) > s["apoptosis_pct_bcl2_high"] + 20
    assert s["bliss_status"] == "ok" and s["bliss_mean_score"] > 0
    assert (tmp_path / "bliss_scores.csv").exists()


@pytest.mark.slow
def test_pulsed_high_gives_apoptosis_continuous_low_gives_arrest_at_equal_auc(tmp_path):
    s = run_study("pulsed-vs-continuous", out=tmp_path)
    assert s["apoptosis_pct_pulsed"] > s["apoptosis_pct_continuous"] + 20
    assert s["arrest_pct_continuous"] > s["arrest_pct_pulsed"] + 20
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["apoptosis_pct_pulsed"] == pytest.approx(s["apoptosis_pct_pulsed"])


def _spec(tmp_path, **changes):
    data = yaml.safe_load(builtin_studies()["pulsed-vs-continuous"].read_text())
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    p = tmp_path / "study.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"compound": "nutlin-9"}, ["compound", "nutlin-9"]),
        ({"cell_line": "HeLa-X"}, ["cell_line", "HeLa-X"]),
        ({"continuous_conc_nM": -5}, ["continuous_conc_nM", "-5"]),
        ({"continuous_conc_nM": "5 uM"}, ["continuous_conc_nM", "nM"]),
        ({"pulse_fold": 0.5}, ["pulse_fold"]),
        ({"hourz": 48}, ["hourz", "hours"]),
        ({"kind": "westen"}, ["kind", "western"]),
    ],
)
def test_bad_study_files_name_the_field_and_exit_2(tmp_path, capsys, change, words):
    p = _spec(tmp_path, **change)
    out = tmp_path / "out"
    assert main(["study", "run", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not (out / "summary.json").exists()


def test_unknown_study_name_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="study list"):
        run_study("no-such-study", out=tmp_path)


def test_every_builtin_study_names_a_known_kind():
    from p53lab.studies.registry import study_kinds

    kinds = study_kinds()
    for name, path in builtin_studies().items():
        data = yaml.safe_load(path.read_text())
        assert data["name"] == name
        assert data["kind"] in kinds, name


@pytest.mark.slow
@pytest.mark.parametrize(
    ("study", "arm", "at_least"),
    [
        ("mdmx-overexpression", "MDMX 20x", 2.0),  # innate resistance by MDMX
        ("efflux-pump", "efflux 20x", 5.0),  # efflux pumps
        ("rescue-degradation-resistant-mdm2", "rescue construct", 10.0),  # on-target control
    ],
)
def test_resistance_controls_shift_the_plate_ic50(tmp_path, study, arm, at_least):
    s = run_study(study, out=tmp_path)
    assert s["arms"][arm]["ic50_shift_vs_first_arm"] >= at_least
    assert (tmp_path / s["arms"][arm]["plate"]).exists()


@pytest.mark.slow
def test_efflux_inhibitor_restores_the_parental_ic50(tmp_path):
    s = run_study("efflux-pump", out=tmp_path)
    assert s["arms"]["efflux 20x + inhibitor"]["ic50_shift_vs_first_arm"] < 1.5


@pytest.mark.slow
def test_tp53_mutant_arms_do_not_reach_an_ic50(tmp_path):
    s = run_study("tp53-wild-type-vs-mutant", out=tmp_path)
    for arm in ("KT-253 TP53 mutant", "milademetan TP53 mutant"):
        assert s["arms"][arm]["ic50_qualifier"] == ">"
        assert s["arms"][arm]["ic50_nM"] >= 10_000
    assert s["arms"]["KT-253 wild type"]["ic50_qualifier"] == "="
