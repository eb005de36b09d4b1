"""Drug-combination synergy on dose matrices: Bliss, HSA, Loewe and ZIP, following the
conventions of SynergyFinder 3 (Ianevski A, Giri AK, Aittokallio T (2022) Nucleic Acids Res
50:W739–W743; the ``synergyfinder`` R package, ``CalculateSynergy`` with its defaults
``correct_baseline = "non"``, ``Emin = NA``, ``Emax = NA``).

Units and sign. Responses are **% inhibition** (0 = untreated, 100 = full effect); viability data
are converted on entry as inhibition = 100 − viability. Concentrations are in the file's own
unit (any unit; the scores do not depend on it). A positive score means synergy, a negative one
antagonism; scores are in percentage points of inhibition.

Replicates. Several responses for one (conc1, conc2) cell are averaged; the cell keeps the mean,
the SD (n − 1; NaN for a single value) and n. Every score is computed on the cell means.

Single-drug curves (used by Loewe and ZIP). Each drug's monotherapy responses — the cells where
the other drug's concentration is 0, including the (0, 0) cell — are fitted with the
four-parameter log-logistic curve of ``drc::LL.4``::

    f(x) = c + (d − c) / (1 + (x / e)^b)      b: slope, c: bottom, d: top, e: EC50 (> 0)

by least squares from a grid of starts, all four parameters free (SynergyFinder 3's default
``Emin = Emax = NA``). With b < 0 the curve rises from c at x = 0 to d at x → ∞.

Reference models, for a cell with concentrations a (drug 1) and b (drug 2), both > 0; y_A(a) and
y_B(b) are the monotherapy responses, ŷ_A, ŷ_B the fitted single-drug curves:

* **HSA** (highest single agent; observed monotherapy means)::

      ref = max(y_A(a), y_B(b))

* **Bliss** independence (observed monotherapy means)::

      ref = y_A(a) + y_B(b) − y_A(a)·y_B(b) / 100

* **Loewe** additivity (fitted curves): ref = y solving

      a / X_A(y) + b / X_B(y) = 1,     X_i(y) = e_i·((y − s_i) / (t_i − y))^(1/|b_i|)

  where s_i, t_i are curve i's responses at zero and infinite dose. A drug that cannot reach y
  alone (y beyond t_i) contributes 0 to the sum; the root is found by bracketing (Brent) on
  (max s_i, max t_i). When no root exists (a curve that falls with dose, or the bracket does not
  change sign) the reference falls back to SynergyFinder's rule, the larger of the two curves
  at the summed dose, max(ŷ_A(a + b), ŷ_B(a + b)), and the cell is counted in
  ``fallback_cells``. As in SynergyFinder the Loewe reference is capped at 100.

* **ZIP** (zero interaction potency; Yadav B et al. (2015) Comput Struct Biotechnol J
  13:504–513). The reference is Bliss on the fitted curves::

      ref = ŷ_A(a) + ŷ_B(b) − ŷ_A(a)·ŷ_B(b) / 100

  The observed surface is smoothed line by line: along each column of fixed b > 0 the responses
  at the non-zero doses a are fitted with LL.4 whose bottom is fixed at ŷ_B(b) and top at 100
  (slope and EC50 free), and likewise along each row of fixed a with bottom ŷ_A(a). The ZIP
  score is the average of the two fitted values minus the reference::

      δ(a, b) = (ŷ_col(a; b) + ŷ_row(b; a)) / 2 − ref

  A line with a single non-zero dose, or whose fit fails, keeps its observed response (counted
  in ``fallback_cells``).

For HSA, Bliss and Loewe score = observed cell mean − ref; for ZIP it is δ above (the
smoothed response, not the cell mean, minus ref). Cells where a concentration is 0 carry score 0
and reference = their observed response (as in SynergyFinder). The summary ``mean_score`` is the
mean score over the cells where both concentrations are non-zero (SynergyFinder's summary
synergy score). Baseline correction and bootstrap confidence intervals of SynergyFinder are not
applied. Results carry ``conventions = "synergyfinder3-conventions"`` so that a later change of
convention gets a new label.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq, least_squares

from ..errors import FileFormatError, ParameterError, param_error
from ._base import FAILED, NOT_ESTIMABLE, OK, FitResult
from ._tables import numeric_column, read_csv, require_columns

__all__ = [
    "CONVENTIONS",
    "METHODS",
    "SynergyResult",
    "fit",
    "fit_blocks",
    "ll4",
    "plot",
    "read_synergy_table",
]

CONVENTIONS = "synergyfinder3-conventions"
METHODS = ("zip", "bliss", "hsa", "loewe")
RESPONSE_KINDS = ("inhibition", "viability")

BLOCK_ID = "block_id"
DRUG1 = "drug1"
DRUG2 = "drug2"
CONC1 = "conc1"
CONC2 = "conc2"
RESPONSE = "response"
FILE_COLUMNS = (BLOCK_ID, DRUG1, DRUG2, CONC1, CONC2, RESPONSE)


# ---- the single-drug curve ------------------------------------------------------------------


def ll4(x, b: float, c: float, d: float, e: float):
    """drc's LL.4 curve, f(x) = c + (d − c)/(1 + (x/e)^b); x ≥ 0, e > 0 (x = 0 is the limit)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        p = np.power(x / e, b)
        out = c + (d - c) / (1.0 + p)
    # limits at x = 0: (0/e)^b is 0 for b > 0 and inf for b < 0
    zero = x == 0
    if np.any(zero):
        out = np.where(zero, d if b > 0 else (c if b < 0 else (c + d) / 2), out)
    return out


