"""Enrichment metrics: hand-computed cases (ties, all actives first, none found) and RDKit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rdkit.ML.Scoring import Scoring

from p53lab.errors import ParameterError
from p53lab.screen import bedroc, enrichment_factor, roc_auc


def test_all_actives_first_is_perfect():
    s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert roc_auc(s, y) == 1.0
    # EF1%: n = ceil(0.1) = 1 molecule, an active: (1/1) / (2/10) = 5
    assert enrichment_factor(s, y, 0.01) == pytest.approx(5.0)
    # EF at 20 %: both actives in the first 2: (2/2)/(2/10) = 5
    assert enrichment_factor(s, y, 0.2) == pytest.approx(5.0)
    assert bedroc(s, y) == pytest.approx(1.0, abs=1e-3)


def test_no_active_found_scores_zero():
    s = np.arange(10.0)
    y = [0] * 8 + [1, 1]  # the actives rank last
    assert roc_auc(s, y) == 0.0
    assert enrichment_factor(s, y, 0.01) == 0.0
    assert enrichment_factor(s, y, 0.05) == 0.0
    assert bedroc(s, y) == pytest.approx(0.0, abs=1e-3)


def test_ties_count_half_and_are_shared_in_expectation():
    # one active and one decoy tied at the top, one decoy below: pairs (a, d1) tie -> 1/2,
    # (a, d2) won -> 1: AUC = 1.5 / 2 = 0.75
    s, y = [1.0, 1.0, 2.0], [1, 0, 0]
    assert roc_auc(s, y) == pytest.approx(0.75)
    # EF1%: n = 1 place taken from a tie group of 2 holding 1 active: 0.5 active expected;
    # EF = (0.5/1) / (1/3) = 1.5
    assert enrichment_factor(s, y, 0.01) == pytest.approx(1.5)
    # everything tied: AUC 0.5, EF = 1 at any cut
    assert roc_auc([3, 3, 3, 3], [1, 0, 1, 0]) == 0.5
    assert enrichment_factor([3, 3, 3, 3], [1, 0, 1, 0], 0.25) == pytest.approx(1.0)


def test_bedroc_hand_computed_single_active():
    # N = 4, one active at rank 2, alpha = 1: eq. 21/36 of Truchon & Bayly 2007 by hand
    a, n, r = 1.0, 4, 2
    ra = 1 / n
    rie = math.exp(-a * r / n) / (ra * (1 - math.exp(-a)) / (math.exp(a / n) - 1))
    want = rie * ra * math.sinh(a / 2) / (math.cosh(a / 2) - math.cosh(a / 2 - a * ra)) + 1 / (
        1 - math.exp(a * (1 - ra))
    )
    assert bedroc([0, 1, 2, 3], [0, 1, 0, 0], alpha=1.0) == pytest.approx(want, rel=1e-12)


def test_agrees_with_rdkit_scoring_without_ties():
    rng = np.random.default_rng(7)
    s = rng.normal(size=500)
    y = (rng.random(500) < 0.08).astype(int)
    s[y == 1] -= 0.8
    ranked = [[s[i], y[i]] for i in np.argsort(s)]  # RDKit wants best first
    assert roc_auc(s, y) == pytest.approx(Scoring.CalcAUC(ranked, 1), abs=1e-12)
    ef1, ef5 = Scoring.CalcEnrichment(ranked, 1, [0.01, 0.05])
    assert enrichment_factor(s, y, 0.01) == pytest.approx(ef1, rel=1e-12)
    assert enrichment_factor(s, y, 0.05) == pytest.approx(ef5, rel=1e-12)
    assert bedroc(s, y) == pytest.approx(Scoring.CalcBEDROC(ranked, 1, 80.5), rel=1e-10)


def test_bad_input_is_named():
    with pytest.raises(ParameterError, match="no actives"):
        roc_auc([1, 2], [0, 0])
    with pytest.raises(ParameterError, match="fraction"):
        enrichment_factor([1, 2], [0, 1], 0)
    with pytest.raises(ParameterError, match="NaN"):
        bedroc([np.nan, 1], [0, 1])
