"""Plate-reader exports and plate layouts → tidy tables.

Plate files (CSV or XLSX, read with openpyxl):

* grid: a header row of column numbers 1..12 (96-well, 8 × 12) or 1..24 (384-well, 16 × 24)
  followed by one row per plate row, each starting with its letter (A..H or A..P). Lines above,
  below or beside the grid (reader name, date, footer) are ignored. Several grids in one file are
  several plates, named ``<stem>``, or ``<stem>_1``, ``<stem>_2``, ... when there is more than one.
* long table: a header row with ``well`` and ``value`` (and optionally ``plate``) columns.

Result: one row per well with columns ``plate, well, row, col, value`` (``well`` written ``A01``;
``row`` is the letter, ``col`` the 1-based number). An empty well reads as NaN; text in a well is a
:class:`~p53lab.errors.FileFormatError` naming the file, the well and the value.

Layout files (CSV): ``well, compound, concentration, unit, replicate, role`` are read as text;
checking them is :func:`p53lab.assays.plates.lint_layout`'s job, which lists every problem at once.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pandas as pd

from ..errors import FileFormatError

__all__ = [
    "LAYOUT_COLUMNS",
    "PLATE_FORMATS",
    "infer_format",
    "parse_well",
    "read_layout",
    "read_plate",
    "well_name",
]

# Number of wells → (rows, columns).
PLATE_FORMATS: dict[int, tuple[int, int]] = {96: (8, 12), 384: (16, 24)}
LAYOUT_COLUMNS = ("well", "compound", "concentration", "unit", "replicate", "role")
PLATE, WELL, ROW, COL, VALUE = "plate", "well", "row", "col", "value"

_WELL = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,3})\s*$")


def _letters(i: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def parse_well(text) -> tuple[int, int]:
    """``'B03'`` or ``'b3'`` → (row index from 0, column number from 1); ValueError if not."""
    m = _WELL.match(str(text))
    if not m or len(m.group(1)) != 1 or int(m.group(2)) < 1:
        raise ValueError(f"{text!r} is not a well name like 'A1' or 'B03'")
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2))


def well_name(row: int, col: int) -> str:
    """(row index from 0, column number from 1) → ``'A01'``."""
    return f"{_letters(row)}{col:02d}"


def infer_format(wells) -> int:
    """The smallest plate format (96 or 384) that holds every well name in ``wells``."""
    rows, cols = 0, 0
    for w in wells:
        r, c = parse_well(w)
        rows, cols = max(rows, r + 1), max(cols, c)
    for n, (nr, nc) in sorted(PLATE_FORMATS.items()):
        if rows <= nr and cols <= nc:
            return n
    raise ValueError(
        f"wells reach row {_letters(min(rows, 26) - 1)} and column {cols}, beyond a 384-well plate"
    )


def _read_cells(path: Path) -> list[list]:
    """The file as a list of rows of raw cells (strings for CSV; typed values for XLSX)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
            raise FileFormatError(f"{path}: reading .xlsx needs openpyxl; install it.") from exc
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged file
            raise FileFormatError(f"{path}: cannot open as an Excel workbook ({exc}).") from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    text = path.read_text(encoding="utf-8-sig")
    sample = text[:4096]
    delim = "\t" if sample.count("\t") > sample.count(",") else ","
    if delim == "," and sample.count(";") > sample.count(","):
        delim = ";"
    return [list(r) for r in csv.reader(text.splitlines(), delimiter=delim)]


def _as_int(v) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return int(v) if float(v).is_integer() else None
    s = str(v).strip()
    return int(s) if s.isdigit() else None


def _header_run(row: list) -> tuple[int, int] | None:
    """Where a run 1, 2, 3, ... of column numbers starts in ``row`` and how long it is."""
    for start in range(1, len(row)):
        if _as_int(row[start]) == 1 and not str(row[start - 1] or "").strip().isdigit():
            n = 0
            while start + n < len(row) and _as_int(row[start + n]) == n + 1:
                n += 1
            if n >= 2:
                return start, n
    return None


def _value(v, path: Path, well: str, line: int):
    if v is None:
        return math.nan
    if isinstance(v, bool):
        raise FileFormatError(
            f"{path}: line {line}, well {well}: {v!r} is not a number. "
            "Give a numeric reading or leave the well empty."
        )
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip()
    if s == "":
        return math.nan
    try:
        return float(s)
    except ValueError:
        raise FileFormatError(
            f"{path}: line {line}, well {well}: {s!r} is not a number. "
            "Give a numeric reading (overflow markers such as 'OVRFLW' must be replaced) "
            "or leave the well empty."
        ) from None


