"""The troubleshooting advisor: why did my MDM2–p53 experiment fail?

Give it what you did and saw (an observation file or the same mapping) and it ranks the causes
the guides name, each with the control experiment that tells it apart, and simulates each
candidate cause with p53lab's own cell model to see which reproduces your numbers.

>>> from p53lab.advisor import advise
>>> ranked = advise({"compound": "nutlin-3a", "cell_line": "SJSA-1",
...                  "tp53_status": "wild_type",
...                  "observations": {"replicate_cv_pct": 45.0}}, simulate=False)
>>> ranked[0]["cause"]
'culture_variability'

The observation file (YAML)::

    compound: nutlin-3a          # catalog name (optional)
    cell_line: SJSA-1            # catalog name (optional)
    tp53_status: wild_type       # wild_type | mutant | null | unknown
    observations:                # every key optional
      p53_fold: 4.0              # p53 protein, treated / vehicle
      mdm2_fold: 3.0             # MDM2 protein, treated / vehicle
      p21_fold: 1.1              # p21 protein, treated / vehicle
      apoptosis_pct: 5           # Annexin V+ (early + late), %
      g1_arrest_pct: 70          # cells in G1, %
      g2m_arrest_pct: 20         # cells in G2/M, %
      ic50_nM: 15000             # growth IC50 (72 h viability)
      ic50_fold_change_over_time: 40   # IC50 now / IC50 at the start of treatment
      replicate_cv_pct: 12       # CV between replicates, %
      mdmx_fold: 1.0             # basal MDMX vs a responsive wild-type line
      bcl2_fold: 1.0             # basal Bcl-2 vs a responsive wild-type line
      efflux_inhibitor_reverses: false
      hours: 24                  # time of the protein and flow readouts
      conc_nM: 1000              # concentration of those readouts

Unknown keys are reported (``Advice.warnings``; ``p53lab advise`` prints them on stderr, one
line each, also with ``--json``) and otherwise not used; bad values raise
:class:`~p53lab.errors.ParameterError` naming the file and the key.

Causes (:data:`CAUSES`; the guides' controls are each cause's ``next_experiments``):

========================  ==============================================  =================
cause                     what it means                                   model hypothesis
========================  ==============================================  =================
tp53_not_wild_type        TP53 mutant/lost (drift, mislabelled stock)     TP53 missense
low_mdm2                  little MDM2: the cells do not depend on it      MDM2 x0.3
dose_or_time              concentration or readout time out of window     line as catalogued
assay_sensitivity         the readout cannot see the effect               (none)
arrest_not_apoptosis      p53 arrests (p21) instead of killing (PUMA)     line as catalogued
bcl2_high                 Bcl-2/Bcl-xL block apoptosis downstream         Bcl-2 x5
survival_signalling       PI3K/AKT, MAPK raise the apoptotic threshold    survival x3
mdmx_high                 MDMX (MDM4) silences p53 beside MDM2            MDMX x5
efflux                    ABC pumps (P-gp) keep the drug out              efflux x10
acquired_tp53_mutation    resistance by selection of TP53-mutant clones   TP53 missense
mdm2_upregulation         resistance by more MDM2                         MDM2 x3
culture_variability       passage, drift, mycoplasma, seeding, edges      (none)
off_target                effect not through MDM2-p53                     no hypothesis fits
expected_feedback         the MDM2 surge under an SMI is p53's feedback   line as catalogued
========================  ==============================================  =================

Scoring. ``score = rule_score + model_score``:

* ``rule_score`` sums the points of the guides' rules (see ``_advise._rules`` and
  :data:`THRESHOLDS`): a control experiment's result (efflux inhibitor restores the response,
  measured MDMX/Bcl-2 >= 2x a responsive line, reported TP53 status, IC50 rising over time,
  replicate CV >= 30 %) is worth 4-5 points, a pattern of readouts (p53 up with p21 and MDM2
  flat; p53 active without death; an MDM2 surge under an SMI) 1-3 points, contrary evidence
  -1 to -3.
* ``model_score``: the user's experiment (compound, line, TP53 status, ``conc_nM``,
  ``hours``; 1 uM for an SMI, 10 nM for a degrader and 24 h when not given) is simulated under
  each hypothesis with :func:`p53lab.population.simulate_population` (20 cells by default).
  The misfit of hypothesis h is ``chi2_h = sum_k z_hk^2`` with
  ``z = (ln observed - ln simulated) / ln 1.5`` for folds, ``(observed - simulated) / 10``
  for percentages and ``log10(observed / simulated) / 0.3`` for the IC50 (a 72 h viability
  series around the observed IC50). The weight is
  ``w_h = pi_h exp(-chi2_h / 2) / sum_j pi_j exp(-chi2_j / 2)`` (prior ``pi``: 2 for the line
  as catalogued, 1 for each alteration: parsimony) and a cause gets
  ``MODEL_WEIGHT * w_h`` (:data:`MODEL_WEIGHT` = 3) for its hypothesis. ``off_target`` gets up
  to 3 points when even the best hypothesis is rejected (chi-square p < 0.05, full at
  p <= 0.01); ``dose_or_time`` gets 1.5 more when the line as catalogued would respond at 10x
  the concentration but not at the one used.

Each item also carries ``rule_score``, ``model_score`` and ``model`` (hypothesis, chi2,
weight, observed vs simulated readouts); ties keep the order of :data:`CAUSES`.
"""

from ._advise import MODEL_WEIGHT, THRESHOLDS, Advice, advise
from ._causes import CAUSES, HYPOTHESES, Cause
from ._model import READOUTS, SIGMA
from ._observations import OBSERVATION_KEYS, TOP_KEYS, load_observations, validate

__all__ = [
    "CAUSES",
    "HYPOTHESES",
    "MODEL_WEIGHT",
    "OBSERVATION_KEYS",
    "READOUTS",
    "SIGMA",
    "THRESHOLDS",
    "TOP_KEYS",
    "Advice",
    "Cause",
    "advise",
    "load_observations",
    "validate",
]
