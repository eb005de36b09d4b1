"""Normalising band intensities: to a loading control and to the vehicle lane.

Densitometry gives one integrated intensity per band (lane × target). Two divisions turn it into
a number comparable across lanes (Gassmann M et al. 2009, Electrophoresis 30:1845)::

    ratio(lane, target)      = I(lane, target) / I(lane, loading control)
    normalised(lane, target) = ratio(lane, target) / ratio(reference lane, target)

The first removes unequal loading (GAPDH, β-actin, tubulin or a total-protein stain in the same
lane); the second expresses every lane relative to the vehicle (untreated) lane, lane 1 by
default. Without a loading control the ratio is the intensity itself, so ``normalised`` is
relative to the reference lane only. The loading control's own row is 1 in every lane.

This module normalises tables quantified elsewhere (ImageJ, Image Lab, Empiria, or the table
``p53lab blot quantify --table`` writes): a long CSV with one row per band and columns ``lane``
(1, 2, ... left to right), ``target`` (MDM2, p53, GAPDH, ...), ``intensity`` and optionally
``label`` (the lane's treatment, e.g. "4 h" or "10 nM"). :mod:`p53lab.blot.quantify` normalises
the bands it measures with the same function, :func:`normalise_rows`.

A lane whose loading control is missing or not above background, or a target that is not above
background in the reference lane, gives rows with status "not_estimable" and a message, not an
error. When the rows carry ``noise_sd`` (the standard deviation of an integral from pixel noise,
as :mod:`p53lab.blot.quantify` gives), "above background" means above 3 ``noise_sd``, the usual
detection limit; a target band under it keeps its value with the message "not above the
noise".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..assays._base import NOT_ESTIMABLE, OK, FitResult
from ..assays._tables import numeric_column, read_csv, require_columns
from ..errors import FileFormatError, ParameterError, param_error

__all__ = ["NormalisedBlot", "normalise", "normalise_rows", "read_band_table", "wide_table"]

LANE = "lane"
TARGET = "target"
INTENSITY = "intensity"
LABEL = "label"
NORMALISED = "normalised"
LOADING_INTENSITY = "loading_control_intensity"
RATIO = "ratio"
NOISE_SD = "noise_sd"
DETECTION_SD = 3.0


@dataclasses.dataclass(frozen=True)
class NormalisedBlot(FitResult):
    """A normalised band table; ``rows`` holds one dict per band (lane, label, target,
    intensity, loading_control_intensity, ratio, normalised, status, message)."""

    source: str = ""
    loading_control: str = ""
    reference_lane: int = 1
    lanes: tuple = ()
    rows: tuple = ()

    def summary(self) -> pd.DataFrame:
        """The long table, one row per band."""
        return pd.DataFrame(list(self.rows))

    def wide(self, value: str = NORMALISED) -> pd.DataFrame:
        """One row per lane (lane, label), one column per target: the time-course/dose table."""
        return wide_table(self.summary(), value)

    def by_lane(self) -> dict:
        """``{"loading_control", "reference_lane", "lanes": [{"lane", "label", "bands":
        [{"target", "intensity", "normalised"}, ...]}, ...]}``."""
        lanes = []
        for lane in self.lanes:
            bands = [
                {k: r[k] for k in (TARGET, INTENSITY, NORMALISED)}
                for r in self.rows
                if r[LANE] == lane[LANE]
            ]
            lanes.append({LANE: lane[LANE], LABEL: lane[LABEL], "bands": bands})
        return {
            "loading_control": self.loading_control or None,
            "reference_lane": self.reference_lane,
            "lanes": lanes,
        }


def wide_table(long: pd.DataFrame, value: str = NORMALISED) -> pd.DataFrame:
    """Pivot a long band table to one row per lane and one column per target."""
    if long.empty:
        return pd.DataFrame(columns=[LANE, LABEL])
    targets = list(dict.fromkeys(long[TARGET]))
    out = long.pivot_table(index=[LANE, LABEL], columns=TARGET, values=value, sort=False)
    out = out.reindex(columns=targets).reset_index().rename_axis(columns=None)
    return out.sort_values(LANE, kind="stable").reset_index(drop=True)


def _check_reference_lane(owner: str, reference_lane) -> int:
    if isinstance(reference_lane, bool) or not isinstance(reference_lane, int | np.integer):
        raise param_error(owner, "reference_lane", "a lane number (1 = leftmost)", reference_lane)
    if reference_lane < 1:
        raise param_error(owner, "reference_lane", "an integer >= 1", reference_lane)
    return int(reference_lane)


def normalise_rows(
    rows: Sequence[dict],
    loading_control: str | None = None,
    reference_lane: int = 1,
    source: str = "band table",
) -> tuple[dict, ...]:
    """Add ``loading_control_intensity``, ``ratio``, ``normalised``, ``status`` and ``message``
    to band rows (dicts with lane, label, target, intensity); see the module docstring.

    The loading control must be one of the targets and the reference lane one of the lanes;
    otherwise :class:`~p53lab.errors.ParameterError` names what is present.
    """
    reference_lane = _check_reference_lane("blot.normalise", reference_lane)
    lanes = sorted({int(r[LANE]) for r in rows})
    targets = list(dict.fromkeys(str(r[TARGET]) for r in rows))
    if loading_control is not None and str(loading_control) not in targets:
        raise ParameterError(
            f"{source}: the loading control {loading_control!r} is not a target of this blot. "
            f"Targets present: {', '.join(map(repr, targets))}. Name one of them (e.g. GAPDH)."
        )
    if reference_lane not in lanes:
        raise ParameterError(
            f"{source}: reference lane {reference_lane} does not exist; lanes present: "
            f"{', '.join(map(str, lanes))}. Give the vehicle lane's number."
        )
    intensity = {(int(r[LANE]), str(r[TARGET])): float(r[INTENSITY]) for r in rows}
    limit = {
        (int(r[LANE]), str(r[TARGET])): DETECTION_SD * float(r.get(NOISE_SD, 0.0) or 0.0)
        for r in rows
    }

    def ratio(lane: int, target: str) -> tuple[float, float, str]:
        value = intensity.get((lane, target), math.nan)
        if loading_control is None:
            return value, math.nan, ""
        key = (lane, str(loading_control))
        lc = intensity.get(key, math.nan)
        if not math.isfinite(lc):
            return math.nan, lc, f"lane {lane} has no {loading_control} band"
        if lc <= max(0.0, limit.get(key, 0.0)):
            return (
                math.nan,
                lc,
                f"the {loading_control} band of lane {lane} ({lc:.4g}) is not above "
                + ("background" if lc <= 0 else f"the noise ({DETECTION_SD:g} sd)"),
            )
        return value / lc, lc, ""

    out = []
    for r in rows:
        lane, target = int(r[LANE]), str(r[TARGET])
        rat, lc, why = ratio(lane, target)
        ref, _, ref_why = ratio(reference_lane, target)
        ref_value = intensity.get((reference_lane, target), math.nan)
        ref_limit = max(0.0, limit.get((reference_lane, target), 0.0))
        row = dict(r)
        row.update({LANE: lane, TARGET: target, INTENSITY: float(r[INTENSITY])})
        row[LOADING_INTENSITY] = lc
        row[RATIO] = rat
        if why:
            row.update({NORMALISED: math.nan, "status": NOT_ESTIMABLE, "message": why})
        elif not math.isfinite(ref):
            msg = ref_why or f"the reference lane {reference_lane} has no {target} band"
            row.update({NORMALISED: math.nan, "status": NOT_ESTIMABLE, "message": msg})
        elif ref <= 0 or ref_value <= ref_limit:
            row.update(
                {
                    NORMALISED: math.nan,
                    "status": NOT_ESTIMABLE,
                    "message": f"{target} in the reference lane {reference_lane} is not above "
                    f"{'background' if ref <= 0 else 'the noise'} ({ref_value:.4g}); nothing "
                    "to normalise to",
                }
            )
        else:
            value = float(r[INTENSITY])
            msg = ""
            if value < 0:
                msg = "intensity below background"
            elif value <= limit.get((lane, target), 0.0):
                msg = f"band not above the noise ({DETECTION_SD:g} sd): at most detection level"
            row.update({NORMALISED: rat / ref, "status": OK, "message": msg})
        out.append(row)
    return tuple(out)


def read_band_table(path, source: str | None = None) -> pd.DataFrame:
    """Read a long band CSV (``lane, target, intensity[, label]``) as text cells."""
    source = source or str(path)
    df = read_csv(path, source)
    df.columns = [str(c).strip() for c in df.columns]
    require_columns(df, (LANE, TARGET, INTENSITY), source)
    return df


def normalise(
    table: pd.DataFrame,
    loading_control: str | None = None,
    reference_lane: int = 1,
    source: str = "band table",
) -> NormalisedBlot:
    """Normalise a pre-quantified long band table; see the module docstring."""
    require_columns(table, (LANE, TARGET, INTENSITY), source)
    if table.empty:
        raise FileFormatError(f"{source}: the table has no rows. Give one row per band.")
    lane_f = numeric_column(table, LANE, source)
    bad = np.nonzero((lane_f < 1) | (lane_f != np.round(lane_f)))[0]
    if bad.size:
        i = int(bad[0])
        raise FileFormatError(
            f"{source}: row {i + 2}, column 'lane' holds {table[LANE].iloc[i]!r}; lanes are "
            "numbered 1, 2, ... from the left. Fix that cell."
        )
    value = numeric_column(table, INTENSITY, source)
    targets = table[TARGET].astype(str).str.strip().to_numpy()
    empty = np.nonzero(targets == "")[0]
    if empty.size:
        raise FileFormatError(
            f"{source}: row {int(empty[0]) + 2}, column 'target' is empty. Name the protein."
        )
    has_label = LABEL in table.columns
    labels = table[LABEL].astype(str).str.strip().to_numpy() if has_label else None
    seen: dict[tuple[int, str], int] = {}
    lane_label: dict[int, str] = {}
    rows = []
    for i in range(len(table)):
        lane, target = int(lane_f[i]), str(targets[i])
        if (lane, target) in seen:
            raise FileFormatError(
                f"{source}: rows {seen[(lane, target)] + 2} and {i + 2} both give {target} in "
                f"lane {lane}. Keep one band per lane and target (average replicates first)."
            )
        seen[(lane, target)] = i
        label = str(labels[i]) if has_label and labels[i] else str(lane)
        if lane in lane_label and lane_label[lane] != label:
            raise FileFormatError(
                f"{source}: row {i + 2} labels lane {lane} {label!r}, an earlier row "
                f"{lane_label[lane]!r}. Give each lane one label."
            )
        lane_label[lane] = label
        rows.append({LANE: lane, LABEL: label, TARGET: target, INTENSITY: float(value[i])})
    lc = None if loading_control in (None, "") else str(loading_control).strip()
    out = normalise_rows(rows, lc, reference_lane, source)
    out = tuple(sorted(out, key=lambda r: r[LANE]))
    n_bad = sum(r["status"] != OK for r in out)
    return NormalisedBlot(
        status=OK if n_bad < len(out) else NOT_ESTIMABLE,
        message=f"{n_bad} of {len(out)} bands not estimable" if n_bad else "",
        source=source,
        loading_control=lc or "",
        reference_lane=int(reference_lane),
        lanes=tuple({LANE: k, LABEL: lane_label[k]} for k in sorted(lane_label)),
        rows=out,
    )
