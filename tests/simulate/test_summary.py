"""Summary statistics against analytic answers.

Sources: ∫₀ᵀ e^(−kt) dt = (1 − e^(−kT))/k; a sine a·sin(2πt/P) spends P·(1/2 − asin(c/a)/π) of
each period above c; the Bateman (1910) one-compartment oral-absorption curve
C(t) = D·ka/(ka − ke)·(e^(−ke·t) − e^(−ka·t)) peaks at tmax = ln(ka/ke)/(ka − ke) (Rowland &
Tozer, Clinical Pharmacokinetics and Pharmacodynamics, 4th ed., 2011, ch. 7). Trapezoid error
on a grid of step h: T·h²·max|y''|/12.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from p53lab.errors import ParameterError
from p53lab.model import Components, Model, Parameter, Species
from p53lab.model.motifs import degradation
from p53lab.simulate import simulate_ensemble
from p53lab.simulate.summary import STATS, SummarySpec, summarise


def _bateman(t, dose=100.0, ka=1.2, ke=0.15):
    return dose * ka / (ka - ke) * (np.exp(-ke * t) - np.exp(-ka * t))


# ---------------------------------------------------------------------------- auc / mean
def test_auc_of_exponential_decay_matches_analytic():
    k = np.array([0.05, 0.3, 1.0])
    t_end = 24.0
    t = np.linspace(0.0, t_end, 20_001)  # h = 1.2e-3 h: relative trapezoid error < 2e-7
    y = np.exp(-k[:, None] * t)
    want = (1 - np.exp(-k * t_end)) / k
    np.testing.assert_allclose(summarise(t, y, "auc"), want, rtol=1e-6)
    np.testing.assert_allclose(summarise(t, y, "mean"), want / t_end, rtol=1e-6)


def test_auc_is_trapezoid_not_a_riemann_sum():
    t = np.array([0.0, 1.0, 3.0])
    y = np.array([[0.0, 2.0, 2.0], [4.0, 0.0, 1.0]])
    np.testing.assert_array_equal(summarise(t, y, "auc"), [1.0 + 4.0, 2.0 + 1.0])


def test_windowed_auc_of_exponential_matches_analytic():
    k, t1, t2 = 0.3, 2.345, 17.77  # window edges between samples
    t = np.linspace(0.0, 24.0, 20_001)
    y = np.exp(-k * t)[None, :]
    want = (math.exp(-k * t1) - math.exp(-k * t2)) / k
    got = summarise(t, y, "auc", t_start=t1, t_end=t2)
    assert got[0] == pytest.approx(want, rel=1e-6)
    assert summarise(t, y, "final", t_end=t2)[0] == pytest.approx(math.exp(-k * t2), rel=1e-7)


@given(
    a=st.floats(-10, 10),
    b=st.floats(-10, 10),
    t1=st.floats(0, 9.9),
    width=st.floats(0.01, 10),
)
@settings(max_examples=100, deadline=None)
def test_window_on_a_line_is_exact(a, b, t1, width):
    t = np.arange(11.0)
    t2 = min(t1 + width, 10.0)
    if not t2 > t1:
        return
    y = (a + b * t)[None, :]

    def f(x):
        return a + b * x

    auc = a * (t2 - t1) + 0.5 * b * (t2**2 - t1**2)
    scale = 1e-9 * (1 + abs(a) + 10 * abs(b))
    got = {s: summarise(t, y, s, t_start=t1, t_end=t2)[0] for s in ("auc", "mean", "final")}
    assert got["auc"] == pytest.approx(auc, abs=scale * 10)
    assert got["mean"] == pytest.approx(auc / (t2 - t1), abs=scale * 10)
    assert got["final"] == pytest.approx(f(t2), abs=scale)
    cmax = summarise(t, y, "cmax", t_start=t1, t_end=t2)[0]
    cmin = summarise(t, y, "cmin", t_start=t1, t_end=t2)[0]
    assert cmax == pytest.approx(max(f(t1), f(t2)), abs=scale)
    assert cmin == pytest.approx(min(f(t1), f(t2)), abs=scale)
    if b > 1e-6:
        assert summarise(t, y, "tmax", t_start=t1, t_end=t2)[0] == pytest.approx(t2)
    elif b < -1e-6:
        assert summarise(t, y, "tmax", t_start=t1, t_end=t2)[0] == pytest.approx(t1)


# ---------------------------------------------------------------------------- cmax / tmax
def test_bateman_cmax_tmax_match_analytic():
    ka, ke = np.array([1.2, 0.8, 3.0]), np.array([0.15, 0.1, 0.5])
    t = np.linspace(0.0, 48.0, 48_001)  # step 1e-3 h
    y = _bateman(t[None, :], ka=ka[:, None], ke=ke[:, None])
    tmax = np.log(ka / ke) / (ka - ke)
    np.testing.assert_allclose(summarise(t, y, "tmax"), tmax, atol=1e-3)
    np.testing.assert_allclose(summarise(t, y, "cmax"), _bateman(tmax, ka=ka, ke=ke), rtol=1e-6)
    np.testing.assert_array_equal(summarise(t, y, "cmin"), 0.0)  # C(0) = 0
    np.testing.assert_allclose(summarise(t, y, "final"), _bateman(48.0, ka=ka, ke=ke))


def test_bateman_in_a_late_window_peaks_at_its_start():
    t = np.linspace(0.0, 48.0, 481)
    y = _bateman(t)[None, :]
    assert summarise(t, y, "tmax", t_start=24.0, t_end=48.0)[0] == 24.0
    assert summarise(t, y, "cmax", t_start=24.0, t_end=48.0)[0] == pytest.approx(_bateman(24.0))
    assert summarise(t, y, "cmin", t_start=24.0, t_end=48.0)[0] == pytest.approx(_bateman(48.0))


def test_tmax_is_the_first_of_equal_maxima():
    t = np.arange(5.0)
    assert summarise(t, np.array([[0.0, 3.0, 1.0, 3.0, 0.0]]), "tmax")[0] == 1.0


# ---------------------------------------------------------------------------- time above/below
@pytest.mark.parametrize("c", [-0.9, -0.3, 0.0, 0.5, 0.99])
def test_time_above_and_below_of_sine_match_analytic(c):
    period, cycles, amp = 24.0, 3, 50.0
    t = np.linspace(0.0, cycles * period, 72_001)
    y = amp * np.sin(2 * math.pi * t / period)[None, :]
    above = cycles * period * (0.5 - math.asin(c) / math.pi)
    got_above = summarise(t, y, "time_above", threshold=c * amp)[0]
    got_below = summarise(t, y, "time_below", threshold=c * amp)[0]
    assert got_above == pytest.approx(above, abs=1e-4)
    assert got_below == pytest.approx(cycles * period - above, abs=1e-4)


def test_time_above_in_a_window():
    period = 24.0
    t = np.linspace(0.0, period, 2401)
    y = np.sin(2 * math.pi * t / period)[None, :]
    # above 0 from 0 to 12 h; the window [6, 18] keeps 6 h of it
    got = summarise(t, y, "time_above", threshold=0.0, t_start=6.0, t_end=18.0)[0]
    assert got == pytest.approx(6.0, abs=1e-9)


def test_time_above_is_exact_for_a_triangle_wave():
    t = np.array([0.0, 1.0, 3.0, 4.0, 4.5])
    y = np.array([[0.0, 10.0, -10.0, 0.0, 0.0]])
    # above 2.5: on [0.25, 1] and [1, 1.75] -> 1.5 h; below 2.5: 4.5 - 1.5
    assert summarise(t, y, "time_above", threshold=2.5)[0] == pytest.approx(1.5, abs=1e-12)
    assert summarise(t, y, "time_below", threshold=2.5)[0] == pytest.approx(3.0, abs=1e-12)
    # flat at the threshold counts as neither
    assert summarise(t, y, "time_above", threshold=0.0)[0] == pytest.approx(2.0, abs=1e-12)
    assert summarise(t, y, "time_below", threshold=0.0)[0] == pytest.approx(2.0, abs=1e-12)


@given(
    # no subnormals: the dense reference's interpolation underflows them to 0 (y = [5e-324,
    # 0, ...] is above 0 for half an hour, which summarise() gets right and np.interp not)
    y=arrays(np.float64, 12, elements=st.floats(-100, 100, allow_subnormal=False)),
    thr=st.floats(-120, 120, allow_subnormal=False),
)
@settings(max_examples=100, deadline=None)
def test_time_above_matches_dense_resampling(y, thr):
    t = np.cumsum(np.r_[0.0, np.linspace(0.5, 2.0, 11)])
    fine = np.linspace(t[0], t[-1], 400_001)
    dense = np.interp(fine, t, y)
    dt = fine[1] - fine[0]
    # each sign change on the dense grid misplaces at most one step
    tol = dt * (2 + np.count_nonzero(np.diff(np.sign(dense - thr))))
    mid = 0.5 * (dense[1:] + dense[:-1])
    above = np.count_nonzero(mid > thr) * dt
    below = np.count_nonzero(mid < thr) * dt
    assert summarise(t, y[None, :], "time_above", threshold=thr)[0] == pytest.approx(above, abs=tol)
    assert summarise(t, y[None, :], "time_below", threshold=thr)[0] == pytest.approx(below, abs=tol)


# ---------------------------------------------------------------------------- shapes, NaN
@pytest.mark.parametrize("stat", STATS)
def test_nan_rows_give_nan_and_leave_others_alone(stat):
    t = np.linspace(0.0, 10.0, 11)
    y = np.vstack([np.sin(t), np.cos(t), np.sin(t)])
    y[1, 7:] = np.nan  # a member that failed at 7 h
    thr = 0.1 if stat in ("time_above", "time_below") else None
    out = summarise(t, y, stat, threshold=thr)
    assert np.isnan(out[1])
    assert out[0] == out[2] and np.isfinite(out[0])
    # still NaN when the window ends before the failure: the member failed
    assert np.isnan(summarise(t, y, stat, threshold=thr, t_end=5.0)[1])


def test_leading_axes_are_kept():
    t = np.linspace(0.0, 1.0, 5)
    y = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)
    out = summarise(t, y, "final")
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, y[..., -1])


def test_summaries_of_a_simulated_ensemble():
    """First-order decay x0·e^(−kt): AUC over 0–10 h is x0(1 − e^(−10k))/k per member."""
    model = Model.build(
        "decay",
        Components(species=(Species("x", 100.0),), parameters=(Parameter("k", 0.2),)),
        degradation("x", "k"),
    )
    k = np.array([0.1, 0.2, 0.5])
    ens = simulate_ensemble(model, {"k": k}, times_h=np.linspace(0, 10, 2001), rtol=1e-9)
    spec = SummarySpec("x", "auc")
    want = 100.0 * (1 - np.exp(-10 * k)) / k
    np.testing.assert_allclose(spec.compute(ens.times, ens["x"]), want, rtol=1e-5)
    above = SummarySpec("x", "time_above", threshold=50.0).compute(ens.times, ens["x"])
    np.testing.assert_allclose(above, np.minimum(np.log(2) / k, 10.0), rtol=1e-5)


# ---------------------------------------------------------------------------- errors
T = np.linspace(0.0, 10.0, 11)
Y = np.ones((2, 11))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((T, Y, "auc_inf"), {}, "'stat'"),
        ((T, Y, "time_above"), {}, "needs a threshold"),
        ((T, Y, "time_below"), {"threshold": math.nan}, "'threshold'"),
        ((T, Y, "auc"), {"threshold": 1.0}, "used only by"),
        ((T, Y, "auc"), {"t_start": 5.0, "t_end": 5.0}, "empty"),
        ((T, Y, "auc"), {"t_start": 6.0, "t_end": 5.0}, "empty"),
        ((T, Y, "auc"), {"t_start": 10.0}, "empty"),
        ((T, Y, "auc"), {"t_start": -1.0}, "outside the sampled times"),
        ((T, Y, "auc"), {"t_end": 11.0}, "outside the sampled times"),
        ((T, Y, "auc"), {"t_end": math.inf}, "'t_end'"),
        ((T[::-1], Y, "auc"), {}, "strictly increasing"),
        ((np.zeros(11), Y, "auc"), {}, "strictly increasing"),
        ((T[:1], Y[:, :1], "auc"), {}, "at least 2"),
        ((T, Y[:, :5], "auc"), {}, r"shape \(members, 11\)"),
    ],
)
def test_summarise_errors(args, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        summarise(*args, **kwargs)


# ---------------------------------------------------------------------------- SummarySpec
@pytest.mark.parametrize(
    "spec, name",
    [
        (SummarySpec("p", "auc"), "p_auc"),
        (SummarySpec("p", "time_above", threshold=50), "p_time_above_50"),
        (SummarySpec("p", "time_below", threshold=0.5), "p_time_below_0.5"),
        (SummarySpec("p", "cmax", t_start=24, t_end=48), "p_cmax_24_48"),
        (SummarySpec("p", "auc", t_end=24.0), "p_auc_start_24"),
        (SummarySpec("p", "mean", t_start=2.5), "p_mean_2.5_end"),
    ],
)
def test_summary_spec_names(spec, name):
    assert spec.name == name
    assert SummarySpec.from_dict(spec.to_dict(), "x") == spec


def test_summary_spec_compute_matches_summarise():
    t = np.linspace(0.0, 48.0, 97)
    y = _bateman(t)[None, :]
    spec = SummarySpec.from_dict({"output": "c", "stat": "cmax", "t_start": 24, "t_end": 48}, "x")
    assert spec.compute(t, y)[0] == summarise(t, y, "cmax", t_start=24.0, t_end=48.0)[0]


WHERE = "sweep.yaml: summaries[2]"


@pytest.mark.parametrize(
    "d, says",
    [
        (["p", "auc"], "mapping"),
        ({"output": "p"}, "needs 'stat'"),
        ({"stat": "auc"}, "needs 'output'"),
        ({"output": "p", "stat": "auc", "window": [0, 1]}, "unknown key.*'window'"),
        ({"output": "p", "stat": "area"}, "'stat'"),
        ({"output": "", "stat": "auc"}, "'output'"),
        ({"output": "p", "stat": "time_above"}, "needs a threshold"),
        ({"output": "p", "stat": "cmax", "threshold": 3}, "used only by"),
        ({"output": "p", "stat": "auc", "t_start": 5, "t_end": 1}, "empty"),
        ({"output": "p", "stat": "auc", "t_start": "5"}, "'t_start'"),
    ],
)
def test_summary_spec_from_dict_errors_start_with_where(d, says):
    with pytest.raises(ParameterError) as info:
        SummarySpec.from_dict(d, WHERE)
    msg = str(info.value)
    assert msg.startswith(f"{WHERE}: "), msg
    assert re.search(says, msg), msg
