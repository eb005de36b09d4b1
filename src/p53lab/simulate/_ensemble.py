"""Ensembles: one model, many parameter sets / initial states / schedules, one call.

``simulate_ensemble`` compiles the model once and integrates every member. Two engines sit
behind it (see :mod:`p53lab.simulate._batch` for the design note):

- ``"batch"``: all members advance together through a vectorised Rosenbrock method with a
  generated sparse Jacobian and LU (the approach of the Kinetic PreProcessor, KPP); each
  member has its own step size, error control and status;
- ``"serial"``: member by member through the single-run solver (:func:`simulate`), for what
  the batch engine does not cover (``delay()``, SBML events) or when asked for.

``method="auto"`` picks the batch engine whenever the model allows it. Either way a member
whose integration fails is recorded with ``status="failed"`` and a message while the others
finish.
"""

from __future__ import annotations

import json
import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import ModelError, ParameterError, param_error
from ..model._model import Model
from ._compile import CompiledModel, compile_model, initial_vectors
from ._result import SimulationResult
from ._schedule import Schedule

__all__ = ["EnsembleResult", "simulate_ensemble"]

_METHODS = ("auto", "batch", "serial")
STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Outputs of every member at the same times.

    ``values`` has shape (members, times, outputs). ``varied`` holds, per varied name, the
    value each member used. A failed member keeps the rows it reached (NaN after that) and
    its ``message`` says why.
    """

    times: np.ndarray
    columns: tuple[str, ...]
    values: np.ndarray
    members: np.ndarray
    varied: dict[str, np.ndarray]
    status: np.ndarray
    message: tuple[str, ...]
    provenance: dict = field(default_factory=dict)
    time_units: str = "h"

    @property
    def n_members(self) -> int:
        return int(self.members.size)

    @property
    def ok(self) -> np.ndarray:
        return self.status == STATUS_OK

    @property
    def n_failed(self) -> int:
        return int(np.count_nonzero(~self.ok))

    def __getitem__(self, name: str) -> np.ndarray:
        """(members, times) array of one output."""
        try:
            return self.values[:, :, self.columns.index(name)]
        except ValueError:
            raise ParameterError(
                f"The ensemble has no column {name!r}. Columns: {', '.join(self.columns)}."
            ) from None

    def member(self, i: int) -> SimulationResult:
        """Member at position ``i`` as a :class:`SimulationResult`."""
        return SimulationResult(
            times=self.times,
            columns=self.columns,
            values=self.values[i],
            status=str(self.status[i]),
            message=self.message[i],
            provenance={**self.provenance, "member": int(self.members[i])},
            time_units=self.time_units,
        )

    # ------------------------------------------------------------------ tables
    def trajectories_table(self, time_column: str = "time"):
        """A pyarrow table with columns ``member, time, <outputs>``, one row per member and time."""
        import pyarrow as pa

        m, t, _ = self.values.shape
        cols = {
            "member": pa.array(np.repeat(self.members, t)),
            time_column: pa.array(np.tile(self.times, m)),
        }
        flat = self.values.reshape(m * t, -1)
        for k, name in enumerate(self.columns):
            cols[name] = pa.array(np.ascontiguousarray(flat[:, k]))
        return pa.table(cols)

    def parameters_table(self):
        """A pyarrow table: ``member, <every varied name>, status, message``."""
        import pyarrow as pa

        cols = {"member": pa.array(self.members)}
        for name, v in self.varied.items():
            cols[name] = pa.array(np.asarray(v, dtype=float))
        cols["status"] = pa.array(self.status.astype(str).tolist(), type=pa.string())
        cols["message"] = pa.array(list(self.message), type=pa.string())
        return pa.table(cols)

    def to_frames(self):
        """(trajectories, parameters) as pandas DataFrames."""
        return self.trajectories_table().to_pandas(), self.parameters_table().to_pandas()

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``trajectories.parquet`` and ``parameters.parquet`` (provenance in metadata)."""
        import pyarrow.parquet as pq

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        meta = {b"p53lab": json.dumps(self.provenance, default=str).encode()}
        paths = {}
        for name, table in (
            ("trajectories", self.trajectories_table()),
            ("parameters", self.parameters_table()),
        ):
            path = out / f"{name}.parquet"
            tmp = path.with_suffix(".parquet.partial")
            pq.write_table(table.replace_schema_metadata(meta), tmp)
            tmp.replace(path)  # a crash never leaves a half-written file under the real name
            paths[name] = path
        return paths

    def __repr__(self) -> str:
        return (
            f"EnsembleResult({self.n_members} members, {self.n_failed} failed, "
            f"{len(self.times)} times × {len(self.columns)} columns)"
        )


