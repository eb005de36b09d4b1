"""Virtual-screening enrichment metrics with exact handling of tied scores.

Scores are "lower is better" (docking energies, kcal/mol). ``labels`` are 1 for actives and
0 for decoys. Ties are handled as the expectation over a random order within each tie group,
so a metric never rewards an arbitrary tie-break:

- ROC AUC — the Mann–Whitney probability that a random active ranks before a random decoy,
  ties counting 1/2 (Hanley & McNeil 1982, Radiology 143:29).
- EF x% — (actives among the first n = ceil(x·N) ranks) / (n · A/N) (Halgren et al. 2004,
  J Med Chem 47:1750; n rounded up as in RDKit's ``CalcEnrichment``). A tie group straddling
  the cut-off contributes its actives in proportion to the places it gets before the cut.
- BEDROC (α = 80.5, the early-recognition weight for which 80 % of the score comes from the
  first 2 % of the list; Truchon & Bayly 2007, J Chem Inf Model 47:488, eqs. 21 and 36).
  Ranks r_i are 1-based; tied actives get the mean rank of their group (as in
  ``scipy.stats.rankdata(method='average')``). Without ties every metric equals RDKit's
  ``rdkit.ML.Scoring.Scoring`` (the tests check this).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError, param_error

__all__ = ["bedroc", "enrichment_factor", "roc_auc", "roc_curve"]

BEDROC_ALPHA = 80.5  # Truchon & Bayly 2007


def _check(scores, labels, owner: str) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    if s.ndim != 1 or s.shape != y.shape:
        raise ParameterError(f"{owner}: scores and labels must be 1-D of equal length.")
    if np.isnan(s).any():
        raise param_error(owner, "scores", "free of NaN (give failed molecules +inf)", "NaN")
    if not np.isin(y, (0, 1, True, False)).all():
        raise param_error(owner, "labels", "0 (decoy) or 1 (active)", sorted(set(y.tolist()))[:5])
    y = y.astype(int)
    if y.sum() == 0:
        raise ParameterError(f"{owner}: there are no actives among {len(y)} molecules.")
    if y.sum() == len(y):
        raise ParameterError(f"{owner}: there are no decoys among {len(y)} molecules.")
    return s, y


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve (lower score = predicted active), ties counting one half."""
    from scipy.stats import rankdata

    s, y = _check(scores, labels, "roc_auc")
    r = rankdata(-s, method="average")  # higher rank = better (lower score)
    n1, n0 = y.sum(), len(y) - y.sum()
    u = r[y == 1].sum() - n1 * (n1 + 1) / 2
    return float(u / (n1 * n0))


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates along the ranked list (tie groups as one step)."""
    s, y = _check(scores, labels, "roc_curve")
    order = np.argsort(s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[s[1:] != s[:-1], True]  # the end of each tie group
    tp = np.cumsum(y)[last]
    fp = np.cumsum(1 - y)[last]
    return np.r_[0, fp / fp[-1]], np.r_[0, tp / tp[-1]]


def enrichment_factor(scores, labels, fraction: float) -> float:
    """EF at ``fraction`` of the list (e.g. 0.01 for EF1%), ties shared in expectation."""
    if not 0 < fraction <= 1:
        raise param_error("enrichment_factor", "fraction", "in (0, 1]", fraction)
    s, y = _check(scores, labels, "enrichment_factor")
    n_total, n_act = len(s), int(y.sum())
    n = math.ceil(n_total * fraction)
    found, placed = 0.0, 0
    for value in np.unique(s):  # ascending: best first
        group = s == value
        size, acts = int(group.sum()), int(y[group].sum())
        take = min(size, n - placed)
        found += acts * take / size
        placed += take
        if placed >= n:
            break
    return float((found / n) / (n_act / n_total))


def bedroc(scores, labels, alpha: float = BEDROC_ALPHA) -> float:
    """BEDROC (Truchon & Bayly 2007, eq. 36 via RIE, eq. 21); 1 = all actives first."""
    from scipy.stats import rankdata

    if not alpha > 0:
        raise param_error("bedroc", "alpha", "> 0", alpha)
    s, y = _check(scores, labels, "bedroc")
    n_total, n_act = len(s), int(y.sum())
    ranks = rankdata(s, method="average")[y == 1]  # 1 = best
    ra = n_act / n_total
    rie = np.exp(-alpha * ranks / n_total).sum() / (
        ra * (1 - math.exp(-alpha)) / (math.exp(alpha / n_total) - 1)
    )
    factor = ra * math.sinh(alpha / 2) / (math.cosh(alpha / 2) - math.cosh(alpha / 2 - alpha * ra))
    return float(rie * factor + 1 / (1 - math.exp(alpha * (1 - ra))))
