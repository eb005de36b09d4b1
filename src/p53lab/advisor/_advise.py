"""Rank the causes: the guides' rules plus the cell model's fit (see the package docstring for
the scoring)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..catalog import CellLine, Compound
from ..catalog import cell_line as lookup_line
from ..catalog import compound as lookup_compound
from ..errors import SimulationError, param_error
from ._causes import CAUSES, HYPOTHESES
from ._model import ModelFit, fit_hypotheses
from ._observations import validate

__all__ = ["MODEL_WEIGHT", "THRESHOLDS", "Advice", "advise"]

# Points the model fit can add to a cause: its hypothesis weight (0-1) times MODEL_WEIGHT.
# Strong direct evidence (a control experiment's result) is worth 4-5 rule points, a pattern in
# the readouts 1-2, so a control experiment outweighs the model and the model outweighs a
# single pattern. Chosen by this reasoning (estimated), not fitted.
MODEL_WEIGHT = 3.0

# Thresholds of the rules (estimated unless a source is given):
THRESHOLDS = {
    "up_fold": 2.0,  # a clear rise on a Western
    "flat_fold": 1.5,  # band quantification rarely resolves changes below ~1.5-fold
    "apoptosis_low_pct": 15.0,
    "apoptosis_high_pct": 30.0,
    # Cycling cultures hold ~45 % G1 and ~20 % G2/M (population/fate.py phase shares).
    "g1_arrest_pct": 60.0,
    "g2m_arrest_pct": 30.0,
    # Resistant: 10x the published growth IC50 (the guides' resistant derivatives: 48- to
    # > 100-fold, DOMAIN §3).
    "resistant_ic50_ratio": 10.0,
    "acquired_strong_fold": 5.0,
    "acquired_weak_fold": 2.0,
    # Replicate CV of CellTiter-Glo / flow readouts is usually < 10-15 %.
    "cv_high_pct": 30.0,
    "cv_moderate_pct": 20.0,
    "cv_low_pct": 10.0,
    "expression_high_fold": 2.0,  # measured MDMX / Bcl-2 vs a responsive line
    "expression_normal_fold": 1.3,
    "early_apoptosis_h": 24.0,  # guides: apoptosis at 24-48 h
    "early_protein_h": 2.0,  # guides: Western at 2, 4, 8, 24 h
}
_FATE_KEYS = (
    "apoptosis_pct",
    "g1_arrest_pct",
    "g2m_arrest_pct",
    "ic50_nM",
    "ic50_fold_change_over_time",
)
# "p53 works but the cells arrest instead of dying" is what each of these causes shows; the
# patterns give them equal points and the model tells them apart: would the line as catalogued
# arrest at this exposure (arrest_not_apoptosis), or would it die unless something blocks
# apoptosis (Bcl-2, survival signalling) or holds p53 back (MDMX)?
_NO_DEATH = ("arrest_not_apoptosis", "bcl2_high", "survival_signalling", "mdmx_high")
# Causes of resistance (innate and acquired, DOMAIN §3): a high IC50 fits each of them.
_RESISTANCE = (
    "tp53_not_wild_type",
    "mdmx_high",
    "bcl2_high",
    "efflux",
    "acquired_tp53_mutation",
    "mdm2_upregulation",
)
DEFAULT_HOURS = 24.0
DEFAULT_CONC_NM = {"smi": 1000.0, "degrader": 10.0}  # the guides' mid-range (DOMAIN §4)


class Advice(list):
    """The ranked causes (a list of dicts, best first) with ``warnings`` (unknown keys and
    notes about the input) and ``provenance``."""

    def __init__(self, items, warnings=(), provenance=None):
        super().__init__(items)
        self.warnings = list(warnings)
        self.provenance = dict(provenance or {})


@dataclass
class _Ctx:
    obs: dict
    status: str
    comp: Compound | None
    line: CellLine | None
    published_ic50: list[tuple[float, str]]
    points: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def add(self, cause: str, pts: float, why: str) -> None:
        self.points.setdefault(cause, []).append((pts, why))

    def has(self, k: str) -> bool:
        return k in self.obs


def _published_growth_ic50(comp: Compound | None, line: CellLine | None):
    if comp is None or line is None:
        return []
    return [
        (p.value_nM, p.source)
        for p in comp.potency
        if p.assay == "growth IC50" and p.cell_line == line.name and p.qualifier == "="
    ]


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _rules(c: _Ctx) -> None:
    T = THRESHOLDS
    o = c.obs
    up = {k: o[k] >= T["up_fold"] for k in ("p53_fold", "mdm2_fold", "p21_fold") if k in o}
    flat = {k: o[k] < T["flat_fold"] for k in ("p53_fold", "mdm2_fold", "p21_fold") if k in o}
    apo_low = c.has("apoptosis_pct") and o["apoptosis_pct"] < T["apoptosis_low_pct"]
    apo_high = c.has("apoptosis_pct") and o["apoptosis_pct"] >= T["apoptosis_high_pct"]
    arrest = (c.has("g1_arrest_pct") and o["g1_arrest_pct"] >= T["g1_arrest_pct"]) or (
        c.has("g2m_arrest_pct") and o["g2m_arrest_pct"] >= T["g2m_arrest_pct"]
    )
    pub = max((v for v, _ in c.published_ic50), default=None)
    resistant = (
        c.has("ic50_nM") and pub is not None and o["ic50_nM"] >= T["resistant_ic50_ratio"] * pub
    )
    sensitive = c.has("ic50_nM") and pub is not None and o["ic50_nM"] <= 3 * pub
    failure = apo_low or resistant or (flat.get("p53_fold", False) and flat.get("p21_fold", True))
    cells_die = apo_high or sensitive
    line_status = str(c.line.tp53_status.value) if c.line else None
    not_wt = c.status in ("mutant", "null") or (line_status not in (None, "wild_type"))
    targets_flat = [k for k in ("p21_fold", "mdm2_fold") if flat.get(k)]
    targets_up = [k for k in ("p21_fold", "mdm2_fold") if up.get(k)]
    if resistant:
        srcs = "; ".join(f"{_fmt(v)} nM ({s})" for v, s in c.published_ic50)
        txt = (
            f"IC50 {_fmt(o['ic50_nM'])} nM is {o['ic50_nM'] / pub:.3g}x the published growth "
            f"IC50 in {c.line.name} ({srcs}): resistant"
        )
        for cause in _RESISTANCE:
            c.add(cause, 0.5, txt)

    # --- TP53 status
    if not_wt:
        who = (
            f"you report TP53 {c.status}"
            if c.status in ("mutant", "null")
            else f"the catalog lists {c.line.name} as TP53 {line_status}"
            + (f" ({c.line.tp53_mutation})" if c.line.tp53_mutation else "")
        )
        if cells_die:
            c.add(
                "off_target",
                4.0,
                f"{who}, yet the cells die: MDM2 antagonists act through "
                "wild-type p53, so this effect is not on target",
            )
            c.add("tp53_not_wild_type", -2.0, f"{who}, but the cells respond")
        else:
            pts = 4.0 if c.status in ("mutant", "null") else 3.0
            c.add("tp53_not_wild_type", pts, f"{who}: MDM2 antagonists need wild-type p53")
    if up.get("p53_fold") and targets_flat and not targets_up:
        what = " and ".join(k.removesuffix("_fold") for k in targets_flat)
        txt = (
            f"p53 rises ({_fmt(o['p53_fold'])}-fold) but {what} do(es) not: p53 accumulates "
            "without transactivating its targets (typical of a missense p53)"
        )
        c.add("tp53_not_wild_type", 2.0, txt)
        if c.has("ic50_fold_change_over_time"):
            c.add("acquired_tp53_mutation", 1.0, txt)
    if targets_up:
        what = " and ".join(k.removesuffix("_fold") for k in targets_up)
        txt = f"{what} rise(s) with p53: p53 is transcriptionally active"
        c.add("tp53_not_wild_type", -2.0, txt)
        c.add("acquired_tp53_mutation", -1.0, txt)

    # --- acquired resistance
    if c.has("ic50_fold_change_over_time"):
        f = o["ic50_fold_change_over_time"]
        if f >= T["acquired_weak_fold"]:
            strong = f >= T["acquired_strong_fold"]
            txt = f"the IC50 rose {_fmt(f)}-fold over time: acquired resistance"
            c.add(
                "acquired_tp53_mutation",
                4.0 if strong else 2.0,
                txt + " (selection of TP53-mutant clones is the most common route)",
            )
            c.add("mdm2_upregulation", 2.0 if strong else 1.0, txt)
            c.add("efflux", 1.0, txt + " (more P-gp is one route)")
            if targets_up:
                c.add(
                    "mdm2_upregulation",
                    1.0,
                    "p53 still active in the resistant cells: a "
                    "TP53 mutation is less likely than more MDM2 or efflux",
                )
        else:
            txt = f"the IC50 is stable over time ({_fmt(f)}-fold): not acquired resistance"
            for cause in ("acquired_tp53_mutation", "mdm2_upregulation"):
                c.add(cause, -2.0, txt)

    # --- efflux
    if c.has("efflux_inhibitor_reverses"):
        if o["efflux_inhibitor_reverses"]:
            c.add("efflux", 5.0, "an efflux (P-gp) inhibitor restores the response")
        else:
            c.add("efflux", -3.0, "an efflux (P-gp) inhibitor does not restore the response")
    if c.comp is not None and c.comp.p_gp_substrate is not None:
        if c.comp.p_gp_substrate.value is False:
            c.add("efflux", -2.0, f"{c.comp.name} is not a P-gp substrate (catalog)")
        elif c.comp.p_gp_substrate.value is True and failure:
            c.add(
                "efflux", 0.5, f"{c.comp.name} is a P-gp substrate ({c.comp.p_gp_substrate.source})"
            )

    # --- measured expression
    for key, cause, prot in (
        ("mdmx_fold", "mdmx_high", "MDMX"),
        ("bcl2_fold", "bcl2_high", "Bcl-2"),
    ):
        if c.has(key):
            v = o[key]
            if v >= T["expression_high_fold"]:
                c.add(cause, 4.0, f"{prot} is {_fmt(v)}x a responsive line")
            elif v <= T["expression_normal_fold"]:
                c.add(cause, -2.0, f"{prot} is {_fmt(v)}x a responsive line: not high")
    if c.has("mdm2_basal_fold"):
        v = o["mdm2_basal_fold"]
        txt = f"basal MDM2 is {_fmt(v)}x a responsive line"
        if v <= 1 / T["expression_high_fold"]:
            c.add("low_mdm2", 4.0, txt + ": little brake to release")
        elif v >= T["expression_high_fold"]:
            c.add("low_mdm2", -2.0, txt)
            c.add("mdm2_upregulation", 1.0, txt + ": more MDM2 needs more drug")
        elif v >= 1 / T["expression_normal_fold"]:
            c.add("low_mdm2", -1.0, txt + ": not low")
    if c.line is not None:
        for field_, cause, prot in (
            ("mdmx_level_fold", "mdmx_high", "MDMX"),
            ("bcl2_level_fold", "bcl2_high", "Bcl-2"),
        ):
            val = getattr(c.line, field_)
            if float(val.value) >= T["expression_high_fold"]:
                c.add(
                    cause,
                    1.0,
                    f"the catalog lists {c.line.name} as {prot}-high "
                    f"({_fmt(float(val.value))}x; {val.source})",
                )
        amp = float(c.line.mdm2_amplification_fold.value)
        if amp >= T["expression_high_fold"]:
            c.add("low_mdm2", -2.0, f"{c.line.name} is MDM2-amplified ({_fmt(amp)}x, catalog)")
    if c.comp is not None and c.comp.mdmx_kd_nM is not None and c.comp.mdm2_kd_nM is not None:
        kd_x, kd_m = float(c.comp.mdmx_kd_nM.value), float(c.comp.mdm2_kd_nM.value)
        if kd_x <= 10 * kd_m:  # a dual MDM2/MDMX antagonist leaves MDMX no escape
            c.add("mdmx_high", -1.0, f"{c.comp.name} binds MDMX too (K_D {_fmt(kd_x)} nM)")

    # --- downstream of p53: arrest, Bcl-2, survival
    if up.get("p53_fold") and up.get("p21_fold", True) and apo_low:
        txt = "p53 is active but the cells do not die"
        for cause in _NO_DEATH:
            c.add(cause, 1.0, txt)
        if c.has("bcl2_fold") and o["bcl2_fold"] <= T["expression_normal_fold"]:
            c.add("survival_signalling", 1.0, "apoptosis blocked while Bcl-2 is not high")
    if arrest and (apo_low or not c.has("apoptosis_pct")):
        parts = [
            f"{k.split('_')[0].upper()} {_fmt(o[k])} %"
            for k in ("g1_arrest_pct", "g2m_arrest_pct")
            if k in o
        ]
        txt = f"the cells accumulate in {', '.join(parts)}: arrest rather than death"
        for cause in _NO_DEATH:
            c.add(cause, 1.0, txt)

    # --- MDM2 itself
    if c.comp is not None and c.has("mdm2_fold"):
        if c.comp.is_smi and up.get("mdm2_fold") and o.get("p53_fold", 2.0) >= T["flat_fold"]:
            # The answer to "MDM2 went up": when fate readouts were reported too, the question
            # is about the fate, which the surge does not explain.
            fate_seen = any(k in o for k in _FATE_KEYS)
            c.add(
                "expected_feedback",
                1.0 if fate_seen else 3.0,
                f"MDM2 rises {_fmt(o['mdm2_fold'])}-fold under "
                f"{c.comp.name}, a small-molecule inhibitor: p53 induces MDM2 (negative "
                "feedback)"
                + (", though this does not explain the cells' fate" if fate_seen else ""),
            )
        if c.comp.is_degrader and o["mdm2_fold"] >= 1.0:
            c.add("expected_feedback", -2.0, f"{c.comp.name} is a degrader: MDM2 should fall")
            c.add(
                "dose_or_time",
                2.0,
                f"MDM2 did not fall under the degrader {c.comp.name}: "
                "check the concentration (hook effect at high doses) and the time",
            )

    # --- the experiment itself: dose, time, replicates
    if c.has("conc_nM"):
        conc = o["conc_nM"]
        if conc == 0:
            c.add("dose_or_time", 4.0, "conc_nM is 0: no drug")
        elif pub is not None and conc < pub:
            c.add(
                "dose_or_time",
                2.0,
                f"{_fmt(conc)} nM is below the published growth IC50 "
                f"of {c.comp.name} in {c.line.name} ({_fmt(pub)} nM)",
            )
    if c.has("hours"):
        h = o["hours"]
        if h < T["early_protein_h"]:
            c.add("dose_or_time", 2.0, f"read at {_fmt(h)} h: too early even for p53 by Western")
        if apo_low and h < T["early_apoptosis_h"]:
            c.add(
                "dose_or_time", 2.0, f"apoptosis read at {_fmt(h)} h; the guides read it at 24-48 h"
            )
    if flat.get("p53_fold") and flat.get("p21_fold", True) and not not_wt:
        c.add("dose_or_time", 1.0, "no p53 response at all: was the drug active at that dose?")
        c.add("efflux", 1.0, "no p53 response at all: the drug may not reach MDM2")
    if apo_high and flat.get("p53_fold") and flat.get("p21_fold", True):
        c.add("off_target", 3.0, "the cells die without p53 or p21 rising")
    if up.get("p53_fold") and up.get("p21_fold"):
        c.add("off_target", -2.0, "p53 and p21 rise: the on-target signature is there")
    if c.comp is not None and c.comp.name == "nutlin-3b" and cells_die:
        c.add("off_target", 4.0, "nutlin-3b is the inactive enantiomer: it should do nothing")
    if c.has("replicate_cv_pct"):
        cv = o["replicate_cv_pct"]
        if cv >= T["cv_high_pct"]:
            c.add("culture_variability", 4.0, f"replicates disagree (CV {_fmt(cv)} %)")
            c.add("assay_sensitivity", 2.5, f"replicate CV {_fmt(cv)} %: check the assay window")
        elif cv >= T["cv_moderate_pct"]:
            c.add("culture_variability", 2.0, f"replicates scatter (CV {_fmt(cv)} %)")
            c.add("assay_sensitivity", 1.5, f"replicate CV {_fmt(cv)} %")
        elif cv < T["cv_low_pct"]:
            txt = f"replicates agree (CV {_fmt(cv)} %)"
            c.add("culture_variability", -1.0, txt)
            c.add("assay_sensitivity", -1.0, txt)


def _model_points(ctx: _Ctx, fit: ModelFit | None) -> dict[str, tuple[float, list[str], dict]]:
    """Model points per cause, evidence text and the detail shown with it."""
    out: dict[str, tuple[float, list[str], dict]] = {}
    if fit is None:
        return out
    for name, cause in CAUSES.items():
        h = cause.hypothesis
        if h:
            w = fit.weight[h]
            parts = ", ".join(
                f"{k} {_fmt(ctx.obs[k])} vs {_fmt(fit.simulated[h][k])}" for k in fit.simulated[h]
            )
            label = "the line as catalogued" if h == "baseline" else f"hypothesis {h}"
            txt = (
                f"model ({label}): chi2 {fit.chi2[h]:.3g} over {fit.n_readouts} readout(s), "
                f"weight {w:.2f}; observed vs simulated: {parts}"
            )
            detail = {
                "hypothesis": h,
                "change": dict(HYPOTHESES[h]),
                "chi2": fit.chi2[h],
                "weight": w,
                "readouts": {
                    k: {
                        "observed": ctx.obs[k],
                        "simulated": fit.simulated[h][k],
                        "z": fit.residuals[h][k],
                    }
                    for k in fit.simulated[h]
                },
            }
            out[name] = (MODEL_WEIGHT * w, [txt], detail)
    # Off target: no cell hypothesis reproduces the readouts. Full points when the best fit
    # is rejected at the 1 % level, none when it is acceptable at 5 %.
    p = fit.best_fit_p
    misfit = 1.0 if p <= 0.01 else (0.0 if p >= 0.05 else (0.05 - p) / 0.04)
    txt = f"model: the best hypothesis fits with p = {p:.3g} (chi-square, {fit.n_readouts} dof)"
    out["off_target"] = (MODEL_WEIGHT * misfit, [txt], {"best_fit_p": p})
    # Dose: the line as catalogued responds at 10x the concentration but not at this one.
    here, ten = fit.dose_check["here"], fit.dose_check["ten_fold"]
    if ten is not None:
        weak = here["p53_fold"] < THRESHOLDS["up_fold"] or (
            "apoptosis_pct" in ctx.obs and here["apoptosis_pct"] < THRESHOLDS["apoptosis_low_pct"]
        )
        strong = ten["p53_fold"] >= THRESHOLDS["up_fold"] and (
            "apoptosis_pct" not in ctx.obs
            or ten["apoptosis_pct"] >= THRESHOLDS["apoptosis_high_pct"]
        )
        if weak and strong:
            pts, lst, det = out["dose_or_time"]
            lst.append(
                f"model: at {_fmt(fit.dose_check['ten_fold_conc_nM'])} nM the line would respond "
                f"(p53 {_fmt(ten['p53_fold'])}-fold, apoptosis {_fmt(ten['apoptosis_pct'])} %) "
                f"where at {_fmt(fit.dose_check['conc_nM'])} nM it does not (p53 "
                f"{_fmt(here['p53_fold'])}-fold, apoptosis {_fmt(here['apoptosis_pct'])} %)"
            )
            out["dose_or_time"] = (pts + 1.5, lst, det | {"dose_check": fit.dose_check})
    return out


def advise(
    observations: dict,
    *,
    simulate: bool = True,
    n_cells: int = 20,
    seed: int = 0,
    source: str = "observations",
) -> Advice:
    """Rank the causes of :data:`~p53lab.advisor.CAUSES` for what was observed.

    ``observations`` has the observation file's shape (``compound``, ``cell_line``,
    ``tp53_status``, ``observations: {...}``). With ``simulate`` (and a catalog compound that
    the cell model can simulate) every cell hypothesis is simulated with ``n_cells`` cells
    (seeded by ``seed``) and scored against the readouts. ``source`` names the input in error
    messages and warnings. Returns an :class:`Advice`: a list, best first, of
    ``{cause, score, title, evidence, next_experiments, rule_score, model_score, model}``.
    """
    if not (isinstance(n_cells, int) and not isinstance(n_cells, bool) and 1 <= n_cells <= 500):
        raise param_error("advise", "n_cells", "a whole number in [1, 500]", n_cells)
    clean, warnings = validate(observations, source)
    obs = clean["observations"]
    comp = lookup_compound(clean["compound"]) if "compound" in clean else None
    line = lookup_line(clean["cell_line"]) if "cell_line" in clean else None
    ctx = _Ctx(obs, clean["tp53_status"], comp, line, _published_growth_ic50(comp, line))
    _rules(ctx)

    fit, model_note = None, ""
    if simulate and comp is not None and comp.drug_class in ("smi", "degrader"):
        conc = obs.get("conc_nM", DEFAULT_CONC_NM[comp.drug_class])
        hours = obs.get("hours", DEFAULT_HOURS)
        try:
            fit = fit_hypotheses(
                comp.name,
                line.name if line else None,
                clean["tp53_status"],
                obs,
                conc,
                hours,
                n_cells,
                seed,
            )
        except SimulationError as exc:  # the advice goes on with the rules
            model_note = f"the simulation failed ({exc}): rules only"
            warnings.append(f"{source}: {model_note}")
        else:
            if fit is None:
                model_note = "no readout the model can simulate: rules only"
            else:
                if "conc_nM" not in obs:
                    warnings.append(f"{source}: no conc_nM given; the model assumed {conc:g} nM.")
                if "hours" not in obs:
                    warnings.append(f"{source}: no hours given; the model assumed {hours:g} h.")
                warnings.extend(f"{source}: {n}" for n in fit.notes)
    elif simulate and comp is None:
        model_note = "no compound given: rules only"
    elif simulate:
        model_note = f"{comp.name} (class {comp.drug_class}) is not simulated: rules only"
    model = _model_points(ctx, fit)

    items = []
    for i, (name, cause) in enumerate(CAUSES.items()):
        rule = ctx.points.get(name, [])
        rule_score = float(sum(p for p, _ in rule))
        m_pts, m_txt, m_detail = model.get(name, (0.0, [], None))
        evidence = [f"{why} ({p:+g})" for p, why in rule] + [
            f"{t} ({m_pts:+.2f})" if k == 0 else t for k, t in enumerate(m_txt)
        ]
        items.append(
            (
                -(rule_score + m_pts),
                i,
                {
                    "cause": name,
                    "score": round(rule_score + m_pts, 6),
                    "title": cause.title,
                    "evidence": evidence,
                    "next_experiments": list(cause.next_experiments),
                    "explanation": cause.explanation,
                    "rule_score": rule_score,
                    "model_score": round(m_pts, 6),
                    "model": m_detail,
                },
            )
        )
    items.sort(key=lambda t: (t[0], t[1]))
    ranked = [d for _, _, d in items]
    prov = {
        "source": source,
        "input": clean,
        "simulated": fit is not None,
        "model_note": model_note,
        "model_settings": fit.settings if fit else None,
        "model_weight": MODEL_WEIGHT,
        "thresholds": dict(THRESHOLDS),
    }
    for d in ranked:
        d["score"] = float(d["score"])
    if not all(math.isfinite(d["score"]) for d in ranked):  # pragma: no cover - defensive
        raise RuntimeError("advisor produced a non-finite score")
    return Advice(ranked, warnings, prov)
