"""`p53lab advise FILE [--json]`: the list contract, exit 2 on bad files, unknown keys on
stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from p53lab.cli import main

SCENARIOS = Path(__file__).parent / "scenarios"


def test_json_is_a_ranked_list(capsys):
    f = SCENARIOS / "replicates_disagree.yaml"
    assert main(["advise", str(f), "--json", "--no-model"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list) and out[0]["cause"] == "culture_variability"
    assert all({"cause", "score", "evidence", "next_experiments"} <= set(d) for d in out)
    assert [d["score"] for d in out] == sorted((d["score"] for d in out), reverse=True)


@pytest.mark.slow
def test_json_with_the_model(capsys):
    f = SCENARIOS / "tp53_actually_mutant.yaml"
    assert main(["advise", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    top = out[0]
    assert top["cause"] == "tp53_not_wild_type"
    assert top["model"]["hypothesis"] == "tp53_missense"
    assert set(top["model"]["readouts"]) == {"p53_fold", "mdm2_fold", "p21_fold", "apoptosis_pct"}


def test_text_output(capsys):
    f = SCENARIOS / "replicates_disagree.yaml"
    assert main(["advise", str(f), "--no-model", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("1. culture_variability")
    assert "STR profile" in out and "others:" in out


def test_unknown_keys_go_to_stderr_and_json_stays_a_list(tmp_path, capsys):
    f = tmp_path / "obs.yaml"
    f.write_text("compund: nutlin-3a\nobservations:\n  replicate_cv_pct: 40\n  p53fold: 2\n")
    assert main(["advise", str(f), "--json", "--no-model"]) == 0
    cap = capsys.readouterr()
    assert isinstance(json.loads(cap.out), list)
    warn = [x for x in cap.err.splitlines() if x.startswith("p53lab advise: warning:")]
    assert len(warn) == 2
    assert "'compund'" in warn[0] and "'compound'" in warn[0]
    assert "'p53fold'" in warn[1] and "'p53_fold'" in warn[1]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("observations:\n  p53_fold: -2\n", "observations.p53_fold"),
        ("observations:\n  p53_fold: .nan\n", "observations.p53_fold"),
        ("observations:\n  hours: soon\n", "observations.hours"),
        ("compound: aspirin-x\n", "'compound'"),
        ("observations: [1, 2]\n", "'observations'"),
        ("observations:\n  p53_fold: [1\n", "invalid YAML"),
    ],
)
def test_bad_file_exits_2_naming_the_key(tmp_path, capsys, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    assert main(["advise", str(f), "--json"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and needle in err and "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["advise", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