def _member_values(
    name: str, values, n: int | None, owner: str = "simulate_ensemble"
) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise param_error(owner, name, "a 1-D sequence of values, one per member", v.shape)
    if n is not None and v.size != n:
        raise ParameterError(
            f"{owner}: {name!r} has {v.size} values but the ensemble has {n} members; "
            "give one value per member."
        )
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.argmax(bad))
        raise ParameterError(
            f"{owner}: {name!r} has a non-finite value ({v[i]!r}) for member {i}; "
            "every member needs a finite value."
        )
    return v


def simulate_ensemble(
    model: Model,
    params: Mapping[str, Sequence[float] | np.ndarray] | None = None,
    *,
    n_members: int | None = None,
    schedule: Schedule | Sequence[Schedule] | None = None,
    times_h=None,
    t_end: float | None = None,
    points: int | None = None,
    outputs: Sequence[str] | None = None,
    members: Sequence[int] | np.ndarray | None = None,
    method: str = "auto",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 500_000,
    scheme: str = "rodas3",
    progress: Callable[[int, int], None] | None = None,
) -> EnsembleResult:
    """Simulate every member of an ensemble of ``model``.

    ``params`` maps names to one value per member: parameters and compartment sizes are set
    before initial assignments are evaluated, species set the initial value. Names not given
    keep the model's value. ``schedule`` is one :class:`Schedule` for all members or one per
    member. ``members`` labels the members (default 0..M-1). ``progress(done, total)`` is
    called as members finish (batch engine: as they reach the end time). ``method`` picks
    the engine (``"auto"``, ``"batch"`` or ``"serial"``), ``scheme`` the batch engine's
    Rosenbrock method (``"rodas3"`` or ``"ros4"``); ``max_steps`` bounds each member's steps.
    """
    if not isinstance(model, Model):
        raise ParameterError(
            f"simulate_ensemble needs a Model. Got {type(model).__name__} instead."
        )
    if method not in _METHODS:
        raise param_error("simulate_ensemble", "method", f"one of {_METHODS}", method)
    from ._batch import TABLEAUS

    if scheme not in TABLEAUS:
        raise param_error("simulate_ensemble", "scheme", f"one of {tuple(TABLEAUS)}", scheme)
    if not (isinstance(max_steps, int) and max_steps > 0):
        raise param_error("simulate_ensemble", "max_steps", "an integer > 0", max_steps)
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise param_error("simulate_ensemble", name, "a finite number > 0", v)
    params = dict(params or {})
    n = n_members
    for name, v in params.items():
        params[name] = _member_values(name, v, n)
        n = params[name].size
    if isinstance(schedule, Sequence) and not isinstance(schedule, Schedule):
        scheds = list(schedule)
        if n is not None and len(scheds) != n:
            raise ParameterError(
                f"simulate_ensemble: {len(scheds)} schedules for {n} members; give one "
                "schedule, or one per member."
            )
        n = len(scheds)
    else:
        scheds = None
    if members is not None:
        members = np.asarray(members, dtype=np.int64).ravel()
        if n is not None and members.size != n:
            raise ParameterError(
                f"simulate_ensemble: {members.size} member labels for {n} members."
            )
        n = members.size
    if n is None:
        raise ParameterError(
            "simulate_ensemble needs the ensemble's size: give params with one value per "
            "member, one schedule per member, members, or n_members."
        )
    if n < 1:
        raise param_error("simulate_ensemble", "n_members", ">= 1", n)
    if members is None:
        members = np.arange(n, dtype=np.int64)
    from ._solver import _output_columns, _times

    times = _times(times_h, t_end, points)
    cm = compile_model(model)
    cols = _output_columns(model, cm, outputs)
    out_idx = [cm.output_ids.index(c) for c in cols]
    for name in params:
        _target(model, cm, name)
    all_scheds = scheds if scheds is not None else [schedule or Schedule()]
    for sch in all_scheds:
        if not isinstance(sch, Schedule):
            raise ParameterError(
                f"simulate_ensemble: a schedule must be a Schedule. Got {type(sch).__name__}."
            )
        for ch in sch.changes:
            cm.index(ch.target)
    y0, p0 = initial_vectors(model, cm)
    Y0, P0 = _member_vectors(cm, y0, p0, params, n)

    engine = method
    if method == "auto":
        from ._batch import batch_supported

        engine = "batch" if batch_supported(model, cm) is None else "serial"
    start = _time.perf_counter()
    if engine == "batch":
        from ._batch import batch_supported, run_batch

        why = batch_supported(model, cm)
        if why is not None:
            raise ParameterError(f"The batch engine cannot run model {model.id!r}: {why}")
        values, status, message = run_batch(
            model, cm, Y0, P0, scheds or [schedule or Schedule()], times, out_idx,
            rtol=rtol, atol=atol, max_steps=max_steps, progress=progress, scheme=scheme,
        )  # fmt: skip
    else:
        values, status, message = _run_serial(
            cm, Y0, P0, scheds, schedule or Schedule(), times, out_idx, rtol, atol, progress
        )
    prov = {
        "model_id": model.id,
        "model_fingerprint": model.fingerprint(),
        "engine": engine,
        "scheme": scheme if engine == "batch" else "LSODA",
        "rtol": rtol,
        "atol": atol,
        "n_members": n,
        "varied": sorted(params),
        "schedule": (schedule or Schedule()).to_list() if scheds is None else "per member",
        "time_elapsed_s": _time.perf_counter() - start,
        "p53lab_version": __version__,
    }
    return EnsembleResult(
        times=times,
        columns=tuple(cols),
        values=values,
        members=members,
        varied=params,
        status=status,
        message=tuple(message),
        provenance=prov,
        time_units=model.time_units,
    )


