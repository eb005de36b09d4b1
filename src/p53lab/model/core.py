"""The p53–MDM2–MDMX core circuit, its drug mechanisms and its cell variants.

One model structure serves every compound and cell line: a small-molecule inhibitor (SMI) is a
drug whose affinity for the E3 ligase cereblon (CRBN) is zero; a degrader is one that also binds
CRBN and forms the ternary complex; cell lines differ by parameter values (TP53 status, MDM2
copies, MDMX, Bcl-2, efflux, the degradation-resistant MDM2 construct). So the circuit compiles
once and a change of drug, dose or cell line is only ``with_params``.

Units: concentrations in nM, time in hours. Every parameter carries its source, or the word
*estimated* with what the estimate rests on.

Species
-------
p53, mdm2 (free protein), p53_mdm2; mdm2 transcripts (a maturation chain of nascent transcripts
``mdm2_pre1..3``, then ``mdm2_mrna``); mdmx, p53_mdmx; the drug inside the cell (``drug``), its
complexes ``drug_mdm2``, ``drug_mdmx``, ``drug_crbn`` and the ternary ``mdm2_drug_crbn``;
``crbn``; the degradation-resistant MDM2 construct ``mdm2r`` with ``p53_mdm2r`` and
``drug_mdm2r``; ``damage`` (DNA damage, arbitrary units; ATM activity = damage/(damage + K));
target genes CDKN1A/p21, BBC3/PUMA, BAX and GDF15 (mRNA and protein); ``bcl2`` and ``puma_bcl2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._model import Components, Model, Observable, Parameter, Species
from .motifs import (
    binding,
    catalysed_degradation,
    degradation,
    maturation_delay,
    synthesis,
    transcription,
    translation,
    transport,
)

__all__ = ["CORE_OBSERVABLES", "core_model", "core_parameters"]

# Frequently cited sources
HUNZIKER = "Hunziker, Jensen & Krishna 2010, BMC Syst Biol 4:94 (BIOMD0000000252)"
PROCTOR = "Proctor & Gray 2008, BMC Syst Biol 2:75 (p53 t1/2 ~20 min, MDM2 t1/2 ~30 min)"
GEVA = "Geva-Zatorsky et al. 2006, Mol Syst Biol 2:2006.0033"


@dataclass(frozen=True)
class _P:
    id: str
    value: float
    units: str
    source: str
    estimated: bool = False
    description: str = ""

    def param(self) -> Parameter:
        return Parameter(
            self.id,
            float(self.value),
            self.units,
            self.source,
            self.estimated,
            self.description,
            constant=True,
        )


def _est(why: str) -> str:
    return f"estimated: {why}"


# The parameter table of the core circuit. Estimated values say what they rest on; those marked
# "set so that" are chosen to reproduce the cited observation, never a test's expected value.
_PARAMS: tuple[_P, ...] = (
    # --- cell background (variants change these) -------------------------------------------
    _P(
        "p53_gene",
        1.0,
        "1",
        "TP53 alleles expressed: 1 wild type or missense, 0 null",
        description="TP53 expression (0 = null)",
    ),
    _P(
        "p53_tact",
        1.0,
        "1",
        "transactivation competence: 1 wild type, 0 missense "
        "(DNA-contact mutants bind MDM2 but do not transactivate; DOMAIN.md §1)",
        description="p53 transactivation competence",
    ),
    _P(
        "mdm2_copies",
        1.0,
        "1",
        "MDM2 gene copies relative to a diploid reference; "
        "amplified lines take their fold from the catalog",
        description="MDM2 copy number",
    ),
    _P(
        "mdmx_level",
        1.0,
        "1",
        "MDMX synthesis relative to the reference line; catalog",
        description="MDMX expression fold",
    ),
    _P(
        "bcl2_level",
        1.0,
        "1",
        "Bcl-2 synthesis relative to the reference line; catalog",
        description="Bcl-2 expression fold",
    ),
    _P(
        "perm",
        1.0,
        "1",
        _est("passive permeability factor; 1 = free drug equilibrates to the medium concentration"),
        True,
        "cell permeability factor",
    ),
    _P(
        "efflux",
        1.0,
        "1",
        "ABC-transporter efflux factor relative to the reference line "
        "(DOMAIN.md §3: nutlin-3 is a P-gp substrate); catalog",
        description="efflux factor",
    ),
    _P(
        "mdm2r_level",
        0.0,
        "nM",
        "expression of the degradation-resistant MDM2 construct at "
        "steady state (0 = not transfected)",
        description="MDM2 rescue construct level",
    ),
    # --- p53 ---------------------------------------------------------------------------------
    _P(
        "k_p53_syn",
        125.0,
        "nM/h",
        _est(
            "set so that resting total p53 is ~60 nM, below "
            "total MDM2 (~150 nM), with t1/2 ~20 min (Proctor & Gray 2008)"
        ),
        True,
    ),
    _P("k_p53_deg0", 0.1, "1/h", f"{HUNZIKER}: MDM2-independent p53 decay alpha = 0.1/h"),
    _P(
        "kf_pm",
        36.0,
        "1/(nM*h)",
        _est("association 1e7 /M/s, fast as for a preformed pocket"),
        True,
    ),
    _P(
        "kb_pm",
        1800.0,
        "1/h",
        _est(
            "K_D 50 nM: the p53 transactivation domain binds MDM2 with "
            "K_D 0.1-1 uM as a peptide (Kussie 1996 Science 274:948; Schon 2002 J Mol Biol "
            "323:491), "
            "tighter as a tetramer; on the same scale as the drug affinities of the catalog, which "
            "are measured by displacing p53 peptides. Hunziker 2010 fit K_D 1.44 nM (k_f 5000, "
            "k_b 7200), which would make nutlin-3a (K_i ~36-90 nM) inactive"
        ),
        True,
    ),
    _P(
        "k_ub_p53",
        3.5,
        "1/h",
        _est(
            "ubiquitination and degradation of p53 bound to MDM2; set "
            "so that resting p53 t1/2 is 15-30 min in a cycloheximide chase (Proctor & Gray 2008: "
            "~20 min); Hunziker 2010 use 11/h with a faster turnover"
        ),
        True,
    ),
    # --- MDM2 --------------------------------------------------------------------------------
    _P("k_mdm2_deg", 1.386, "1/h", f"{PROCTOR}: ln2/0.5 h"),
    _P(
        "k_mdm2_tx0",
        90.0,
        "nM/h",
        _est(
            "p53-independent MDM2 P1-promoter transcription; at "
            "rest free p53 is low and this gives most of the ~150 nM resting MDM2"
        ),
        True,
    ),
    _P(
        "k_mdm2_tx",
        400.0,
        "nM/h",
        _est(
            "maximal p53-driven MDM2 (P2 promoter) transcription; "
            "gives a ~5-fold MDM2 mRNA induction by nutlin (Vassilev 2004 Science 303:844)"
        ),
        True,
    ),
    _P("K_mdm2", 60.0, "nM", _est("free p53 for half-maximal MDM2 transcription"), True),
    _P("n_mdm2", 2.0, "1", f"{HUNZIKER}: transcription ~ p53^2 (p53 binds as a dimer of dimers)"),
    _P(
        "tau_mdm2_tx",
        0.75,
        "h",
        _est(
            "transcription, splicing and export of MDM2 mRNA; "
            "with the mRNA and protein lifetimes it sets the ~2 h lag of MDM2 behind p53 "
            f"({GEVA})"
        ),
        True,
    ),
    _P("k_mdm2_mrna_deg", 0.6, "1/h", f"{HUNZIKER}: beta = 0.6/h"),
    _P("k_mdm2_tl", 1.4, "1/h", f"{HUNZIKER}: k_tl = 1.4/h"),
    # --- MDMX --------------------------------------------------------------------------------
    _P("k_mdmx_syn", 15.0, "nM/h", _est("resting MDMX ~40 nM, below MDM2 in most lines"), True),
    _P(
        "k_mdmx_deg0",
        0.23,
        "1/h",
        _est("MDMX is stable in unstressed cells, t1/2 ~3 h (Kawai 2003, J Biol Chem 278:45946)"),
        True,
    ),
    _P(
        "k_mdmx_ub",
        0.002,
        "1/(nM*h)",
        _est(
            "MDM2-catalysed MDMX ubiquitination (Pan & Chen "
            "2003; Kawai 2003), accelerated by DNA damage (Pereg 2005)"
        ),
        True,
    ),
    _P("kf_px", 36.0, "1/(nM*h)", _est("as kf_pm"), True),
    _P(
        "kb_px",
        1800.0,
        "1/h",
        _est(
            "K_D 50 nM: p53 peptides bind MDMX and MDM2 with similar "
            "affinities (Pazgier 2009, PNAS 106:4665)"
        ),
        True,
    ),
    _P(
        "k_ub_px",
        0.02,
        "1/(nM*h)",
        _est(
            "MDM2 (as MDM2-MDMX heterodimer) ubiquitinates "
            "MDMX-bound p53 (Linares 2003 PNAS 100:12009)"
        ),
        True,
    ),
    # --- drug transport and binding ----------------------------------------------------------
    _P(
        "drug_medium_nM",
        0.0,
        "nM",
        "drug in the medium; set by the dose schedule",
        description="extracellular drug (schedule)",
    ),
    _P(
        "k_perm",
        30.0,
        "1/h",
        _est("membrane passage of a small molecule, equilibration in minutes"),
        True,
    ),
    _P(
        "kon_dm",
        36.0,
        "1/(nM*h)",
        _est(
            "association 1e7 /M/s; with 1e6 /M/s newly made "
            "MDM2 is captured too slowly for any degrader to reach the published DC50 0.4 nM"
        ),
        True,
    ),
    _P(
        "koff_dm",
        3240.0,
        "1/h",
        "kon_dm x the compound's MDM2 K_D (catalog); default nutlin-3a 90 nM (Vassilev 2004)",
    ),
    _P("kon_dx", 0.0, "1/(nM*h)", "drug-MDMX association; 0 for MDM2-only compounds"),
    _P("koff_dx", 1.0, "1/h", "kon_dx x the compound's MDMX K_D (catalog)"),
    _P(
        "kon_dr",
        36.0,
        "1/(nM*h)",
        "drug binding to the rescue construct: as kon_dm for "
        "inhibitors; 0 for degraders (the construct is not recognised by the degrader)",
    ),
    # --- degrader: CRBN and the ternary complex ----------------------------------------------
    _P(
        "crbn_nM",
        50.0,
        "nM",
        _est("cereblon abundance; moderately expressed E3 substrate receptor"),
        True,
        "CRBN level",
    ),
    _P("k_crbn_deg", 0.1, "1/h", _est("CRBN turnover, t1/2 ~7 h"), True),
    _P(
        "kon_de",
        0.0,
        "1/(nM*h)",
        "drug-CRBN association; 0 for inhibitors, 36 for degraders (estimated as kon_dm)",
    ),
    _P("koff_de", 3600.0, "1/h", "kon_de x the degrader's CRBN K_E (catalog)"),
    _P("alpha", 1.0, "1", "ternary-complex cooperativity (catalog; Douglass 2013)"),
    _P(
        "k_ub_mdm2",
        0.0,
        "1/h",
        "ubiquitination and proteasomal degradation of MDM2 in the ternary complex (catalog)",
    ),
    # --- DNA damage ------------------------------------------------------------------------
    _P(
        "k_repair",
        0.1,
        "1/h",
        _est(
            "damage signal decays over ~10 h after 10 Gy; pulses "
            "persist for the first day (Geva-Zatorsky 2006)"
        ),
        True,
    ),
    _P("K_atm", 1.0, "damage units", _est("damage for half-maximal ATM activation"), True),
    _P(
        "k_atm_act",
        4.0,
        "1/h",
        _est("ATM activation by double-strand breaks within ~15 min of irradiation"),
        True,
    ),
    _P(
        "f_atm_auto",
        0.02,
        "1",
        _est(
            "share of ATM activation not needing active ATM; the rest "
            "is autophosphorylation, a positive feedback that makes ATM signalling switch-like "
            "(Bakkenist & Kastan 2003, Nature 421:499; Batchelor 2011, Mol Syst Biol 7:488)"
        ),
        True,
    ),
    _P("K_atm_auto", 0.3, "1", _est("active ATM fraction for half-maximal autoactivation"), True),
    _P("k_atm_inact", 0.2, "1/h", _est("Wip1-independent ATM inactivation"), True),
    _P(
        "k_atm_wip1",
        1.0,
        "1/(nM*h)",
        _est(
            "Wip1 (PPM1D) dephosphorylates ATM; this "
            "negative feedback turns DNA-damage signalling into repeated p53 pulses (Batchelor "
            "2008, Mol Cell 30:277)"
        ),
        True,
    ),
    _P("k_wip1_tx0", 0.1, "nM/h", _est("basal PPM1D transcription"), True),
    _P("k_wip1_tx", 30.0, "nM/h", _est("maximal p53-driven PPM1D transcription"), True),
    _P("K_wip1", 100.0, "nM", _est("free p53 for half-maximal PPM1D transcription"), True),
    _P("n_wip1", 2.0, "1", _est("Hill coefficient"), True),
    _P("k_wip1_mrna_deg", 1.4, "1/h", _est("PPM1D mRNA t1/2 ~1 h"), True),
    _P("k_wip1_tl", 2.0, "1/h", _est("translation"), True),
    _P(
        "k_wip1_deg",
        1.4,
        "1/h",
        _est("Wip1 protein t1/2 ~1 h, peaks after p53 (Batchelor 2008)"),
        True,
    ),
    _P(
        "e_atm_p53",
        0.95,
        "1",
        _est("ATM/CHK2 phosphorylation (Ser15/Ser20) protects MDM2-bound p53 from ubiquitination"),
        True,
    ),
    _P(
        "e_atm_mdm2",
        2.0,
        "1",
        _est("ATM-phosphorylated MDM2 self-degrades faster (Stommel & Wahl 2004, EMBO J 23:1547)"),
        True,
    ),
    _P(
        "e_atm_mdmx",
        5.0,
        "1",
        _est("ATM-promoted MDM2-dependent MDMX degradation (Pereg 2005 PNAS 102:5056)"),
        True,
    ),
    # --- target genes ----------------------------------------------------------------------
    _P("k_p21_tx0", 0.5, "nM/h", _est("basal CDKN1A transcription"), True),
    _P("k_p21_tx", 20.0, "nM/h", _est("maximal p53-driven CDKN1A transcription"), True),
    _P(
        "K_p21",
        80.0,
        "nM",
        _est(
            "high-affinity p53 response element (arrest genes respond to "
            "lower p53 than apoptotic ones)"
        ),
        True,
    ),
    _P("n_p21", 2.0, "1", _est("as MDM2"), True),
    _P("k_p21_mrna_deg", 0.35, "1/h", _est("CDKN1A mRNA t1/2 ~2 h"), True),
    _P("k_p21_tl", 2.0, "1/h", _est("translation"), True),
    _P("k_p21_deg", 0.7, "1/h", _est("p21 protein t1/2 ~1 h, a short-lived protein"), True),
    _P("k_puma_tx0", 0.2, "nM/h", _est("basal BBC3 transcription"), True),
    _P("k_puma_tx", 10.0, "nM/h", _est("maximal p53-driven BBC3 transcription"), True),
    _P(
        "K_puma",
        300.0,
        "nM",
        _est(
            "low-affinity response element: apoptosis needs strong p53 "
            "(Jeay 2018: pulsed high exposure favours PUMA)"
        ),
        True,
    ),
    _P("n_puma", 3.0, "1", _est("steeper response of apoptotic promoters"), True),
    _P("k_puma_mrna_deg", 0.35, "1/h", _est("t1/2 ~2 h"), True),
    _P("k_puma_tl", 2.0, "1/h", _est("translation"), True),
    _P("k_puma_deg", 0.23, "1/h", _est("t1/2 ~3 h"), True),
    _P("k_bax_tx0", 1.0, "nM/h", _est("BAX is constitutively expressed"), True),
    _P("k_bax_tx", 5.0, "nM/h", _est("modest p53 induction"), True),
    _P("K_bax", 200.0, "nM", _est("as the other apoptotic genes"), True),
    _P("n_bax", 2.0, "1", _est("Hill coefficient"), True),
    _P("k_bax_mrna_deg", 0.2, "1/h", _est("t1/2 ~3.5 h"), True),
    _P("k_bax_tl", 2.0, "1/h", _est("translation"), True),
    _P("k_bax_deg", 0.07, "1/h", _est("stable protein, t1/2 ~10 h"), True),
    _P("k_gdf15_tx0", 0.2, "nM/h", _est("basal GDF15 transcription"), True),
    _P(
        "k_gdf15_tx",
        10.0,
        "nM/h",
        _est("GDF15 is a sensitive p53 biomarker (KT-253 phase 1)"),
        True,
    ),
    _P("K_gdf15", 100.0, "nM", _est("half-activating free p53"), True),
    _P("n_gdf15", 2.0, "1", _est("Hill coefficient"), True),
    _P("k_gdf15_mrna_deg", 0.35, "1/h", _est("t1/2 ~2 h"), True),
    _P("k_gdf15_tl", 2.0, "1/h", _est("translation"), True),
    _P("k_gdf15_deg", 0.35, "1/h", _est("secretion and turnover, t1/2 ~2 h"), True),
    # --- Bcl-2 -----------------------------------------------------------------------------
    _P("k_bcl2_syn", 3.5, "nM/h", _est("resting Bcl-2 ~50 nM in the reference line"), True),
    _P("k_bcl2_deg", 0.07, "1/h", _est("Bcl-2 t1/2 ~10 h"), True),
    _P("kf_pb", 3.6, "1/(nM*h)", _est("BH3-groove association 1e6 /M/s"), True),
    _P(
        "kb_pb",
        3.6,
        "1/h",
        _est(
            "PUMA BH3 binds Bcl-2 with K_D ~1 nM (Chen 2005, Mol Cell "
            "17:393: PUMA binds all pro-survival proteins tightly)"
        ),
        True,
    ),
)


CORE_OBSERVABLES: tuple[Observable, ...] = (
    Observable(
        "p53_total_nM",
        "p53 + p53_mdm2 + p53_mdmx + p53_mdm2r",
        description="total p53 (free and in complexes)",
    ),
    Observable("p53_free_nM", "p53", description="free, transcriptionally available p53"),
    Observable(
        "mdm2_total_nM",
        "mdm2 + p53_mdm2 + drug_mdm2 + mdm2_drug_crbn",
        description="endogenous MDM2 protein, all forms",
    ),
    Observable(
        "mdm2_construct_nM",
        "mdm2r + p53_mdm2r + drug_mdm2r",
        description="degradation-resistant MDM2 construct, all forms",
    ),
    Observable("mdmx_total_nM", "mdmx + p53_mdmx + drug_mdmx", description="MDMX, all forms"),
    Observable("p21_nM", "p21", description="CDKN1A/p21 protein"),
    Observable("puma_nM", "puma + puma_bcl2", description="BBC3/PUMA protein, all forms"),
    Observable("puma_free_nM", "puma", description="PUMA not held by Bcl-2"),
    Observable("bax_nM", "bax", description="BAX protein"),
    Observable("gdf15_nM", "gdf15", description="GDF15 protein"),
    Observable("p21_mrna_nM", "p21_mrna", description="CDKN1A mRNA"),
    Observable("mdm2_mrna_nM", "mdm2_mrna", description="MDM2 mRNA"),
    Observable("puma_mrna_nM", "puma_mrna", description="BBC3 mRNA"),
    Observable("bax_mrna_nM", "bax_mrna", description="BAX mRNA"),
    Observable("gdf15_mrna_nM", "gdf15_mrna", description="GDF15 mRNA"),
    Observable("drug_free_nM", "drug", description="free drug inside the cell"),
    Observable("ternary_nM", "mdm2_drug_crbn", description="MDM2·degrader·CRBN"),
    Observable("atm_activity", "atm", units="1", description="active ATM fraction (0-1)"),
    Observable("wip1_nM", "wip1", description="Wip1 (PPM1D) phosphatase"),
)

_GENES = ("p21", "puma", "bax", "gdf15")
_SPECIES_UNITS = {"damage": "damage units", "atm": "1"}


def core_parameters() -> tuple[Parameter, ...]:
    """The core circuit's parameters, each with value, unit and source."""
    return tuple(p.param() for p in _PARAMS)


