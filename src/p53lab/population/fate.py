"""Cell fate from each cell's simulated p53 dynamics, and the population that results.

Every cell of a population is one member of an ensemble of the core circuit
(:func:`p53lab.simulate.simulate_ensemble`): the same compound and cell background, with
lognormal cell-to-cell variation of the synthesis rates of p53, MDM2, Bcl-2, p21 and PUMA
(protein levels in clonal human cells vary with CV 0.15–0.3: Sigal 2006 Nature 444:643; the
default 0.25 is within that range). Each cell is first run without drug to its own steady
state, then treated. Its fate is read from its trajectory:

* **apoptosis**: the cell commits when free PUMA (PUMA not held by Bcl-2) reaches
  ``puma_commit_nM``. Free PUMA is buffered at ~0.02 nM while Bcl-2 is in excess and jumps to
  ~1–10 nM once p53-induced PUMA titrates Bcl-2; the threshold sits at the geometric middle of
  that switch (estimated). Survival signalling (PI3K/AKT, MAPK) raises it by the factor
  ``survival``. A committed cell turns Annexin V positive ``annexin_delay_h`` later (MOMP to
  caspase-3 activity: minutes to hours, Albeck 2008 PLoS Biol 6:e299; estimated 3 h) and PI
  positive ``pi_delay_h`` after that (secondary necrosis in culture, estimated 12 h). ATP
  (CellTiter-Glo) is lost when the cell turns Annexin positive.
* **arrest**: while p21 is at least ``p21_arrest_fold`` times the cell's own untreated level
  the cell does not divide (p21 inhibits CDK2 at G1/S and CDK1 at G2/M: el-Deiry 1993 Cell
  75:817; Bunz 1998 Science 282:1497). Arrested cells sit in G1 except ``g2m_share`` of them,
  held in G2/M (estimated).
* **growth**: cells that are neither arrested nor committed divide with the line's doubling
  time; daughters share the mother's parameters (a lineage approximation: over 3–4 days
  protein levels of sister cells stay correlated, Sigal 2006).

Cycling cells are spread over G1/S/G2-M as an exponentially growing population with typical
phase durations (``phase_shares``; estimated for leukaemia lines). A small share of cells is
necrotic in any culture (``necrotic_baseline``; estimated 2 %).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import param_error

__all__ = ["VARIED_RATES", "FateParams"]

# Synthesis rates that vary from cell to cell (lognormal, common CV).
VARIED_RATES = ("k_p53_syn", "k_mdm2_tl", "k_bcl2_syn", "k_p21_tl", "k_puma_tl", "k_mdmx_syn")


@dataclass(frozen=True)
class FateParams:
    """The decision rules of cell fate (all estimated; see the module text for reasoning)."""

    puma_commit_nM: float = 0.5
    survival: float = 1.0
    annexin_delay_h: float = 3.0
    pi_delay_h: float = 12.0
    p21_arrest_fold: float = 3.0
    g2m_share: float = 0.25
    cell_cv: float = 0.25
    phase_shares: tuple[float, float, float] = (0.45, 0.35, 0.20)  # G1, S, G2/M of cycling
    necrotic_baseline: float = 0.02

    def __post_init__(self) -> None:
        for name in ("puma_commit_nM", "survival", "p21_arrest_fold"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise param_error("FateParams", name, "a finite number > 0", v)
        for name in ("annexin_delay_h", "pi_delay_h", "cell_cv"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise param_error("FateParams", name, "a finite number >= 0", v)
        for name in ("g2m_share", "necrotic_baseline"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0 <= v < 1):
                raise param_error("FateParams", name, "a number in [0, 1)", v)
        s = self.phase_shares
        if len(s) != 3 or any(x < 0 for x in s) or not math.isclose(sum(s), 1.0, abs_tol=1e-9):
            raise param_error("FateParams", "phase_shares", "three shares >= 0 summing to 1", s)

    def to_dict(self) -> dict:
        return asdict(self)


def decide(
    times_h: np.ndarray,
    puma_free: np.ndarray,
    p21: np.ndarray,
    doubling_time_h: float,
    fate: FateParams,
) -> dict[str, np.ndarray]:
    """Fates of cells from their trajectories (arrays ``(cells, times)``, drug added at
    ``times_h[0]``). Returns per cell and time: ``weight`` (cells descended from it, 1 at the
    start), ``viable`` (weight still ATP-positive), ``annexin`` and ``pi`` (0/1 state of its
    lineage), ``arrested`` (0/1), and per cell ``t_commit`` (inf when it never commits)."""
    t = np.asarray(times_h, dtype=float) - float(times_h[0])
    n, m = puma_free.shape
    committed = puma_free >= fate.puma_commit_nM * fate.survival
    first = np.where(committed.any(axis=1), committed.argmax(axis=1), m)
    t_commit = np.where(first < m, t[np.minimum(first, m - 1)], np.inf)
    arrested = p21 >= fate.p21_arrest_fold * p21[:, :1]
    alive = t[None, :] < t_commit[:, None]
    growing = (~arrested) & alive
    rate = math.log(2.0) / doubling_time_h
    # Trapezoid-free integral: growth over [t_k, t_k+1] counts when growing at t_k.
    dt = np.diff(t)
    log_w = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(growing[:, :-1] * dt[None, :] * rate, axis=1)], axis=1
    )
    weight = np.exp(log_w)
    annexin = t[None, :] >= (t_commit + fate.annexin_delay_h)[:, None]
    pi = t[None, :] >= (t_commit + fate.annexin_delay_h + fate.pi_delay_h)[:, None]
    viable = weight * ~annexin
    return {
        "weight": weight,
        "viable": viable,
        "annexin": annexin.astype(float),
        "pi": pi.astype(float),
        "arrested": (arrested & alive).astype(float),
        "t_commit": t_commit,
    }
