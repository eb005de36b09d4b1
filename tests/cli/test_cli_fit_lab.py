"""CLI contracts of ``p53lab fit qpcr | elisa | tgi | survival | response-rate``."""

import json

import pytest

from p53lab.cli import main


def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_response_rate_contract(capsys):
    rc, out, _ = _run(capsys, ["fit", "response-rate", "--responders", "6", "--n", "31", "--json"])
    d = json.loads(out)
    assert rc == 0
    assert set(d) == {"responders", "n", "rate_pct", "ci_lower_pct", "ci_upper_pct", "method"}
    assert d["method"] == "clopper-pearson" and round(d["ci_lower_pct"], 1) == 7.5


def test_survival_contract(capsys, shared_reference):
    f = str(shared_reference / "survival" / "lung.csv")
    base = ["fit", "survival", f, "--time-col", "time", "--event-col", "status", "--json"]
    rc, out, _ = _run(capsys, base)
    d = json.loads(out)
    assert rc == 0 and (d["median"], d["median_lower"], d["median_upper"]) == (310, 285, 363)
    assert set(d) == {"group", "n", "events", "median", "median_lower", "median_upper"}
    rc, out, _ = _run(capsys, [*base, "--group-col", "sex", "--ci", "log-log"])
    d = json.loads(out)
    assert [g["median"] for g in d["groups"]] == [270, 426]
    assert d["logrank"]["chi2"] == pytest.approx(10.33, abs=0.005) and 0 < d["logrank"]["p"] < 0.01


def test_qpcr_contract(capsys, shared_reference):
    f = str(shared_reference / "qpcr" / "livak_cmyc_gapdh.csv")
    argv = ["fit", "qpcr", f, "--reference-gene", "GAPDH", "--control-group", "control"]
    rc, out, _ = _run(capsys, [*argv, "--json"])
    row = json.loads(out)["rows"][0]
    assert rc == 0 and round(row["fold_change"], 1) == 5.6
    rc, out, _ = _run(capsys, [*argv, "--efficiency", "c-myc=1.95", "--json"])
    assert json.loads(out)["method"] == "pfaffl"


def test_elisa_and_tgi_contract(capsys, tmp_path, shared_reference):
    ref = (shared_reference / "elisa" / "elisa_5pl_example.csv").read_text().splitlines()[1:]
    lines = ["sample,kind,conc,response"]
    lines += [f"s{i},standard,{r}" for i, r in enumerate(ref)]
    lines += ["u1,unknown,,1.0", "b1,blank,,0.05", "b2,blank,,0.06"]
    p = tmp_path / "plate.csv"
    p.write_text("\n".join(lines) + "\n")
    rc, out, _ = _run(capsys, ["fit", "elisa", str(p), "--weighting", "1/y2", "--json"])
    d = json.loads(out)
    assert rc == 0 and d["weighting"] == "1/y2" and d["C"] == pytest.approx(2.87, abs=0.01)
    assert d["unknowns"][0]["flag"] == "in_range"

    t = tmp_path / "tum.csv"
    t.write_text(
        "animal,group,day,length_mm,width_mm\n"
        "a,veh,0,6,5\nb,drug,0,5,6\na,veh,7,10,8\nb,drug,7,6,5\n"
    )
    rc, out, _ = _run(capsys, ["fit", "tgi", str(t), "--vehicle-group", "veh", "--json"])
    d = json.loads(out)
    drug = next(g for g in d["groups"] if g["group"] == "drug")
    assert rc == 0 and drug["tgi_pct"] == pytest.approx(100.0)  # drug did not grow


@pytest.mark.parametrize(
    ("content", "argv", "pattern"),
    [
        ("t,e\n1,1\n", ["--time-col", "time", "--event-col", "e"], "Available columns: 't', 'e'"),
        ("t,e\n1,1\nx,0\n", ["--time-col", "t", "--event-col", "e"], "row 3.*'x'"),
        ("t,e\n-1,1\n2,1\n", ["--time-col", "t", "--event-col", "e"], "negative"),
        (
            "t,e,g\n1,1,a\n2,0,b\n",
            ["--time-col", "t", "--event-col", "e", "--group-col", "g"],
            "no events",
        ),
    ],
)
def test_survival_bad_input(capsys, tmp_path, content, argv, pattern):
    import re

    p = tmp_path / "s.csv"
    p.write_text(content)
    rc, _out, err = _run(capsys, ["fit", "survival", str(p), *argv, "--json"])
    assert rc == 2 and "Traceback" not in err and re.search(pattern, err)


def test_response_rate_k_above_n(capsys):
    rc, _, err = _run(capsys, ["fit", "response-rate", "--responders", "7", "--n", "5"])
    assert rc == 2 and "<= n (5)" in err
