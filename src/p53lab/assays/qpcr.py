"""qPCR relative expression: ΔΔCt (Livak & Schmittgen 2001) and efficiency-corrected (Pfaffl 2001).

Input is a tidy Ct table, one row per well: ``sample``, ``group``, ``gene``, ``ct`` and optionally
``replicate`` (technical replicates of one sample and gene are averaged first).

For each target gene and each group other than the control, with amplification factors ``E``
(2 = perfect doubling per cycle; 2 for every gene gives the ΔΔCt method) and per-sample values
``q = log2(E)·Ct`` (reference genes: the mean of their ``q``, i.e. the geometric mean of their
quantities)::

    ΔCt   = mean(q_target) − mean(q_reference)           (per group, in log2 units)
    ΔΔCt  = ΔCt(group) − ΔCt(control)
    fold  = 2^(−ΔΔCt)                                   (Pfaffl: E_t^ΔCt_t / E_r^ΔCt_r)
    sd    = √(sd_target² + sd_reference²)  of the group  (separate tubes, Livak Table 3)
    range = 2^(−(ΔΔCt ± sd))

Ct values written as "Undetermined" (or "NA", blank) or ≥ ``undetermined_ct`` (40) are flagged
and left out of the means; a group left without a Ct gives a row with status "not_estimable".

References: Livak KJ, Schmittgen TD (2001) Methods 25:402–408. Pfaffl MW (2001) Nucleic Acids
Res 29:e45.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import FileFormatError, ParameterError, param_error
from ._base import NOT_ESTIMABLE, OK, FitResult
from ._tables import read_csv, require_columns

__all__ = ["QpcrResult", "fit", "plot", "read_ct_table"]

SAMPLE = "sample"
GROUP = "group"
GENE = "gene"
CT = "ct"
REPLICATE = "replicate"

UNDETERMINED_TEXT = frozenset({"undetermined", "undet", "na", "nan", "n/a", "", "no ct", "-"})
UNDETERMINED_CT = 40.0


# ---- qPCR -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class QpcrResult(FitResult):
    """Fold changes per target gene and group; ``rows`` is one dict per (gene, group)."""

    method: str = "delta-delta-ct"
    reference_genes: tuple = ()
    control_group: str = ""
    efficiencies: dict = dataclasses.field(default_factory=dict)
    undetermined_ct: float = UNDETERMINED_CT
    rows: tuple = ()
    flagged: tuple = ()

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))


def read_ct_table(path) -> pd.DataFrame:
    """Read a tidy Ct CSV (``sample, group, gene, ct[, replicate]``) without judging its cells."""
    df = read_csv(path)
    require_columns(df, (SAMPLE, GROUP, GENE, CT), str(path))
    return df


def _parse_ct(df: pd.DataFrame, source: str, undetermined_ct: float):
    ct = np.empty(len(df), dtype=float)
    flagged = []
    for i, v in enumerate(df[CT].tolist()):
        text = "" if v is None else str(v).strip()
        if isinstance(v, float) and math.isnan(v):
            text = ""
        if text.lower() in UNDETERMINED_TEXT:
            ct[i] = math.nan
            flagged.append((i, text or "empty"))
            continue
        try:
            val = float(text)
        except ValueError:
            raise FileFormatError(
                f"{source}: row {i + 2}, column 'ct' holds {v!r}, which is neither a Ct value nor "
                "'Undetermined'. Fix that cell."
            ) from None
        if val < 0:
            raise FileFormatError(f"{source}: row {i + 2}, column 'ct' is negative ({val}).")
        if val >= undetermined_ct:
            ct[i] = math.nan
            flagged.append((i, f"Ct {val:g} >= {undetermined_ct:g}"))
            continue
        ct[i] = val
    rows = [
        {
            "row": i + 2,
            SAMPLE: str(df[SAMPLE].iloc[i]),
            GENE: str(df[GENE].iloc[i]),
            "value": text,
            "flag": "undetermined",
        }
        for i, text in flagged
    ]
    return ct, tuple(rows)


def _check_efficiencies(efficiencies: Mapping[str, float] | None) -> dict[str, float]:
    out = {}
    for gene, e in (efficiencies or {}).items():
        e = float(e)
        if not 1.0 < e <= 2.5 or e != e:
            raise param_error(
                "qpcr.fit",
                f"efficiencies[{gene!r}]",
                "an amplification factor in (1, 2.5] (2.0 = 100 % efficiency; 90 % is 1.90)",
                e,
            )
        out[str(gene)] = e
    return out


def fit(
    table: pd.DataFrame,
    reference_genes: str | Sequence[str],
    control_group: str,
    target_genes: Sequence[str] | None = None,
    efficiencies: Mapping[str, float] | None = None,
    undetermined_ct: float = UNDETERMINED_CT,
    source: str = "Ct table",
) -> QpcrResult:
    """Relative expression of every target gene in every group versus ``control_group``.

    ``efficiencies`` maps gene → amplification factor E (default 2 for all genes: ΔΔCt). With any
    E ≠ 2 the method is "pfaffl". See the module docstring for the equations.
    """
    refs = (reference_genes,) if isinstance(reference_genes, str) else tuple(reference_genes)
    if not refs:
        raise param_error("qpcr.fit", "reference_genes", "at least one gene", reference_genes)
    require_columns(table, (SAMPLE, GROUP, GENE, CT), source)
    eff = _check_efficiencies(efficiencies)
    ct, flagged = _parse_ct(table, source, float(undetermined_ct))
    df = pd.DataFrame(
        {
            SAMPLE: table[SAMPLE].astype(str).str.strip().to_numpy(),
            GROUP: table[GROUP].astype(str).str.strip().to_numpy(),
            GENE: table[GENE].astype(str).str.strip().to_numpy(),
            CT: ct,
        }
    )
    genes = list(dict.fromkeys(df[GENE]))
    groups = list(dict.fromkeys(df[GROUP]))
    for g in refs:
        if g not in genes:
            raise ParameterError(
                f"Reference gene {g!r} is not in the {GENE!r} column. Genes present: "
                f"{', '.join(map(repr, genes))}."
            )
    if control_group not in groups:
        raise ParameterError(
            f"Control group {control_group!r} is not in the {GROUP!r} column. Groups present: "
            f"{', '.join(map(repr, groups))}."
        )
    unknown = set(eff) - set(genes)
    if unknown:
        raise ParameterError(
            f"Efficiency given for gene(s) not in the table: {', '.join(sorted(unknown))}. "
            f"Genes present: {', '.join(genes)}."
        )
    targets = [g for g in (target_genes or genes) if g not in refs]
    missing_t = [g for g in targets if g not in genes]
    if missing_t:
        raise ParameterError(f"Target gene(s) not in the table: {', '.join(missing_t)}.")
    if not targets:
        raise ParameterError("No target gene: every gene in the table is a reference gene.")

    log2e = {g: math.log2(eff.get(g, 2.0)) for g in genes}
    df["q"] = df[CT] * df[GENE].map(log2e)
    # technical replicates → one value per (group, sample, gene)
    per = df.groupby([GROUP, SAMPLE, GENE], sort=False)["q"].mean().unstack(GENE)
    ref_q = per[list(refs)].mean(axis=1, skipna=False)

    def stats(group: str, gene: str):
        sub = per.loc[group]
        tq = sub[gene].dropna()
        rq = ref_q.loc[group].dropna()
        if tq.empty or rq.empty:
            return None
        sd_t = float(tq.std(ddof=1)) if len(tq) > 1 else math.nan
        sd_r = float(rq.std(ddof=1)) if len(rq) > 1 else math.nan
        return float(tq.mean()), float(rq.mean()), sd_t, sd_r, len(tq), len(rq)

    rows = []
    for gene in targets:
        ctrl = stats(control_group, gene)
        for group in groups:
            if group == control_group:
                continue
            trt = stats(group, gene)
            row = {GENE: gene, GROUP: group, "control_group": control_group}
            if ctrl is None or trt is None:
                which = control_group if ctrl is None else group
                row.update(
                    status=NOT_ESTIMABLE,
                    message=f"no determined Ct for {gene} or the reference in group {which!r}",
                    delta_ct=math.nan,
                    delta_ct_control=math.nan,
                    delta_delta_ct=math.nan,
                    sd=math.nan,
                    fold_change=math.nan,
                    fold_lower=math.nan,
                    fold_upper=math.nan,
                    n_samples=0,
                )
                rows.append(row)
                continue
            dct = trt[0] - trt[1]
            dct_c = ctrl[0] - ctrl[1]
            ddct = dct - dct_c
            sd = math.sqrt(trt[2] ** 2 + trt[3] ** 2)
            row.update(
                status=OK,
                message="" if sd == sd else "one sample only: no sd, no range",
                delta_ct=dct,
                delta_ct_control=dct_c,
                delta_delta_ct=ddct,
                sd=sd,
                fold_change=2.0 ** (-ddct),
                fold_lower=2.0 ** (-(ddct + sd)),
                fold_upper=2.0 ** (-(ddct - sd)),
                n_samples=min(trt[4], trt[5]),
            )
            rows.append(row)
    method = "pfaffl" if any(e != 2.0 for e in eff.values()) else "delta-delta-ct"
    n_bad = sum(r["status"] != OK for r in rows)
    return QpcrResult(
        status=OK if n_bad < len(rows) else NOT_ESTIMABLE,
        message=f"{n_bad} of {len(rows)} comparisons not estimable" if n_bad else "",
        method=method,
        reference_genes=refs,
        control_group=str(control_group),
        efficiencies={g: eff.get(g, 2.0) for g in genes},
        undetermined_ct=float(undetermined_ct),
        rows=tuple(rows),
        flagged=flagged,
    )


def plot(result: QpcrResult, ax=None):
    """Bar chart of fold change (log2 axis) per gene and group, with the ±sd range."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    df = result.summary()
    if df.empty:
        return ax
    df = df[df["status"] == OK]
    labels = [f"{g}\n{grp}" for g, grp in zip(df[GENE], df[GROUP], strict=True)]
    x = np.arange(len(df))
    fold = df["fold_change"].to_numpy(float)
    err = np.vstack([fold - df["fold_lower"], df["fold_upper"] - fold])
    ax.bar(x, fold, yerr=np.nan_to_num(err), capsize=3, color="tab:blue")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log", base=2)
    ax.set_xticks(x, labels)
    ax.set_ylabel(f"fold change vs {result.control_group}")
    ax.set_title(f"qPCR ({result.method}; reference {', '.join(result.reference_genes)})")
    return ax
