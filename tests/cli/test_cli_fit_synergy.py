"""CLI contract of ``p53lab fit synergy``."""

import json

import pytest

from p53lab.cli import main

HEADER = "block_id,drug1,drug2,conc1,conc2,response"
# block 1: the hand-computed 3x3 grid of tests/assays/test_synergy.py (Bliss mean 14.5)
GRID = [[0, 20, 50], [10, 40, 70], [30, 50, 90]]
CONCS = [0, 1, 10]


def _block1():
    return [
        f"1,nutlin,venetoclax,{CONCS[i]},{CONCS[j]},{GRID[i][j]}"
        for i in range(3)
        for j in range(3)
    ]


def _run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_two_blocks_one_broken(tmp_path, capsys):
    # block 2 has no drug2-alone rows (conc1 = 0)
    broken = ["2,idasanutlin,navitoclax,1,0,10", "2,idasanutlin,navitoclax,1,1,40"]
    p = tmp_path / "syn.csv"
    p.write_text("\n".join([HEADER, *_block1(), *broken]) + "\n")
    rc, out, err = _run(capsys, ["fit", "synergy", str(p), "--method", "bliss", "--json"])
    assert rc == 0, err
    blocks = json.loads(out)
    assert [b["block_id"] for b in blocks] == ["1", "2"]
    b1, b2 = blocks
    assert set(b1) == {
        "block_id",
        "drug1",
        "drug2",
        "method",
        "status",
        "message",
        "mean_score",
        "scores",
    }
    assert (b1["drug1"], b1["drug2"], b1["method"], b1["status"]) == (
        "nutlin",
        "venetoclax",
        "bliss",
        "ok",
    )
    assert b1["mean_score"] == pytest.approx(14.5)
    assert len(b1["scores"]) == 9
    assert set(b1["scores"][0]) == {"conc1", "conc2", "response", "reference", "score"}
    cell = next(c for c in b1["scores"] if (c["conc1"], c["conc2"]) == (10, 10))
    assert (cell["response"], cell["reference"], cell["score"]) == pytest.approx((90, 65, 25))
    assert b2["status"] == "not_estimable" and "single-drug" in b2["message"]
    assert b2["mean_score"] is None and b2["scores"] == []

    rc, out, _ = _run(capsys, ["fit", "synergy", str(p), "--method", "hsa"])
    assert rc == 0 and "mean score 25.000" in out and "not_estimable" in out


def test_viability_flag(tmp_path, capsys):
    rows = [f"1,A,B,{CONCS[i]},{CONCS[j]},{100 - GRID[i][j]}" for i in range(3) for j in range(3)]
    p = tmp_path / "v.csv"
    p.write_text("\n".join([HEADER, *rows]) + "\n")
    argv = ["fit", "synergy", str(p), "--method", "bliss", "--response-kind", "viability"]
    rc, out, _ = _run(capsys, [*argv, "--json"])
    assert rc == 0 and json.loads(out)[0]["mean_score"] == pytest.approx(14.5)


@pytest.mark.parametrize(
    "lines, needle",
    [
        (["block_id,drug1,drug2,conc1,conc2", "1,A,B,0,0"], "missing column(s) 'response'"),
        ([HEADER, "1,A,B,0,0,5", "1,A,B,1,0,abc"], "row 3, column 'response' holds 'abc'"),
        ([HEADER, "1,A,B,0,0,5", "1,A,B,-1,0,7"], "row 3, column 'conc1' holds '-1'"),
    ],
)
def test_unusable_file_exits_2(tmp_path, capsys, lines, needle):
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    rc, out, err = _run(capsys, ["fit", "synergy", str(p), "--json"])
    assert rc == 2 and needle in err and "Traceback" not in err and out == ""


def test_no_block_scorable_exits_2(tmp_path, capsys):
    p = tmp_path / "x.csv"
    p.write_text("\n".join([HEADER, "1,A,B,1,1,40", "1,A,B,0,0,0"]) + "\n")
    rc, out, err = _run(capsys, ["fit", "synergy", str(p), "--json"])
    assert rc == 2 and "no block could be scored" in err
    assert json.loads(out)[0]["status"] == "not_estimable"
