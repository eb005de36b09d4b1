"""In-silico luminescence plates: CellTiter-Glo (viability) and Caspase-Glo 3/7 (apoptosis).

Given a plate layout (the layout CSV that :func:`p53lab.assays.plates.fit` reads) and the true
number of cells per well, the writers produce what the plate reader exports: a grid CSV
(header lines, a row of column numbers 1..12 or 1..24, one line per plate row, a footer; read
by :func:`p53lab.io.plates.read_plate`), the layout CSV, a per-well truth CSV and a
provenance JSON.

Signal model per well (luminescence in relative light units, RLU)::

    CellTiter-Glo:   RLU = k_cell · N_viable · m · e  +  B · (1 + cv_B · z)
    Caspase-Glo 3/7: RLU = (k_apo · N_apoptotic + k_live · N_live) · m · e  +  B · (1 + cv_B · z)

with ``m`` a mean-one log-normal well factor of coefficient of variation ``cv`` (seeding,
pipetting and reagent-dispensing error; multiplicative), ``e`` the edge factor (``edge_factor``
on the outer ring of wells, 1 inside: evaporation and thermal gradients), ``B`` the
cell-free background (medium + reagent; blank wells read only this term) and ``z`` a standard
normal draw. Readings are rounded to whole RLU as readers export them and never go below 0.

CellTiter-Glo's light is proportional to ATP and ATP to the number of metabolically active
cells over 0–50,000 cells per well (Promega Technical Bulletin TB288, linearity figure;
Crouch SPM et al. (1993) J Immunol Methods 160:81–88). Caspase-Glo 3/7's light is proportional
to DEVD-aminoluciferin cleaved, i.e. caspase-3/7 activity (Promega Technical Bulletin TB323);
healthy cells carry a basal activity (``k_live``) far below an apoptotic cell's.

The number of RLU per cell depends on the luminometer, its gain and integration time; only
ratios matter to the analysis (blank subtraction and normalisation to the vehicle cancel the
scale). Defaults are order-of-magnitude estimates, marked where they are set.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..assays.plates import lint_layout, normalise_role
from ..errors import FileFormatError, ParameterError, param_error
from ..io.plates import LAYOUT_COLUMNS, PLATE_FORMATS, infer_format, parse_well, read_layout
from ..io.plates import well_name as _well_name
from ..units import to_nM
from ._common import (
    WrittenFiles,
    check_count,
    check_name,
    check_number,
    check_seed,
    lognormal_factor,
    prepare_dir,
    write_provenance,
)

__all__ = [
    "CASPASE_BACKGROUND_RLU",
    "CASPASE_RLU_PER_APOPTOTIC_CELL",
    "CASPASE_RLU_PER_LIVE_CELL",
    "CTG_BACKGROUND_RLU",
    "CTG_RLU_PER_CELL",
    "dilution_layout",
    "write_caspase_glo",
    "write_celltiter_glo",
]

CellSpec = Callable[[str, float], float] | Mapping[str, float] | float

# estimated: 5,000–10,000 cells per well (DOMAIN.md §4) read about 10^5–10^6 RLU on common
# plate luminometers with 1 s integration; 100 RLU per cell puts 8,000 cells at 8·10^5 RLU.
CTG_RLU_PER_CELL = 100.0
# estimated: medium with serum plus reagent, no cells, reads a few hundred RLU (TB288 lists
# serum as a source of background); about 0.1 % of a full well.
CTG_BACKGROUND_RLU = 500.0
# estimated: staurosporine-treated cultures read 5–20× the untreated Caspase-Glo 3/7 signal
# (TB323 shows an induction of this order); one apoptotic cell = 40× one live cell, so a
# culture going from 5 % to 50 % apoptotic reads about 8× more.
CASPASE_RLU_PER_LIVE_CELL = 2.0
CASPASE_RLU_PER_APOPTOTIC_CELL = 80.0
# estimated: the caspase reagent's substrate gives a higher cell-free background than CTG.
CASPASE_BACKGROUND_RLU = 1500.0
DEFAULT_CV = 0.06
"""Well-to-well CV of the cell signal: 5–8 % is usual for manual or robotic seeding
(estimated; it sets Z′ ≈ 0.7–0.8 for a full kill control)."""
DEFAULT_BACKGROUND_CV = 0.10  # estimated: cell-free wells vary ~10 % (low counts, crosstalk)

_ROWS = "ABCDEFGHIJKLMNOP"
TRUTH_COLUMNS = ("well", "row", "col", "role", "compound", "conc_nM", "replicate")


# ---- layouts ---------------------------------------------------------------------------------


def dilution_layout(
    compounds: str | Sequence[str],
    top_conc_nM: float | Sequence[float] | Mapping[str, float],
    *,
    n_points: int = 9,
    dilution: float = 3.0,
    replicates: int = 3,
    n_wells: int = 96,
    positive: tuple[str, float] | None = ("staurosporine", 1000.0),
    blank: bool = True,
) -> pd.DataFrame:
    """A standard serial-dilution plate layout (the layout CSV's columns, as text).

    Each compound takes ``replicates`` adjacent rows. In every used row: column 1 holds the
    vehicle (DMSO), columns 2.. the ``n_points`` concentrations from ``top_conc_nM`` down by
    ``dilution`` per step (e.g. 9 points 1:3 or 1:10), then the positive control
    (``positive = (compound, conc_nM)``, e.g. staurosporine 1 µM; None for none) and the
    no-cell blank (``blank``). Rows left over stay out of the layout (role "empty").
    Concentrations are written in nM.
    """
    owner = "dilution_layout"
    names = [compounds] if isinstance(compounds, str) else list(compounds)
    if not names or any(not str(c).strip() for c in names):
        raise param_error(owner, "compounds", "one or more compound names", compounds)
    if len(set(names)) != len(names):
        raise param_error(owner, "compounds", "distinct names", compounds)
    if n_wells not in PLATE_FORMATS:
        raise param_error(owner, "n_wells", f"one of {sorted(PLATE_FORMATS)}", n_wells)
    nr, nc = PLATE_FORMATS[n_wells]
    n_points = check_count(owner, "n_points", n_points, 2)
    replicates = check_count(owner, "replicates", replicates, 1)
    dilution = check_number(owner, "dilution", dilution, lo=1.0, lo_open=True)
    if isinstance(top_conc_nM, Mapping):
        tops = []
        for c in names:
            if c not in top_conc_nM:
                raise param_error(owner, "top_conc_nM", f"a value for compound {c!r}", None)
            tops.append(top_conc_nM[c])
    elif isinstance(top_conc_nM, str) or not isinstance(top_conc_nM, Sequence):
        tops = [top_conc_nM] * len(names)
    else:
        tops = list(top_conc_nM)
        if len(tops) != len(names):
            raise param_error(
                owner, "top_conc_nM", f"one value or {len(names)} (one per compound)", top_conc_nM
            )
    tops = [check_number(owner, "top_conc_nM", t, lo=0.0, lo_open=True) for t in tops]
    n_cols = 1 + n_points + (positive is not None) + bool(blank)
    if n_cols > nc:
        raise param_error(
            owner,
            "n_points",
            f"<= {nc - (n_cols - n_points)} on a {n_wells}-well plate (with its control columns)",
            n_points,
        )
    if len(names) * replicates > nr:
        raise ParameterError(
            f"{len(names)} compound(s) × {replicates} replicate row(s) need "
            f"{len(names) * replicates} rows; a {n_wells}-well plate has {nr}. Use fewer "
            "compounds per plate, fewer replicates or n_wells=384."
        )
    if positive is not None:
        if (
            not isinstance(positive, Sequence)
            or isinstance(positive, str)
            or len(positive) != 2
            or not str(positive[0]).strip()
        ):
            raise param_error(owner, "positive", "(compound, conc_nM) or None", positive)
        pos_conc = check_number(owner, "positive[1]", positive[1], lo=0.0)
    rows = []
    for k, (comp, top) in enumerate(zip(names, tops, strict=True)):
        concs = [top / dilution**i for i in range(n_points)]
        for rep in range(replicates):
            r = k * replicates + rep
            col = 1
            rows.append((_well_name(r, col), "", "", "", str(rep + 1), "vehicle"))
            for c in concs:
                col += 1
                rows.append((_well_name(r, col), comp, f"{c:.6g}", "nM", str(rep + 1), "sample"))
            if positive is not None:
                col += 1
                rows.append(
                    (_well_name(r, col), str(positive[0]), f"{pos_conc:.6g}", "nM", "", "positive")
                )
            if blank:
                col += 1
                rows.append((_well_name(r, col), "", "", "", "", "blank"))
    return pd.DataFrame(rows, columns=list(LAYOUT_COLUMNS))


# ---- per-well truths -------------------------------------------------------------------------


def _layout_frame(owner: str, layout, n_wells: int | None) -> tuple[pd.DataFrame, int]:
    if isinstance(layout, pd.DataFrame):
        lay, source = layout.copy(), "layout"
        for c in LAYOUT_COLUMNS:
            if c not in lay.columns:
                if c in ("well", "role"):
                    raise FileFormatError(
                        f"{source}: column {c!r} missing; a layout needs {list(LAYOUT_COLUMNS)}."
                    )
                lay[c] = ""
            lay[c] = lay[c].fillna("").astype(str).str.strip()
    elif isinstance(layout, str | Path):
        lay, source = read_layout(layout), str(layout)
    else:
        raise param_error(owner, "layout", "a layout DataFrame or a layout CSV path", layout)
    if n_wells is None:
        try:
            n_wells = infer_format(lay["well"])
        except ValueError as exc:
            raise FileFormatError(f"{source}: {exc}") from None
    elif n_wells not in PLATE_FORMATS:
        raise param_error(owner, "n_wells", f"one of {sorted(PLATE_FORMATS)}", n_wells)
    problems = [p for p in lint_layout(lay, n_wells) if "no sample wells" not in p.message]
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise FileFormatError(
            f"{source}: {len(problems)} problem(s) in the plate layout:\n{lines}\n"
            "Fix them all and write again."
        )
    lay = lay[[c for c in LAYOUT_COLUMNS]].copy()
    lay["role"] = [normalise_role(r) for r in lay["role"]]
    lay = lay[lay["role"] != "empty"].reset_index(drop=True)
    rc = [parse_well(w) for w in lay["well"]]
    lay["well"] = [_well_name(r, c) for r, c in rc]
    lay["row"] = [_ROWS[r] for r, _ in rc]
    lay["col"] = [c for _, c in rc]
    conc = pd.to_numeric(lay["concentration"].replace("", np.nan), errors="coerce")
    units = lay["unit"].replace("", "nM")
    lay["conc_nM"] = [
        0.0 if not math.isfinite(v) else to_nM(v, u) for v, u in zip(conc, units, strict=True)
    ]
    return lay, n_wells


def _per_well(owner: str, arg: str, spec, lay: pd.DataFrame) -> np.ndarray:
    """Cells per layout row from a callable (compound, conc_nM), a mapping by well or a
    constant; blank wells hold no cells. Every value must be finite and >= 0."""
    out = np.zeros(len(lay))
    if isinstance(spec, Mapping):
        by_well = {}
        for k, v in spec.items():
            try:
                by_well[_well_name(*parse_well(k))] = v
            except ValueError:
                raise param_error(owner, arg, "a mapping keyed by well names ('B03')", k) from None
    for i, row in enumerate(lay.itertuples(index=False)):
        if row.role == "blank":
            continue
        where = f"well {row.well} ({row.role}"
        where += f", {row.compound} {row.conc_nM:g} nM)" if row.compound else ")"
        if callable(spec):
            try:
                v = spec(row.compound, float(row.conc_nM))
            except Exception as exc:  # the caller's function: say where it failed
                raise ParameterError(
                    f"The {arg!r} function of {owner} failed for {where}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        elif isinstance(spec, Mapping):
            if row.well not in by_well:
                raise ParameterError(
                    f"The {arg!r} parameter of {owner} has no value for {where}. Give every "
                    "non-blank well of the layout."
                )
            v = by_well[row.well]
        else:
            v = spec
        try:
            fv = float(v)
        except (TypeError, ValueError):
            fv = math.nan
        if not (math.isfinite(fv) and fv >= 0):
            raise ParameterError(
                f"The {arg!r} parameter of {owner} must give a finite number of cells >= 0 for "
                f"every well. Got {v!r} for {where} instead."
            )
        out[i] = fv
    return out


def _outer_ring(lay: pd.DataFrame, n_wells: int) -> np.ndarray:
    nr, nc = PLATE_FORMATS[n_wells]
    r = lay["row"].map(lambda s: ord(s) - ord("A")).to_numpy()
    c = lay["col"].to_numpy(int)
    return (r == 0) | (r == nr - 1) | (c == 1) | (c == nc)


def _grid_text(values: dict[str, float], n_wells: int, header: Sequence[str]) -> str:
    nr, nc = PLATE_FORMATS[n_wells]
    lines = [*header, ""]
    lines.append("," + ",".join(str(j) for j in range(1, nc + 1)))
    for i in range(nr):
        cells = []
        for j in range(1, nc + 1):
            v = values.get(_well_name(i, j))
            cells.append("" if v is None else str(int(v)))
        lines.append(_ROWS[i] + "," + ",".join(cells))
    lines += ["", "End of plate"]
    return "\n".join(lines) + "\n"


def _write_plate(
    owner: str,
    directory,
    name: str,
    lay: pd.DataFrame,
    n_wells: int,
    cell_signal: np.ndarray,
    truth_cols: dict[str, np.ndarray],
    *,
    background_rlu: float,
    cv: float,
    background_cv: float,
    edge_factor: float,
    seed: int,
    assay: str,
    parameters: dict,
) -> WrittenFiles:
    rng = np.random.default_rng(seed)
    edge = np.where(_outer_ring(lay, n_wells), edge_factor, 1.0)
    well_factor = lognormal_factor(rng, cv, len(lay))
    bg = background_rlu * (1.0 + background_cv * rng.standard_normal(len(lay)))
    rlu = np.maximum(np.rint(cell_signal * well_factor * edge + bg), 0.0)
    expected = cell_signal + background_rlu
    if not np.all(np.isfinite(rlu)):  # pragma: no cover - inputs are checked above
        raise ParameterError(f"{owner}: a reading is not finite; check the inputs.")
    folder = prepare_dir(owner, directory)
    paths = {
        "plate": folder / f"{name}.csv",
        "layout": folder / f"{name}_layout.csv",
        "truth": folder / f"{name}_truth.csv",
        "provenance": folder / f"{name}_provenance.json",
    }
    header = [
        "Reader: p53lab in-silico luminometer",
        f"Assay: {assay}",
        f"Plate: {name}",
        "Units: RLU",
    ]
    readings = dict(zip(lay["well"], rlu, strict=True))
    paths["plate"].write_text(_grid_text(readings, n_wells, header))
    lay[list(LAYOUT_COLUMNS)].to_csv(paths["layout"], index=False)
    truth = lay[list(TRUTH_COLUMNS)].copy()
    for k, v in truth_cols.items():
        truth[k] = v
    truth["edge_factor"] = edge
    truth["expected_rlu"] = expected
    truth["rlu"] = rlu.astype(np.int64)
    truth.to_csv(paths["truth"], index=False, float_format="%.10g")
    prov = write_provenance(
        paths["provenance"],
        owner,
        seed,
        {
            "assay": assay,
            "n_wells": n_wells,
            "background_rlu": background_rlu,
            "cv": cv,
            "background_cv": background_cv,
            "edge_factor": edge_factor,
            **parameters,
        },
    )
    return WrittenFiles(paths=paths, provenance=prov)


def _noise_args(owner, background_rlu, cv, background_cv, edge_factor):
    return dict(
        background_rlu=check_number(owner, "background_rlu", background_rlu, lo=0.0),
        cv=check_number(owner, "cv", cv, lo=0.0, hi=1.0),
        background_cv=check_number(owner, "background_cv", background_cv, lo=0.0, hi=1.0),
        edge_factor=check_number(owner, "edge_factor", edge_factor, lo=0.0, lo_open=True),
    )


# ---- writers ---------------------------------------------------------------------------------


def write_celltiter_glo(
    out_dir,
    layout,
    viable_cells: CellSpec,
    *,
    seed: int = 0,
    name: str = "celltiter_glo",
    n_wells: int | None = None,
    rlu_per_cell: float = CTG_RLU_PER_CELL,
    background_rlu: float = CTG_BACKGROUND_RLU,
    cv: float = DEFAULT_CV,
    background_cv: float = DEFAULT_BACKGROUND_CV,
    edge_factor: float = 1.0,
) -> WrittenFiles:
    """Write a CellTiter-Glo plate: luminescence ∝ viable cells (see the module docstring).

    ``layout``: a layout DataFrame (e.g. :func:`dilution_layout`) or layout CSV path.
    ``viable_cells``: viable cells per well at the read-out, as a function
    ``f(compound, conc_nM)`` (vehicle wells are asked with their compound, usually "", and
    0 nM; positive-control wells with their compound and concentration), a mapping by well
    name, or one number for all. Blank wells hold no cells. ``edge_factor`` multiplies the
    cell signal of the outer ring (e.g. 0.85 for evaporation). Same ``seed``, same files.

    Writes ``<name>.csv`` (the reader's grid), ``<name>_layout.csv``, ``<name>_truth.csv``
    (per well: cells, noise-free expected RLU, written RLU) and ``<name>_provenance.json``.
    """
    owner = "write_celltiter_glo"
    seed = check_seed(owner, seed)
    name = check_name(owner, name)
    k = check_number(owner, "rlu_per_cell", rlu_per_cell, lo=0.0, lo_open=True)
    noise = _noise_args(owner, background_rlu, cv, background_cv, edge_factor)
    lay, fmt = _layout_frame(owner, layout, n_wells)
    cells = _per_well(owner, "viable_cells", viable_cells, lay)
    return _write_plate(
        owner,
        out_dir,
        name,
        lay,
        fmt,
        k * cells,
        {"viable_cells": cells},
        seed=seed,
        assay="CellTiter-Glo luminescent cell viability",
        parameters={"rlu_per_cell": k},
        **noise,
    )


def write_caspase_glo(
    out_dir,
    layout,
    apoptotic_cells: CellSpec,
    live_cells: CellSpec,
    *,
    seed: int = 0,
    name: str = "caspase_glo",
    n_wells: int | None = None,
    rlu_per_apoptotic_cell: float = CASPASE_RLU_PER_APOPTOTIC_CELL,
    rlu_per_live_cell: float = CASPASE_RLU_PER_LIVE_CELL,
    background_rlu: float = CASPASE_BACKGROUND_RLU,
    cv: float = DEFAULT_CV,
    background_cv: float = DEFAULT_BACKGROUND_CV,
    edge_factor: float = 1.0,
) -> WrittenFiles:
    """Write a Caspase-Glo 3/7 plate: luminescence ∝ caspase-3/7 activity, i.e. apoptotic
    cells × ``rlu_per_apoptotic_cell`` + live cells × ``rlu_per_live_cell`` (basal activity),
    plus background. ``apoptotic_cells`` and ``live_cells`` are given like ``viable_cells``
    of :func:`write_celltiter_glo`; the other arguments and the files are the same.
    """
    owner = "write_caspase_glo"
    seed = check_seed(owner, seed)
    name = check_name(owner, name)
    ka = check_number(owner, "rlu_per_apoptotic_cell", rlu_per_apoptotic_cell, lo=0.0)
    kl = check_number(owner, "rlu_per_live_cell", rlu_per_live_cell, lo=0.0)
    if ka == 0 and kl == 0:
        raise param_error(owner, "rlu_per_apoptotic_cell", "> 0 (no signal otherwise)", ka)
    noise = _noise_args(owner, background_rlu, cv, background_cv, edge_factor)
    lay, fmt = _layout_frame(owner, layout, n_wells)
    apo = _per_well(owner, "apoptotic_cells", apoptotic_cells, lay)
    live = _per_well(owner, "live_cells", live_cells, lay)
    return _write_plate(
        owner,
        out_dir,
        name,
        lay,
        fmt,
        ka * apo + kl * live,
        {"apoptotic_cells": apo, "live_cells": live},
        seed=seed,
        assay="Caspase-Glo 3/7 luminescent caspase activity",
        parameters={"rlu_per_apoptotic_cell": ka, "rlu_per_live_cell": kl},
        **noise,
    )
