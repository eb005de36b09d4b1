"""Annexin V / PI quadrants on simulated stains with planted fractions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from p53lab.errors import ParameterError
from p53lab.flow import Logicle, SingletGate, apoptosis, read_fcs

PLANTED = dict(live=0.62, early=0.14, late=0.16, necrotic=0.08)
NAMES = {
    "live": "live",
    "early": "early_apoptotic",
    "late": "late_apoptotic",
    "necrotic": "necrotic",
}


@pytest.fixture(scope="module")
def stain(tmp_path_factory, flowsim):
    """A stained sample (30,000 events) and an unstained control (20,000), with $SPILLOVER."""
    write_apoptosis_fcs = flowsim.write_apoptosis_fcs
    d = tmp_path_factory.mktemp("apoptosis")
    rng = np.random.default_rng(2024)
    sample, labels = write_apoptosis_fcs(d / "treated.fcs", rng, 30000, PLANTED)
    unstained, _ = write_apoptosis_fcs(
        d / "unstained.fcs", rng, 20000, dict(live=1, early=0, late=0, necrotic=0)
    )
    return sample, unstained, labels


def planted_pct(labels):
    return {NAMES[k]: 100 * np.mean(labels == k) for k in NAMES}


def test_control_threshold_recovers_planted_fractions(stain):
    """99.9th percentile of the unstained control, compensated, on a logicle scale: each
    fraction within 1 percentage point of the planted one."""
    sample, unstained, labels = stain
    res = apoptosis.fit(
        sample,
        "Annexin V",
        "PI",
        unstained=unstained,
        percentile=99.9,
        spillover="file",
        transform="logicle",
    )
    truth = planted_pct(labels)
    for k, v in truth.items():
        assert getattr(res, f"{k}_pct") == pytest.approx(v, abs=1.0), k
    assert sum(res.counts.values()) == res.n_events == 30000
    assert res.annexin_threshold_method == "unstained control, 99.9th percentile"
    # the threshold is exactly the percentile of the control on the gating scale
    ctl = read_fcs(unstained)
    from p53lab.flow import channel_values

    v = Logicle().apply(channel_values(ctl, ["FITC-A"], "file")[:, 0])
    assert res.annexin_threshold == pytest.approx(np.percentile(v, 99.9), rel=1e-12)


def test_default_99th_percentile_bias_is_the_expected_one(stain):
    """With the default 99th percentile ~1 % of negatives per axis fall above the threshold;
    the measured fractions match that expectation (within sampling noise)."""
    sample, unstained, labels = stain
    res = apoptosis.fit(
        sample, "FITC-A", "PE-A", unstained=unstained, spillover="file", transform="logicle"
    )
    assert res.percentile == 99.0
    t = {k: np.mean(labels == k) for k in NAMES}
    fp = 0.01
    expected = {
        "live": t["live"] * (1 - fp) ** 2,
        "early_apoptotic": t["early"] * (1 - fp) + t["live"] * fp * (1 - fp),
        "necrotic": t["necrotic"] * (1 - fp) + t["live"] * fp * (1 - fp),
        "late_apoptotic": t["late"] + (t["early"] + t["necrotic"]) * fp + t["live"] * fp**2,
    }
    for k, v in expected.items():
        assert getattr(res, f"{k}_pct") == pytest.approx(100 * v, abs=0.4), k


def test_density_valley_thresholds(stain):
    sample, _, labels = stain
    res = apoptosis.fit(sample, "FITC-A", "PE-A", spillover="file", transform="logicle")
    assert res.annexin_threshold_method == res.pi_threshold_method == "density valley"
    for k, v in planted_pct(labels).items():
        assert getattr(res, f"{k}_pct") == pytest.approx(v, abs=1.0), k
    # without a transform the valley is sought on a logicle scale and reported linearly
    lin = apoptosis.fit(sample, "FITC-A", "PE-A", spillover="file")
    assert lin.transform == "none" and lin.annexin_threshold > 500
    assert lin.live_pct == pytest.approx(res.live_pct, abs=1.0)


def test_compensation_matters(stain):
    """Without compensation FITC spills into PI: early apoptotic cells look late."""
    sample, unstained, labels = stain
    raw = apoptosis.fit(
        sample, "FITC-A", "PE-A", unstained=unstained, percentile=99.9, transform="logicle"
    )
    assert raw.late_apoptotic_pct > planted_pct(labels)["late_apoptotic"] + 5


def test_given_thresholds_and_single_stain_controls(stain, tmp_path, flowsim):
    sample, unstained, _ = stain
    res = apoptosis.fit(
        sample, "FITC-A", "PE-A", annexin_threshold=2000, pi_threshold=1500, spillover="file"
    )
    assert (res.annexin_threshold, res.pi_threshold) == (2000.0, 1500.0)
    assert res.annexin_threshold_method == "given"
    # an Annexin-only control sets the PI axis; the Annexin axis falls back to unstained
    write_apoptosis_fcs = flowsim.write_apoptosis_fcs
    a_only, _ = write_apoptosis_fcs(
        tmp_path / "a_only.fcs",
        np.random.default_rng(9),
        5000,
        dict(live=0.5, early=0.5, late=0, necrotic=0),
    )
    th = apoptosis.control_thresholds(
        "FITC-A",
        "PE-A",
        unstained=unstained,
        annexin_only=a_only,
        spillover="file",
        transform="logicle",
    )
    assert th["pi"][1].startswith("annexin_only") and th["annexin"][1].startswith("unstained")


def test_positive_control_check(stain, tmp_path, flowsim):
    write_apoptosis_fcs = flowsim.write_apoptosis_fcs
    sample, unstained, _ = stain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = apoptosis.fit(
            sample,
            "FITC-A",
            "PE-A",
            unstained=unstained,
            spillover="file",
            transform="logicle",
            positive_control=True,
        )
    assert ok.qc == "passed"
    weak, _ = write_apoptosis_fcs(
        tmp_path / "weak.fcs",
        np.random.default_rng(4),
        5000,
        dict(live=0.95, early=0.03, late=0.01, necrotic=0.01),
    )
    with pytest.warns(apoptosis.PositiveControlWarning, match="below the expected minimum of 20"):
        bad = apoptosis.fit(
            weak,
            "FITC-A",
            "PE-A",
            unstained=unstained,
            spillover="file",
            transform="logicle",
            positive_control=True,
        )
    assert bad.qc == "failed" and bad.status == "ok"


def test_batch_keeps_going(stain, tmp_path):
    sample, unstained, _ = stain
    broken = tmp_path / "broken.fcs"
    broken.write_bytes(sample.read_bytes()[:5000])
    wrong = tmp_path / "wrong.fcs"
    wrong.write_bytes(b"not an fcs file")
    res = apoptosis.fit_many(
        [sample, broken, wrong, sample],
        "FITC-A",
        "PE-A",
        unstained=unstained,
        spillover="file",
        transform="logicle",
        singlets=SingletGate("FSC-A", height="FSC-H"),
    )
    assert [r.status for r in res] == ["ok", "failed", "failed", "ok"]
    assert "truncated" in res[1].message and "broken.fcs" in res[1].message
    assert "not an FCS file" in res[2].message
    assert res[0].live_pct == res[3].live_pct and res[0].n_excluded > 0
    table = apoptosis.summary_table(res)
    assert list(table["status"]) == ["ok", "failed", "failed", "ok"] and "n_live" in table


def test_batch_with_executor_matches_serial(stain):
    from concurrent.futures import ThreadPoolExecutor

    sample, unstained, _ = stain
    kw = dict(unstained=unstained, spillover="file", transform="logicle")
    serial = apoptosis.fit_many([sample], "FITC-A", "PE-A", **kw)
    with ThreadPoolExecutor(2) as ex:
        par = apoptosis.fit_many([sample], "FITC-A", "PE-A", executor=ex, **kw)
    assert par[0].counts == serial[0].counts


def test_too_few_events(tmp_path, flowsim):
    write_apoptosis_fcs = flowsim.write_apoptosis_fcs
    tiny, _ = write_apoptosis_fcs(tmp_path / "tiny.fcs", np.random.default_rng(1), 40, PLANTED)
    with pytest.raises(ParameterError, match=r"tiny.fcs: 40 events to analyse; at least 100"):
        apoptosis.fit(tiny, "FITC-A", "PE-A", annexin_threshold=1, pi_threshold=1)


def test_result_round_trip_and_plot(stain, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sample, unstained, _ = stain
    res = apoptosis.fit(
        sample, "FITC-A", "PE-A", unstained=unstained, spillover="file", transform="logicle"
    )
    back = apoptosis.ApoptosisResult.load(res.save(tmp_path / "r.json"))
    assert back.counts == res.counts and back.live_pct == res.live_pct
    assert len(res.dot_annexin) == 2000
    ax = apoptosis.plot(res)
    assert len(ax.lines) == 2  # the two quadrant lines
    assert ax.lines[0].get_xdata()[0] == pytest.approx(res.annexin_threshold)
    plt.close(ax.figure)
