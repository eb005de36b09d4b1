"""Spillover compensation.

A fluorochrome's light reaches other detectors than its own. With the spillover matrix ``S``
(row ``i``: fluorochrome ``i``; column ``j``: detector ``j``; ``S_ii = 1``), an event's observed
detector values ``o`` (a row vector) relate to the true fluorochrome signals ``t`` by::

    o = t · S          ⇒          t = o · S⁻¹

(Bagwell CB, Adams EG (1993) Ann N Y Acad Sci 677:167–184; Roederer M (2001) Cytometry
45:194–205.) The same convention and arithmetic as FlowKit/flowutils
(``np.linalg.solve(S.T, o.T).T``), so compensated values agree to rounding.

The matrix comes from the file (keywords ``$SPILLOVER`` (FCS 3.1), ``$SPILL`` or ``SPILL``
(FCS 3.0, BD instruments), all stored as ``n,name_1,…,name_n,s_11,s_12,…,s_nn``) or from a CSV
file: a header row of channel names and ``n`` rows of numbers, optionally with the channel name
as the first cell of each row (FlowJo's export).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Sequence

import numpy as np

from ..errors import FileFormatError, ParameterError
from .fcs import FcsData

__all__ = [
    "Spillover",
    "channel_values",
    "compensate",
    "read_spillover_csv",
    "resolve_spillover",
    "spillover_from_keywords",
]

SPILL_KEYWORDS = ("spillover", "spill")
"""TEXT keywords (lower-case, without ``$``) searched for a spillover matrix, in this order."""


@dataclasses.dataclass(frozen=True, eq=False)
class Spillover:
    """A square spillover matrix and the channels (detectors) of its rows and columns."""

    channels: tuple[str, ...]
    matrix: np.ndarray = dataclasses.field(repr=False)
    source: str = ""

    def __post_init__(self):
        m = np.array(self.matrix, dtype=np.float64)
        k = len(self.channels)
        where = self.source or "spillover matrix"
        if m.shape != (k, k):
            raise ParameterError(
                f"{where}: the spillover matrix must be {k}×{k} for the channels "
                f"{list(self.channels)}. Got shape {m.shape} instead."
            )
        if len(set(self.channels)) != k:
            raise ParameterError(f"{where}: channel names repeat: {list(self.channels)}.")
        if not np.all(np.isfinite(m)):
            raise ParameterError(f"{where}: the spillover matrix holds NaN or infinite values.")
        cond = np.linalg.cond(m) if k else 1.0
        if not math.isfinite(cond) or cond > 1e12:
            raise ParameterError(
                f"{where}: the spillover matrix is singular (condition number {cond:.3g}); it "
                "cannot be inverted. Check the single-stain controls that produced it."
            )
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))

    def to_keyword(self) -> str:
        """The FCS ``$SPILLOVER`` text: ``n,names…,values…`` (values row by row)."""
        vals = ",".join(repr(float(v)) for v in self.matrix.ravel())
        return f"{len(self.channels)},{','.join(self.channels)},{vals}"

    @classmethod
    def from_keyword(cls, text: str, source: str = "") -> Spillover:
        """Parse ``n,name_1,…,name_n,s_11,…,s_nn`` (the FCS spillover keyword layout)."""
        where = source or "spillover keyword"
        parts = [p.strip() for p in re.split(r"[,\n]", text.strip()) if p.strip() != ""]
        try:
            n = int(float(parts[0]))
        except (IndexError, ValueError):
            raise FileFormatError(
                f"{where}: a spillover keyword starts with the channel count; got {text[:40]!r}."
            ) from None
        if n < 1 or len(parts) != 1 + n + n * n:
            raise FileFormatError(
                f"{where}: a spillover keyword for {n} channels needs {1 + n + n * n} "
                f"comma-separated items (count, {n} names, {n * n} values); it has {len(parts)}."
            )
        names = parts[1 : n + 1]
        try:
            vals = np.array([float(v) for v in parts[n + 1 :]]).reshape(n, n)
        except ValueError as exc:
            raise FileFormatError(f"{where}: a spillover value is not a number ({exc}).") from None
        return cls(tuple(names), vals, source=where)


def spillover_from_keywords(sample: FcsData) -> Spillover | None:
    """The matrix stored in the file (``$SPILLOVER``, ``$SPILL`` or ``SPILL``), or ``None``."""
    for key in SPILL_KEYWORDS:
        text = sample.keywords.get(key)
        if text and text.strip() and text.strip() != "0":
            return Spillover.from_keyword(text, source=f"{sample.source}: ${key.upper()}")
    return None


def read_spillover_csv(path: str | os.PathLike) -> Spillover:
    """Read a spillover matrix from CSV/TSV: a header of channel names, then ``n`` rows.

    A first column of row names (FlowJo) is recognised and the rows are reordered to match the
    header. A single line in the FCS keyword layout (``n,names…,values…``) is accepted too.
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8-sig") as fh:
        lines = [ln.strip() for ln in fh.read().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise FileFormatError(f"{path}: the spillover file is empty.")
    if len(lines) == 1:
        return Spillover.from_keyword(lines[0], source=path)
    rows = [[c.strip().strip('"') for c in re.split(r"[,\t;]", ln)] for ln in lines]
    header = rows[0]
    if header and header[0].startswith("#"):
        header[0] = header[0].lstrip("#").strip()
    body = rows[1:]

    def is_num(s: str) -> bool:
        try:
            float(s)
        except ValueError:
            return False
        return True

    row_names = None
    if body and not is_num(body[0][0]):
        row_names = [r[0] for r in body]
        body = [r[1:] for r in body]
        if len(header) == len(body[0]) + 1:
            header = header[1:]
    n = len(header)
    if len(body) != n:
        raise FileFormatError(
            f"{path}: the header names {n} channels ({', '.join(header)}) but {len(body)} rows "
            f"of numbers follow; a spillover matrix is square."
        )
    vals = np.empty((n, n))
    for i, r in enumerate(body):
        if len(r) != n:
            raise FileFormatError(f"{path}: row {i + 2} has {len(r)} values; {n} expected.")
        for j, v in enumerate(r):
            try:
                vals[i, j] = float(v)
            except ValueError:
                raise FileFormatError(
                    f"{path}: row {i + 2}, column {j + 1} ({header[j]!r}) holds {v!r}, which is "
                    "not a number."
                ) from None
    if row_names is not None:
        if sorted(row_names) != sorted(header):
            raise FileFormatError(
                f"{path}: the row names ({', '.join(row_names)}) are not the header's channels "
                f"({', '.join(header)})."
            )
        vals = vals[[row_names.index(h) for h in header], :]
    return Spillover(tuple(header), vals, source=path)


def resolve_spillover(sample: FcsData, spillover) -> Spillover | None:
    """``None`` → no compensation; ``"file"`` → the file's own matrix; a path → a CSV matrix;
    a :class:`Spillover` → itself."""
    if spillover is None or spillover is False:
        return None
    if isinstance(spillover, Spillover):
        return spillover
    if spillover is True or (isinstance(spillover, str) and spillover.lower() == "file"):
        sp = spillover_from_keywords(sample)
        if sp is None:
            raise FileFormatError(
                f"{sample.source}: compensation from the file was asked for, but the file has no "
                "$SPILLOVER, $SPILL or SPILL keyword. Give the matrix as a CSV file instead."
            )
        return sp
    if isinstance(spillover, str | os.PathLike):
        return read_spillover_csv(spillover)
    raise ParameterError(
        "The 'spillover' parameter must be None, 'file', a CSV path or a Spillover. "
        f"Got {spillover!r} instead."
    )


def _matrix_indices(sample: FcsData, sp: Spillover) -> list[int]:
    idx = []
    for name in sp.channels:
        try:
            idx.append(sample.index(name))
        except ParameterError:
            raise ParameterError(
                f"The spillover matrix ({sp.source or 'given'}) names channel {name!r}, which is "
                f"not in {sample.name}. Channels: {sample.channel_list()}. Use the matrix made "
                "for this panel."
            ) from None
    if len(set(idx)) != len(idx):
        raise ParameterError(
            f"The spillover matrix ({sp.source}) names the same channel of {sample.name} twice."
        )
    return idx


def compensate(sample: FcsData, spillover="file") -> FcsData:
    """A copy of ``sample`` with the matrix's channels compensated (``o · S⁻¹``); others as is."""
    sp = resolve_spillover(sample, spillover)
    if sp is None:
        return sample
    idx = _matrix_indices(sample, sp)
    ev = np.array(sample.events, dtype=np.float64)
    ev[:, idx] = np.linalg.solve(sp.matrix.T, ev[:, idx].T).T
    return sample.with_events(ev)


def channel_values(sample: FcsData, channels: Sequence[str | int], spillover=None) -> np.ndarray:
    """Values of a few channels, ``(n_events, len(channels))``, compensated when asked.

    Only the requested columns of ``S⁻¹`` are applied, so gating two channels of a
    twenty-colour panel costs two matrix–vector products, not twenty.
    """
    cols = [sample.index(c) for c in channels]
    sp = resolve_spillover(sample, spillover)
    if sp is None:
        return np.array(sample.events[:, cols], dtype=np.float64)
    idx = _matrix_indices(sample, sp)
    inv = np.linalg.inv(sp.matrix)
    out = np.empty((sample.n_events, len(cols)))
    sub = None
    for k, c in enumerate(cols):
        if c in idx:
            if sub is None:
                sub = sample.events[:, idx]
            out[:, k] = sub @ inv[:, idx.index(c)]
        else:
            out[:, k] = sample.events[:, c]
    return out
