"""The in-vivo study kinds: bad input stops with a message naming the field (exit code 2);
the MANTRA-2 virtual trial prints its numbers beside the published ones and reproduces."""

import json

import pytest
import yaml

from p53lab.cli import main
from p53lab.errors import ParameterError
from p53lab.studies.registry import builtin_studies, run_study, study_kinds


def test_kinds_and_builtins_are_registered():
    assert {"xenograft", "platelets", "clonal", "virtual-trial"} <= set(study_kinds())
    assert {
        "xenograft-kt253",
        "xenograft-milademetan",
        "platelets-milademetan",
        "virtual-trial-mantra2",
        "clonal-haematopoiesis",
    } <= set(builtin_studies())


def _study(tmp_path, **changes):
    spec = yaml.safe_load(builtin_studies()["xenograft-kt253"].read_text())
    spec.update(changes)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


def _arm(**kw):
    return {
        "label": "x",
        "dose": 3,
        "dose_unit": "mg/kg",
        "schedule": "single",
        "route": "iv",
        "duration_days": 1,
        **kw,
    }


BAD = [
    (
        {"groups": [{"label": "vehicle"}, _arm(schedule="custom", days=[1, 2, 3], cycle_days=2)]},
        r"groups\[1\].*day 3, outside a 2-day cycle",
    ),
    (
        {"groups": [{"label": "vehicle"}, _arm(schedule="custom", interval_h=-12)]},
        r"groups\[1\]\.interval_h: give a number > 0 h. Got -12",
    ),
    (
        {"groups": [{"label": "vehicle"}, _arm(dose_unit="mg")]},
        r"groups\[1\]\.dose_unit:.*mouse PK set of KT-253 takes doses per kilogram",
    ),
    (
        {"groups": [{"label": "vehicle"}, _arm(dose="3 mg")]},
        r"groups\[1\]\.dose: give a number in mg/kg \(no unit text\)",
    ),
    ({"randomise_at_mm3": -150}, r"randomise_at_mm3: give a number > 0 mm3. Got -150"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_library_and_cli(tmp_path, capsys, changes, message):
    p = _study(tmp_path, **changes)
    with pytest.raises(ParameterError, match=message):
        run_study(p, out=tmp_path / "out")
    assert main(["study", "run", str(p), "--out", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err
    assert "s.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written before the check


def test_human_study_rejects_mg_per_kg(tmp_path):
    spec = yaml.safe_load(builtin_studies()["virtual-trial-mantra2"].read_text())
    spec["regimen"]["dose_unit"] = "mg/kg"
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump(spec))
    with pytest.raises(ParameterError, match=r"regimen\.dose_unit:.*flat dose in mg"):
        run_study(p, out=tmp_path / "o")
    assert main(["study", "run", str(p)]) == 2


@pytest.mark.slow
def test_virtual_mantra2_runs_reproducibly_with_report(tmp_path):
    a = run_study("virtual-trial-mantra2", out=tmp_path / "a", seed=7)
    assert (
        main(
            [
                "study",
                "run",
                "virtual-trial-mantra2",
                "--out",
                str(tmp_path / "b"),
                "--seed",
                "7",
                "--json",
            ]
        )
        == 0
    )
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    for k in (
        "orr_pct",
        "orr_ci",
        "dcr_pct",
        "median_pfs_months",
        "grade34_thrombocytopenia_pct",
        "best_responses",
    ):
        assert a[k] == b[k]
    assert a["n_patients"] == 31 and sum(a["best_responses"].values()) == 31
    assert a["published"]["orr"] == "6/31"
    assert a["published"]["orr_pct"] == pytest.approx(19.35, abs=0.01)
    assert a["published"]["median_pfs_months"] == 3.5
    html = (tmp_path / "a" / "report.html").read_text()
    assert "Which inputs were assumed" in html and "estimated" in html
    assert "Simulated beside published" in html and "data:image/png;base64" in html
    assert (tmp_path / "a" / "patients.csv").exists()
