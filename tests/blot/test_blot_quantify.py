"""Densitometry of synthetic blots with planted band intensities (see conftest.py).

Known answer: each band's planted integral, so the normalised value of band (lane, target) is
``TRUTH[target, lane]`` exactly; unequal loading is planted and must be removed by GAPDH.
Tolerance 5 % on every normalised ratio that does not involve the saturated band.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from p53lab import blot
from p53lab.errors import FileFormatError, ParameterError

TOL = 0.05


def _grid(res, value="normalised"):
    """rows × lanes array of a result's ``value``."""
    wide = res.wide(value)
    return wide[[r["target"] for r in res.band_rows]].to_numpy(float).T


def _unsaturated(syn):
    mask = np.ones(syn.truth.shape, dtype=bool)
    if syn.saturated:
        lane, row = syn.saturated
        mask[row - 1, lane - 1] = False
    return mask


@pytest.mark.parametrize("background", ["rolling-ball", "baseline"])
@pytest.mark.parametrize("kind", ["png8", "tif16"])
@pytest.mark.parametrize("dark", [False, True], ids=["light-bands", "dark-bands"])
def test_planted_ratios_recovered(blot_files, kind, dark, background):
    path, syn = blot_files[(kind, dark)]
    res = blot.quantify(
        path, rows=list(syn.targets), loading_control="GAPDH", background=background
    )
    assert res.ok and res.inverted is dark and res.invert_auto
    assert res.dtype == ("uint8" if kind == "png8" else "uint16")
    assert len(res.lanes) == syn.truth.shape[1] and len(res.band_rows) == 3
    got = _grid(res)
    ok = _unsaturated(syn)
    err = np.abs(got[ok] / syn.truth[ok] - 1)
    assert err.max() < TOL, f"worst ratio error {err.max():.3f}"
    assert np.allclose(got[2], 1.0)  # the loading control's own row
    # integrated intensities themselves (grey levels × px of the file), before any ratio
    raw = _grid(res, "intensity")
    # (the rolling ball rises a little into every band: a known bias of a few per cent)
    assert np.abs(raw[ok] / syn.planted[ok] - 1).max() < (
        0.03 if background == "baseline" else 0.07
    )
    # exactly the planted saturated band is flagged
    flagged = {(b["lane"], b["row"]) for b in res.bands if b["saturated"]}
    assert flagged == {syn.saturated}
    assert any("saturated" in w for w in res.warnings)
    assert res.saturation_rule == "type maximum"


def test_saturated_band_reads_low(render):
    # the clipped band is planted at 2.2x the ceiling's worth: its integral is a lower bound
    syn = render(np.uint8, saturate=True)
    res = blot.quantify(syn.pixels, rows=3, loading_control=3, background="baseline")
    lane, row = syn.saturated
    band = next(b for b in res.bands if (b["lane"], b["row"]) == (lane, row))
    assert band["saturated"] and band["saturated_px"] > 10


def test_plateau_below_type_maximum_is_saturation(render):
    # a 12-bit camera written to a 16-bit file clips at 4095, not 65535
    syn = render(np.uint16, scale=4095 / 255.0, clip_at=4095.0)
    assert syn.pixels.max() == 4095
    res = blot.quantify(syn.pixels, rows=3, loading_control=3)
    assert res.saturation_level == 4095 and res.saturation_rule.startswith("plateau")
    assert {(b["lane"], b["row"]) for b in res.bands if b["saturated"]} == {syn.saturated}


def test_no_saturation_when_nothing_clips(render):
    syn = render(np.uint16, saturate=False)
    res = blot.quantify(syn.pixels, rows=3, loading_control=3)
    assert math.isnan(res.saturation_level) and not any(b["saturated"] for b in res.bands)
    assert np.abs(_grid(res) / syn.truth - 1).max() < TOL


@pytest.mark.parametrize("n_lanes", [4, 6, 9])
def test_lanes_detected_without_a_count(render, n_lanes):
    syn = render(np.uint8, n_lanes=n_lanes, saturate=False)
    res = blot.quantify(syn.pixels)
    assert len(res.lanes) == n_lanes
    centres = np.array([lane["centre"] for lane in res.lanes])
    assert np.abs(centres - syn.lane_x).max() <= 2.0
    assert [r["centre"] for r in res.band_rows] == pytest.approx(syn.row_y, abs=2)
    # lanes tile the blot left to right without gaps or overlaps
    edges = [(lane["left"], lane["right"]) for lane in res.lanes]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))


def test_lane_count_given_is_used(render):
    syn = render(np.uint8, saturate=False)
    res = blot.quantify(syn.pixels, lanes=6)
    assert len(res.lanes) == 6
    # a blot with lane 3 left empty: the peaks show 5 lanes, so 6 asked is refused with advice,
    # and the equal-width layout measures 6 lanes, the empty one near zero
    empty = render(np.uint8, saturate=False, empty_lane=3)
    assert len(blot.quantify(empty.pixels).lanes) == 5
    with pytest.raises(FileFormatError, match="lane-layout equal"):
        blot.quantify(empty.pixels, lanes=6)
    res = blot.quantify(
        empty.pixels, lanes=6, lane_layout="equal", rows=3, loading_control=3, background="baseline"
    )
    assert [(lane["left"], lane["right"]) for lane in res.lanes][2] == (120, 180)
    lane3 = [b["intensity"] for b in res.bands if b["lane"] == 3]
    gapdh1 = next(b["intensity"] for b in res.bands if b["lane"] == 1 and b["row"] == 3)
    assert max(abs(v) for v in lane3) < 0.02 * gapdh1
    assert all(b["status"] == "not_estimable" for b in res.bands if b["lane"] == 3)