def _fit_ll4(
    dose: np.ndarray, resp: np.ndarray, bottom: float | None = None, top: float | None = None
) -> dict | None:
    """Least-squares LL.4 fit from a grid of starts; ``bottom``/``top`` fix c/d when given.

    Returns {"slope", "bottom", "top", "ec50", "sse", "model"} or None when no start converges.
    """
    ok = np.isfinite(dose) & np.isfinite(resp)
    dose, resp = dose[ok], resp[ok]
    pos = dose[dose > 0]
    if pos.size == 0:
        return None
    lo_e, hi_e = math.log(pos.min()) - 10.0, math.log(pos.max()) + 10.0
    free_c, free_d = bottom is None, top is None

    def unpack(p):
        i = 0
        b = p[i]
        i += 1
        c = p[i] if free_c else bottom
        i += int(free_c)
        d = p[i] if free_d else top
        i += int(free_d)
        return b, c, d, math.exp(p[i])

    def resid(p):
        b, c, d, e = unpack(p)
        return ll4(dose, b, c, d, e) - resp

    lb, ub = [-30.0], [30.0]
    if free_c:
        lb.append(-1000.0)
        ub.append(1000.0)
    if free_d:
        lb.append(-1000.0)
        ub.append(1000.0)
    lb.append(lo_e)
    ub.append(hi_e)
    lpos = np.log(pos)
    e_starts = np.unique(np.quantile(lpos, [0.25, 0.5, 0.75]))
    c0 = float(resp[dose == dose.min()].mean()) if free_c else None
    d0 = float(resp[dose == dose.max()].mean()) if free_d else None
    best = None
    for b0 in (-1.0, -2.5, -0.5, 1.0):
        for le0 in e_starts:
            p0 = [b0]
            if free_c:
                p0.append(c0)
            if free_d:
                p0.append(d0 if abs(d0 - (c0 if free_c else bottom)) > 1e-6 else d0 + 1.0)
            p0.append(float(le0))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = least_squares(resid, p0, bounds=(lb, ub), method="trf", x_scale="jac")
            except (ValueError, FloatingPointError):
                continue
            sse = float(np.sum(r.fun**2))
            if np.isfinite(sse) and (best is None or sse < best[0] - 1e-12):
                best = (sse, r.x)
    if best is None:
        return None
    b, c, d, e = unpack(best[1])
    return {
        "model": "LL.4",
        "slope": float(b),
        "bottom": float(c),
        "top": float(d),
        "ec50": float(e),
        "sse": best[0],
    }


def _predict(par: dict, x) -> np.ndarray:
    return ll4(x, par["slope"], par["bottom"], par["top"], par["ec50"])


# ---- reference models -----------------------------------------------------------------------


def _ends(par: dict) -> tuple[float, float]:
    """(response at zero dose, response at infinite dose) of a fitted LL.4 curve."""
    b, c, d = par["slope"], par["bottom"], par["top"]
    return (c, d) if b < 0 else (d, c)


