"""In-silico RT-qPCR: a Ct table (the tidy format :func:`p53lab.assays.qpcr.read_ct_table`
reads) from known fold changes of target genes versus a control group.

A template present at N0 copies crosses the detection threshold T after Ct cycles when
N0·E^Ct = T, E the amplification factor per cycle (2 = 100 % efficiency). Expression changed
by a fold f therefore moves Ct by −log_E f. Per biological sample s, gene g and technical
replicate (well) w::

    Ct = Ct0_g − (log2 f_g,group + ℓ_s + β_s,g) / log2 E_g + ε_w

``Ct0_g``: the gene's Ct in the control group; ``ℓ_s ~ N(0, loading_sd)``: the sample's cDNA
input in log2 units, shared by every gene of the sample (it cancels in ΔCt);
``β_s,g ~ N(0, biological_sd)``: biological variation in log2 units; ``ε_w ~ N(0,
technical_sd)``: pipetting and instrument noise of one well, in cycles. A target with fold
0 (absent) or a Ct at or beyond ``max_cycles`` is written "Undetermined", as instruments do.

Then ΔCt − ΔCt(control) in log2 units (Livak & Schmittgen 2001; Pfaffl 2001 with E ≠ 2)
estimates −log2 f without bias, with variance, for n_bio samples per group and n_tech wells::

    Var(log2 fold estimate) = (2/n_bio) · (2·σ_β² + (log2 E_t)²·σ_ε²/n_tech
                                                 + (log2 E_r)²·σ_ε²/n_tech)

(one reference gene; target and reference wells independent). :func:`expected_log2_sd`
returns it.

References: Livak KJ, Schmittgen TD (2001) Methods 25:402–408. Pfaffl MW (2001) Nucleic Acids
Res 29:e45. Bustin SA et al. (2009) The MIQE guidelines. Clin Chem 55:611–622.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..assays.qpcr import CT, GENE, GROUP, REPLICATE, SAMPLE, UNDETERMINED_CT
from ..errors import ParameterError, param_error
from ..io.plates import PLATE_FORMATS, well_name
from ._common import (
    WrittenFiles,
    check_count,
    check_name,
    check_number,
    check_seed,
    prepare_dir,
    write_provenance,
)

__all__ = ["DEFAULT_BASELINE_CT", "expected_log2_sd", "write_ct_table"]

DEFAULT_BASELINE_CT = {
    # estimated: Ct of 10–50 ng cDNA from untreated cancer cell lines with SYBR/TaqMan assays;
    # housekeeping genes cross early, stress-response targets later.
    "GAPDH": 18.0,
    "ACTB": 17.5,
    "CDKN1A": 25.0,
    "MDM2": 24.0,
    "BBC3": 29.0,
    "BAX": 24.5,
    "TP53": 24.0,
    "GDF15": 26.0,
}
UNDETERMINED = "Undetermined"
DEFAULT_TECHNICAL_SD = 0.15  # estimated: technical triplicates usually agree within 0.1–0.2 Ct
DEFAULT_LOADING_SD = 0.3  # estimated: cDNA input varies ~20 % between samples (log2 0.3)


def expected_log2_sd(
    n_biological: int,
    n_technical: int,
    technical_sd: float,
    biological_sd: float = 0.0,
    efficiency_target: float = 2.0,
    efficiency_reference: float = 2.0,
) -> float:
    """Standard deviation of the estimated log2 fold change (one reference gene; see the
    module docstring). Loading variation cancels and does not enter."""
    lt, lr = math.log2(efficiency_target), math.log2(efficiency_reference)
    per_sample = 2 * biological_sd**2 + (lt**2 + lr**2) * technical_sd**2 / n_technical
    return math.sqrt(2.0 * per_sample / n_biological)


def _genes_and_folds(owner, fold_changes, control_group, reference_genes):
    if not isinstance(fold_changes, Mapping) or not fold_changes:
        raise param_error(owner, "fold_changes", "a mapping {group: {gene: fold}}", fold_changes)
    groups = [str(control_group)]
    genes: list[str] = []
    folds: dict[tuple[str, str], float] = {}
    for group, per_gene in fold_changes.items():
        g = str(group)
        if not isinstance(per_gene, Mapping):
            raise param_error(owner, f"fold_changes[{group!r}]", "a mapping {gene: fold}", per_gene)
        if g not in groups:
            groups.append(g)
        for gene, f in per_gene.items():
            name = str(gene)
            v = check_number(owner, f"fold_changes[{group!r}][{gene!r}]", f, lo=0.0)
            if name in reference_genes and v != 1.0:
                raise ParameterError(
                    f"The 'fold_changes' parameter of {owner} changes the reference gene {name!r} "
                    f"in group {g!r} (fold {v:g}); a reference gene is constant by definition. "
                    "Leave it out or give 1."
                )
            if g == str(control_group) and v != 1.0:
                raise ParameterError(
                    f"The 'fold_changes' parameter of {owner} gives fold {v:g} for {name!r} in "
                    f"the control group {g!r}; folds are relative to the control (1 there)."
                )
            if name not in genes and name not in reference_genes:
                genes.append(name)
            folds[(g, name)] = v
    if len(groups) < 2:
        raise param_error(
            owner, "fold_changes", f"at least one group besides {control_group!r}", fold_changes
        )
    if not genes:
        raise param_error(owner, "fold_changes", "at least one target gene", fold_changes)
    return groups, genes, folds


def _per_gene(owner, arg, value, genes, default, **limits) -> dict[str, float]:
    if isinstance(value, Mapping):
        out = {}
        for g in genes:
            v = value.get(g, default.get(g) if isinstance(default, Mapping) else default)
            if v is None:
                raise ParameterError(
                    f"The {arg!r} parameter of {owner} has no value for gene {g!r}. Give "
                    f"{arg}={{{g!r}: ...}} (known defaults: {', '.join(sorted(default))})."
                    if isinstance(default, Mapping)
                    else f"The {arg!r} parameter of {owner} has no value for gene {g!r}."
                )
            out[g] = check_number(owner, f"{arg}[{g!r}]", v, **limits)
        return out
    v = check_number(owner, arg, value, **limits)
    return dict.fromkeys(genes, v)


def write_ct_table(
    out_dir,
    fold_changes: Mapping[str, Mapping[str, float]],
    *,
    seed: int = 0,
    name: str = "qpcr",
    control_group: str = "vehicle",
    reference_genes: str | Sequence[str] = "GAPDH",
    baseline_ct: Mapping[str, float] | None = None,
    efficiency: float | Mapping[str, float] = 2.0,
    n_biological: int = 3,
    n_technical: int = 3,
    technical_sd: float = DEFAULT_TECHNICAL_SD,
    biological_sd: float = 0.0,
    loading_sd: float = DEFAULT_LOADING_SD,
    max_cycles: float = UNDETERMINED_CT,
    n_wells: int = 384,
) -> WrittenFiles:
    """Write a Ct table for known fold changes (see the module docstring for the model).

    ``fold_changes``: ``{group: {gene: fold vs control}}``; genes missing from a group are
    unchanged (fold 1); fold 0 means the transcript is absent (Undetermined). The control
    group gets every gene at fold 1. ``baseline_ct``: Ct in the control group per gene
    (defaults for GAPDH, ACTB, CDKN1A, MDM2, BBC3, BAX, TP53, GDF15 in
    :data:`DEFAULT_BASELINE_CT`); ``efficiency``: amplification factor E in (1, 2.5], one for
    all genes or per gene. Wells are laid out row by row on a ``n_wells`` plate.

    Files: ``<name>.csv`` (columns ``well, sample, group, gene, replicate, ct``; ``ct`` a
    number with 3 decimals or "Undetermined"), ``<name>_truth.csv`` (group, gene, fold_change,
    log2_fold_change, efficiency, baseline_ct) and ``<name>_provenance.json``.
    """
    owner = "write_ct_table"
    seed = check_seed(owner, seed)
    name = check_name(owner, name)
    refs = [reference_genes] if isinstance(reference_genes, str) else list(reference_genes)
    if not refs or any(not str(r).strip() for r in refs):
        raise param_error(owner, "reference_genes", "one or more gene names", reference_genes)
    refs = [str(r) for r in refs]
    groups, targets, folds = _genes_and_folds(owner, fold_changes, control_group, refs)
    genes = refs + targets
    base_default = {**DEFAULT_BASELINE_CT}
    base = _per_gene(
        owner,
        "baseline_ct",
        {**base_default, **(baseline_ct or {})},
        genes,
        base_default,
        lo=5.0,
        hi=45.0,
    )
    eff = _per_gene(owner, "efficiency", efficiency, genes, 2.0, lo=1.0, hi=2.5, lo_open=True)
    n_bio = check_count(owner, "n_biological", n_biological, 1)
    n_tech = check_count(owner, "n_technical", n_technical, 1)
    tsd = check_number(owner, "technical_sd", technical_sd, lo=0.0, hi=5.0)
    bsd = check_number(owner, "biological_sd", biological_sd, lo=0.0, hi=5.0)
    lsd = check_number(owner, "loading_sd", loading_sd, lo=0.0, hi=5.0)
    max_ct = check_number(owner, "max_cycles", max_cycles, lo=10.0, hi=60.0)
    if n_wells not in PLATE_FORMATS:
        raise param_error(owner, "n_wells", f"one of {sorted(PLATE_FORMATS)}", n_wells)
    nr, nc = PLATE_FORMATS[n_wells]
    n_needed = len(groups) * n_bio * len(genes) * n_tech
    if n_needed > n_wells:
        raise ParameterError(
            f"{owner}: {len(groups)} group(s) × {n_bio} sample(s) × {len(genes)} gene(s) × "
            f"{n_tech} well(s) = {n_needed} wells do not fit a {n_wells}-well plate. Use "
            "n_wells=384, fewer replicates or two tables."
        )
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for group in groups:
        for s in range(n_bio):
            sample = f"{group}_{s + 1}"
            loading = rng.normal(0.0, lsd) if lsd else 0.0
            for gene in genes:
                f = folds.get((group, gene), 1.0)
                bio = rng.normal(0.0, bsd) if bsd else 0.0
                l2e = math.log2(eff[gene])
                noise = rng.normal(0.0, tsd, n_tech) if tsd else np.zeros(n_tech)
                for w in range(n_tech):
                    well = well_name(k // nc, k % nc + 1)
                    k += 1
                    if f == 0.0:
                        ct_text = UNDETERMINED
                    else:
                        ct = base[gene] - (math.log2(f) + loading + bio) / l2e + noise[w]
                        ct_text = UNDETERMINED if ct >= max_ct else f"{max(ct, 0.0):.3f}"
                    rows.append((well, sample, group, gene, w + 1, ct_text))
    assert k <= nr * nc
    table = pd.DataFrame(rows, columns=["well", SAMPLE, GROUP, GENE, REPLICATE, CT])
    folder = prepare_dir(owner, out_dir)
    paths = {
        "ct_table": folder / f"{name}.csv",
        "truth": folder / f"{name}_truth.csv",
        "provenance": folder / f"{name}_provenance.json",
    }
    table.to_csv(paths["ct_table"], index=False)
    truth = []
    for group in groups[1:]:
        for gene in targets:
            f = folds.get((group, gene), 1.0)
            truth.append(
                {
                    GROUP: group,
                    GENE: gene,
                    "control_group": str(control_group),
                    "fold_change": f,
                    "log2_fold_change": math.log2(f) if f > 0 else -math.inf,
                    "efficiency": eff[gene],
                    "baseline_ct": base[gene],
                }
            )
    pd.DataFrame(truth).to_csv(paths["truth"], index=False, float_format="%.6g")
    prov = write_provenance(
        paths["provenance"],
        owner,
        seed,
        {
            "fold_changes": {f"{g}|{gene}": v for (g, gene), v in folds.items()},
            "control_group": str(control_group),
            "reference_genes": refs,
            "baseline_ct": base,
            "efficiency": eff,
            "n_biological": n_bio,
            "n_technical": n_tech,
            "technical_sd": tsd,
            "biological_sd": bsd,
            "loading_sd": lsd,
            "max_cycles": max_ct,
        },
    )
    return WrittenFiles(paths=paths, provenance=prov)
