"""``p53lab sbml``: the simulate contract, info, convert and clear errors (exit code 2)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from p53lab.cli import main
from p53lab.io import read_sbml
from p53lab.simulate import SimulationResult

MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">'


@pytest.fixture(scope="module")
def hunziker(shared_reference):
    return shared_reference / "sbml" / "BIOMD0000000252.xml"


def test_simulate_contract(hunziker, tmp_path, capsys):
    out = tmp_path / "run.csv"
    rc = main(
        ["sbml", "simulate", str(hunziker), "--t-end", "48", "--points", "481", "--out", str(out)]
    )
    assert rc == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["time", "p", "mm", "m", "pm"]
    assert len(df) == 481
    assert df["time"].iloc[0] == 0 and df["time"].iloc[-1] == 48
    np.testing.assert_allclose(np.diff(df["time"]), 0.1, atol=1e-9)
    err = capsys.readouterr().err
    assert "481 rows" in err and str(out) in err and err.count("\n") == 1
    # resting state of the paper: free MDM2 about 7.8 nM at the end of two days
    assert df["m"].iloc[-1] == pytest.approx(7.8, rel=0.02)


def test_simulate_set_changes_the_result(hunziker, tmp_path):
    base, nutlin = tmp_path / "base.csv", tmp_path / "nutlin.csv"
    args = ["sbml", "simulate", str(hunziker), "--t-end", "48", "--points", "49"]
    assert main([*args, "--out", str(base)]) == 0
    assert main([*args, "--set", "k_f=500", "--set", "p=20", "--out", str(nutlin)]) == 0
    a, b = pd.read_csv(base), pd.read_csv(nutlin)
    assert b["p"].iloc[0] == 20
    assert b["m"].iloc[-1] / a["m"].iloc[-1] > 5  # nutlin frees MDM2 (about eightfold)


def test_simulate_parquet_keeps_provenance(hunziker, tmp_path):
    out = tmp_path / "run.parquet"
    rc = main(
        [
            "sbml",
            "simulate",
            str(hunziker),
            "--t-end",
            "2",
            "--points",
            "3",
            "--parquet",
            "--set",
            "k_f=500",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    res = SimulationResult.read_parquet(out, time_column="time")
    assert res.columns == ("p", "mm", "m", "pm")
    assert res.provenance["parameters"]["k_f"] == 500
    assert res.provenance["solver"]["rtol"] == 1e-6


def _error(capsys, argv) -> str:
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2, captured
    assert "Traceback" not in captured.err
    lines = [x for x in captured.err.splitlines() if x.startswith("p53lab: error:")]
    assert len(lines) == 1, captured.err
    return lines[0]


def test_simulate_errors(hunziker, tmp_path, capsys):
    out = str(tmp_path / "x.csv")
    base = ["sbml", "simulate", str(hunziker), "--out", out]
    msg = _error(capsys, [*base, "--t-end", "48", "--points", "5", "--set", "kf=500"])
    assert "'kf'" in msg and "'k_f'" in msg
    msg = _error(capsys, [*base, "--t-end", "48", "--points", "5", "--set", "k_f"])
    assert "NAME=VALUE" in msg
    msg = _error(capsys, [*base, "--t-end", "48", "--points", "5", "--set", "k_f=fast"])
    assert "not a number" in msg
    assert "--t-end" in _error(capsys, [*base, "--t-end", "-1", "--points", "5"])
    assert "--t-end" in _error(capsys, [*base, "--t-end", "nan", "--points", "5"])
    assert "--points" in _error(capsys, [*base, "--t-end", "4", "--points", "1"])
    missing = tmp_path / "absent.xml"
    assert "absent.xml" in _error(
        capsys, ["sbml", "simulate", str(missing), "--t-end", "4", "--points", "5", "--out", out]
    )
    cut = tmp_path / "cut.xml"
    cut.write_text(hunziker.read_text()[:3000])
    msg = _error(
        capsys, ["sbml", "simulate", str(cut), "--t-end", "4", "--points", "5", "--out", out]
    )
    assert "cut.xml, line" in msg
    assert not (tmp_path / "x.csv").exists()


def test_simulate_failure_writes_rows_and_exits_1(tmp_path, capsys):
    # x' = x**2 from x = 1 blows up at t = 1 (x = 1 / (1 - t)); an event at t = 0.5 ends the
    # first solver segment, whose rows must reach the file
    xml = tmp_path / "blowup.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
        '<model id="blowup"><listOfCompartments><compartment id="c" size="1" constant="true"/>'
        '</listOfCompartments><listOfSpecies><species id="x" compartment="c" '
        'initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" '
        'constant="false"/></listOfSpecies><listOfParameters><parameter id="z" value="0" '
        'constant="false"/></listOfParameters><listOfRules><rateRule variable="x">'
        f"{MATH}<apply><power/><ci>x</ci><cn>2</cn></apply></math></rateRule></listOfRules>"
        '<listOfEvents><event id="mark" useValuesFromTriggerTime="true"><trigger '
        f'initialValue="true" persistent="true">{MATH}<apply><geq/><csymbol encoding="text" '
        'definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol><cn>0.5</cn>'
        '</apply></math></trigger><listOfEventAssignments><eventAssignment variable="z">'
        f"{MATH}<cn>1</cn></math></eventAssignment></listOfEventAssignments></event>"
        "</listOfEvents></model></sbml>"
    )
    out = tmp_path / "blowup.csv"
    rc = main(["sbml", "simulate", str(xml), "--t-end", "2", "--points", "21", "--out", str(out)])
    assert rc == 1
    assert "failed" in capsys.readouterr().err
    df = pd.read_csv(out)
    assert len(df) == 21 and df["x"].iloc[5] == pytest.approx(2.0, rel=1e-4)
    assert df["x"].iloc[4] == pytest.approx(1 / 0.6, rel=1e-4)
    assert df["x"].isna().iloc[-1]


def test_info(hunziker, capsys):
    assert main(["sbml", "info", str(hunziker), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["default_selection"] == ["p", "mm", "m", "pm"]
    assert (info["species"], info["rate_rules"], info["events"]) == (4, 4, 0)
    assert info["time_units"] == "h" and info["has_delays"] is False
    assert main(["sbml", "info", str(hunziker)]) == 0
    assert "default selection" in capsys.readouterr().out


def test_convert_round_trip(hunziker, tmp_path, capsys):
    out = tmp_path / "again.xml"
    assert main(["sbml", "convert", str(hunziker), "--out", str(out)]) == 0
    assert 'level="3" version="2"' in out.read_text()
    a, b = read_sbml(hunziker), read_sbml(out)
    assert (a.species, a.parameters, a.rate_rules) == (b.species, b.parameters, b.rate_rules)
    assert "SBML L3V2" in capsys.readouterr().err


def test_export_core_circuit_runs_in_libroadrunner_like_in_p53lab(tmp_path):
    # the exported file must simulate the same in the peer tool (issue: SBML export)
    roadrunner = pytest.importorskip("roadrunner")
    from p53lab.simulate import simulate

    out = tmp_path / "kt253.xml"
    rc = main(
        [
            "sbml",
            "export",
            "--compound",
            "KT-253",
            "--cell-line",
            "RS4;11",
            "--conc-nM",
            "10",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    ours = simulate(
        read_sbml(out),
        times_h=np.linspace(0, 24, 49),
        rtol=1e-10,
        atol=1e-12,
        outputs=["p53", "mdm2", "mdm2_drug_crbn", "p21"],
    )
    rr = roadrunner.RoadRunner(str(out))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    ref = rr.simulate(0, 24, 49, ["time", "[p53]", "[mdm2]", "[mdm2_drug_crbn]", "[p21]"])
    for j, col in enumerate(["p53", "mdm2", "mdm2_drug_crbn", "p21"], start=1):
        scale = np.max(np.abs(ref[:, j]))
        np.testing.assert_allclose(ours[col], ref[:, j], atol=1e-4 * scale)
    # the exported start is the untreated cell, and the degrader then removes MDM2
    assert ref[-1, 2] < 0.3 * ref[0, 2]
