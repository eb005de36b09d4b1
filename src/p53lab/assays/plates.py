"""Plate assays: a layout linter, normalisation to controls, plate QC (Z′, edge effects,
outliers) and the dose–response curves of the compounds on the plates.

Reading plate-reader exports is :mod:`p53lab.io.plates`; this module judges and normalises them.

Layout roles: ``sample`` (compound at a concentration), ``vehicle`` (negative control, 100 %
viability), ``positive`` (positive control, e.g. staurosporine: 0 % viability), ``blank``
(medium, no cells: background) and ``empty`` (not used). Per plate::

    x'    = x − mean(blank)                                   (when there are blank wells)
    %     = 100 · (x' − mean'(positive)) / (mean'(vehicle) − mean'(positive))
    %     = 100 · x' / mean'(vehicle)                          (no positive control)

Quality (Zhang JH, Chung TDY, Oldenburg KR 1999, J Biomol Screen 4:67–73; robust form:
Birmingham A et al. 2009, Nat Methods 6:569–575)::

    Z′        = 1 − 3·(σ_pos + σ_veh) / |μ_pos − μ_veh|
    Z′_robust = 1 − 3·(1.4826·MAD_pos + 1.4826·MAD_veh) / |median_pos − median_veh|

on the raw readings. Z′ ≥ 0.5 is an excellent assay, 0 < Z′ < 0.5 marginal, ≤ 0 unusable.

Outliers: the modified z-score of Iglewicz & Hoaglin (1993), M = 0.6745·r/MAD(r), on relative
residuals r = x/median − 1 within each group of replicate wells (same plate, role, compound and
concentration, ≥ 3 wells), with the MAD pooled over the plate's groups; |M| > 3.5 is flagged
(and left out of the means and fits only with ``exclude_outliers``).

Edge effects (evaporation, temperature gradients): in every replicate group with wells both on
the outer ring (first and last row and column) and inside, each reading is divided by the median
of the group's interior wells; the edge ratios are compared with the interior ones by a
two-sided Mann–Whitney test. An effect is flagged when p < 0.05
and the median edge/interior ratio differs from 1 by more than 10 %.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import FileFormatError, ParameterError, UnitError, param_error
from ..io.plates import PLATE_FORMATS, parse_well, read_layout, read_plate, well_name
from ..units import to_nM
from ._base import FAILED, OK, FitResult

__all__ = [
    "ROLES",
    "LayoutProblem",
    "PlateResult",
    "check_layout",
    "fit",
    "lint_layout",
    "normalise",
    "normalise_role",
    "plate_qc",
    "plot",
    "z_prime",
]

ROLES = ("sample", "vehicle", "positive", "blank", "empty")
ROLE_ALIASES = {
    "treatment": "sample",
    "compound": "sample",
    "test": "sample",
    "negative": "vehicle",
    "neg": "vehicle",
    "dmso": "vehicle",
    "control": "vehicle",
    "negative_control": "vehicle",
    "pos": "positive",
    "positive_control": "positive",
    "background": "blank",
    "medium": "blank",
    "unused": "empty",
}
MAD_SCALE = 1.4826  # MAD → σ for normal data
OUTLIER_M = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score
EDGE_RATIO_TOL = 0.10
EDGE_ALPHA = 0.05


# ---- layout linter -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LayoutProblem:
    """One problem in a layout: where it is (line, well, column), the value and what to do."""

    line: int | None
    well: str
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.well:
            where.append(f"well {self.well}")
        if self.column:
            where.append(f"column {self.column!r}")
        head = ", ".join(where)
        val = f" ({self.value!r})" if self.value != "" else ""
        return f"{head}{val}: {self.message}" if head else self.message


def normalise_role(text: str) -> str:
    """A layout's role cell as the canonical role name (case, spaces, hyphens and the aliases
    of ``ROLE_ALIASES`` folded)."""
    t = str(text).strip().lower().replace(" ", "_").replace("-", "_")
    return ROLE_ALIASES.get(t, t)


def lint_layout(layout: pd.DataFrame, n_wells: int | None = None) -> list[LayoutProblem]:
    """Every problem in a plate layout at once (an empty list when it is sound).

    ``layout`` is a table of text cells (:func:`p53lab.io.plates.read_layout`) with ``well,
    compound, concentration, unit, replicate, role``. ``n_wells`` (96 or 384) checks that wells
    fit the plate. Checks: well names, wells outside the plate, duplicate wells, unknown roles,
    samples without compound, concentration or a known unit, negative or non-numeric
    concentrations, non-integer replicates, vehicle wells with a drug concentration, and a layout
    without vehicle wells (nothing to normalise to).
    """
    if n_wells is not None and n_wells not in PLATE_FORMATS:
        raise param_error("lint_layout", "n_wells", f"one of {sorted(PLATE_FORMATS)}", n_wells)
    problems: list[LayoutProblem] = []
    seen: dict[tuple[str, str], int] = {}
    roles_present = set()
    cols = set(layout.columns)

    def cell(row, name):
        return str(row[name]).strip() if name in cols and row[name] is not None else ""

    for i, row in enumerate(layout.to_dict("records")):
        line, well = i + 2, ""

        def flag(column, value, message):
            # called only within its own iteration, so line and well are the current ones
            problems.append(LayoutProblem(line, well, column, value, message))  # noqa: B023

        raw_well = cell(row, "well")
        try:
            r, c = parse_well(raw_well)
        except ValueError:
            flag("well", raw_well, "not a well name; write wells like 'A1' or 'B03'.")
        else:
            well = well_name(r, c)
            if n_wells is not None:
                nr, nc = PLATE_FORMATS[n_wells]
                if r >= nr or c > nc:
                    flag(
                        "well",
                        raw_well,
                        f"outside a {n_wells}-well plate (rows A–{'ABCDEFGHIJKLMNOP'[nr - 1]},"
                        f" columns 1–{nc}).",
                    )
            key = (cell(row, "plate"), well)
            if key in seen:
                flag(
                    "well",
                    raw_well,
                    f"listed twice (first on line {seen[key]}); keep one row per well.",
                )
            else:
                seen[key] = line
        raw_role = cell(row, "role")
        role = normalise_role(raw_role)
        if role not in ROLES:
            flag("role", raw_role, f"unknown role; use one of {', '.join(ROLES)}.")
            continue
        roles_present.add(role)
        compound, conc, unit = cell(row, "compound"), cell(row, "concentration"), cell(row, "unit")
        if role == "sample" and not compound:
            flag("compound", "", "a sample well needs a compound name.")
        if role == "sample" and not conc:
            flag("concentration", "", "a sample well needs a concentration.")
        value = None
        if conc:
            try:
                value = float(conc)
            except ValueError:
                flag(
                    "concentration",
                    conc,
                    "not a number; write the number here and its unit in 'unit'.",
                )
            else:
                if not math.isfinite(value):
                    flag("concentration", conc, "not finite; give a number.")
                    value = None
                elif value < 0:
                    flag("concentration", conc, "negative; concentrations must be >= 0.")
        if value is not None and (role in ("sample", "positive") or value != 0):
            if not unit:
                flag("unit", "", "a concentration needs a unit (pM, nM, uM, mM, M).")
            else:
                try:
                    to_nM(1.0, unit)
                except (UnitError, ParameterError):
                    flag("unit", unit, "unknown unit; use pM, nM, uM, mM or M.")
        if role == "vehicle" and value not in (None, 0.0):
            flag(
                "concentration",
                conc,
                "a vehicle well holds no drug; leave the concentration empty or 0, or make "
                "the well a sample.",
            )
        rep = cell(row, "replicate")
        if rep:
            try:
                ok = float(rep).is_integer() and float(rep) >= 1
            except ValueError:
                ok = False
            if not ok:
                flag("replicate", rep, "a replicate is a whole number from 1.")
    if "vehicle" not in roles_present:
        problems.append(
            LayoutProblem(
                None,
                "",
                "role",
                "",
                "no vehicle (negative control) wells: responses cannot be normalised. Mark the "
                "untreated/DMSO wells with role 'vehicle'.",
            )
        )
    if "sample" not in roles_present:
        problems.append(LayoutProblem(None, "", "role", "", "no sample wells: nothing to analyse."))
    return problems


def check_layout(layout: pd.DataFrame, n_wells: int | None = None, source: str = "layout"):
    """Raise :class:`FileFormatError` listing every layout problem (one per line), if any."""
    problems = lint_layout(layout, n_wells)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise FileFormatError(
            f"{source}: {len(problems)} problem(s) in the plate layout:\n{lines}\n"
            "Fix them all and run again."
        )


# ---- QC statistics ---------------------------------------------------------------------------


def _mad(x: np.ndarray) -> float:
    return float(np.median(np.abs(x - np.median(x))))


def z_prime(positive: Sequence[float], negative: Sequence[float], robust: bool = False) -> float:
    """Z′ factor of two control populations (NaN when it is undefined: fewer than 2 wells
    in either, or equal centres)."""
    p = np.asarray(positive, dtype=float)
    n = np.asarray(negative, dtype=float)
    p, n = p[np.isfinite(p)], n[np.isfinite(n)]
    if p.size < 2 or n.size < 2:
        return math.nan
    if robust:
        spread = MAD_SCALE * (_mad(p) + _mad(n))
        gap = abs(float(np.median(p) - np.median(n)))
    else:
        spread = float(np.std(p, ddof=1) + np.std(n, ddof=1))
        gap = abs(float(p.mean() - n.mean()))
    if gap == 0:
        return math.nan
    return 1.0 - 3.0 * spread / gap


def _modified_z(x: np.ndarray) -> np.ndarray:
    med = np.median(x)
    mad = _mad(x)
    if mad == 0:
        return np.zeros_like(x)
    return 0.6745 * (x - med) / mad


# ---- normalisation and QC --------------------------------------------------------------------

_GROUP = ["plate", "role", "compound", "concentration_nM"]


def _merge(plate: pd.DataFrame, layout: pd.DataFrame, source: str) -> pd.DataFrame:
    lay = layout.copy()
    lay["well"] = [well_name(*parse_well(w)) for w in lay["well"]]
    lay["role"] = [normalise_role(r) for r in lay["role"]]
    conc = pd.to_numeric(lay["concentration"].replace("", np.nan), errors="coerce")
    units = lay["unit"].replace("", "nM")
    lay["concentration_nM"] = [
        0.0 if not np.isfinite(v) else to_nM(v, u) for v, u in zip(conc, units, strict=True)
    ]
    lay["concentration"] = conc
    keys = ["well"]
    if "plate" in lay.columns and (lay["plate"] != "").any():
        keys = ["plate", "well"]
    else:
        lay = lay.drop(columns=[c for c in ("plate",) if c in lay.columns])
    plate = plate.copy()
    plate["well"] = plate["well"].astype(str)
    merged = plate.merge(lay, on=keys, how="left", validate="many_to_one")
    merged.loc[merged["role"].isna(), "role"] = "empty"
    missing = lay.merge(plate[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    missing = missing[(missing["_merge"] == "left_only") & (missing["role"] != "empty")]
    if len(missing):
        w = ", ".join(missing["well"].astype(str).head(8))
        raise FileFormatError(
            f"{source}: the layout names well(s) {w} that the plate file does not hold "
            f"({len(missing)} in all). Check that layout and plate have the same format."
        )
    merged["compound"] = merged["compound"].fillna("").astype(str)
    merged["replicate"] = merged["replicate"].fillna("").astype(str)
    merged["concentration_nM"] = merged["concentration_nM"].fillna(0.0)
    return merged


def _relative_residuals(frame: pd.DataFrame) -> pd.Series:
    """x / median(group) − 1 for every used well in a replicate group of ≥ 3 finite readings
    with a positive median (NaN elsewhere)."""
    res = pd.Series(np.nan, index=frame.index)
    used = frame[frame["role"].isin(["sample", "vehicle", "positive", "blank"])]
    for _, g in used.groupby(_GROUP, sort=False):
        v = g["value"].to_numpy(float)
        ok = np.isfinite(v)
        if ok.sum() < 3:
            continue
        med = float(np.median(v[ok]))
        if med > 0:
            res.loc[g.index] = v / med - 1.0
    return res


def _flag_outliers(frame: pd.DataFrame) -> pd.Series:
    """Modified z-scores on relative residuals, with the MAD pooled over all replicate groups
    of the plate: a group of three or four wells has too few values for its own MAD (one
    noisy group would flag its neighbours), and plate-reader noise is roughly proportional to
    the signal, so relative residuals share one scale across the plate."""
    flags = pd.Series(False, index=frame.index)
    for _, g in frame.groupby("plate", sort=False):
        r = _relative_residuals(g)
        finite = r[np.isfinite(r)]
        if finite.size < 3:
            continue
        mad = float(np.median(np.abs(finite)))
        if mad == 0:
            continue
        m = 0.6745 * finite / mad
        flags.loc[m.index] = np.abs(m.to_numpy()) > OUTLIER_M
    return flags


def _edge(frame: pd.DataFrame, n_wells: int) -> tuple[float, float, bool]:
    nr, nc = PLATE_FORMATS[n_wells]
    # All wells, outliers included: a rank test is robust to a stray well, and an edge effect
    # is exactly what makes edge wells look like outliers.
    used = frame[frame["role"].isin(["sample", "vehicle", "positive"])]
    edge_r, inner_r = [], []
    for _, g in used.groupby(_GROUP, sort=False):
        v = g["value"].to_numpy(float)
        rows = g["row"].map(lambda s: ord(s) - ord("A")).to_numpy()
        cols = g["col"].to_numpy(int)
        is_edge = (rows == 0) | (rows == nr - 1) | (cols == 1) | (cols == nc)
        ok = np.isfinite(v)
        inner = v[ok & ~is_edge]
        if inner.size == 0 or not (ok & is_edge).any():
            continue  # only groups with wells on both sides say anything about the edge
        med = float(np.median(inner))
        if med <= 0:
            continue
        edge_r.extend(v[ok & is_edge] / med)
        inner_r.extend(inner / med)
    edge_r, inner_r = np.asarray(edge_r), np.asarray(inner_r)
    if edge_r.size < 3 or inner_r.size < 3:
        return math.nan, math.nan, False
    er = float(np.median(edge_r) / np.median(inner_r))
    p = float(stats.mannwhitneyu(edge_r, inner_r, alternative="two-sided").pvalue)
    return er, p, bool(p < EDGE_ALPHA and abs(er - 1.0) > EDGE_RATIO_TOL)


def plate_qc(frame: pd.DataFrame, n_wells: int) -> dict:
    """QC numbers of one plate's merged frame (columns from :func:`normalise`'s merge)."""
    use = frame[~frame["outlier"]] if "outlier" in frame else frame
    veh = use.loc[use["role"] == "vehicle", "value"].to_numpy(float)
    pos = use.loc[use["role"] == "positive", "value"].to_numpy(float)
    veh, pos = veh[np.isfinite(veh)], pos[np.isfinite(pos)]
    er, ep, flag = _edge(frame, n_wells)
    out = {
        "n_wells": int(n_wells),
        "n_vehicle": int(veh.size),
        "n_positive": int(pos.size),
        "vehicle_mean": float(veh.mean()) if veh.size else math.nan,
        "positive_mean": float(pos.mean()) if pos.size else math.nan,
        "vehicle_cv_pct": float(100 * np.std(veh, ddof=1) / veh.mean())
        if veh.size > 1 and veh.mean() != 0
        else math.nan,
        "signal_to_background": float(veh.mean() / pos.mean())
        if veh.size and pos.size and pos.mean() != 0
        else math.nan,
        "z_prime": z_prime(pos, veh),
        "z_prime_robust": z_prime(pos, veh, robust=True),
        "edge_ratio": er,
        "edge_p": ep,
        "edge_effect": flag,
        "outliers": frame.loc[frame["outlier"], "well"].tolist() if "outlier" in frame else [],
    }
    return out


def normalise(
    plate: pd.DataFrame,
    layout: pd.DataFrame,
    *,
    subtract_blank: bool = True,
    exclude_outliers: bool = False,
    source: str = "plate",
) -> tuple[pd.DataFrame, list[dict]]:
    """Merge readings with the layout and normalise each plate to its controls.

    Returns (wells, plates): one row per well with ``plate, well, row, col, value, role,
    compound, concentration, unit, concentration_nM, replicate, outlier, corrected, percent``
    (``percent``: % of vehicle, 0 % at the positive control; control wells are normalised
    too, as a check), and one QC dict per plate with its
    ``status`` and ``message``. A plate whose controls cannot define a scale (no vehicle wells,
    no variation between vehicle and positive control, a zero vehicle signal) gets status
    "failed" and NaN percentages; the other plates are normalised as usual.
    """
    merged = _merge(plate, layout, source)
    merged["outlier"] = _flag_outliers(merged)
    n_wells = plate.attrs.get("n_wells") or 96
    merged["corrected"] = np.nan
    merged["percent"] = np.nan
    plates = []
    for name, g in merged.groupby("plate", sort=False):
        qc = {"plate": str(name), "status": OK, "message": ""}
        qc.update(plate_qc(g, n_wells))
        use = g[~g["outlier"]] if exclude_outliers else g
        blank = use.loc[use["role"] == "blank", "value"].to_numpy(float)
        blank = blank[np.isfinite(blank)]
        offset = float(blank.mean()) if subtract_blank and blank.size else 0.0
        corr = g["value"] - offset
        veh = (use.loc[use["role"] == "vehicle", "value"] - offset).to_numpy(float)
        pos = (use.loc[use["role"] == "positive", "value"] - offset).to_numpy(float)
        veh, pos = veh[np.isfinite(veh)], pos[np.isfinite(pos)]
        qc["blank_mean"] = offset if blank.size else math.nan
        problem = ""
        if veh.size == 0:
            problem = "no vehicle wells with a reading; nothing to normalise to."
        elif pos.size:
            if veh.mean() == pos.mean():
                problem = (
                    f"no variation: vehicle and positive-control wells read the same "
                    f"({veh.mean():g}). Check the reader gain and the controls."
                )
        elif veh.mean() == 0:
            problem = "the vehicle wells read 0 after blank subtraction; cannot normalise."
        if not problem:
            v = g["value"].to_numpy(float)
            finite = v[np.isfinite(v) & (g["role"] != "empty").to_numpy()]
            if finite.size and np.ptp(finite) == 0:
                problem = (
                    f"no variation: every well reads {finite[0]:g}. Check the reader "
                    "export and the plate."
                )
        if problem:
            qc.update(status=FAILED, message=f"plate {name}: {problem}")
        else:
            top = veh.mean()
            bottom = pos.mean() if pos.size else 0.0
            merged.loc[g.index, "percent"] = 100.0 * (corr - bottom) / (top - bottom)
        merged.loc[g.index, "corrected"] = corr
        if not (qc["z_prime"] >= 0 or math.isnan(qc["z_prime"])):
            note = f"Z′ = {qc['z_prime']:.2f} < 0: controls overlap; the assay window is unusable."
            qc["message"] = (qc["message"] + " " + note).strip()
        if qc["edge_effect"]:
            note = (
                f"edge effect: outer wells read {100 * (qc['edge_ratio'] - 1):+.0f} % against "
                f"the interior (Mann-Whitney p = {qc['edge_p']:.2g})."
            )
            qc["message"] = (qc["message"] + " " + note).strip()
        plates.append(qc)
    return merged, plates


# ---- result -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlateResult(FitResult):
    """Normalised wells, per-plate QC and (optionally) one dose–response curve per compound."""

    plates: tuple = ()
    wells: tuple = ()
    curves: tuple = ()
    source: str = ""
    exclude_outliers: bool = False

    def table(self) -> pd.DataFrame:
        """One row per well (see :func:`normalise`)."""
        return pd.DataFrame(list(self.wells))

    def qc(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in p.items() if k != "outliers"} for p in self.plates])

    def summary(self) -> pd.DataFrame:
        return self.qc()


def _as_plate(p, i: int) -> tuple[pd.DataFrame, str]:
    if isinstance(p, pd.DataFrame):
        return p, f"plate table {i + 1}"
    return read_plate(p), str(p)


def fit(
    plates,
    layout,
    *,
    n_wells: int | None = None,
    subtract_blank: bool = True,
    exclude_outliers: bool = False,
    curves: bool = False,
    model: str = "ll4",
) -> PlateResult:
    """Read (or take) plates and a layout, lint the layout, normalise, QC, and optionally fit
    one dose–response curve per compound on % of vehicle against concentration in nM.

    ``plates``: a path, a frame from :func:`p53lab.io.plates.read_plate`, or a list of them
    (one layout for all, or a layout with a ``plate`` column). Layout problems raise one
    :class:`FileFormatError` listing them all; a plate that cannot be normalised carries
    status "failed" while the others go on.
    """
    items = plates if isinstance(plates, list | tuple) else [plates]
    if not items:
        raise param_error("plates.fit", "plates", "at least one plate", plates)
    frames, sources = [], []
    for i, p in enumerate(items):
        f, src = _as_plate(p, i)
        frames.append(f)
        sources.append(src)
    if isinstance(layout, pd.DataFrame):
        lay, lsrc = layout, "layout"
    else:
        lay, lsrc = read_layout(layout), str(layout)
    fmt = n_wells or max(int(f.attrs.get("n_wells") or 96) for f in frames)
    check_layout(lay, fmt, lsrc)
    names = [str(n) for f in frames for n in pd.unique(f["plate"])]
    if len(set(names)) != len(names):  # two files with the same stem: keep them apart
        frames = [
            f.assign(plate=f["plate"].astype(str) + f"#{i + 1}") for i, f in enumerate(frames)
        ]
    plate = pd.concat(frames, ignore_index=True)
    plate.attrs["n_wells"] = fmt
    wells, qcs = normalise(
        plate,
        lay,
        subtract_blank=subtract_blank,
        exclude_outliers=exclude_outliers,
        source=lsrc,
    )
    fitted = ()
    if curves:
        fitted = tuple(_curves(wells, qcs, exclude_outliers, model))
    bad = [q for q in qcs if q["status"] != OK]
    status = FAILED if len(bad) == len(qcs) else OK
    message = " ".join(q["message"] for q in bad)
    return PlateResult(
        status=status,
        message=message,
        plates=tuple(qcs),
        wells=tuple(wells.to_dict("records")),
        curves=fitted,
        source=", ".join(sources),
        exclude_outliers=exclude_outliers,
    )


def _curves(wells: pd.DataFrame, qcs: list[dict], exclude_outliers: bool, model: str):
    from . import dose_response as dr

    good = {q["plate"] for q in qcs if q["status"] == OK}
    s = wells[(wells["role"] == "sample") & wells["plate"].astype(str).isin(good)]
    if exclude_outliers:
        s = s[~s["outlier"]]
    if s.empty:
        return []
    results = dr.fit_many(s, "concentration_nM", "percent", "compound", model=model)
    out = []
    for r in results:
        d = {
            "compound": r.group,
            "status": r.status,
            "message": r.message,
            "model": r.model,
            "unit": "nM",
            "parameters": r.parameters,
            "se": r.se,
            "ed": r.ed,
        }
        out.append(d)
    return out


def plot(result: PlateResult, ax=None, plate: str | None = None, value: str = "value"):
    """Heat map of one plate (raw readings by default, or ``value='percent'``), outliers
    circled, control wells labelled V/P/B."""
    import matplotlib.pyplot as plt

    t = result.table()
    if t.empty:
        raise param_error("plates.plot", "result", "a result with wells", "no wells")
    names = list(pd.unique(t["plate"].astype(str)))
    name = plate if plate is not None else names[0]
    if name not in names:
        raise param_error("plates.plot", "plate", f"one of {names}", name)
    t = t[t["plate"].astype(str) == name]
    n = result.plates[0].get("n_wells", 96)
    nr, nc = PLATE_FORMATS[n]
    grid = np.full((nr, nc), np.nan)
    r_idx = t["row"].map(lambda s: ord(s) - ord("A")).to_numpy()
    c_idx = t["col"].to_numpy(int) - 1
    grid[r_idx, c_idx] = t[value].to_numpy(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.45 * nc, 0.8 + 0.45 * nr))
    im = ax.imshow(grid, cmap="viridis", aspect="equal")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="% of vehicle" if value == "percent" else value)
    labels = {"vehicle": "V", "positive": "P", "blank": "B"}
    for ri, ci, role, out in zip(r_idx, c_idx, t["role"], t["outlier"], strict=True):
        if role in labels:
            ax.text(ci, ri, labels[role], ha="center", va="center", color="white", fontsize=7)
        if out:
            ax.add_patch(plt.Circle((ci, ri), 0.45, fill=False, color="red", lw=1.5))
    ax.set_xticks(range(nc), [str(i + 1) for i in range(nc)], fontsize=7)
    ax.set_yticks(range(nr), list("ABCDEFGHIJKLMNOP"[:nr]), fontsize=7)
    ax.set_title(f"{name}: {'% of vehicle' if value == 'percent' else 'raw reading'}")
    return ax
