"""Virtual trial: RECIST best-response rules, reproducibility with a seed, outputs."""

import math

import numpy as np
import pytest

from p53lab.invivo.regimens import Regimen
from p53lab.invivo.trial import _best_response, run_trial


def test_recist_best_response_rules():
    base = 100.0
    assert _best_response(np.array([69.0, 71.0]), base) == ("PR", None)
    assert _best_response(np.array([71.0, 80.0]), base) == ("SD", None)
    assert _best_response(np.array([120.0]), base) == ("PD", 0)
    assert _best_response(np.array([3.0]), base) == ("CR", None)
    # PD is measured from the nadir: 60 -> 73 is +21.7 % and +13 mm
    assert _best_response(np.array([60.0, 73.0]), base) == ("PR", 1)
    # +20 % but under 5 mm absolute is not PD
    assert _best_response(np.array([20.0, 24.5]), base)[1] is None


@pytest.mark.slow
def test_trial_is_reproducible_and_complete():
    reg = Regimen(260, "mg", "d1-3,15-17/q28d", 28)
    a = run_trial("milademetan", reg, n_patients=6, followup_months=6, seed=4)
    b = run_trial("milademetan", reg, n_patients=6, followup_months=6, seed=4)
    assert a.patients.equals(b.patients)
    assert (a.orr.rate_pct == b.orr.rate_pct and a.pfs.median == b.pfs.median) or (
        math.isinf(a.pfs.median) and math.isinf(b.pfs.median)
    )
    assert set(a.patients["best_response"]) <= {"CR", "PR", "SD", "PD", "NE"}
    assert a.orr.n == 6 and 0 <= a.orr.ci_lower_pct <= a.orr.rate_pct <= a.orr.ci_upper_pct
    assert 0 <= a.grade34_thrombocytopenia_pct <= 100
