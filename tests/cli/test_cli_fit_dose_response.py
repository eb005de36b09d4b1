"""CLI contract of ``p53lab fit dose-response`` (ryegrass numbers: drc LL.4, see README)."""

import json
import shutil

import numpy as np
import pytest

from p53lab.cli import main


def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def ryegrass_csv(shared_reference, tmp_path):
    return shutil.copy(shared_reference / "dose_response" / "ryegrass.csv", tmp_path / "rg.csv")


def test_ryegrass_json(ryegrass_csv, capsys):
    argv = ["fit", "dose-response", str(ryegrass_csv), "--dose-col", "conc"]
    rc, out, err = _run(capsys, [*argv, "--response-col", "rootl", "--json"])
    assert rc == 0, err
    r = json.loads(out)
    assert r["status"] == "ok" and r["message"] == ""
    assert {"b", "c", "d", "e"} <= set(r["parameters"]) and {"b", "c", "d", "e"} <= set(r["se"])
    assert r["parameters"]["e"] == pytest.approx(3.05795, rel=1e-5)
    assert r["se"]["b"] == pytest.approx(0.46506, rel=1e-4)
    assert set(r["ed"]) == {"10", "50", "90"}
    assert set(r["ed"]["90"]) == {"estimate", "se", "lower", "upper"}
    assert r["ed"]["10"]["lower"] == pytest.approx(1.07411, rel=1e-4)
    assert r["ed"]["90"]["upper"] == pytest.approx(8.15148, rel=1e-4)


def test_ryegrass_table(ryegrass_csv, capsys):
    argv = ["fit", "dose-response", str(ryegrass_csv), "--dose-col", "conc"]
    rc, out, _ = _run(capsys, [*argv, "--response-col", "rootl", "--model", "ll3"])
    assert rc == 0 and "ll3 ok" in out and "ED50" in out and "residual SE" in out


def test_grouped_one_bad_group(tmp_path, capsys):
    x = np.geomspace(0.01, 100, 8)
    y = 100 / (1 + x)
    # group B has one dose only
    rows = [f"A,{a},{b}" for a, b in zip(x, y, strict=True)] + [f"B,1,{v}" for v in y]
    p = tmp_path / "g.csv"
    p.write_text("drug,conc,resp\n" + "\n".join(rows) + "\n")
    argv = ["fit", "dose-response", str(p), "--dose-col", "conc", "--response-col", "resp"]
    rc, out, err = _run(capsys, [*argv, "--group-col", "drug", "--json"])
    assert rc == 0, err
    a, b = json.loads(out)
    assert (a["group"], a["status"]) == ("A", "ok")
    assert a["parameters"]["e"] == pytest.approx(1.0, rel=1e-6)
    assert (b["group"], b["status"]) == ("B", "not_estimable") and "concentration" in b["message"]


@pytest.mark.parametrize(
    ("content", "cols", "words"),
    [
        (None, ("conc", "resp"), ["no such file"]),
        ("conc,resp\n1,2\n", ("conc", "x"), ["'x'", "'conc'", "'resp'"]),
        ("conc,resp\n1,2\n2,abc\n", ("conc", "resp"), ["row 3", "'abc'"]),
        ("conc,resp\n1,2\n-2,3\n", ("conc", "resp"), ["row 3", "negative", "-2.0"]),
    ],
)
def test_bad_input(tmp_path, capsys, content, cols, words):
    p = tmp_path / "bad.csv"
    if content is not None:
        p.write_text(content)
    argv = ["fit", "dose-response", str(p), "--dose-col", cols[0], "--response-col", cols[1]]
    rc, _out, err = _run(capsys, argv)
    assert rc == 2 and "Traceback" not in err
    for w in words:
        assert w in err


def test_profile_flag(ryegrass_csv, capsys):
    argv = ["fit", "dose-response", str(ryegrass_csv), "--dose-col", "conc"]
    rc, out, err = _run(capsys, [*argv, "--response-col", "rootl", "--profile", "--json"])
    assert rc == 0, err
    prof = json.loads(out)["profile"]
    assert set(prof) == {"b", "c", "d", "e"}
    assert prof["e"]["lower"] < 3.058 < prof["e"]["upper"]