def _target(model: Model, cm: CompiledModel, name: str) -> tuple[str, int]:
    try:
        return cm.index(name)
    except ModelError:
        import difflib

        close = difflib.get_close_matches(name, (*cm.param_ids, *cm.state_ids), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ModelError(
            f"Model {model.id!r} has no parameter or species {name!r} to vary.{hint}"
        ) from None


def _member_vectors(
    cm: CompiledModel, y0: np.ndarray, p0: np.ndarray, params: dict[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """(states × members, parameters × members) with initial assignments re-evaluated."""
    Y = np.repeat(y0[:, None], n, axis=1)
    P = np.repeat(p0[:, None], n, axis=1)
    state_set = []
    for name, v in params.items():
        where, idx = cm.index(name)
        if where == "p":
            P[idx] = v
        else:
            state_set.append((idx, v))
    if any(cm.index(nm)[0] == "p" for nm in params):
        # initial assignments may depend on the varied parameters: evaluate them per member
        Y, P = cm.initial(Y, P)
        Y = np.array(np.broadcast_to(Y, (len(cm.state_ids), n)), dtype=float)
        P = np.array(np.broadcast_to(P, (len(cm.param_ids), n)), dtype=float)
    for idx, v in state_set:
        Y[idx] = v
    return Y, P


def _run_serial(cm, Y0, P0, scheds, schedule, times, out_idx, rtol, atol, progress):
    from ._solver import SolverSettings, run_vectors

    settings = SolverSettings("LSODA", rtol, atol)
    n = Y0.shape[1]
    values = np.full((n, times.size, len(out_idx)), np.nan)
    status = np.full(n, STATUS_OK, dtype=object)
    message = [""] * n
    for i in range(n):
        sch = scheds[i] if scheds is not None else schedule
        values[i], status[i], message[i] = run_vectors(
            cm, Y0[:, i].copy(), P0[:, i].copy(), sch, times, out_idx, settings
        )
        if progress is not None:
            progress(i + 1, n)
    return values, status.astype(str), message