def _inverse(par: dict, y: float) -> float:
    """Dose at which the curve gives y: 0 at/below its start, inf at/beyond its end."""
    s, t = _ends(par)
    if y <= s:
        return 0.0
    if y >= t:
        return math.inf
    return par["ec50"] * ((y - s) / (t - y)) ** (1.0 / abs(par["slope"]))


def _loewe_reference(a: float, b: float, pa: dict, pb: dict) -> tuple[float, bool]:
    """Loewe additive response at (a, b) and whether the fallback rule was used."""
    (sa, ta), (sb, tb) = _ends(pa), _ends(pb)

    def fallback():
        return float(max(_predict(pa, a + b), _predict(pb, a + b))), True

    if ta <= sa or tb <= sb or abs(pa["slope"]) < 1e-9 or abs(pb["slope"]) < 1e-9:
        return fallback()

    def g(y):
        xa, xb = _inverse(pa, y), _inverse(pb, y)
        total = 0.0
        for conc, big_x in ((a, xa), (b, xb)):
            if conc == 0:
                continue
            total += math.inf if big_x == 0 else conc / big_x
        return total - 1.0

    lo, hi = max(sa, sb), max(ta, tb)
    span = hi - lo
    if not span > 0:
        return fallback()
    eps = 1e-9 * max(1.0, span)
    y_lo, y_hi = lo + eps, hi - eps
    g_lo, g_hi = g(y_lo), g(y_hi)
    if not (g_lo > 0 > g_hi):
        return fallback()
    try:
        y = brentq(g, y_lo, y_hi, xtol=1e-10, rtol=1e-12, maxiter=200)
    except (ValueError, RuntimeError):
        return fallback()
    return float(y), False


def _zip_smoothed(conc1, conc2, grid, p1, p2) -> tuple[np.ndarray, int]:
    """(row fit + column fit)/2 on the combination cells; counts lines left unfitted."""
    n1, n2 = grid.shape
    col_fit = np.full((n1, n2), np.nan)
    row_fit = np.full((n1, n2), np.nan)
    fallback = 0
    # columns: fixed conc2 = conc2[j] > 0, vary conc1 over its non-zero doses
    for j in range(1, n2):
        y = grid[1:, j]
        fitted = y.copy()
        if np.sum(np.isfinite(y)) >= 2:
            par = _fit_ll4(conc1[1:], y, bottom=float(_predict(p2, conc2[j])), top=100.0)
            if par is not None:
                fitted = _predict(par, conc1[1:])
            else:
                fallback += 1
        else:
            fallback += 1
        col_fit[1:, j] = fitted
    for i in range(1, n1):
        y = grid[i, 1:]
        fitted = y.copy()
        if np.sum(np.isfinite(y)) >= 2:
            par = _fit_ll4(conc2[1:], y, bottom=float(_predict(p1, conc1[i])), top=100.0)
            if par is not None:
                fitted = _predict(par, conc2[1:])
            else:
                fallback += 1
        else:
            fallback += 1
        row_fit[i, 1:] = fitted
    return (col_fit + row_fit) / 2.0, fallback


