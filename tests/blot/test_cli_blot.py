"""CLI contracts of ``p53lab blot quantify | normalise`` and their answers to bad input."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from p53lab.cli import main

BAND_KEYS = {"row", "intensity", "background", "normalised", "saturated"}


def _run(capsys, argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_quantify_contract(capsys, blot_files):
    path, syn = blot_files[("png8", False)]
    rc, out, err = _run(
        capsys, ["blot", "quantify", path, "--lanes", 6, "--loading-control-row", 3, "--json"]
    )
    assert rc == 0, err
    d = json.loads(out)
    assert set(d) == {"lanes"}
    assert [lane["lane"] for lane in d["lanes"]] == [1, 2, 3, 4, 5, 6]
    for lane in d["lanes"]:
        assert set(lane) == {"lane", "bands"}
        assert [b["row"] for b in lane["bands"]] == [1, 2, 3]
        for b in lane["bands"]:
            assert set(b) == BAND_KEYS
            assert isinstance(b["saturated"], bool)
            assert isinstance(b["intensity"], float) and isinstance(b["background"], float)
    got = np.array([[b["normalised"] for b in lane["bands"]] for lane in d["lanes"]]).T
    ok = np.ones(got.shape, dtype=bool)
    ok[syn.saturated[1] - 1, syn.saturated[0] - 1] = False
    assert np.abs(got[ok] / syn.truth[ok] - 1).max() < 0.05
    assert got[:, 0] == pytest.approx([1.0, 1.0, 1.0])
    flagged = [
        (lane["lane"], b["row"]) for lane in d["lanes"] for b in lane["bands"] if b["saturated"]
    ]
    assert flagged == [syn.saturated]
    assert "saturated" in err and "Traceback" not in err
    assert "note:" in err and "bright bands on dark (detected; override with --invert)" in err


def test_quantify_without_loading_control_is_relative_to_lane_one(capsys, blot_files):
    path, syn = blot_files[("tif16", True)]
    rc, out, _ = _run(capsys, ["blot", "quantify", path, "--background", "baseline", "--json"])
    assert rc == 0
    d = json.loads(out)
    got = np.array([[b["normalised"] for b in lane["bands"]] for lane in d["lanes"]]).T
    expected = syn.planted / syn.planted[:, :1]
    ok = np.ones(got.shape, dtype=bool)
    ok[syn.saturated[1] - 1, syn.saturated[0] - 1] = False
    assert np.abs(got[ok] / expected[ok] - 1).max() < 0.05


def test_quantify_table_figure_and_normalise_round_trip(capsys, tmp_path, blot_files):
    path, _ = blot_files[("png8", True)]
    table, fig = tmp_path / "bands.csv", tmp_path / "blot.png"
    argv = ["blot", "quantify", path, "--rows", "MDM2,p53,GAPDH", "--labels", "0h,2h,4h,8h,24h,48h"]
    wide = tmp_path / "time_course.csv"
    argv += ["--loading-control-row", "GAPDH", "--table", table, "--figure", fig, "--json"]
    argv += ["--wide", wide]
    rc, out, err = _run(capsys, argv)
    assert rc == 0, err
    assert fig.stat().st_size > 10_000 and f"wrote {fig}" in err
    assert "dark bands on light, inverted" in err
    quantified = json.loads(out)
    course = pd.read_csv(wide)
    assert list(course.columns) == ["lane", "label", "MDM2", "p53", "GAPDH"]
    assert course["MDM2"].tolist() == pytest.approx(
        [b["normalised"] for lane in quantified["lanes"] for b in lane["bands"] if b["row"] == 1],
        rel=1e-5,
    )
    long = pd.read_csv(table)
    assert {"lane", "label", "target", "intensity", "normalised", "saturated"} <= set(long)
    # the written table goes through `blot normalise` to the same numbers
    rc, out, _ = _run(capsys, ["blot", "normalise", table, "--loading-control", "GAPDH", "--json"])
    assert rc == 0
    again = json.loads(out)
    assert again["loading_control"] == "GAPDH" and again["reference_lane"] == 1
    assert [lane["label"] for lane in again["lanes"]] == ["0h", "2h", "4h", "8h", "24h", "48h"]
    for a, b in zip(quantified["lanes"], again["lanes"], strict=True):
        for x, y in zip(a["bands"], b["bands"], strict=True):
            assert x["normalised"] == pytest.approx(y["normalised"], rel=1e-5)
    # plain text: the time-course table, one row per lane
    rc, out, _ = _run(capsys, ["blot", "normalise", table, "--loading-control", "GAPDH"])
    assert rc == 0 and "MDM2" in out and "48h" in out


def test_normalise_contract(capsys, tmp_path):
    p = tmp_path / "bands.csv"
    p.write_text(
        "lane,target,intensity,label\n"
        "1,GAPDH,1000,veh\n1,MDM2,200,veh\n2,GAPDH,800,10 nM\n2,MDM2,400,10 nM\n"
    )
    fig = tmp_path / "n.png"
    argv = ["blot", "normalise", p, "--loading-control", "GAPDH", "--figure", fig, "--json"]
    rc, out, _ = _run(capsys, argv)
    d = json.loads(out)
    assert rc == 0 and set(d) == {"loading_control", "reference_lane", "lanes"}
    assert d["lanes"][1] == {
        "lane": 2,
        "label": "10 nM",
        "bands": [
            {"target": "GAPDH", "intensity": 800.0, "normalised": 1.0},
            {"target": "MDM2", "intensity": 400.0, "normalised": 2.5},  # (400/800)/(200/1000)
        ],
    }
    assert fig.stat().st_size > 5_000


# ---- bad input: exit 2, one clear message, no traceback ------------------------------------


def _png(path, pixels):
    from skimage import io

    io.imsave(path, pixels, check_contrast=False)
    return path


def _bad(capsys, argv, *patterns):
    rc, out, err = _run(capsys, argv)
    assert rc == 2, (out, err)
    assert "Traceback" not in err and err.startswith("p53lab: error:")
    for pat in patterns:
        assert re.search(pat, err), (pat, err)
    return err


def test_noise_image_is_not_a_blot(capsys, tmp_path):
    rng = np.random.default_rng(3)
    p = _png(tmp_path / "noise.png", rng.integers(0, 256, (200, 300)).astype(np.uint8))
    _bad(capsys, ["blot", "quantify", p, "--json"], re.escape(str(p)), "no lanes found", "--lanes")


def test_blank_image_is_not_a_blot(capsys, tmp_path):
    p = _png(tmp_path / "blank.png", np.full((200, 300), 230, np.uint8))
    _bad(capsys, ["blot", "quantify", p], re.escape(str(p)), "no lanes found", "blank", "230")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        ("notes.tif", b"these are my notes, not a TIFF"),
        ("empty.png", b""),
    ],
)
def test_unreadable_image(capsys, tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    _bad(capsys, ["blot", "quantify", p, "--json"], re.escape(str(p)), "TIFF .* or PNG")


def test_truncated_tiff(capsys, tmp_path, render):
    import tifffile

    p = tmp_path / "cut.tif"
    tifffile.imwrite(p, render(np.uint16).pixels)
    p.write_bytes(p.read_bytes()[:4000])
    _bad(capsys, ["blot", "quantify", p], re.escape(str(p)), "cannot be read as an image")


def test_missing_image(capsys, tmp_path):
    _bad(capsys, ["blot", "quantify", tmp_path / "nope.tif"], "no such file", "nope.tif")


def test_zero_lanes(capsys, blot_files):
    path, _ = blot_files[("png8", False)]
    _bad(
        capsys,
        ["blot", "quantify", path, "--lanes", 0, "--json"],
        re.escape(str(path)),
        "'lanes'",
        "Got 0",
        "leave it out to detect",
    )


def test_loading_control_row_that_does_not_exist(capsys, blot_files):
    path, _ = blot_files[("png8", False)]
    argv = ["blot", "quantify", path, "--lanes", 6, "--loading-control-row", 5, "--json"]
    _bad(
        capsys,
        argv,
        re.escape(str(path)),
        "loading-control row 5 does not exist",
        "3 band rows",
        "between 1 and 3",
    )
    argv = ["blot", "quantify", path, "--rows", "MDM2,p53,GAPDH", "--loading-control-row", "actin"]
    _bad(capsys, argv, "'actin' is not a band row", "MDM2, p53, GAPDH")


def test_wrong_label_count_and_unknown_table_control(capsys, tmp_path, blot_files):
    path, _ = blot_files[("png8", False)]
    _bad(capsys, ["blot", "quantify", path, "--labels", "a,b,c"], "3 lane labels", "6 lanes")
    p = tmp_path / "t.csv"
    p.write_text("lane,target,intensity\n1,MDM2,3\n1,GAPDH,9\n")
    _bad(capsys, ["blot", "normalise", p, "--loading-control", "actin"], "'actin'", "'GAPDH'")
