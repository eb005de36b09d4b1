"""Logicle, asinh and biexponential against flowutils/FlowKit and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab.errors import ParameterError
from p53lab.flow import Asinh, Biexponential, Logicle, parse_transform
from p53lab.flow.gating import above

X = np.concatenate([-np.geomspace(1, 2e3, 40), [0.0], np.geomspace(1e-3, 3e5, 80)])


@pytest.mark.parametrize(
    ("t", "w", "m", "a"), [(262144, 0.5, 4.5, 0), (10000, 1.0, 4.0, 0.5), (1024, 0, 4.5, 0)]
)
def test_logicle_matches_flowutils_and_flowkit(t, w, m, a):
    import flowkit
    from flowutils.transforms import logicle as fu_logicle

    ours = Logicle(t, w, m, a).apply(X)
    np.testing.assert_array_equal(ours, fu_logicle(X, None, t=t, m=m, w=w, a=a))
    fk = flowkit.transforms.LogicleTransform(t, w, m, a).apply(X)
    np.testing.assert_allclose(ours, fk, rtol=0, atol=1e-15)
    # T maps to 1; the inverse is exact to rounding
    assert Logicle(t, w, m, a).apply(np.array([t]))[0] == pytest.approx(1.0, abs=1e-14)
    y = np.linspace(-0.1, 1.1, 50)
    np.testing.assert_allclose(
        Logicle(t, w, m, a).apply(Logicle(t, w, m, a).inverse(y)), y, atol=1e-13
    )


def test_logicle_published_closed_form():
    """Moore & Parks (2012) biexponential B(y) with W = 0.5, M = 4.5, A = 0, T = 262144."""
    from scipy.optimize import brentq

    t_, w_, m_, a_ = 262144.0, 0.5, 4.5, 0.0
    w = w_ / (m_ + a_)
    x2 = a_ / (m_ + a_)
    x1, x0 = x2 + w, x2 + 2 * w
    b = (m_ + a_) * np.log(10)
    d = brentq(lambda d: 2 * (np.log(d) - np.log(b)) + w * (b + d), 1e-9, b)
    ca = np.exp(x0 * (b + d))
    fa = np.exp(b * x1) - ca * np.exp(-d * x1)
    a = t_ / (np.exp(b) - fa - ca * np.exp(-d))
    y = np.linspace(x1, 1.0, 20)
    big_b = a * np.exp(b * y) - ca * a * np.exp(-d * y) - fa * a
    np.testing.assert_allclose(Logicle(t_, w_, m_, a_).inverse(y), big_b, rtol=1e-12, atol=1e-9)


def test_non_finite_values_pass_through():
    v = np.array([np.nan, np.inf, -np.inf, 100.0])
    out = Logicle().apply(v)
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == -np.inf and 0 < out[3] < 1


def test_asinh_matches_flowkit():
    import flowkit

    ours = Asinh(262144, 4.5, 0.5).apply(X)
    theirs = flowkit.transforms.AsinhTransform(262144, 4.5, 0.5).apply(X)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    expected = (np.arcsinh(X * np.sinh(4.5 * np.log(10)) / 262144) + 0.5 * np.log(10)) / (
        5.0 * np.log(10)
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_biexponential_defaults_are_asinh_and_invert():
    np.testing.assert_allclose(Biexponential().apply(X), np.arcsinh(X), rtol=1e-13, atol=1e-15)
    b = Biexponential(a=2.0, b=0.8, c=0.3, d=1.7, f=-5.0, w=1.5)
    y = b.apply(X)
    assert np.all(np.diff(y[np.argsort(X)]) > 0)
    np.testing.assert_allclose(b.inverse(y), X, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("logicle", Logicle()),
        ("Logicle:t=10000,w=1,m=4,a=0.5", Logicle(10000, 1, 4, 0.5)),
        ("asinh:t=1000,m=4", Asinh(1000, 4, 0)),
        ("biex:a=1,c=1", Biexponential(a=1, c=1)),
        ("none", None),
    ],
)
def test_parse_transform(spec, expected):
    assert parse_transform(spec) == expected
    if expected is not None:
        assert parse_transform(expected.describe()) == expected


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("log", "Unknown transform 'log'"),
        ("logicle:q=1", "NAME one of t, w, m, a"),
        ("logicle:w=3", r"'w' parameter of Logicle must be in \[0, m/2\] = \[0, 2.25\]"),
        ("logicle:t=-1", "'t' parameter of Logicle must be > 0"),
        ("asinh:a=9", "'a' parameter of Asinh"),
        ("biex:c=0", "'c' parameter of Biexponential must be > 0"),
        ("logicle:t=abc", "not a number"),
    ],
)
def test_bad_transform_specs(spec, pattern):
    with pytest.raises(ParameterError, match=pattern):
        parse_transform(spec)


@settings(max_examples=60, deadline=None)
@given(
    thr=st.floats(-0.2, 1.1),
    kind=st.sampled_from(["logicle", "asinh", "biex", "logicle:t=1024,w=0,m=4"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_threshold_pull_back_equals_transforming_every_event(thr, kind, seed):
    """``above`` never transforms most events, yet agrees with T(x) >= θ event by event,
    including events exactly at, and one ulp either side of, T⁻¹(θ)."""
    t = parse_transform(kind)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 200, 300), rng.lognormal(6, 3, 300)])
    edge = float(t.inverse(np.array([thr]))[0])
    if np.isfinite(edge):
        x = np.concatenate([x, [edge, np.nextafter(edge, -np.inf), np.nextafter(edge, np.inf)]])
    np.testing.assert_array_equal(above(x, thr, t), t.apply(x) >= thr)