# ---- result ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SynergyResult(FitResult):
    """Synergy scores of one drug-combination block.

    ``scores``: one dict per cell (conc1 ascending, then conc2), with ``conc1``, ``conc2``,
    ``response`` (mean % inhibition), ``response_sd``, ``n``, ``reference`` and ``score``
    (ZIP: the row/column-smoothed response minus ``reference``; others: response − reference).
    ``mean_score``: mean score over the cells with both concentrations > 0.
    ``single_drug_fits``: the LL.4 parameters of each drug (Loewe and ZIP only).
    ``fallback_cells``: cells (Loewe) or lines (ZIP) where the fallback rule of the module
    docstring was used.
    """

    method: str = ""
    response_kind: str = "inhibition"
    conventions: str = CONVENTIONS
    block_id: str | None = None
    drug1: str = "drug1"
    drug2: str = "drug2"
    conc1: tuple = ()
    conc2: tuple = ()
    mean_score: float = math.nan
    scores: tuple = ()
    single_drug_fits: dict = dataclasses.field(default_factory=dict)
    fallback_cells: int = 0

    def summary(self) -> pd.DataFrame:
        """One row per cell: block, drugs, method, concentrations, response, reference, score."""
        cols = ["conc1", "conc2", "response", "response_sd", "n", "reference", "score"]
        cells = pd.DataFrame(list(self.scores), columns=cols)
        for k, v in (
            ("status", self.status),
            ("method", self.method),
            ("drug2", self.drug2),
            ("drug1", self.drug1),
            ("block_id", self.block_id),
        ):
            cells.insert(0, k, v)
        return cells

    def score_matrix(self) -> pd.DataFrame:
        """Scores as a matrix: index conc1, columns conc2."""
        df = pd.DataFrame(list(self.scores), columns=["conc1", "conc2", "score"])
        return df.pivot(index="conc1", columns="conc2", values="score")

    @classmethod
    def from_dict(cls, d: dict):
        def num(v):
            if v is None:
                return math.nan
            if v == "Inf":
                return math.inf
            if v == "-Inf":
                return -math.inf
            return v

        d = dict(d)
        d["scores"] = tuple({k: num(v) for k, v in cell.items()} for cell in d.get("scores", ()))
        d["conc1"] = tuple(d.get("conc1", ()))
        d["conc2"] = tuple(d.get("conc2", ()))
        d["mean_score"] = num(d.get("mean_score"))
        d["single_drug_fits"] = {
            k: {kk: num(vv) for kk, vv in v.items()}
            for k, v in d.get("single_drug_fits", {}).items()
        }
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# ---- input ----------------------------------------------------------------------------------


def read_synergy_table(path: str | Path) -> pd.DataFrame:
    """Read and check a long synergy CSV (``block_id, drug1, drug2, conc1, conc2, response``).

    The whole file is rejected (:class:`FileFormatError`, naming the file, row, column and value)
    for a missing column, an empty or non-numeric concentration or response, or a negative
    concentration. Problems of one block (no single-drug rows) are left to :func:`fit_blocks`.
    Rows are numbered as a spreadsheet shows them (header = row 1).
    """
    source = str(path)
    raw = read_csv(path)
    require_columns(raw, FILE_COLUMNS, source)
    if raw.empty:
        raise FileFormatError(f"{source}: the table has a header but no rows. Add data rows.")
    out = pd.DataFrame(
        {
            BLOCK_ID: raw[BLOCK_ID].astype(str).str.strip(),
            DRUG1: raw[DRUG1].astype(str).str.strip(),
            DRUG2: raw[DRUG2].astype(str).str.strip(),
        }
    )
    for col in (CONC1, CONC2, RESPONSE):
        out[col] = numeric_column(raw, col, source)
        bad = ~np.isfinite(out[col].to_numpy())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FileFormatError(
                f"{source}: row {i + 2}, column {col!r} holds {raw[col].iloc[i]!r}, which is not "
                "a finite number. Give a plain number."
            )
    for col in (CONC1, CONC2):
        neg = out[col].to_numpy() < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise FileFormatError(
                f"{source}: row {i + 2}, column {col!r} holds {raw[col].iloc[i]!r}, a negative "
                "concentration. Concentrations must be >= 0 (0 = drug absent)."
            )
    return out


def _check_choice(owner: str, name: str, value: str, choices: Sequence[str]) -> str:
    v = str(value).lower()
    if v not in choices:
        raise param_error(owner, name, "one of " + ", ".join(map(repr, choices)), value)
    return v