def _structure() -> tuple[Components, ...]:
    parts: list[Components] = []
    # p53: synthesis, basal decay; MDM2 binding and ubiquitination
    parts += [
        synthesis("p53", "k_p53_syn * p53_gene"),
        degradation("p53", "k_p53_deg0"),
        binding("p53", "mdm2", "p53_mdm2", "kf_pm", "kb_pm"),
        catalysed_degradation(
            "p53_mdm2", ("mdm2",), "k_ub_p53 * (1 - e_atm_p53 * atm)", rid="ub_p53_by_mdm2"
        ),
        # MDM2 self-degradation in every form, releasing its partner
        degradation("mdm2", "k_mdm2_deg * (1 + e_atm_mdm2 * atm)"),
        degradation(
            "p53_mdm2",
            "k_mdm2_deg * (1 + e_atm_mdm2 * atm)",
            products=("p53",),
            rid="deg_mdm2_in_p53_mdm2",
        ),
        # p53 also decays (MDM2-independently) while bound
        degradation("p53_mdm2", "k_p53_deg0", products=("mdm2",), rid="deg_p53_in_p53_mdm2"),
    ]
    # MDM2 transcription through a maturation delay, mRNA, translation
    parts.append(
        transcription(
            "mdm2_pre1",
            "p53",
            "k_mdm2_tx0",
            "k_mdm2_tx",
            "K_mdm2",
            "n_mdm2",
            competence="p53_tact",
            copies="mdm2_copies",
            rid="tx_mdm2",
        )
    )
    chain, pools = maturation_delay("mdm2_mrna", 3, "tau_mdm2_tx", prefix="mdm2_pre")
    parts += [
        chain,
        degradation("mdm2_mrna", "k_mdm2_mrna_deg"),
        translation("mdm2_mrna", "mdm2", "k_mdm2_tl"),
    ]
    # MDMX
    parts += [
        synthesis("mdmx", "k_mdmx_syn * mdmx_level"),
        degradation("mdmx", "k_mdmx_deg0"),
        degradation("mdmx", "k_mdmx_ub * (1 + e_atm_mdmx * atm) * mdm2", rid="ub_mdmx_by_mdm2"),
        binding("p53", "mdmx", "p53_mdmx", "kf_px", "kb_px"),
        degradation(
            "p53_mdmx",
            "k_ub_px * mdm2 * (1 - e_atm_p53 * atm)",
            products=("mdmx",),
            rid="ub_p53_in_p53_mdmx",
        ),
        degradation("p53_mdmx", "k_p53_deg0", products=("mdmx",), rid="deg_p53_in_p53_mdmx"),
        degradation(
            "p53_mdmx",
            "k_mdmx_deg0 + k_mdmx_ub * (1 + e_atm_mdmx * atm) * mdm2",
            products=("p53",),
            rid="deg_mdmx_in_p53_mdmx",
        ),
    ]
    # Drug: uptake and efflux, binding to MDM2 (competitive with p53) and MDMX
    parts += [
        transport("drug", "drug_medium_nM", "k_perm * perm", "k_perm * efflux"),
        binding("drug", "mdm2", "drug_mdm2", "kon_dm", "koff_dm"),
        degradation(
            "drug_mdm2",
            "k_mdm2_deg * (1 + e_atm_mdm2 * atm)",
            products=("drug",),
            rid="deg_mdm2_in_drug_mdm2",
        ),
        binding("drug", "mdmx", "drug_mdmx", "kon_dx", "koff_dx"),
        degradation(
            "drug_mdmx",
            "k_mdmx_deg0 + k_mdmx_ub * (1 + e_atm_mdmx * atm) * mdm2",
            products=("drug",),
            rid="deg_mdmx_in_drug_mdmx",
        ),
    ]
    # Degrader: CRBN, binary complexes and the ternary complex (catalytic)
    parts += [
        synthesis("crbn", "k_crbn_deg * crbn_nM"),
        degradation("crbn", "k_crbn_deg"),
        degradation("drug_crbn", "k_crbn_deg", products=("drug",), rid="deg_crbn_in_drug_crbn"),
        binding("drug", "crbn", "drug_crbn", "kon_de", "koff_de"),
        binding(
            "drug_mdm2",
            "crbn",
            "mdm2_drug_crbn",
            "kon_de",
            "koff_de / alpha",
            rid="bind_ternary_via_drug_mdm2",
        ),
        binding(
            "drug_crbn",
            "mdm2",
            "mdm2_drug_crbn",
            "kon_dm",
            "koff_dm / alpha",
            rid="bind_ternary_via_drug_crbn",
        ),
        catalysed_degradation(
            "mdm2_drug_crbn", ("drug", "crbn"), "k_ub_mdm2", rid="ub_mdm2_by_crbn"
        ),
        degradation(
            "mdm2_drug_crbn",
            "k_mdm2_deg * (1 + e_atm_mdm2 * atm)",
            products=("drug", "crbn"),
            rid="deg_mdm2_in_ternary",
        ),
    ]
    # Degradation-resistant MDM2 construct: constitutive, binds p53 (and inhibitors), not the
    # degrader; not degraded through CRBN
    parts += [
        synthesis("mdm2r", "mdm2r_level * k_mdm2_deg"),
        degradation("mdm2r", "k_mdm2_deg"),
        binding("p53", "mdm2r", "p53_mdm2r", "kf_pm", "kb_pm"),
        catalysed_degradation(
            "p53_mdm2r", ("mdm2r",), "k_ub_p53 * (1 - e_atm_p53 * atm)", rid="ub_p53_by_mdm2r"
        ),
        degradation("p53_mdm2r", "k_mdm2_deg", products=("p53",), rid="deg_mdm2r_in_p53_mdm2r"),
        degradation("p53_mdm2r", "k_p53_deg0", products=("mdm2r",), rid="deg_p53_in_p53_mdm2r"),
        binding("drug", "mdm2r", "drug_mdm2r", "kon_dr", "koff_dm * kon_dr / kon_dm"),
        degradation("drug_mdm2r", "k_mdm2_deg", products=("drug",), rid="deg_mdm2r_in_drug"),
    ]
    # DNA damage, ATM and its inactivation by the p53 target Wip1
    parts += [
        degradation("damage", "k_repair", rid="repair_damage"),
        synthesis(
            "atm",
            "k_atm_act * damage / (damage + K_atm) * (1 - atm) * "
            "(f_atm_auto + (1 - f_atm_auto) * hill(atm, K_atm_auto, 2))",
            rid="act_atm",
        ),
        degradation("atm", "k_atm_inact + k_atm_wip1 * wip1", rid="inact_atm"),
        transcription(
            "wip1_mrna",
            "p53",
            "k_wip1_tx0",
            "k_wip1_tx",
            "K_wip1",
            "n_wip1",
            competence="p53_tact",
            rid="tx_wip1",
        ),
        degradation("wip1_mrna", "k_wip1_mrna_deg"),
        translation("wip1_mrna", "wip1", "k_wip1_tl"),
        degradation("wip1", "k_wip1_deg"),
    ]
    # Target genes: p53-driven transcription, mRNA decay, translation, protein decay
    for g in _GENES:
        parts += [
            transcription(
                f"{g}_mrna",
                "p53",
                f"k_{g}_tx0",
                f"k_{g}_tx",
                f"K_{g}",
                f"n_{g}",
                competence="p53_tact",
                rid=f"tx_{g}",
            ),
            degradation(f"{g}_mrna", f"k_{g}_mrna_deg"),
            translation(f"{g}_mrna", g, f"k_{g}_tl"),
            degradation(g, f"k_{g}_deg"),
        ]
    # Bcl-2 sequesters PUMA
    parts += [
        synthesis("bcl2", "k_bcl2_syn * bcl2_level"),
        degradation("bcl2", "k_bcl2_deg"),
        binding("puma", "bcl2", "puma_bcl2", "kf_pb", "kb_pb"),
        degradation("puma_bcl2", "k_puma_deg", products=("bcl2",), rid="deg_puma_in_puma_bcl2"),
        degradation("puma_bcl2", "k_bcl2_deg", products=("puma",), rid="deg_bcl2_in_puma_bcl2"),
    ]
    species_ids = [
        "p53",
        "mdm2",
        "p53_mdm2",
        *pools,
        "mdm2_mrna",
        "mdmx",
        "p53_mdmx",
        "drug",
        "drug_mdm2",
        "drug_mdmx",
        "crbn",
        "drug_crbn",
        "mdm2_drug_crbn",
        "mdm2r",
        "p53_mdm2r",
        "drug_mdm2r",
        "damage",
        "atm",
        "wip1_mrna",
        "wip1",
        *[x for g in _GENES for x in (f"{g}_mrna", g)],
        "bcl2",
        "puma_bcl2",
    ]
    decl = Components(
        species=tuple(Species(s, 0.0, units=_SPECIES_UNITS.get(s, "nM")) for s in species_ids),
        parameters=core_parameters(),
        observables=CORE_OBSERVABLES,
    )
    return (decl, *parts)


def core_model(values: Mapping[str, float] | None = None) -> Model:
    """The core circuit with default (reference-line, no drug) parameter values.

    Initial concentrations are zero; simulate with ``preequilibrate=True`` (or use
    :func:`p53lab.model.cell_model`) to start from the untreated steady state.
    """
    m = Model.build(
        "p53lab_core",
        *_structure(),
        name="p53–MDM2–MDMX core circuit",
        notes="p53lab core circuit: p53, MDM2 (delayed transcription), MDMX, "
        "drug (inhibitor or CRBN degrader), rescue construct, DNA damage, target "
        "genes p21/PUMA/BAX/GDF15, Bcl-2. Units nM and hours.",
    )
    return m.with_params(values) if values else m