def test_explicit_inversion_override(render):
    syn = render(np.uint8, dark=True, saturate=False)
    res = blot.quantify(syn.pixels, invert=True, rows=3, loading_control=3)
    assert res.inverted and not res.invert_auto
    assert np.abs(_grid(res) / syn.truth - 1).max() < TOL
    assert not any("looks like" in w for w in res.warnings)
    # forced the wrong way round, the "bands" are the gaps between them: a warning says so
    wrong = blot.quantify(syn.pixels, invert=False)
    assert any("looks like dark bands on a light background" in w for w in wrong.warnings)
    assert (len(wrong.lanes), len(wrong.band_rows)) != (6, 3)


def test_without_loading_control_relative_to_lane_one(render):
    syn = render(np.uint8, saturate=False)
    res = blot.quantify(syn.pixels, rows=list(syn.targets), background="baseline")
    expected = syn.planted / syn.planted[:, :1]  # loading differences are kept
    assert np.abs(_grid(res) / expected - 1).max() < TOL
    assert res.loading_control == "" and res.loading_control_row == 0


def test_reference_lane_and_time_course_table(render):
    syn = render(np.uint8, saturate=False)
    labels = ["veh", "2 h", "4 h", "8 h", "24 h", "48 h"]
    res = blot.quantify(
        syn.pixels, rows=list(syn.targets), labels=labels, loading_control="GAPDH", reference_lane=2
    )
    wide = res.wide()
    assert list(wide.columns) == ["lane", "label", "MDM2", "p53", "GAPDH"]
    assert list(wide["label"]) == labels
    expected = syn.truth / syn.truth[:, 1:2]
    ok = _unsaturated(syn)
    assert np.abs(_grid(res)[ok] / expected[ok] - 1).max() < TOL


def test_result_round_trip_and_figure(tmp_path, blot_files):
    import matplotlib

    matplotlib.use("Agg")
    path, syn = blot_files[("png8", False)]
    img = blot.read_image(path)
    res = blot.quantify(img, rows=list(syn.targets), loading_control="GAPDH")
    back = blot.BlotResult.load(res.save(tmp_path / "blot.json"))
    assert back.to_dict() == res.to_dict()
    fig = blot.figure(res, img, tmp_path / "blot.png")
    assert (tmp_path / "blot.png").stat().st_size > 10_000 and fig is not None
    ax = blot.plot(res)
    assert len(ax.patches) == 2 * 6  # MDM2 and p53 bars; the loading control is left out
    numeric = blot.quantify(img, rows=3, labels=[0, 2, 4, 8, 24, 48], loading_control=3)
    assert len(blot.plot(numeric).lines) >= 2  # a time course is drawn as lines
    doses = ["0", "100 pM", "1 nM", "10 nM", "100 nM", "1 uM"]
    ax = blot.plot(blot.quantify(img, rows=3, labels=doses, loading_control=3))
    assert ax.get_xscale() == "symlog" and ax.get_xlabel() == "concentration (nM)"
    assert list(ax.lines[0].get_xdata()) == [0, 0.1, 1, 10, 100, 1000]


def test_plot_image_marks_saturated_box(blot_files):
    import matplotlib

    matplotlib.use("Agg")
    path, _ = blot_files[("tif16", True)]
    img = blot.read_image(path)
    res = blot.quantify(img, rows=3, loading_control=3)
    ax = blot.plot_image(res, img)
    red = [p for p in ax.patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert len(red) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"lanes": 0}, ParameterError, r"'lanes'.*Got 0.*leave it out"),
        ({"lanes": True}, ParameterError, r"'lanes'"),
        ({"lane_layout": "grid"}, ParameterError, r"'lane_layout'.*'grid'"),
        ({"lane_layout": "equal"}, ParameterError, r"needs the lane count"),
        ({"background": "median"}, ParameterError, r"'background'.*'median'"),
        ({"radius_px": 0}, ParameterError, r"'radius_px'.*>= 1"),
        ({"reference_lane": 7}, ParameterError, r"reference lane 7 does not exist; 6 lanes"),
        ({"rows": ["a", "a", "b"]}, ParameterError, r"distinct"),
        ({"rows": ["a", "b", "c", "d"]}, FileFormatError, r"4 band rows asked.*only 3"),
        ({"loading_control": 0}, ParameterError, r"'loading_control'.*Got 0"),
        ({"loading_control": 4}, ParameterError, r"row 4 does not exist; 3 band rows"),
        ({"labels": ["a", "b"]}, ParameterError, r"2 lane labels given .* for 6 lanes"),
    ],
)
def test_bad_parameters(render, kwargs, error, pattern):
    syn = render(np.uint8, saturate=False)
    with pytest.raises(error, match=pattern):
        blot.quantify(syn.pixels, **kwargs)
