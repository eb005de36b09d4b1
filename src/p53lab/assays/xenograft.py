"""Xenograft tumour growth: caliper volumes, growth curves, %TGI, T/C, regressions, randomisation.

Input: a long table, one row per animal and day: ``animal``, ``group``, ``day`` and either
``length_mm`` and ``width_mm`` or ``volume_mm3``.

* Volume from calipers: V = 0.5·a·b² (mm³), a the long and b the short diameter (the two are
  swapped where given the other way round).
* %TGI at day i (the guides' definition, group MEAN volumes, day 0 = randomisation day)::

      TGI (%) = [1 − (T_i − T_0)/(V_i − V_0)]·100        T treated, V vehicle

* T/C (%) = T_i / V_i · 100.
* Per group at day i: complete responses (a recorded volume of 0, or empty diameters on a
  recorded row: unmeasurable) and regressions (0 < volume < the animal's day-0 volume); the two
  counts do not overlap.
* Randomisation check on day 0: each group mean within ``tolerance`` (fraction) of the grand mean
  and a one-way ANOVA p-value (scipy.stats.f_oneway).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import FileFormatError, ParameterError
from ._base import NOT_ESTIMABLE, OK, FitResult
from ._tables import numeric_column, read_csv, require_columns

__all__ = ["TgiResult", "caliper_volume", "fit", "plot", "read_tumour_table"]

ANIMAL = "animal"
GROUP = "group"
DAY = "day"
LENGTH = "length_mm"
WIDTH = "width_mm"
VOLUME = "volume_mm3"


def caliper_volume(length_mm, width_mm):
    """V = 0.5·a·b² with a = max(length, width), b = min(length, width) (mm → mm³)."""
    a = np.maximum(length_mm, width_mm)
    b = np.minimum(length_mm, width_mm)
    return 0.5 * a * b**2


@dataclasses.dataclass(frozen=True)
class TgiResult(FitResult):
    """%TGI and T/C per group at ``day`` versus ``vehicle_group``; growth curves per group."""

    vehicle_group: str = ""
    day: float = math.nan
    baseline_day: float = math.nan
    groups: tuple = ()
    curves: tuple = ()
    animals: tuple = ()
    randomisation_ok: bool = True
    randomisation_tolerance: float = 0.1
    anova_p: float = math.nan
    baseline_means: dict = dataclasses.field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.groups))


def read_tumour_table(path) -> pd.DataFrame:
    df = read_csv(path)
    require_columns(df, (ANIMAL, GROUP, DAY), str(path))
    return df


def _volumes(table: pd.DataFrame, source: str) -> pd.DataFrame:
    require_columns(table, (ANIMAL, GROUP, DAY), source)
    day = numeric_column(table, DAY, source)
    if VOLUME in table.columns:
        vol = numeric_column(table, VOLUME, source, allow_missing=True)
    elif LENGTH in table.columns and WIDTH in table.columns:
        a = numeric_column(table, LENGTH, source, allow_missing=True)
        b = numeric_column(table, WIDTH, source, allow_missing=True)
        vol = caliper_volume(a, b)
    else:
        require_columns(table, (LENGTH, WIDTH), source + f" (or give {VOLUME!r})")
    neg = np.flatnonzero(vol < 0)
    if neg.size:
        raise FileFormatError(f"{source}: row {neg[0] + 2} has a negative size ({vol[neg[0]]}).")
    vol = np.where(np.isnan(vol), 0.0, vol)  # empty diameters on a recorded row: unmeasurable
    return pd.DataFrame(
        {
            ANIMAL: table[ANIMAL].astype(str).str.strip().to_numpy(),
            GROUP: table[GROUP].astype(str).str.strip().to_numpy(),
            DAY: day,
            VOLUME: vol,
        }
    )


def fit(
    table: pd.DataFrame,
    vehicle_group: str,
    day: float | None = None,
    baseline_day: float | None = None,
    tolerance: float = 0.1,
    source: str = "tumour table",
) -> TgiResult:
    """%TGI and T/C of every group at ``day`` (default: the last day every group was measured)."""
    df = _volumes(table, source)
    groups = list(dict.fromkeys(df[GROUP]))
    if vehicle_group not in groups:
        raise ParameterError(
            f"Vehicle group {vehicle_group!r} is not in the {GROUP!r} column. Groups present: "
            f"{', '.join(map(repr, groups))}."
        )
    d0 = float(df[DAY].min()) if baseline_day is None else float(baseline_day)
    days_by_group = [set(df.loc[df[GROUP] == g, DAY]) for g in groups]
    common = set.intersection(*days_by_group)
    if d0 not in common:
        raise ParameterError(
            f"Baseline day {d0:g} is not measured in every group; give --baseline-day."
        )
    if day is None:
        later = [d for d in common if d > d0]
        if not later:
            raise ParameterError("No day after baseline is measured in every group.")
        di = float(max(later))
    else:
        di = float(day)
        if di not in common:
            raise ParameterError(
                f"Day {di:g} is not measured in every group. Days in every group: "
                f"{', '.join(f'{d:g}' for d in sorted(common))}."
            )
    dup = df.duplicated([ANIMAL, DAY])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise FileFormatError(
            f"{source}: row {i + 2} repeats animal {df[ANIMAL].iloc[i]!r} on day "
            f"{df[DAY].iloc[i]:g}. One row per animal and day."
        )

    curves = (
        df.groupby([GROUP, DAY], sort=True)[VOLUME]
        .agg(["mean", "sem", "count"])
        .reset_index()
        .rename(columns={"mean": "mean_volume_mm3", "sem": "sem_volume_mm3", "count": "n"})
    )
    mean_at = df.groupby([GROUP, DAY])[VOLUME].mean()
    v0, vi = mean_at[(vehicle_group, d0)], mean_at[(vehicle_group, di)]
    base = df[df[DAY] == d0].set_index(ANIMAL)[VOLUME]
    at_i = df[df[DAY] == di]
    rows = []
    for g in groups:
        t0, ti = mean_at[(g, d0)], mean_at[(g, di)]
        sub = at_i[at_i[GROUP] == g]
        b = base.reindex(sub[ANIMAL]).to_numpy()
        v = sub[VOLUME].to_numpy()
        cr = int(np.sum(v == 0))
        reg = int(np.sum((v > 0) & (v < b)))
        denom = vi - v0
        row = {
            GROUP: g,
            "n": len(sub),
            "day": di,
            "mean_volume_day0_mm3": float(t0),
            "mean_volume_mm3": float(ti),
            "tgi_pct": float((1 - (ti - t0) / denom) * 100) if denom != 0 else math.nan,
            "tc_pct": float(ti / vi * 100) if vi != 0 else math.nan,
            "regressions": reg,
            "complete_responses": cr,
            "status": OK if denom != 0 and vi != 0 else NOT_ESTIMABLE,
        }
        rows.append(row)

    by_group0 = [df[(df[GROUP] == g) & (df[DAY] == d0)][VOLUME].to_numpy() for g in groups]
    means0 = {g: float(v.mean()) for g, v in zip(groups, by_group0, strict=True)}
    grand = float(np.concatenate(by_group0).mean())
    within = all(abs(m - grand) <= tolerance * grand for m in means0.values())
    if len(groups) > 1 and all(len(v) > 1 for v in by_group0):
        p = float(stats.f_oneway(*by_group0).pvalue)
    else:
        p = math.nan
    status = OK if all(r["status"] == OK for r in rows) else NOT_ESTIMABLE
    return TgiResult(
        status=status,
        message="" if status == OK else "vehicle volume did not change: TGI undefined",
        vehicle_group=str(vehicle_group),
        day=di,
        baseline_day=d0,
        groups=tuple(rows),
        curves=tuple(curves.to_dict(orient="records")),
        animals=tuple(df.sort_values([GROUP, ANIMAL, DAY]).to_dict(orient="records")),
        randomisation_ok=bool(within),
        randomisation_tolerance=float(tolerance),
        anova_p=p,
        baseline_means=means0,
    )


def plot(result: TgiResult, ax=None, per_animal: bool = False):
    """Mean ± SEM tumour volume per group over days (thin lines per animal if ``per_animal``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    curves = pd.DataFrame(list(result.curves))
    animals = pd.DataFrame(list(result.animals))
    for i, (g, sub) in enumerate(curves.groupby(GROUP, sort=False)):
        color = f"C{i}"
        ax.errorbar(
            sub[DAY], sub["mean_volume_mm3"], yerr=sub["sem_volume_mm3"], color=color, label=g
        )
        if per_animal:
            for _, a in animals[animals[GROUP] == g].groupby(ANIMAL):
                ax.plot(a[DAY], a[VOLUME], color=color, lw=0.5, alpha=0.4)
    ax.axvline(result.day, ls=":", color="gray")
    ax.set_xlabel("day")
    ax.set_ylabel("tumour volume (mm³)")
    ax.legend()
    return ax
