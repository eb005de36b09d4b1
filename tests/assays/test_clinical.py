"""Clinical endpoints against the NCCTG lung data (R survival / lifelines) and scipy."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from p53lab.assays import clinical
from p53lab.errors import ParameterError


@pytest.fixture(scope="module")
def lung(shared_reference):
    return pd.read_csv(shared_reference / "survival" / "lung.csv")


def test_clopper_pearson_reference_and_scipy():
    r = clinical.response_rate(6, 31)
    assert f"{r.rate_pct:.1f}" == "19.4"
    assert (round(r.ci_lower_pct, 1), round(r.ci_upper_pct, 1)) == (7.5, 37.5)
    for k, n in ((0, 10), (6, 31), (10, 10), (3, 7)):
        ci = binomtest(k, n).proportion_ci(method="exact")
        r = clinical.response_rate(k, n)
        assert r.ci_lower_pct / 100 == pytest.approx(ci.low, abs=1e-9)
        assert r.ci_upper_pct / 100 == pytest.approx(ci.high, abs=1e-9)


def test_orr_dcr():
    rates = clinical.response_rates(["CR", "pr", "SD", "PD", "NE"])
    assert (rates["ORR"].responders, rates["DCR"].responders, rates["ORR"].n) == (2, 3, 5)
    with pytest.raises(ParameterError, match="'XX'"):
        clinical.response_rates(["XX"])


def test_lung_reference(lung):
    # reference/README survival/: median 310; CI 285-363 (R log), 284-361 (log-log)
    g = clinical.fit(lung, "time", "status", ci="log").groups[0]
    assert (g["median"], g["median_lower"], g["median_upper"]) == (310, 285, 363)
    g = clinical.fit(lung, "time", "status", ci="log-log").groups[0]
    assert (g["median"], g["median_lower"], g["median_upper"]) == (310, 284, 361)
    r = clinical.fit(lung, "time", "status", group_col="sex")
    assert [x["median"] for x in r.groups] == [270, 426]
    assert r.logrank["chi2"] == pytest.approx(10.33, abs=0.005) and r.logrank["df"] == 1


def test_agrees_with_lifelines(lung):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import median_survival_times

    km = clinical.kaplan_meier(lung.time, lung.status, ci="log-log")
    kf = KaplanMeierFitter().fit(lung.time, lung.status)
    ci = kf.confidence_interval_.loc[km.time]
    np.testing.assert_allclose(kf.survival_function_.loc[km.time].iloc[:, 0], km.survival)
    np.testing.assert_allclose(ci.iloc[:, 0], km.lower, rtol=1e-10)
    np.testing.assert_allclose(ci.iloc[:, 1], km.upper, rtol=1e-10)
    mci = median_survival_times(kf.confidence_interval_)
    assert (km.median, km.median_lower, km.median_upper) == (
        kf.median_survival_time_,
        mci.iloc[0, 0],
        mci.iloc[0, 1],
    )
    assert km.at_risk([0, 200]).tolist() == [
        228,
        kf.event_table.at_risk[kf.event_table.index >= 200].iloc[0],
    ]
    m = lung.sex == 1
    lr = logrank_test(lung.time[m], lung.time[~m], lung.status[m], lung.status[~m])
    chi2, p, _ = clinical.logrank(lung.time, lung.status, lung.sex)
    assert chi2 == pytest.approx(lr.test_statistic, rel=1e-10)
    assert p == pytest.approx(lr.p_value, rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.booleans()), min_size=1, max_size=40),
    st.sampled_from(["log", "log-log"]),
)
def test_km_monotone_and_bounded(data, ci):
    t = [a for a, _ in data]
    e = [int(b) for _, b in data]
    km = clinical.kaplan_meier(t, e, ci=ci)
    assert np.all(np.diff(km.survival) <= 1e-12)
    assert np.all((km.survival >= 0) & (km.survival <= 1))
    ok = np.isfinite(km.lower) & np.isfinite(km.upper)
    assert np.all(km.lower[ok] <= km.survival[ok] + 1e-12)
    assert np.all(km.survival[ok] <= km.upper[ok] + 1e-12)


def test_bad_input(lung):
    with pytest.raises(ParameterError, match="responders"):
        clinical.response_rate(7, 5)
    with pytest.raises(ParameterError, match="recode"):
        clinical.kaplan_meier([1, 2], [1, 2])
    t = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 0, 0], "g": ["a", "a", "b", "b"]})
    with pytest.raises(ParameterError, match=r"group 'b'.*no events"):
        clinical.fit(t, "t", "e", "g")
    t.loc[0, "t"] = -1
    with pytest.raises(ParameterError, match=r"row 2.*negative"):
        clinical.fit(t, "t", "e")
