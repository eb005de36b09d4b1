"""CLI contracts of ``p53lab flow quadrants | apoptosis | cell-cycle | info`` and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from p53lab.cli import main

TRUTH = {
    "x-y-": "Results_FL2N-FL4N.txt",
    "x-y+": "Results_FL2N-FL4P.txt",
    "x+y-": "Results_FL2P-FL4N.txt",
    "x+y+": "Results_FL2P-FL4P.txt",
}


def _run(capsys, argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_quadrants_contract_and_events_out(capsys, tmp_path, data1):
    out_csv = tmp_path / "events.csv"
    argv = [
        "flow",
        "quadrants",
        data1,
        "--x",
        "FL2-H",
        "--y",
        "CD8 APC",
        "--x-threshold",
        "12.14748",
        "--y-threshold",
        "14.22417",
        "--events-out",
        out_csv,
        "--json",
    ]
    rc, out, _ = _run(capsys, argv)
    assert rc == 0
    assert json.loads(out) == {
        "n_events": 13367,
        "quadrants": {"x-y-": 5148, "x-y+": 238, "x+y-": 7361, "x+y+": 620},
    }
    ev = pd.read_csv(out_csv, keep_default_na=False)
    assert len(ev) == 13367 and list(ev.columns)[-1] == "quadrant"
    for q, f in TRUTH.items():
        flags = np.loadtxt(data1.parent / "truth" / f, dtype=int)
        np.testing.assert_array_equal((ev["quadrant"] == q).to_numpy().astype(int), flags)
    # the event table holds the decoded values, in file order
    np.testing.assert_allclose(ev["FL2-H"].iloc[:2], [34.59891660869933, 1.0], rtol=1e-12)


def test_quadrants_with_compensation_and_transform(capsys, tmp_path, flowsim):
    rng = np.random.default_rng(3)
    path, _ = flowsim.write_apoptosis_fcs(
        tmp_path / "a.fcs", rng, 2000, dict(live=0.5, early=0.2, late=0.2, necrotic=0.1)
    )
    out_csv = tmp_path / "e.csv"
    rc, out, _ = _run(
        capsys,
        [
            "flow",
            "quadrants",
            path,
            "--x",
            "Annexin V",
            "--y",
            "PI",
            "--x-threshold",
            "0.5",
            "--y-threshold",
            "0.5",
            "--compensate",
            "--transform",
            "logicle",
            "--events-out",
            out_csv,
            "--json",
        ],
    )
    assert rc == 0 and json.loads(out)["n_events"] == 2000
    ev = pd.read_csv(out_csv)
    assert "FITC-A (logicle)" in ev.columns
    x_pos = ev["FITC-A (logicle)"] >= 0.5
    assert (ev["quadrant"].str.startswith("x+") == x_pos).all()


def test_apoptosis_contract(capsys, tmp_path, flowsim):
    rng = np.random.default_rng(5)
    sample, _ = flowsim.write_apoptosis_fcs(
        tmp_path / "s.fcs", rng, 5000, dict(live=0.6, early=0.2, late=0.15, necrotic=0.05)
    )
    ctl, _ = flowsim.write_apoptosis_fcs(
        tmp_path / "u.fcs", rng, 3000, dict(live=1, early=0, late=0, necrotic=0)
    )
    rc, out, _ = _run(
        capsys,
        [
            "flow",
            "apoptosis",
            sample,
            "--annexin",
            "FITC-A",
            "--pi",
            "PI",
            "--unstained",
            ctl,
            "--compensate",
            "--transform",
            "logicle",
            "--json",
        ],
    )
    d = json.loads(out)
    assert rc == 0
    for k in ("live_pct", "early_apoptotic_pct", "late_apoptotic_pct", "necrotic_pct", "counts"):
        assert k in d
    assert set(d["counts"]) == {"live", "early_apoptotic", "late_apoptotic", "necrotic"}
    assert sum(d["counts"].values()) == 5000 and d["percentile"] == 99.0
    assert d["live_pct"] == pytest.approx(60, abs=3)

    # batch with a broken file and a weak positive control: statuses, a warning, exit code 2
    broken = tmp_path / "broken.fcs"
    broken.write_bytes(sample.read_bytes()[:3000])
    rc, out, err = _run(
        capsys,
        [
            "flow",
            "apoptosis",
            sample,
            broken,
            "--annexin",
            "FITC-A",
            "--pi",
            "PE-A",
            "--unstained",
            ctl,
            "--compensate",
            "--transform",
            "logicle",
            "--positive-control",
            ctl,
            "--plot",
            tmp_path / "figs",
            "--json",
        ],
    )
    d = json.loads(out)
    assert rc == 2 and [s["status"] for s in d["samples"]] == ["ok", "failed", "ok"]
    assert d["samples"][2]["positive_control"] and d["samples"][2]["qc"] == "failed"
    assert "warning: positive control u.fcs" in err and "truncated" in err
    assert "Traceback" not in err
    assert (tmp_path / "figs" / "s_apoptosis.png").exists()


def test_cell_cycle_contract(capsys, tmp_path, flowsim):
    ev, _, truth = flowsim.simulate_dna(np.random.default_rng(8), n=20000)
    path = flowsim.write_float_fcs(tmp_path / "pi.fcs", ev, flowsim.DNA_CHANNELS)
    png = tmp_path / "cc.png"
    rc, out, _ = _run(
        capsys,
        [
            "flow",
            "cell-cycle",
            path,
            "--channel",
            "PI-A",
            "--width",
            "PI-W",
            "--model",
            "djf",
            "--plot",
            png,
            "--json",
        ],
    )
    d = json.loads(out)
    assert rc == 0 and png.exists()
    for k in (
        "g1_pct",
        "s_pct",
        "g2m_pct",
        "sub_g1_pct",
        "g1_mean",
        "g1_cv",
        "g2_mean",
        "reduced_chi2",
    ):
        assert isinstance(d[k], float), k
    assert d["g1_pct"] == pytest.approx(truth["g1"], abs=2) and d["model"] == "djf"
    rc, out, _ = _run(capsys, ["flow", "cell-cycle", path, "--channel", "PI-A", "--height", "PI-H"])
    assert rc == 0 and "watson" in out and "G2/M" in out


def test_info(capsys, data1):
    rc, out, _ = _run(capsys, ["flow", "info", data1, "--json"])
    d = json.loads(out)
    assert rc == 0 and d["n_events"] == 13367 and d["channels"][3]["pns"] == "CD8 B PE"


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (
            ["--x", "FL9-H", "--y", "FL4-H"],
            r"Channel 'FL9-H' is not in data1.fcs.*FL2-H \(CD8 B PE\)",
        ),
        (["--x", "FL2-H", "--y", "FL4-H", "--transform", "logicle:w=9"], "'w' parameter"),
        (["--x", "FL2-H", "--y", "FL4-H", "--compensate"], "no \\$SPILLOVER"),
    ],
)
def test_quadrants_bad_input(capsys, data1, argv, pattern):
    import re

    rc, _, err = _run(
        capsys, ["flow", "quadrants", data1, *argv, "--x-threshold", "1", "--y-threshold", "1"]
    )
    assert rc == 2 and "Traceback" not in err and re.search(pattern, err)


def test_truncated_file_exit_2(capsys, tmp_path, data1):
    cut = tmp_path / "cut.fcs"
    cut.write_bytes(data1.read_bytes()[:100_000])
    for argv in (
        [
            "flow",
            "quadrants",
            cut,
            "--x",
            "FL2-H",
            "--y",
            "FL4-H",
            "--x-threshold",
            "1",
            "--y-threshold",
            "1",
        ],
        ["flow", "cell-cycle", cut, "--channel", "FL2-A"],
        ["flow", "apoptosis", cut, "--annexin", "FL1-H", "--pi", "FL3-H"],
    ):
        rc, out, err = _run(capsys, argv)
        assert rc == 2 and out == "" and "Traceback" not in err
        assert "cut.fcs: the file is truncated" in err and "216432 bytes are expected" in err


def test_cell_cycle_too_few_events_exit_2(capsys, tmp_path, flowsim):
    ev, _, _ = flowsim.simulate_dna(np.random.default_rng(2), n=300, doublets=0)
    path = flowsim.write_float_fcs(tmp_path / "few.fcs", ev, flowsim.DNA_CHANNELS)
    rc, _, err = _run(capsys, ["flow", "cell-cycle", path, "--channel", "PI-A"])
    assert rc == 2 and "few.fcs (PI-A): 300 events; a cell-cycle fit needs at least 500" in err


def test_missing_file_exit_2(capsys, tmp_path):
    rc, _, err = _run(capsys, ["flow", "info", tmp_path / "nope.fcs"])
    assert rc == 2 and "no such file" in err
