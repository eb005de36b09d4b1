"""What every assay result shares: a frozen object with ``summary()``, ``to_dict()``,
``to_json()``, ``save()`` and ``load()`` (exact inverses), and a per-item ``status``.

Estimation lives in each assay module's ``fit(...)``; plotting in its ``plot(result, ax=None)``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__

__all__ = ["FitResult", "jsonable"]

OK = "ok"
NOT_ESTIMABLE = "not_estimable"
FAILED = "failed"


def jsonable(x: Any) -> Any:
    """Plain JSON types; infinities become the strings "Inf"/"-Inf", NaN becomes None."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
    if isinstance(x, pd.DataFrame):
        return jsonable(x.to_dict(orient="records"))
    return x


@dataclasses.dataclass(frozen=True)
class FitResult:
    """Base of assay results. Subclasses are frozen dataclasses of plain fields.

    ``status`` is "ok", "not_estimable" or "failed"; ``message`` says why when not ok.
    """

    status: str = OK
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict:
        return jsonable(self)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    def summary(self) -> pd.DataFrame:
        """A tidy one-row table of the scalar fields (subclasses may return more rows)."""
        d = {k: v for k, v in self.to_dict().items() if not isinstance(v, dict | list)}
        return pd.DataFrame([d])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        payload = {
            "type": type(self).__name__,
            "p53lab_version": __version__,
            "result": self.to_dict(),
        }
        path.write_text(json.dumps(payload, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path):
        payload = json.loads(Path(path).read_text())
        return cls.from_dict(payload["result"])

    @classmethod
    def from_dict(cls, d: dict):
        """Inverse of :meth:`to_dict` for flat fields; subclasses with nested fields override."""

        def back(v):
            if v == "Inf":
                return math.inf
            if v == "-Inf":
                return -math.inf
            if v is None:
                return math.nan
            if isinstance(v, list):
                return tuple(back(x) for x in v)
            if isinstance(v, dict):
                return {k: back(x) for k, x in v.items()}
            return v

        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: back(v) for k, v in d.items() if k in names})
