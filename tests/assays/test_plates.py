"""Plates: reading exports, the layout linter, normalisation, Z′, outliers, edge effects, IC50."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from p53lab.assays import plates
from p53lab.cli import main
from p53lab.errors import FileFormatError
from p53lab.io.plates import parse_well, read_layout, read_plate, well_name

ROWS = "ABCDEFGH"
CONC_UM = np.geomspace(10, 10 / 3**9, 10)  # columns 2..11, 1:3 dilution from 10 uM
IC50_NM = {"nutlin-3a": 300.0, "idasanutlin": 30.0}
TOP, BOTTOM = 50_000.0, 2_000.0


def layout_96() -> pd.DataFrame:
    rows = []
    for r in ROWS:
        compound = "nutlin-3a" if r in "ABCD" else "idasanutlin"
        rep = str("ABCD".index(r) + 1 if r in "ABCD" else "EFGH".index(r) + 1)
        rows.append((f"{r}1", "", "", "", "", "vehicle"))
        rows.append((f"{r}12", "staurosporine", "1", "uM", "", "positive"))
        for j, c in enumerate(CONC_UM, start=2):
            rows.append((f"{r}{j}", compound, f"{c:.6g}", "uM", rep, "sample"))
    return pd.DataFrame(
        rows, columns=["well", "compound", "concentration", "unit", "replicate", "role"]
    )


def readings(layout: pd.DataFrame, sd=0.02, seed=0, edge_factor=1.0) -> dict[str, float]:
    """Raw luminescence per well from planted LL4 curves (hill 1.2) plus 2 % noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for w in layout.to_dict("records"):
        if w["role"] == "vehicle":
            v = TOP
        elif w["role"] == "positive":
            v = BOTTOM
        elif w["role"] == "blank":
            v = 0.0
        else:
            c_nm = float(w["concentration"]) * 1000
            frac = 1 / (1 + (c_nm / IC50_NM[w["compound"]]) ** 1.2)
            v = BOTTOM + (TOP - BOTTOM) * frac
        v *= 1 + rng.normal(0, sd)
        r, c = parse_well(w["well"])
        if r in (0, 7) or c in (1, 12):
            v *= edge_factor
        out[well_name(r, c)] = v
    return out


