"""Study kinds of the in-vivo layer: ``xenograft``, ``platelets``, ``clonal``, ``virtual-trial``.

Each kind reads and checks all its keys first (a wrong unit, an impossible regimen or a
negative volume stops it before any computing, with the file and the key in the message),
then simulates, writes its raw files and ``report.html`` into the output folder and returns the
summary that ``p53lab study run`` writes as ``summary.json``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..errors import UnitError
from .pk import check_dose_unit, pk_params
from .regimens import Regimen
from .report import figure, table, write_report

__all__ = ["STUDY_KINDS"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _regimen(f, key: str, compound: str, species: str) -> Regimen:
    """A regimen from the mapping ``key`` (or the fields ``f`` themselves if key is '')."""
    sub = f.sub(key) if key else f
    reg = Regimen.from_fields(sub)
    pk = pk_params(compound, species)
    try:
        check_dose_unit(pk, reg.dose_unit, "this study")
    except UnitError as exc:
        raise sub.error("dose_unit", str(exc), UnitError) from None
    if key:
        sub.done()
    return reg


# ------------------------------------------------------------------------------ xenograft
def _xenograft(f, ctx) -> dict:
    from .xenograft import Group, run_xenograft

    comp = f.compound("compound").name
    line = f.cell_line("cell_line").name
    per_group = f.integer("per_group", 8, minimum=2)
    days = f.numbers("days", [0, 3, 7, 10, 14, 17, 21, 24, 28], minimum=0, unit="d")
    if days[0] != 0 or any(b <= a for a, b in itertools.pairwise(days)):
        raise f.error("days", f"give ascending measurement days starting at 0. Got {days}.")
    sd = f.number("caliper_sd_mm", None, minimum=0, unit="mm") if f.has("caliper_sd_mm") else None
    target = f.number("randomise_at_mm3", 150.0, minimum=0, exclusive_minimum=True, unit="mm3")
    groups = []
    for g in f.items("groups"):
        label = g.text("label")
        reg = _regimen(g, "", comp, "mouse") if g.has("dose") else None
        g.done()
        groups.append(Group(label, reg))
    labels = [g.label for g in groups]
    if sum(g.regimen is None for g in groups) != 1:
        raise f.error("groups", "give exactly one vehicle group (a group without 'dose').")
    primary = f.choice("primary_group", labels, labels[-1])
    f.done()
    if target < 50 or target > 1000:
        raise f.error("randomise_at_mm3", f"give a volume between 50 and 1000 mm3. Got {target:g}.")
    out = ctx.out
    out.mkdir(parents=True, exist_ok=True)
    res = run_xenograft(
        comp,
        line,
        groups,
        per_group,
        days,
        ctx.seed,
        caliper_sd_mm=sd,
        out=out,
        progress=ctx.progress,
        randomise_at_mm3=target,
    )
    res.volumes.to_csv(out / "true_volumes.csv", index=False, float_format="%.4g")
    res.activity.to_csv(out / "pathway_activity.csv", index=False, float_format="%.5g")
    summ = res.tgi.summary()
    summ.to_csv(out / "tgi.csv", index=False, float_format="%.4g")
    # mean volume relative to baseline (for "below baseline for N weeks")
    curves = pd.DataFrame(list(res.tgi.curves))
    plt = _plt()
    from ..assays import xenograft as tgi_assay

    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    tgi_assay.plot(res.tgi, ax=ax[0], per_animal=True)
    ax[0].set_title(f"{comp} in {line} xenografts (calipers)")
    act = res.activity
    for lab, sub in act.groupby("group", sort=False):
        ax[1].plot(sub["time_h"] / 24, sub["kill_rate_per_h"], label=f"{lab}: kill rate (1/h)")
    ax[1].set_xlabel("day")
    ax[1].set_ylabel("kill rate (1/h)")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    g = res.group(primary)
    groups_out = {
        r["group"]: {
            "tgi_pct": r["tgi_pct"],
            "regressions": r["regressions"],
            "complete_responses": r["complete_responses"],
            "mean_volume_mm3": r["mean_volume_mm3"],
            "mean_volume_day0_mm3": r["mean_volume_day0_mm3"],
        }
        for r in res.tgi.groups
    }
    below = {}
    for lab, sub in curves.groupby("group"):
        v0 = float(sub[sub["day"] == 0]["mean_volume_mm3"].iloc[0])
        above = sub[(sub["day"] > 0) & (sub["mean_volume_mm3"] >= v0)]["day"]
        below[lab] = float(above.min()) if len(above) else math.inf
    write_report(
        out,
        f"Xenograft: {comp} in {line}",
        [
            (
                "Tumour volumes",
                figure(
                    fig,
                    "Mean ± SEM per group (thin lines: animals); right: kill rate "
                    "from the p53 circuit under the PK profile.",
                )
                + table(
                    summ[
                        [
                            "group",
                            "n",
                            "day",
                            "mean_volume_day0_mm3",
                            "mean_volume_mm3",
                            "tgi_pct",
                            "tc_pct",
                            "regressions",
                            "complete_responses",
                        ]
                    ]
                ),
            ),
            (
                "Randomisation",
                f"<p>Baseline means {res.tgi.baseline_means}; within 10 %: "
                f"{res.tgi.randomisation_ok}; ANOVA p = {res.tgi.anova_p:.3g}.</p>",
            ),
        ],
        res.provenance,
        [
            f"pk/{comp}/mouse",
            f"tumour/lines/{line}",
            "tumour/psi",
            "tumour/k1_per_h",
            "tumour/growth_cv",
            "tumour/caliper_sd_mm",
            "kill",
        ],
        "%TGI, regressions and complete responses are computed by p53lab.assays.xenograft from "
        "the simulated caliper file calipers.csv.",
    )
    return {
        "compound": comp,
        "cell_line": line,
        "primary_group": primary,
        "tgi_pct": g["tgi_pct"],
        "regressions": g["regressions"],
        "complete_responses": g["complete_responses"],
        "day": res.tgi.day,
        "groups": groups_out,
        "first_day_mean_at_or_above_baseline": below,
        "randomisation_ok": res.tgi.randomisation_ok,
        "files": [
            "calipers.csv",
            "true_volumes.csv",
            "pathway_activity.csv",
            "tgi.csv",
            "report.html",
        ],
    }


# ------------------------------------------------------------------------------ platelets
def _platelets(f, ctx) -> dict:
    from .platelets import run_platelets

    comp = f.compound("compound").name
    n = f.integer("n_patients", 40, minimum=1)
    days = f.number("days", 84.0, minimum=7, unit="d")
    arms = {}
    for a in f.items("arms"):
        label = a.text("label")
        if label in arms:
            raise a.error("label", f"arm labels must differ; {label!r} is used twice.")
        arms[label] = _regimen(a, "", comp, "human")
        a.done()
    f.done()
    out = ctx.out
    out.mkdir(parents=True, exist_ok=True)
    res = run_platelets(comp, arms, n, days, ctx.seed, progress=ctx.progress)
    res.counts.to_csv(out / "platelet_counts.csv", index=False, float_format="%.4g")
    res.patients.to_csv(out / "platelet_patients.csv", index=False, float_format="%.4g")
    res.arms.to_csv(out / "platelet_arms.csv", index=False, float_format="%.4g")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (lab, sub) in enumerate(res.counts.groupby("arm", sort=False)):
        q = sub.groupby("day")["platelets_1e9_per_L"].quantile([0.1, 0.5, 0.9]).unstack()
        ax.plot(q.index, q[0.5], color=f"C{i}", label=f"{lab} (median)")
        ax.fill_between(q.index, q[0.1], q[0.9], color=f"C{i}", alpha=0.15)
    for y in (150, 75, 50, 25):
        ax.axhline(y, ls=":", color="gray", lw=0.8)
    ax.set_xlabel("day")
    ax.set_ylabel("platelets (10^9/L)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_report(
        out,
        f"Platelets under {comp}: schedule comparison",
        [("Platelet counts (10th–90th percentile)", figure(fig) + table(res.arms))],
        res.provenance,
        [f"pk/{comp}/human", "platelets"],
        "Friberg 2002 model; drug effect from p53 activation (p21 induction, the arrest arm) "
        "of the core circuit in TP53-wild-type progenitor cells. Published: grade 3/4 "
        "thrombocytopenia 15 % at 260 mg days 1-3 and 15-17 q28d (the calibration target of "
        "a50), 29 % over all schedules (Gounder 2023). The other arms are predictions.",
    )
    arms_out = res.arms.set_index("arm")
    return {
        "compound": comp,
        "grade34_thrombocytopenia_pct": arms_out["grade34_pct"].to_dict(),
        "median_nadir_1e9_per_L": arms_out["median_nadir_1e9_per_L"].to_dict(),
        "median_nadir_day": arms_out["median_nadir_day"].to_dict(),
        "median_recovery_days": arms_out["median_recovery_days"].to_dict(),
        "dose_per_28_days": arms_out["dose_per_28_days"].to_dict(),
        "published": {
            "grade34_pct_recommended_schedule": 15.0,
            "grade34_pct_all": 29.0,
            "source": "Gounder 2023 J Clin Oncol 41:1714",
        },
        "files": [
            "platelet_counts.csv",
            "platelet_patients.csv",
            "platelet_arms.csv",
            "report.html",
        ],
    }


# ------------------------------------------------------------------------------ clonal
def _clonal(f, ctx) -> dict:
    from .clonal import run_clonal

    comp = f.compound("compound").name
    reg = _regimen(f, "regimen", comp, "human")
    durs = f.numbers(
        "durations_months", [1, 3, 6, 12, 24], minimum=0, exclusive_minimum=True, unit="months"
    )
    follow = f.number("followup_months", 12.0, minimum=0, unit="months")
    n = f.integer("n_patients", 50, minimum=1)
    f.done()
    out = ctx.out
    out.mkdir(parents=True, exist_ok=True)
    res = run_clonal(comp, reg, durs, follow, n, ctx.seed, progress=ctx.progress)
    res.clones.to_csv(out / "clones.csv", index=False, float_format="%.5g")
    res.summary.to_csv(out / "clonal_summary.csv", index=False, float_format="%.5g")
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    s = res.summary
    ax[0].plot(s["duration_months"], s["mean_detectable_clones_at_stop"], "o-", label="at stop")
    ax[0].plot(
        s["duration_months"],
        s["mean_detectable_clones_followup"],
        "s--",
        label=f"{follow:g} months later",
    )
    ax[0].set_xlabel("treatment duration (months)")
    ax[0].set_ylabel("detectable TP53-mutant clones per patient")
    ax[0].legend()
    ax[1].plot(s["duration_months"], s["mean_vaf_at_stop_of_detectable"], "o-", label="at stop")
    ax[1].plot(
        s["duration_months"],
        s["mean_vaf_followup_of_same_clones"],
        "s--",
        label="same clones later",
    )
    ax[1].set_xlabel("treatment duration (months)")
    ax[1].set_ylabel("mean VAF")
    ax[1].legend()
    fig.tight_layout()
    write_report(
        out,
        f"Clonal haematopoiesis under {comp}",
        [("Clones vs treatment duration", figure(fig) + table(s))],
        res.provenance,
        ["clonal", "platelets/a50", "platelets/emax"],
    )
    return {
        "compound": comp,
        "mean_progenitor_effect": res.mean_effect,
        "durations_months": durs,
        "mean_detectable_clones_at_stop": s["mean_detectable_clones_at_stop"].tolist(),
        "mean_detectable_clones_followup": s["mean_detectable_clones_followup"].tolist(),
        "mean_vaf_at_stop_of_detectable": s["mean_vaf_at_stop_of_detectable"].tolist(),
        "mean_vaf_followup_of_same_clones": s["mean_vaf_followup_of_same_clones"].tolist(),
        "files": ["clones.csv", "clonal_summary.csv", "report.html"],
    }


# ------------------------------------------------------------------------------ trial
def _trial(f, ctx) -> dict:
    from ..assays import clinical
    from .trial import run_trial

    comp = f.compound("compound").name
    reg = _regimen(f, "regimen", comp, "human")
    n = f.integer("n_patients", 31, minimum=1)
    follow = f.number("followup_months", 12.0, minimum=0, exclusive_minimum=True, unit="months")
    pub = f.sub("published", {})
    published = {
        "orr_responders": pub.integer("orr_responders", 6, minimum=0),
        "orr_n": pub.integer("orr_n", 31, minimum=1),
        "median_pfs_months": pub.number("median_pfs_months", 3.5, minimum=0, unit="months"),
        "source": pub.text("source", "MANTRA-2 (DOMAIN.md 6)"),
    }
    pub.done()
    f.done()
    if published["orr_responders"] > published["orr_n"]:
        raise f.error("published.orr_responders", "must not exceed published.orr_n.")
    out = ctx.out
    out.mkdir(parents=True, exist_ok=True)
    res = run_trial(comp, reg, n, follow, ctx.seed, progress=ctx.progress)
    res.patients.to_csv(out / "patients.csv", index=False, float_format="%.5g")
    res.scans.to_csv(out / "scans.csv", index=False, float_format="%.4g")
    pub_orr = clinical.response_rate(published["orr_responders"], published["orr_n"])
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    p = res.patients.sort_values("best_sld_change_pct", ascending=False)
    colors = {"CR": "C2", "PR": "C0", "SD": "C7", "PD": "C3", "NE": "k"}
    ax[0].bar(
        range(len(p)), p["best_sld_change_pct"], color=[colors[b] for b in p["best_response"]]
    )
    ax[0].axhline(-30, ls=":", color="k")
    ax[0].axhline(20, ls=":", color="k")
    ax[0].set_ylabel("best change in sum of diameters (%)")
    ax[0].set_title("waterfall")
    ax[1].step(np.r_[0, res.pfs.time], np.r_[1, res.pfs.survival], where="post")
    ax[1].set_xlabel("months")
    ax[1].set_ylabel("progression-free")
    ax[1].set_title("PFS (Kaplan–Meier)")
    fig.tight_layout()
    comp_tab = pd.DataFrame(
        [
            {
                "endpoint": "ORR (%)",
                "simulated": res.orr.rate_pct,
                "simulated 95% CI": f"{res.orr.ci_lower_pct:.1f}–{res.orr.ci_upper_pct:.1f}",
                "published": pub_orr.rate_pct,
                "published 95% CI": f"{pub_orr.ci_lower_pct:.1f}–{pub_orr.ci_upper_pct:.1f}",
            },
            {
                "endpoint": "DCR (%)",
                "simulated": res.dcr.rate_pct,
                "simulated 95% CI": f"{res.dcr.ci_lower_pct:.1f}–{res.dcr.ci_upper_pct:.1f}",
                "published": math.nan,
                "published 95% CI": "–",
            },
            {
                "endpoint": "median PFS (months)",
                "simulated": res.pfs.median,
                "simulated 95% CI": f"{res.pfs.median_lower:.2f}–{res.pfs.median_upper:.2f}",
                "published": published["median_pfs_months"],
                "published 95% CI": "1.8–3.7",
            },
            {
                "endpoint": "grade ≥ 3 thrombocytopenia (%)",
                "simulated": res.grade34_thrombocytopenia_pct,
                "simulated 95% CI": "–",
                "published": 15.0,
                "published 95% CI": "–",
            },
        ]
    )
    write_report(
        out,
        f"Virtual trial: {comp}, {reg.describe()}",
        [("Simulated beside published", table(comp_tab)), ("Responses and PFS", figure(fig))],
        res.provenance,
        [f"pk/{comp}/human", "trial", "kill", "platelets"],
        "The virtual population's distributions (MDM2 copy gain, tumour sensitivity and growth, "
        "resistant fraction, PK variability, baseline platelets) are assumed, not fitted to the "
        "trial; the kill mapping comes from the xenograft layer. Published values are printed "
        "beside the simulation, never used to tune it.",
    )
    best = res.patients["best_response"].value_counts().to_dict()
    return {
        "compound": comp,
        "regimen": reg.describe(),
        "n_patients": n,
        "best_responses": {k: int(best.get(k, 0)) for k in ("CR", "PR", "SD", "PD", "NE")},
        "orr_pct": res.orr.rate_pct,
        "orr_ci": [res.orr.ci_lower_pct, res.orr.ci_upper_pct],
        "dcr_pct": res.dcr.rate_pct,
        "dcr_ci": [res.dcr.ci_lower_pct, res.dcr.ci_upper_pct],
        "median_pfs_months": res.pfs.median,
        "median_pfs_ci": [res.pfs.median_lower, res.pfs.median_upper],
        "grade34_thrombocytopenia_pct": res.grade34_thrombocytopenia_pct,
        "published": {
            "orr_pct": pub_orr.rate_pct,
            "orr_ci": [pub_orr.ci_lower_pct, pub_orr.ci_upper_pct],
            "orr": f"{published['orr_responders']}/{published['orr_n']}",
            "median_pfs_months": published["median_pfs_months"],
            "source": published["source"],
        },
        "assumed_inputs": "see report.html, section 'Which inputs were assumed'",
        "files": ["patients.csv", "scans.csv", "report.html"],
    }


def _study_kinds():
    from ..studies.registry import StudyKind

    return {
        "xenograft": StudyKind(
            "xenograft",
            "Simeoni tumour growth with p53-circuit kill under mouse PK; calipers -> %TGI",
            _xenograft,
        ),
        "platelets": StudyKind(
            "platelets",
            "Friberg thrombocytopenia from p53 activation in progenitors; schedule comparison",
            _platelets,
        ),
        "clonal": StudyKind(
            "clonal",
            "TP53-mutant clonal haematopoiesis vs treatment duration and after stopping",
            _clonal,
        ),
        "virtual-trial": StudyKind(
            "virtual-trial",
            "virtual single-arm trial: RECIST best response, ORR/DCR, PFS, thrombocytopenia",
            _trial,
        ),
    }


STUDY_KINDS = _study_kinds()
