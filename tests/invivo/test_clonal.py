"""Clonal haematopoiesis: more detectable TP53-mutant clones with longer treatment; they
shrink after stopping."""

import numpy as np
import pytest

from p53lab.invivo.clonal import run_clonal
from p53lab.invivo.regimens import Regimen


@pytest.mark.slow
def test_clones_grow_with_duration_and_fade_after_stopping():
    reg = Regimen(260, "mg", "d1-3,15-17/q28d", 28)
    r = run_clonal("milademetan", reg, [3, 12, 24, 36], followup_months=12, n_patients=30, seed=1)
    s = r.summary
    n = s["mean_detectable_clones_at_stop"].to_numpy()
    assert np.all(np.diff(n) >= 0) and n[-1] > n[0] and n[-1] > 0
    later = s.dropna(subset=["mean_vaf_at_stop_of_detectable"])
    assert len(later) >= 2
    assert (
        later["mean_vaf_followup_of_same_clones"] < later["mean_vaf_at_stop_of_detectable"]
    ).all()
    assert (s["mean_detectable_clones_followup"] <= s["mean_detectable_clones_at_stop"]).all()
    # every clone: logistic selection, VAF at most 0.5 (heterozygous)
    assert r.clones["vaf_at_stop"].max() <= 0.5
    assert 0 < r.mean_effect < 1