def write_grid_csv(path, values: dict[str, float], n_rows=8, n_cols=12, header=True):
    lines = []
    if header:
        lines += ["Reader: EnVision 2105", "Assay: CellTiter-Glo 72 h", ""]
    lines.append("," + ",".join(str(j) for j in range(1, n_cols + 1)))
    for i in range(n_rows):
        r = "ABCDEFGHIJKLMNOP"[i]
        cells = [values.get(well_name(i, j), "") for j in range(1, n_cols + 1)]
        lines.append(r + "," + ",".join(v if isinstance(v, str) else f"{v:.1f}" for v in cells))
    lines += ["", "Footer: end of plate"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def plate_files(tmp_path):
    lay = layout_96()
    lay_path = tmp_path / "layout.csv"
    lay.to_csv(lay_path, index=False)
    plate_path = write_grid_csv(tmp_path / "plate1.csv", readings(lay))
    return plate_path, lay_path


@given(r=st.integers(0, 15), c=st.integers(1, 24))
def test_well_names_round_trip(r, c):
    assert parse_well(well_name(r, c)) == (r, c)
    assert parse_well(f" {'ABCDEFGHIJKLMNOP'[r].lower()}{c} ") == (r, c)


def test_z_prime_hand_computed():
    # sd = 1 in both, gap 9: Z' = 1 - 3*2/9; MAD = 1 in both: 1 - 3*1.4826*2/9
    assert plates.z_prime([1, 2, 3], [10, 11, 12]) == pytest.approx(1 / 3)
    assert plates.z_prime([1, 2, 3], [10, 11, 12], robust=True) == pytest.approx(
        1 - 3 * 1.4826 * 2 / 9
    )
    assert math.isnan(plates.z_prime([1], [10, 11]))
    assert math.isnan(plates.z_prime([5, 5], [5, 5]))


def test_grid_csv_and_xlsx_read_the_same(tmp_path, plate_files):
    plate_path, _ = plate_files
    f = read_plate(plate_path)
    assert len(f) == 96 and f.attrs["n_wells"] == 96
    assert list(f.columns) == ["plate", "well", "row", "col", "value"]
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Reader: EnVision"])
    ws.append([None, *range(1, 13)])
    for i, r in enumerate(ROWS):
        ws.append([r, *f["value"].to_numpy()[i * 12 : (i + 1) * 12].tolist()])
    wb.save(tmp_path / "plate1.xlsx")
    g = read_plate(tmp_path / "plate1.xlsx")
    np.testing.assert_allclose(g["value"], f["value"])
    assert (g["well"] == f["well"]).all()


def test_long_table_and_384(tmp_path):
    vals = {well_name(i, j): float(i * 100 + j) for i in range(16) for j in range(1, 25)}
    write_grid_csv(tmp_path / "p384.csv", vals, 16, 24)
    f = read_plate(tmp_path / "p384.csv")
    assert len(f) == 384 and f.attrs["n_wells"] == 384
    assert f.set_index("well").loc["P24", "value"] == 1524.0
    long = tmp_path / "long.csv"
    long.write_text("Well,Value\nA1,10\nA2,\nh12,5.5\n")
    g = read_plate(long)
    assert g["well"].tolist() == ["A01", "A02", "H12"] and g.attrs["n_wells"] == 96
    assert math.isnan(g["value"].iloc[1])


def test_read_plate_bad_cells(tmp_path):
    vals = {well_name(i, j): 1.0 for i in range(8) for j in range(1, 13)}
    p = write_grid_csv(tmp_path / "p.csv", {**vals, "C06": "OVRFLW"})
    with pytest.raises(FileFormatError, match=r"well C06: 'OVRFLW' is not a number"):
        read_plate(p)
    short = write_grid_csv(tmp_path / "short.csv", vals, n_rows=5)
    with pytest.raises(FileFormatError, match="5 row"):
        read_plate(short)
    (tmp_path / "junk.csv").write_text("hello\nworld\n")
    with pytest.raises(FileFormatError, match="no plate grid"):
        read_plate(tmp_path / "junk.csv")


def test_normalisation_qc_and_ic50(plate_files):
    plate_path, lay_path = plate_files
    res = plates.fit(plate_path, lay_path, curves=True)
    assert res.ok
    (qc,) = res.plates
    assert qc["status"] == "ok" and not qc["edge_effect"]
    # Z' with 2 % noise on both controls: 1 - 3*(0.02*TOP + 0.02*BOTTOM)/(TOP - BOTTOM) = 0.87
    assert qc["z_prime"] == pytest.approx(1 - 3 * 0.02 * (TOP + BOTTOM) / (TOP - BOTTOM), abs=0.06)
    assert qc["signal_to_background"] == pytest.approx(TOP / BOTTOM, rel=0.05)
    t = res.table()
    assert t.loc[t["role"] == "vehicle", "percent"].mean() == pytest.approx(100.0)
    assert t.loc[t["role"] == "positive", "percent"].mean() == pytest.approx(0.0, abs=1e-9)
    by = {c["compound"]: c for c in res.curves}
    assert set(by) == set(IC50_NM)
    for name, ic50 in IC50_NM.items():
        c = by[name]
        assert c["status"] == "ok"
        assert c["parameters"]["e"] == pytest.approx(ic50, rel=0.1)
        assert c["parameters"]["b"] == pytest.approx(1.2, rel=0.15)
        assert c["ed"]["50"]["lower"] < ic50 < c["ed"]["50"]["upper"]


def test_blank_subtraction(tmp_path):
    lay = layout_96()
    lay.loc[lay["well"] == "H12", ["compound", "concentration", "unit", "role"]] = [
        "",
        "",
        "",
        "blank",
    ]
    vals = readings(lay, sd=0.0)
    vals = {k: v + 500.0 for k, v in vals.items()}  # background everywhere
    vals["H12"] = 500.0
    p = write_grid_csv(tmp_path / "p.csv", vals)
    res = plates.fit(p, lay)
    qc = res.plates[0]
    assert qc["blank_mean"] == pytest.approx(500.0, abs=0.1)
    assert qc["vehicle_mean"] == pytest.approx(TOP + 500, abs=0.1)
    t = res.table()
    assert t.loc[t["role"] == "vehicle", "corrected"].mean() == pytest.approx(TOP, abs=0.1)


def test_outlier_flagged_and_excluded(tmp_path):
    lay = layout_96()
    vals = readings(lay)
    vals["C05"] *= 3.0  # a bubble
    p = write_grid_csv(tmp_path / "p.csv", vals)
    res = plates.fit(p, lay, exclude_outliers=True, curves=True)
    assert res.plates[0]["outliers"] == ["C05"]
    t = res.table().set_index("well")
    assert t.loc["C05", "outlier"] and not t.loc["C04", "outlier"]
    nut = next(c for c in res.curves if c["compound"] == "nutlin-3a")
    assert nut["parameters"]["e"] == pytest.approx(300.0, rel=0.1)


def test_edge_effect_flagged(tmp_path):
    lay = layout_96()
    p = write_grid_csv(tmp_path / "p.csv", readings(lay, edge_factor=0.8))
    qc = plates.fit(p, lay).plates[0]
    assert qc["edge_effect"] and qc["edge_p"] < 0.05
    assert qc["edge_ratio"] == pytest.approx(0.8, abs=0.05)
    assert "edge effect" in qc["message"]


def test_lint_reports_every_problem_at_once():
    lay = layout_96()
    lay.loc[0, "well"] = "Z99"  # not a well (row Z does not exist on any plate? Z is a letter)
    lay.loc[1, "role"] = "postive"  # typo
    lay.loc[2, "concentration"] = "-1"
    lay.loc[3, "unit"] = "ug"
    lay.loc[4, "concentration"] = "ten"
    lay.loc[5, "compound"] = ""
    lay.loc[6, "well"] = "A02"  # duplicate of row 2's well A2
    lay.loc[7, "replicate"] = "1.5"
    problems = plates.lint_layout(lay, n_wells=96)
    text = "\n".join(map(str, problems))
    assert len(problems) == 8, text
    assert "line 2, well Z99" in text and "outside a 96-well plate" in text
    assert "'postive'" in text and "unknown role" in text
    assert "negative" in text and "unknown unit" in text and "'ten'" in text
    assert "needs a compound" in text and "listed twice" in text and "whole number" in text


def test_lint_missing_controls():
    lay = layout_96()
    lay = lay[lay["role"] != "vehicle"]
    problems = plates.lint_layout(lay)
    assert any("no vehicle" in str(p) for p in problems)
    with pytest.raises(FileFormatError, match="no vehicle"):
        plates.check_layout(lay, source="layout.csv")


def test_plate_with_no_variation_fails_alone(tmp_path):
    lay = layout_96()
    good = write_grid_csv(tmp_path / "good.csv", readings(lay))
    flat = write_grid_csv(tmp_path / "flat.csv", dict.fromkeys(readings(lay), 1234.0))
    res = plates.fit([good, flat], lay, curves=True)
    st_ = {q["plate"]: q["status"] for q in res.plates}
    assert st_ == {"good": "ok", "flat": "failed"}
    assert "no variation" in res.plates[1]["message"]
    assert res.ok  # one good plate: the batch result stands, the flat plate carries its status
    assert all(c["status"] == "ok" for c in res.curves)


def _run(argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    return code, buf.getvalue()


def test_cli_plate_json_and_figure(plate_files, tmp_path):
    plate_path, lay_path = plate_files
    fig = tmp_path / "plate.png"
    out = tmp_path / "wells.csv"
    code, text = _run(
        [
            "fit",
            "plate",
            str(plate_path),
            "--layout",
            str(lay_path),
            "--curves",
            "--json",
            "--figure",
            str(fig),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    d = json.loads(text)
    assert d["plates"][0]["z_prime"] > 0.5
    assert {c["compound"] for c in d["curves"]} == set(IC50_NM)
    assert fig.stat().st_size > 1000 and len(pd.read_csv(out)) == 96


def test_cli_bad_inputs(tmp_path, capsys):
    lay = layout_96()
    lay.loc[3, "unit"] = "ug"
    lay.loc[0, "role"] = "?"
    lp = tmp_path / "layout.csv"
    lay.to_csv(lp, index=False)
    assert main(["fit", "lint-layout", str(lp)]) == 2
    err = capsys.readouterr().err
    assert err.count("p53lab:") == 2 and "unknown unit" in err and "unknown role" in err
    flat = write_grid_csv(tmp_path / "flat.csv", dict.fromkeys(readings(layout_96()), 7.0))
    assert main(["fit", "plate", str(flat), "--layout", str(lp)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "Traceback" not in err
    good_layout = tmp_path / "ok.csv"
    layout_96().to_csv(good_layout, index=False)
    assert main(["fit", "plate", str(flat), "--layout", str(good_layout), "--json"]) == 2
    captured = capsys.readouterr()
    assert "no variation" in captured.err
    assert json.loads(captured.out)["plates"][0]["status"] == "failed"


def test_read_layout_requires_role(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("well,compound\nA1,x\n")
    with pytest.raises(FileFormatError, match="'role'"):
        read_layout(p)
