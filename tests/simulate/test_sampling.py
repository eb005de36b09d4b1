"""Parameter distributions and samplers against analytic moments and their own contracts.

Analytic moments: Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions (2nd ed.,
1994), vol. 1 ch. 13 (normal), 14 (lognormal: mean m·exp(σ²/2), CV sqrt(exp(σ²) − 1)) and
vol. 2 ch. 26 (uniform); loguniform on [a, b]: mean (b − a)/ln(b/a). Spearman correlation of a
Gaussian copula with parameter ρ: (6/π)·asin(ρ/2) (Pearson 1907, via Kruskal 1958, JASA
53:814).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from p53lab.errors import ParameterError
from p53lab.simulate.sampling import (
    KINDS,
    Distribution,
    lognormal_cv,
    parse_distribution,
    sample,
)

N_MOMENTS = 200_000
N_CORR = 20_000


def _spearman(x, y) -> float:
    return float(stats.spearmanr(x, y).statistic)


# ---------------------------------------------------------------------------- lognormal_cv
@pytest.mark.parametrize("value, cv", [(5.0, 0.3), (0.02, 0.8), (120.0, 0.1)])
def test_lognormal_cv_sample_moments_match_analytic(value, cv):
    x = sample({"k": lognormal_cv(value, cv)}, N_MOMENTS, seed=11)["k"]
    cv_hat = x.std(ddof=1) / x.mean()
    assert np.median(x) == pytest.approx(value, rel=0.01)
    assert x.mean() == pytest.approx(value * math.sqrt(1 + cv**2), rel=0.01)
    assert cv_hat == pytest.approx(cv, rel=0.01)


@given(value=st.floats(1e-6, 1e6), cv=st.floats(1e-3, 5.0))
@settings(max_examples=50, deadline=None)
def test_lognormal_cv_is_exact_analytically(value, cv):
    d = lognormal_cv(value, cv)
    assert d.kind == "lognormal"
    assert d.ppf(np.array([0.5]))[0] == value  # median exactly
    rv = stats.lognorm(s=d.b, scale=d.a)
    assert rv.std() / rv.mean() == pytest.approx(cv, rel=1e-9)


def test_lognormal_cv_zero_is_fixed_and_gives_constant_arrays():
    d = lognormal_cv(7.5, 0.0)
    assert d == Distribution("fixed", 7.5)
    for method in ("random", "lhs"):
        x = sample({"k": d, "j": lognormal_cv(1.0, 0.5)}, 50, seed=3, method=method)["k"]
        np.testing.assert_array_equal(x, np.full(50, 7.5))


@pytest.mark.parametrize("cv", [-0.1, math.nan, math.inf])
def test_lognormal_cv_rejects_bad_cv(cv):
    with pytest.raises(ParameterError, match=r"'cv'.*>= 0"):
        lognormal_cv(1.0, cv)


def test_lognormal_cv_rejects_nonpositive_median():
    with pytest.raises(ParameterError, match=r"'value'.*> 0"):
        lognormal_cv(-1.0, 0.2)


# ---------------------------------------------------------------------------- moments
@pytest.mark.parametrize(
    "dist, mean, var",
    [
        (Distribution("normal", 11.0, 1.5), 11.0, 1.5**2),
        (Distribution("uniform", -2.0, 6.0), 2.0, 8.0**2 / 12),
        (
            Distribution("loguniform", 0.1, 100.0),
            99.9 / math.log(1000.0),
            (100.0**2 - 0.1**2) / (2 * math.log(1000.0)) - (99.9 / math.log(1000.0)) ** 2,
        ),
        (
            Distribution("lognormal", 3.0, 0.5),
            3.0 * math.exp(0.125),
            9.0 * math.exp(0.25) * (math.exp(0.25) - 1),
        ),
    ],
    ids=["normal", "uniform", "loguniform", "lognormal"],
)
@pytest.mark.parametrize("method", ["random", "lhs"])
def test_moments_match_analytic(dist, mean, var, method):
    x = sample({"x": dist}, N_MOMENTS, seed=5, method=method)["x"]
    sd = math.sqrt(var)
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(N_MOMENTS)
    assert x.var(ddof=1) == pytest.approx(var, rel=0.02)


def test_loguniform_log_is_uniform():
    x = sample({"x": Distribution("loguniform", 1e-3, 1e3)}, N_MOMENTS, seed=8)["x"]
    frac_per_decade = np.histogram(np.log10(x), bins=6, range=(-3, 3))[0] / x.size
    np.testing.assert_allclose(frac_per_decade, 1 / 6, atol=0.005)


def test_ppf_uses_the_named_parameters():
    assert Distribution("normal", 11.0, 2.0).ppf(stats.norm.cdf(1.0)) == pytest.approx(13.0)
    assert Distribution("uniform", 2.0, 4.0).ppf(0.25) == pytest.approx(2.5)
    assert Distribution("loguniform", 1.0, 100.0).ppf(0.5) == pytest.approx(10.0)
    assert Distribution("lognormal", 2.0, 0.0).ppf(0.9) == 2.0
    assert np.isnan(Distribution("fixed", 1.0).ppf(1.5))


# ---------------------------------------------------------------------------- LHS strata
@pytest.mark.parametrize("n", [1, 7, 100, 1000])
@pytest.mark.parametrize("correlated", [False, True])
def test_lhs_puts_one_point_in_each_stratum(n, correlated):
    dists = {
        "u": Distribution("uniform", 0.0, 1.0),
        "v": Distribution("uniform", 0.0, 1.0),
        "w": lognormal_cv(4.0, 0.5),
    }
    corr = {("u", "v"): 0.7, ("v", "w"): -0.4} if correlated else None
    s = sample(dists, n, seed=21, method="lhs", correlation=corr)
    for name, x in s.items():
        u = x if name != "w" else stats.lognorm(s=dists["w"].b, scale=4.0).cdf(x)
        strata = np.floor(u * n).astype(int)
        np.testing.assert_array_equal(np.sort(strata), np.arange(n), err_msg=name)


def test_random_does_not_stratify():
    # the stratum check above can fail: independent uniforms leave strata empty
    x = sample({"u": Distribution("uniform", 0.0, 1.0)}, 100, seed=21)["u"]
    assert len(np.unique(np.floor(x * 100))) < 100


# ---------------------------------------------------------------------------- correlation
@pytest.mark.parametrize("rho", [0.5, -0.7, 0.9])
def test_random_copula_imposes_pearson_on_normals(rho):
    dists = {"a": Distribution("normal", 1.0, 2.0), "b": Distribution("normal", -3.0, 0.5)}
    s = sample(dists, N_CORR, seed=2, correlation={("a", "b"): rho})
    # sample Pearson r has sd (1 - ρ²)/sqrt(n) <= 0.007
    assert np.corrcoef(s["a"], s["b"])[0, 1] == pytest.approx(rho, abs=0.02)


@pytest.mark.parametrize("method", ["random", "lhs"])
@pytest.mark.parametrize("rho", [0.5, -0.7, 0.9])
def test_spearman_of_copula_matches_analytic(method, rho):
    dists = {
        "k_f": lognormal_cv(2.0, 0.6),
        "k_b": Distribution("loguniform", 0.1, 10.0),
        "free": Distribution("uniform", 0.0, 1.0),
    }
    s = sample(dists, N_CORR, seed=4, method=method, correlation={("k_f", "k_b"): rho})
    target = 6 / math.pi * math.asin(rho / 2)
    assert _spearman(s["k_f"], s["k_b"]) == pytest.approx(target, abs=0.01)
    assert _spearman(s["k_f"], s["k_b"]) == pytest.approx(rho, abs=0.03)
    assert _spearman(s["k_f"], s["free"]) == pytest.approx(0.0, abs=0.03)


def test_iman_conover_imposes_exact_normal_score_correlation():
    c = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    dists = {n: Distribution("normal", 0.0, 1.0) for n in "xyz"}
    s = sample(dists, N_CORR, seed=9, method="lhs", correlation=c)
    r = np.corrcoef(np.vstack([s["x"], s["y"], s["z"]]))
    np.testing.assert_allclose(r, c, atol=0.005)


def test_iman_conover_corrects_chance_correlation_in_small_samples():
    # Iman & Conover (1982) divide out the scores' own sample correlation (Q⁻¹); without it,
    # chance correlation of a 50-point hypercube adds ~0.14 to the worst entry, with it ~0.03.
    c = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    dists = {n: Distribution("uniform", 0.0, 1.0) for n in "xyz"}
    n, errs = 50, []
    for seed in range(50):
        s = sample(dists, n, seed=seed, method="lhs", correlation=c)
        u = np.column_stack([s[k] for k in "xyz"])
        vdw = stats.norm.ppf(stats.rankdata(u, axis=0) / (n + 1))
        errs.append(np.abs(np.corrcoef(vdw, rowvar=False) - c).max())
    assert np.mean(errs) < 0.05


def test_full_matrix_and_pairs_agree():
    dists = {"a": Distribution("normal", 0, 1), "b": Distribution("normal", 0, 1)}
    m = sample(dists, 500, seed=1, correlation=np.array([[1.0, 0.4], [0.4, 1.0]]))
    p = sample(dists, 500, seed=1, correlation={("b", "a"): 0.4})
    for k in dists:
        np.testing.assert_array_equal(m[k], p[k])


@pytest.mark.parametrize(
    "corr, match",
    [
        (np.array([[1.0, 0.5], [0.4, 1.0]]), "symmetric"),
        (np.array([[1.0, 0.5], [0.5, 0.9]]), "diagonal"),
        (np.array([[1.0, 1.5], [1.5, 1.0]]), r"\[-1, 1\]"),
        (np.array([[1.0, 1.0], [1.0, 1.0]]), "positive definite"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "non-finite"),
        (np.eye(3), r"2×2"),
        ({("a", "c"): 0.3}, "not sampled"),
        ({("a", "a"): 0.3}, "itself"),
        ({("a", "b"): 0.3, ("b", "a"): 0.4}, "twice"),
        ({"a": 0.3}, "pairs"),
        ({("a", "b"): -1.2}, r"\[-1, 1\]"),
    ],
)
def test_invalid_correlation_is_rejected(corr, match):
    dists = {"a": Distribution("normal", 0, 1), "b": Distribution("normal", 0, 1)}
    with pytest.raises(ParameterError, match=match):
        sample(dists, 10, seed=0, correlation=corr)


def test_contradictory_pairs_are_not_positive_definite():
    dists = {k: Distribution("normal", 0, 1) for k in "abc"}
    corr = {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9}
    with pytest.raises(ParameterError, match="positive definite"):
        sample(dists, 10, seed=0, method="lhs", correlation=corr)


# ---------------------------------------------------------------------------- seeds
@pytest.mark.parametrize("method", ["random", "lhs"])
@pytest.mark.parametrize("corr", [None, {("a", "b"): 0.5}])
def test_same_seed_same_draws_and_other_seed_differs(method, corr):
    dists = {"a": lognormal_cv(1.0, 0.3), "b": Distribution("uniform", 0, 2)}
    one = sample(dists, 64, seed=123, method=method, correlation=corr)
    two = sample(dists, 64, seed=123, method=method, correlation=corr)
    other = sample(dists, 64, seed=124, method=method, correlation=corr)
    assert list(one) == ["a", "b"]
    for k in dists:
        assert one[k].shape == (64,)
        np.testing.assert_array_equal(one[k], two[k])
        assert not np.array_equal(one[k], other[k])


def test_output_follows_mapping_order():
    dists = {"z": Distribution("fixed", 1.0), "a": Distribution("fixed", 2.0)}
    assert list(sample(dists, 3, seed=None)) == ["z", "a"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "'n'"),
        ({"n": 2.5}, "'n'"),
        ({"n": True}, "'n'"),
        ({"method": "sobol"}, "'method'"),
        ({"seed": -1}, "'seed'"),
        ({"seed": "abc"}, "'seed'"),
    ],
)
def test_sample_rejects_bad_arguments(kwargs, match):
    args = {"n": 10, "seed": 0, "method": "random"} | kwargs
    with pytest.raises(ParameterError, match=match):
        sample({"a": Distribution("normal", 0, 1)}, **args)


def test_sample_rejects_non_distribution():
    with pytest.raises(ParameterError, match="'a' must be a Distribution"):
        sample({"a": {"lognormal": {"cv": 0.3}}}, 10, seed=0)


# ---------------------------------------------------------------------------- Distribution
@pytest.mark.parametrize(
    "kind, a, b, match",
    [
        ("gamma", 1.0, 1.0, "'kind'"),
        ("normal", math.nan, 1.0, "'a'.*finite"),
        ("normal", 0.0, math.inf, "'b'.*finite"),
        ("normal", 0.0, -1.0, "'b'.*>= 0"),
        ("lognormal", 0.0, 0.3, "'a'.*> 0"),
        ("lognormal", 1.0, -0.3, "'b'.*>= 0"),
        ("uniform", 2.0, 2.0, "'b'.*> a"),
        ("loguniform", 0.0, 2.0, "'a'.*> 0"),
        ("loguniform", 3.0, 2.0, "'b'.*> a"),
        ("fixed", 3.0, 1.0, "'b'.*0"),
        ("normal", "1", 1.0, "'a'.*finite"),
    ],
)
def test_distribution_validates(kind, a, b, match):
    with pytest.raises(ParameterError, match=match):
        Distribution(kind, a, b)


_pos = st.floats(1e-6, 1e6)
_real = st.floats(-1e6, 1e6)
_distributions = st.one_of(
    st.builds(lambda a, b: Distribution("lognormal", a, b), _pos, st.floats(0, 3)),
    st.builds(lambda a, b: Distribution("normal", a, b), _real, st.floats(0, 1e3)),
    st.builds(lambda a, w: Distribution("uniform", a, a + w), _real, st.floats(1e-3, 1e3)),
    st.builds(lambda a, f: Distribution("loguniform", a, a * f), _pos, st.floats(1.01, 1e3)),
    st.builds(lambda a: Distribution("fixed", a), _real),
)


@given(d=_distributions)
@settings(max_examples=200, deadline=None)
def test_to_dict_round_trips_through_parse_and_json(d):
    assert d.kind in KINDS
    assert parse_distribution(d.to_dict(), None, "x") == d
    assert parse_distribution(json.loads(json.dumps(d.to_dict())), 99.0, "x") == d


@given(base=_pos, cv=st.floats(1e-3, 3.0))
@settings(max_examples=50, deadline=None)
def test_parse_forms_are_equivalent(base, cv):
    want = lognormal_cv(base, cv)
    assert parse_distribution({"lognormal": {"cv": cv}}, base, "x") == want
    assert parse_distribution({"lognormal": {"median": base, "cv": cv}}, None, "x") == want
    assert parse_distribution({"dist": "lognormal", "cv": cv}, base, "x") == want
    assert parse_distribution({"lognormal": {"sigma": want.b}}, base, "x") == want


def test_parse_other_forms():
    assert parse_distribution({"normal": {"mean": 11, "sd": 1}}, None, "x") == Distribution(
        "normal", 11.0, 1.0
    )
    assert parse_distribution({"normal": {"cv": 0.1}}, 20.0, "x") == Distribution(
        "normal", 20.0, 2.0
    )
    assert parse_distribution({"normal": {"cv": 0.1}}, -20.0, "x").b == pytest.approx(2.0)
    uni = Distribution("uniform", 1.0, 4.0)
    assert parse_distribution({"uniform": [1, 4]}, None, "x") == uni
    assert parse_distribution({"uniform": {"low": 1, "high": 4}}, None, "x") == uni
    assert parse_distribution({"dist": "uniform", "low": 1, "high": 4}, None, "x") == uni
    assert parse_distribution({"loguniform": [0.1, 10]}, None, "x") == Distribution(
        "loguniform", 0.1, 10.0
    )
    assert parse_distribution({"fixed": 3}, None, "x") == Distribution("fixed", 3.0)
    assert parse_distribution({"dist": "fixed", "value": 3}, None, "x") == Distribution(
        "fixed", 3.0
    )
    assert parse_distribution(2.5, None, "x") == Distribution("fixed", 2.5)
    assert parse_distribution({"lognormal": {"cv": 0}}, 4.0, "x") == Distribution("fixed", 4.0)


WHERE = "sweep.yaml: parameters.k_f"


@pytest.mark.parametrize(
    "spec, base, says",
    [
        ({"gamma": {"shape": 2}}, 1.0, "unknown distribution 'gamma'"),
        ({"dist": "weibull"}, 1.0, "unknown distribution 'weibull'"),
        ({"lognormal": {"cv": 0.3}, "normal": {"sd": 1}}, 1.0, "one key"),
        ("lognormal", 1.0, "cannot read"),
        (None, 1.0, "cannot read"),
        (True, 1.0, "cannot read"),
        ({"lognormal": {"cv": 0.3}}, None, "no model value"),
        ({"normal": {"sd": 0.3}}, None, "no model value"),
        ({"lognormal": {"cv": 0.3, "mean": 2}}, 1.0, "unknown key.*'mean'"),
        ({"lognormal": {"cv": 0.3, "sigma": 0.3}}, 1.0, "exactly one of 'cv' or 'sigma'"),
        ({"lognormal": {"median": 2}}, 1.0, "exactly one of"),
        ({"lognormal": 0.3}, 1.0, "takes a mapping"),
        ({"lognormal": {"cv": -0.3}}, 1.0, ">= 0"),
        ({"lognormal": {"cv": 0.3}}, -1.0, "median must be > 0"),
        ({"lognormal": {"cv": "0.3"}}, 1.0, "finite number"),
        ({"lognormal": {"sigma": math.nan}}, 1.0, "finite number"),
        ({"normal": {"mean": 1, "sd": -1}}, None, ">= 0"),
        ({"normal": {"mean": 1, "sd": 1, "cv": 1}}, None, "exactly one of"),
        ({"uniform": [1, 2, 3]}, None, r"\[low, high\]"),
        ({"uniform": [2, 1]}, None, "low < high"),
        ({"uniform": {"low": 1}}, None, "needs high"),
        ({"uniform": {"low": 1, "hi": 2}}, None, "unknown key.*'hi'"),
        ({"loguniform": [0, 10]}, None, "low > 0"),
        ({"loguniform": [1, math.inf]}, None, "finite number"),
        ({"fixed": "a"}, None, "finite number"),
        ({"fixed": {"val": 1}}, None, "unknown key"),
        ({"dist": "fixed"}, None, "needs 'value'"),
        (math.nan, None, "finite number"),
    ],
)
def test_parse_errors_start_with_where(spec, base, says):
    with pytest.raises(ParameterError) as info:
        parse_distribution(spec, base, WHERE)
    msg = str(info.value)
    assert msg.startswith(f"{WHERE}: "), msg
    assert msg.count(WHERE) == 1, msg
    assert re.search(says, msg), msg


def test_unknown_kind_message_lists_what_is_accepted():
    with pytest.raises(ParameterError) as info:
        parse_distribution({"gamma": 1}, 1.0, WHERE)
    for kind in KINDS:
        assert kind in str(info.value)
    assert "flat form" in str(info.value)