def _to_long(data, conc1, conc2) -> pd.DataFrame:
    """Long (conc1, conc2, response) table from a long DataFrame, a matrix DataFrame (index
    conc1, columns conc2) or an array with ``conc1``/``conc2`` given."""
    if isinstance(data, pd.DataFrame) and {CONC1, CONC2, RESPONSE} <= set(data.columns):
        long = data.copy()
    elif isinstance(data, pd.DataFrame):
        try:
            c1 = np.asarray(data.index, dtype=float)
            c2 = np.asarray(data.columns, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(
                "fit: a DataFrame must be long (columns 'conc1', 'conc2', 'response') or a matrix "
                "whose index (conc1) and columns (conc2) are numbers. Got columns "
                f"{list(data.columns)!r}."
            ) from None
        values = data.to_numpy(dtype=float)
        long = _grid_to_long(values, c1, c2)
    else:
        values = np.asarray(data, dtype=float)
        if values.ndim != 2:
            raise param_error("fit", "data", "a 2-D matrix or a long DataFrame", values.shape)
        if conc1 is None or conc2 is None:
            raise ParameterError(
                "fit: a matrix needs its concentrations: give conc1= (one per row) and conc2= "
                "(one per column)."
            )
        c1, c2 = np.asarray(conc1, dtype=float), np.asarray(conc2, dtype=float)
        if c1.shape != (values.shape[0],) or c2.shape != (values.shape[1],):
            raise ParameterError(
                f"fit: the matrix is {values.shape[0]}x{values.shape[1]} but conc1 has "
                f"{c1.size} and conc2 {c2.size} values; give one per row and one per column."
            )
        long = _grid_to_long(values, c1, c2)
    long = long.copy()
    for col in (CONC1, CONC2, RESPONSE):
        try:
            long[col] = pd.to_numeric(long[col], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise ParameterError(f"fit: column {col!r} must hold numbers.") from None
    long = long[np.isfinite(long[RESPONSE])]
    for col in (CONC1, CONC2):
        v = long[col].to_numpy()
        if not np.all(np.isfinite(v)) or np.any(v < 0):
            bad = v[~(np.isfinite(v) & (v >= 0))][0]
            raise param_error("fit", col, "finite and >= 0 (0 = drug absent)", float(bad))
    return long


def _grid_to_long(values, c1, c2) -> pd.DataFrame:
    ii, jj = np.meshgrid(np.arange(len(c1)), np.arange(len(c2)), indexing="ij")
    return pd.DataFrame(
        {CONC1: c1[ii.ravel()], CONC2: c2[jj.ravel()], RESPONSE: values[ii, jj].ravel()}
    )


# ---- fitting --------------------------------------------------------------------------------


def fit(
    data,
    method: str = "zip",
    response_kind: str = "inhibition",
    *,
    conc1: Sequence[float] | None = None,
    conc2: Sequence[float] | None = None,
    drug1: str | None = None,
    drug2: str | None = None,
    block_id: str | None = None,
) -> SynergyResult:
    """Synergy scores of one two-drug dose matrix.

    ``data``: a long DataFrame with columns ``conc1, conc2, response`` (several rows per cell are
    replicates; optional ``drug1``, ``drug2``, ``block_id`` columns name the block), a matrix
    DataFrame (index conc1, columns conc2), or a 2-D array with ``conc1``/``conc2``. Responses in
    percent: % inhibition, or % viability with ``response_kind="viability"`` (converted to
    100 − viability). ``method``: "zip", "bliss", "hsa" or "loewe" (equations in the module
    docstring). Arguments outside their rules raise :class:`ParameterError`; a block that
    cannot be scored returns a result with status "not_estimable" or "failed" and a message.
    """
    method = _check_choice("fit", "method", method, METHODS)
    response_kind = _check_choice("fit", "response_kind", response_kind, RESPONSE_KINDS)
    long = _to_long(data, conc1, conc2)
    names = {}
    for key, given in ((DRUG1, drug1), (DRUG2, drug2), (BLOCK_ID, block_id)):
        if given is not None:
            names[key] = str(given)
        elif isinstance(data, pd.DataFrame) and key in data.columns:
            vals = pd.unique(data[key].astype(str))
            if len(vals) > 1:
                what = "blocks" if key == BLOCK_ID else f"{key} names"
                raise ParameterError(
                    f"fit: the table holds several {what} ({', '.join(map(str, vals[:5]))}); "
                    "fit one block at a time or use fit_blocks()."
                )
            names[key] = str(vals[0]) if len(vals) else None
    meta = dict(
        method=method,
        response_kind=response_kind,
        block_id=names.get(BLOCK_ID),
        drug1=names.get(DRUG1) or "drug1",
        drug2=names.get(DRUG2) or "drug2",
    )
    resp = long[RESPONSE].to_numpy(dtype=float)
    if response_kind == "viability":
        resp = 100.0 - resp
    long = long.assign(**{RESPONSE: resp})
    return _score(long, meta)


def _score(long: pd.DataFrame, meta: dict) -> SynergyResult:
    cells = (
        long.groupby([CONC1, CONC2], sort=True)[RESPONSE]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    conc1 = np.array(sorted(cells[CONC1].unique()))
    conc2 = np.array(sorted(cells[CONC2].unique()))
    base = dict(meta, conc1=tuple(conc1.tolist()), conc2=tuple(conc2.tolist()))

    def not_estimable(msg):
        return SynergyResult(status=NOT_ESTIMABLE, message=msg, **base)

    who = f"block {meta['block_id']!r}" if meta.get("block_id") is not None else "the matrix"
    mono1 = cells[(cells[CONC2] == 0) & (cells[CONC1] > 0)]
    mono2 = cells[(cells[CONC1] == 0) & (cells[CONC2] > 0)]
    if mono1.empty or mono2.empty:
        missing = [n for n, m in ((meta["drug1"], mono1), (meta["drug2"], mono2)) if m.empty]
        return not_estimable(
            f"{who} has no single-drug rows for {' and '.join(missing)} (rows with the other "
            "drug's concentration = 0); synergy needs each drug alone. Add the monotherapy rows."
        )
    if not ((cells[CONC1] > 0) & (cells[CONC2] > 0)).any():
        return not_estimable(
            f"{who} has no combination cells (both concentrations > 0); nothing to score."
        )

    n1, n2 = conc1.size, conc2.size
    idx1 = {v: i for i, v in enumerate(conc1)}
    idx2 = {v: j for j, v in enumerate(conc2)}
    grid = np.full((n1, n2), np.nan)
    sd = np.full((n1, n2), np.nan)
    count = np.zeros((n1, n2), dtype=int)
    for r in cells.itertuples(index=False):
        i, j = idx1[getattr(r, CONC1)], idx2[getattr(r, CONC2)]
        grid[i, j], sd[i, j], count[i, j] = r.mean, r.std, r.count

    method = meta["method"]
    ref = np.full((n1, n2), np.nan)
    fits: dict = {}
    fallback = 0
    if method in ("bliss", "hsa"):
        ya = grid[:, [0]] if conc2[0] == 0 else np.full((n1, 1), np.nan)
        yb = grid[[0], :] if conc1[0] == 0 else np.full((1, n2), np.nan)
        ref = ya + yb - ya * yb / 100.0 if method == "bliss" else np.maximum(ya, yb)
    else:
        mask1 = (long[CONC2] == 0).to_numpy()
        mask2 = (long[CONC1] == 0).to_numpy()
        p1 = _fit_ll4(long[CONC1].to_numpy()[mask1], long[RESPONSE].to_numpy()[mask1])
        p2 = _fit_ll4(long[CONC2].to_numpy()[mask2], long[RESPONSE].to_numpy()[mask2])
        if p1 is None or p2 is None:
            return SynergyResult(
                status=FAILED,
                message=f"{who}: the single-drug LL.4 curve could not be fitted.",
                **base,
            )
        fits = {meta["drug1"]: p1, meta["drug2"]: p2}
        if meta["drug1"] == meta["drug2"]:
            fits = {"drug1": p1, "drug2": p2}
        ya_hat = _predict(p1, conc1)[:, None]
        yb_hat = _predict(p2, conc2)[None, :]
        if method == "zip":
            ref = ya_hat + yb_hat - ya_hat * yb_hat / 100.0
            smooth, fallback = _zip_smoothed(conc1, conc2, grid, p1, p2)
        else:
            for i in range(1, n1):
                for j in range(1, n2):
                    y, used = _loewe_reference(conc1[i], conc2[j], p1, p2)
                    ref[i, j] = min(y, 100.0)
                    fallback += int(used)

    observed = smooth if method == "zip" else grid
    score = observed - ref
    combo = (conc1[:, None] > 0) & (conc2[None, :] > 0)
    score = np.where(combo, score, 0.0)
    ref = np.where(combo, ref, grid)
    score = np.where(np.isfinite(grid), score, np.nan)

    rows = []
    for i in range(n1):
        for j in range(n2):
            if count[i, j] == 0:
                continue
            rows.append(
                {
                    "conc1": float(conc1[i]),
                    "conc2": float(conc2[j]),
                    "response": float(grid[i, j]),
                    "response_sd": float(sd[i, j]),
                    "n": int(count[i, j]),
                    "reference": float(ref[i, j]),
                    "score": float(score[i, j]),
                }
            )
    combo_scores = score[combo & (count > 0)]
    finite = combo_scores[np.isfinite(combo_scores)]
    message = ""
    if finite.size < combo_scores.size:
        message = (
            f"{combo_scores.size - finite.size} combination cell(s) lack a single-drug response "
            "at their concentration and have no score."
        )
    if finite.size == 0:
        return SynergyResult(
            status=NOT_ESTIMABLE,
            message=f"{who}: no combination cell could be scored. {message}".strip(),
            **base,
        )
    return SynergyResult(
        status=OK,
        message=message,
        mean_score=float(finite.mean()),
        scores=tuple(rows),
        single_drug_fits=fits,
        fallback_cells=int(fallback),
        **base,
    )


def fit_blocks(
    table: pd.DataFrame, method: str = "zip", response_kind: str = "inhibition"
) -> tuple[SynergyResult, ...]:
    """Score every block of a long table (columns as :data:`FILE_COLUMNS`), in file order.

    A block that cannot be scored keeps its status and message; the others still score.
    """
    method = _check_choice("fit_blocks", "method", method, METHODS)
    response_kind = _check_choice("fit_blocks", "response_kind", response_kind, RESPONSE_KINDS)
    missing = [c for c in FILE_COLUMNS if c not in table.columns]
    if missing:
        raise param_error("fit_blocks", "table", f"a table with columns {FILE_COLUMNS}", missing)
    out = []
    for bid, block in table.groupby(BLOCK_ID, sort=False):
        d1 = pd.unique(block[DRUG1].astype(str))
        d2 = pd.unique(block[DRUG2].astype(str))
        base = dict(method=method, response_kind=response_kind, block_id=str(bid))
        if len(d1) > 1 or len(d2) > 1:
            out.append(
                SynergyResult(
                    status=NOT_ESTIMABLE,
                    message=f"block {bid!r} names more than one drug1 ({', '.join(d1)}) or "
                    f"drug2 ({', '.join(d2)}); give each pair its own block_id.",
                    drug1=str(d1[0]),
                    drug2=str(d2[0]),
                    **base,
                )
            )
            continue
        try:
            res = fit(block, method=method, response_kind=response_kind)
        except (ValueError, ArithmeticError) as exc:  # keep the batch alive
            res = SynergyResult(
                status=FAILED, message=str(exc), drug1=str(d1[0]), drug2=str(d2[0]), **base
            )
        out.append(res)
    return tuple(out)


# ---- plotting -------------------------------------------------------------------------------


def plot(result: SynergyResult, ax=None, surface: bool = False):
    """Heat map of per-cell scores (conc2 across, conc1 up), or a 3-D surface with
    ``surface=True``. Concentrations are placed at equal steps and labelled. Returns the axes."""
    import matplotlib.pyplot as plt

    if not result.scores:
        raise ParameterError(
            f"plot: the result has no scores (status {result.status!r}: {result.message})"
        )
    m = result.score_matrix()
    z = m.to_numpy(dtype=float)
    xl = [f"{v:g}" for v in m.columns]
    yl = [f"{v:g}" for v in m.index]
    title = f"{result.method.upper()} synergy, mean {result.mean_score:.2f}"
    if surface:
        if ax is None:
            ax = plt.figure().add_subplot(projection="3d")
        xx, yy = np.meshgrid(np.arange(z.shape[1]), np.arange(z.shape[0]))
        ax.plot_surface(xx, yy, np.nan_to_num(z), cmap="RdBu_r")
        ax.set_xticks(range(len(xl)), xl)
        ax.set_yticks(range(len(yl)), yl)
        ax.set_zlabel("score (% inhibition)")
    else:
        if ax is None:
            _, ax = plt.subplots()
        lim = max(1e-9, float(np.nanmax(np.abs(z))))
        im = ax.imshow(z, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(xl)), xl)
        ax.set_yticks(range(len(yl)), yl)
        ax.figure.colorbar(im, ax=ax, label="score (% inhibition)")
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                if np.isfinite(z[i, j]):
                    ax.text(j, i, f"{z[i, j]:.1f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel(f"{result.drug2} concentration")
    ax.set_ylabel(f"{result.drug1} concentration")
    ax.set_title(title)
    return ax
