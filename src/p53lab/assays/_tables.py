"""Typed-table helpers shared by the lab assay modules: every cell is read as text and checked
with the file, row and column named, so a bad cell gives one clear message."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import FileFormatError

__all__ = ["numeric_column", "read_csv", "require_columns"]


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`FileFormatError` naming every missing column and the available ones."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FileFormatError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))}. "
            f"Available columns: {', '.join(map(repr, map(str, df.columns)))}. "
            "Rename the columns or name them with the command's options."
        )


def numeric_column(
    df: pd.DataFrame, column: str, source: str, allow_missing: bool = False
) -> np.ndarray:
    """The column as floats; text raises :class:`FileFormatError` naming row (1-based data row,
    as a spreadsheet shows it: header is row 1) and value."""
    values = np.empty(len(df), dtype=float)
    for i, v in enumerate(df[column].tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
            if not allow_missing:
                raise FileFormatError(
                    f"{source}: row {i + 2}, column {column!r} is empty. Give a number."
                )
            values[i] = math.nan
            continue
        try:
            values[i] = float(v)
        except (TypeError, ValueError):
            raise FileFormatError(
                f"{source}: row {i + 2}, column {column!r} holds {v!r}, which is not a number. "
                "Fix that cell (use a plain number, no units)."
            ) from None
    return values


def read_csv(path, source: str | None = None) -> pd.DataFrame:
    """Read a CSV as text cells (numbers are checked later, with the row named)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(f"{source or path}: the file is empty. Give a CSV table.") from None
    except pd.errors.ParserError as exc:
        raise FileFormatError(f"{source or path}: not a readable CSV table ({exc}).") from None
