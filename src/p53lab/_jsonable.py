"""Plain JSON values from p53lab's results (NumPy scalars and arrays, paths, tuples)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["jsonable"]


def jsonable(x, *, nonfinite: str = "null"):
    """``x`` with every value JSON can hold. Non-finite floats become ``null`` (JSON has no
    NaN) or, with ``nonfinite="text"``, the text "nan"/"inf"; unknown objects their repr."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v, nonfinite=nonfinite) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v, nonfinite=nonfinite) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist(), nonfinite=nonfinite)
    if isinstance(x, np.generic):
        return jsonable(x.item(), nonfinite=nonfinite)
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return str(x) if nonfinite == "text" else None
    if x is None or isinstance(x, bool | int | float | str):
        return x
    return repr(x)
