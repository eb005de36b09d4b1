"""The causes the guides name for a failed MDM2–p53 experiment, each with the control
experiments that tell it apart (DOMAIN §3–§5: innate and acquired resistance, the guides'
controls) and, where the cell model can express it, the model hypothesis that simulates it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CAUSES", "HYPOTHESES", "Cause"]


@dataclass(frozen=True)
class Cause:
    """One cause of the vocabulary. ``hypothesis`` names the cell-model hypothesis (a key of
    :data:`HYPOTHESES`) whose simulation stands for this cause, or '' when the cause is about the
    experiment rather than the cells (variability, assay, off-target effects)."""

    name: str
    title: str
    explanation: str
    next_experiments: tuple[str, ...]
    hypothesis: str = ""


# Cell-model hypotheses: changes to the cell background (model/cells.py Variant knobs) or to
# the fate rule (population/fate.py FateParams.survival). Magnitudes are estimated: a change a
# Western blot shows plainly, of the size the catalog gives for lines known for the trait
# (MCF7 MDMX-high 4x, RS4;11 Bcl-2-high 5x: catalog estimates); efflux 10x is of the order of
# the guide's efflux-resistant RS4;11 derivative (SAR405838 0.12 -> 5.8 uM, a 48-fold shift);
# MDM2 0.3x / 3x are one copy-number step below / above a diploid, non-amplified line; survival
# signalling raises the free-PUMA commitment threshold 3-fold. The ``baseline`` hypothesis is the
# line as catalogued: the cells are as expected and the explanation lies in the experiment.
HYPOTHESES: dict[str, dict[str, float | str]] = {
    "baseline": {},
    "tp53_missense": {"tp53": "missense"},
    "mdmx_high": {"mdmx_fold": 5.0},
    "bcl2_high": {"bcl2_fold": 5.0},
    "efflux_high": {"efflux_fold": 10.0},
    "mdm2_low": {"mdm2_amplification": 0.3},
    "mdm2_high": {"mdm2_amplification": 3.0},
    "survival_high": {"survival": 3.0},
}

_SEQ = "Sequence TP53 (exons 2-11) of the very stock you treated and compare with Cellosaurus/IARC"
_MUT_CTRL = (
    "Run a p53-mutant line (MDA-MB-435, SW480) or HCT116 TP53-/- beside a responsive "
    "wild-type line (RS4;11, SJSA-1): the mutant line should not die"
)

CAUSES: dict[str, Cause] = {
    c.name: c
    for c in (
        Cause(
            "tp53_not_wild_type",
            "TP53 is not (or no longer) wild type",
            "MDM2 antagonists work only through wild-type p53. Lines drift in culture and "
            "mislabelled stocks are common; a missense p53 accumulates when MDM2 is blocked but "
            "cannot switch on p21 or MDM2.",
            (
                _SEQ,
                "Western p53, p21 and MDM2 at 8-24 h: functional p53 raises p21 and MDM2 with it",
                _MUT_CTRL,
            ),
            "tp53_missense",
        ),
        Cause(
            "low_mdm2",
            "MDM2 is low: the cells do not depend on it",
            "With little MDM2 the brake on p53 is weak already; blocking or removing MDM2 adds "
            "little, so p53 rises less than in MDM2-high (amplified) lines.",
            (
                "Western basal MDM2 against an MDM2-amplified responsive line (SJSA-1)",
                "MDM2 copy number (FISH or qPCR); MDM2-amplified tumours respond best",
                "Check what else restrains p53 (MDMX level, p14ARF/CDKN2A status)",
            ),
            "mdm2_low",
        ),
        Cause(
            "dose_or_time",
            "Concentration or time outside the working window",
            "The drug was below its active range, or the readout was taken too early or too "
            "late (p53/MDM2 by Western 2-24 h, apoptosis 24-48 h, viability 72-96 h); for a "
            "degrader, too much drug also fails (hook effect).",
            (
                "Dose series over at least 3 logs around the published IC50 (degrader 0.1-100 "
                "nM, SMI up to 10 uM)",
                "Time course: Western at 2, 4, 8, 24 h; apoptosis at 24-48 h; viability at 72-96 h",
                "Check the stock: fresh DMSO stock, concentration, solubility in medium",
            ),
            "baseline",
        ),
        Cause(
            "assay_sensitivity",
            "The assay cannot see the effect",
            "The readout has too small a window or too much noise: no positive control, "
            "saturated bands, edge effects, wrong cell number per well.",
            (
                "Include the positive controls (staurosporine for Annexin V/PI and Caspase-Glo; "
                "a responsive line for the drug)",
                "Check the window: Z' factor, signal/background, linear range of the blot "
                "against the loading control (GAPDH, beta-actin)",
                "Use an orthogonal readout (Caspase-Glo 3/7 and Annexin V; CellTiter-Glo and "
                "cell counts)",
            ),
        ),
        Cause(
            "arrest_not_apoptosis",
            "p53 arrests the cells instead of killing them",
            "Sustained moderate p53 favours p21 and arrest (G1, G2/M); apoptosis needs strong, "
            "long p53 activation and PUMA. Continuous low exposure favours arrest, pulsed high "
            "exposure favours apoptosis (Jeay 2018).",
            (
                "Cell-cycle profile by PI flow at 24-48 h (G1, G2/M, sub-G1)",
                "Annexin V/PI at 48-72 h and Caspase-Glo 3/7: arrest is cytostatic, not cytotoxic",
                "qPCR of BBC3 (PUMA) against CDKN1A (p21) at 6-12 h",
                "Try pulsed high exposure instead of continuous low exposure",
            ),
            "baseline",
        ),
        Cause(
            "bcl2_high",
            "Apoptosis blocked downstream by Bcl-2 / Bcl-xL",
            "p53 and its targets rise, but anti-apoptotic Bcl-2 family proteins hold PUMA, so "
            "the cells do not commit to apoptosis.",
            (
                "Western Bcl-2 and Bcl-xL against a responsive line",
                "Combine with venetoclax (Bcl-2 inhibitor) and score synergy",
                "Caspase-Glo 3/7 and Annexin V/PI with the combination",
            ),
            "bcl2_high",
        ),
        Cause(
            "survival_signalling",
            "Survival signalling (PI3K/AKT, MAPK) raises the apoptotic threshold",
            "Strong survival signalling lets cells tolerate p53-induced PUMA; p53 and p21 "
            "respond normally.",
            (
                "Western phospho-AKT (S473) and phospho-ERK against a responsive line",
                "Combine with a PI3K/AKT or MEK inhibitor and score synergy",
                "Check Bcl-2/Bcl-xL too (the other downstream block)",
            ),
            "survival_high",
        ),
        Cause(
            "mdmx_high",
            "MDMX (MDM4) is high",
            "MDMX binds and silences p53 without degrading it; MDM2-only inhibitors barely "
            "touch it, so p53 rises but its targets rise less.",
            (
                "Western / qPCR of MDMX (MDM4) against a responsive line",
                "Knock down MDMX (siRNA) and repeat, or use a dual MDM2/MDMX antagonist",
                "Compare an MDM2 degrader with the inhibitor at equal p53 induction",
            ),
            "mdmx_high",
        ),
        Cause(
            "efflux",
            "Drug efflux pumps (ABC transporters, P-gp)",
            "ABCB1/P-gp and related pumps keep the intracellular drug low (nutlin-3 is a P-gp "
            "substrate); the cells behave as if dosed far lower.",
            (
                "Repeat with an efflux (P-gp/ABCB1) inhibitor such as verapamil or tariquidar: "
                "the IC50 should return",
                "Measure ABCB1 expression (qPCR, flow) against the parental line",
                "Switch to a compound that is not a P-gp substrate",
            ),
            "efflux_high",
        ),
        Cause(
            "acquired_tp53_mutation",
            "Acquired resistance: TP53-mutant clones were selected",
            "Under continued treatment TP53-mutant cells outgrow the rest (the most common "
            "route; MOLM-13 on idasanutlin went from 0.02 % to ~99 % TP53-R248W in 96 days).",
            (
                "Sequence TP53 in the resistant population and in clones isolated by limiting "
                "dilution, and in the parental line",
                "Compare IC50, MDM2 and MDMX protein of resistant and parental cells",
                "Track the TP53-mutant allele fraction over time (NGS, ddPCR)",
            ),
            "tp53_missense",
        ),
        Cause(
            "mdm2_upregulation",
            "Acquired resistance: MDM2 up-regulated",
            "More MDM2 (gene gain, stronger induction) needs more drug to free p53; the IC50 "
            "shifts while p53 stays functional.",
            (
                "Western / qPCR of MDM2 in resistant against parental cells",
                "MDM2 copy number (FISH, qPCR) in resistant and parental cells",
                "Test an MDM2 degrader (KT-253): it removes MDM2 faster than it is made",
            ),
            "mdm2_high",
        ),
        Cause(
            "culture_variability",
            "Variability of the culture",
            "Replicates disagree when stocks differ: passage number, drift (including of TP53), "
            "mycoplasma, seeding density, confluence and edge effects.",
            (
                "Authenticate the line (STR profile) and test for mycoplasma",
                "Use low-passage stocks; record passage, seeding density and confluence",
                _SEQ,
                "Randomise the plate layout and leave the edge wells out",
            ),
        ),
        Cause(
            "off_target",
            "The effect is not on target",
            "Cell death without p53 activation, or death of p53-mutant cells, points to an "
            "effect that does not go through MDM2-p53.",
            (
                _MUT_CTRL,
                "Inactive enantiomer control (nutlin-3b beside nutlin-3a) at the same "
                "concentration: it should do nothing",
                "Rescue with a degradation-resistant MDM2: the on-target effect should be reversed",
                "TMT proteomics: only MDM2 down (degrader) and p53 targets up should change",
            ),
        ),
        Cause(
            "expected_feedback",
            "The MDM2 surge is p53's own feedback (on target)",
            "p53 induces the MDM2 gene, so MDM2 protein rises under a small-molecule inhibitor; "
            "this is the expected response, not a failure. A degrader removes MDM2 instead.",
            (
                "Check p53 targets beside MDM2: p21 (CDKN1A) up confirms on-target p53 activation",
                "Compare with an MDM2 degrader (KT-253, MD-4251): MDM2 falls while p53 rises",
                "Time course 2-24 h: MDM2 mRNA (qPCR) rises after p53",
            ),
            "baseline",
        ),
    )
}
