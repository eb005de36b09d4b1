"""The result of one simulation: a table of outputs over time, a status and provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["SimulationResult"]


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Outputs at the requested times.

    ``status`` is ``"ok"`` or ``"failed"``; a failed run keeps the rows it reached and fills the
    rest with NaN, and ``message`` says what went wrong. ``provenance`` records the inputs:
    model id and fingerprint, parameter values, schedule, solver settings, package version.
    """

    times: np.ndarray
    columns: tuple[str, ...]
    values: np.ndarray  # shape (len(times), len(columns))
    status: str = "ok"
    message: str = ""
    provenance: dict = field(default_factory=dict)
    time_units: str = "h"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[:, self.columns.index(name)]
        except ValueError:
            raise ParameterError(
                f"The result has no column {name!r}. Columns: {', '.join(self.columns)}."
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def at(self, t: float, name: str) -> float:
        """Value of ``name`` at time ``t`` (linear interpolation between output times)."""
        return float(np.interp(t, self.times, self[name]))

    def to_frame(self, time_column: str = "time_h") -> pd.DataFrame:
        df = pd.DataFrame(self.values, columns=list(self.columns))
        df.insert(0, time_column, self.times)
        return df

    def to_csv(self, path: str | Path, time_column: str = "time_h") -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.to_frame(time_column).to_csv(path, index=False, float_format="%.10g")
        return path

    def to_parquet(self, path: str | Path, time_column: str = "time_h") -> Path:
        """Parquet with the provenance, status and message in the file's key-value metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(self.to_frame(time_column), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"p53lab"] = json.dumps(
            {
                "status": self.status,
                "message": self.message,
                "provenance": self.provenance,
                "time_units": self.time_units,
            },
            default=str,
        ).encode()
        pq.write_table(table.replace_schema_metadata(meta), path)
        return path

    @classmethod
    def read_parquet(cls, path: str | Path, time_column: str = "time_h") -> SimulationResult:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(b"p53lab", b"{}"))
        df = table.to_pandas()
        cols = tuple(c for c in df.columns if c != time_column)
        return cls(
            times=df[time_column].to_numpy(),
            columns=cols,
            values=df[list(cols)].to_numpy(),
            status=meta.get("status", "ok"),
            message=meta.get("message", ""),
            provenance=meta.get("provenance", {}),
            time_units=meta.get("time_units", "h"),
        )

    def __repr__(self) -> str:
        return (
            f"SimulationResult({self.status}, {len(self.times)} times × "
            f"{len(self.columns)} columns{': ' + self.message if self.message else ''})"
        )