def _long_table(rows: list[list], header_at: int, path: Path, stem: str) -> pd.DataFrame:
    header = [str(h or "").strip().lower() for h in rows[header_at]]
    iw, iv = header.index(WELL), header.index(VALUE)
    ip = header.index(PLATE) if PLATE in header else None
    out = []
    for k, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(str(c or "").strip() for c in r):
            continue
        raw_well = r[iw] if iw < len(r) else ""
        try:
            ri, ci = parse_well(raw_well)
        except ValueError:
            raise FileFormatError(
                f"{path}: line {k}, column 'well': {raw_well!r} is not a well name. "
                "Write wells like 'A1' or 'B03'."
            ) from None
        name = well_name(ri, ci)
        v = _value(r[iv] if iv < len(r) else None, path, name, k)
        plate = str(r[ip]).strip() if ip is not None and ip < len(r) and r[ip] else stem
        out.append((plate, name, _letters(ri), ci, v))
    frame = pd.DataFrame(out, columns=[PLATE, WELL, ROW, COL, VALUE])
    if frame.empty:
        raise FileFormatError(f"{path}: the well/value table has no rows; give one row per well.")
    dup = frame.duplicated([PLATE, WELL])
    if dup.any():
        w = frame.loc[dup, WELL].iloc[0]
        raise FileFormatError(
            f"{path}: well {w} appears more than once; keep one reading per well."
        )
    return frame


def read_plate(path: str | Path) -> pd.DataFrame:
    """Read a plate-reader export (grid or long table; CSV or XLSX) into a tidy frame.

    Columns: ``plate, well, row, col, value``. ``frame.attrs['n_wells']`` holds 96 or 384 (for a
    long table, the smallest format that holds its wells).
    """
    path = Path(path)
    rows = _read_cells(path)
    stem = path.stem
    for k, r in enumerate(rows):
        low = [str(c or "").strip().lower() for c in r]
        if WELL in low and VALUE in low:
            frame = _long_table(rows, k, path, stem)
            frame[VALUE] = frame[VALUE].astype(float)
            try:
                frame.attrs["n_wells"] = infer_format(frame[WELL])
            except ValueError as exc:
                raise FileFormatError(f"{path}: {exc}. Check the well names.") from None
            return frame
    grids = []
    k = 0
    while k < len(rows):
        run = _header_run(rows[k])
        if run is None:
            k += 1
            continue
        start, n_cols = run
        letter_col = start - 1
        n_rows = 0
        while k + 1 + n_rows < len(rows):
            r = rows[k + 1 + n_rows]
            label = str(r[letter_col] if letter_col < len(r) and r[letter_col] else "").strip()
            if n_rows >= 26 or label.upper() != _letters(n_rows):
                break
            n_rows += 1
        if n_rows == 0:
            k += 1
            continue
        fmt = {12: 96, 24: 384}.get(n_cols)
        if fmt is None or PLATE_FORMATS[fmt][0] != n_rows:
            raise FileFormatError(
                f"{path}: the grid at line {k + 1} has {n_rows} row(s) (A..{_letters(n_rows - 1)}) "
                f"and {n_cols} column(s); a 96-well plate has 8 × 12 and a 384-well plate "
                "16 × 24. Check that the export is complete."
            )
        cells = []
        for i in range(n_rows):
            line = k + 2 + i
            r = rows[k + 1 + i]
            for j in range(n_cols):
                raw = r[start + j] if start + j < len(r) else None
                name = well_name(i, j + 1)
                cells.append((name, _letters(i), j + 1, _value(raw, path, name, line)))
        grids.append((fmt, cells))
        k += 1 + n_rows
    if not grids:
        raise FileFormatError(
            f"{path}: no plate grid (a row of column numbers 1..12 or 1..24 followed by rows "
            "A, B, ...) and no long table (columns 'well' and 'value') found. "
            "Export the plate as a grid or as a well/value table."
        )
    frames = []
    for idx, (_fmt, cells) in enumerate(grids, start=1):
        name = stem if len(grids) == 1 else f"{stem}_{idx}"
        f = pd.DataFrame(cells, columns=[WELL, ROW, COL, VALUE])
        f.insert(0, PLATE, name)
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    frame[VALUE] = frame[VALUE].astype(float)
    frame.attrs["n_wells"] = grids[0][0]
    return frame


def read_layout(path: str | Path) -> pd.DataFrame:
    """Read a layout CSV (``well, compound, concentration, unit, replicate, role``) as text.

    Missing optional columns are added empty; a missing ``well`` or ``role`` column is a
    :class:`~p53lab.errors.FileFormatError`. Content checks: ``lint_layout``.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise FileFormatError(f"{path}: the layout file is empty.") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("well", "role") if c not in table.columns]
    if missing:
        raise FileFormatError(
            f"{path}: layout column(s) {missing} missing; found {list(table.columns)}. "
            f"A layout needs {list(LAYOUT_COLUMNS)}."
        )
    for c in LAYOUT_COLUMNS:
        if c not in table.columns:
            table[c] = ""
        table[c] = table[c].astype(str).str.strip()
    table.attrs["source"] = str(path)
    return table
