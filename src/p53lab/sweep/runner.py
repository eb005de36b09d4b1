"""Running a sweep: the driver, its chunks, and the task that simulates one chunk.

:func:`run_sweep` is the driver. It draws every member's values up-front
(:meth:`SweepSpec.design`), splits the members into chunks of ``chunk_size``, hands each chunk
to the injected executor (:mod:`p53lab.parallel`) as a :class:`ChunkTask`, and commits each
:class:`ChunkResult` to the results store (:mod:`p53lab.io.store`) as soon as it arrives, in one
transaction. Only the driver writes; workers return plain arrays.

:func:`run_chunk` is the task: a top-level function (picklable by reference) that rebuilds the
model from its :class:`~p53lab.sweep.spec.ModelSource` (cached per process, so a worker builds
and compiles each model once), calls :func:`~p53lab.simulate.simulate_ensemble` for the chunk's
members and computes the summaries there, so only numbers travel back.

A member whose integration fails is data (status ``failed`` and the solver's message); a chunk
whose task raised (a worker that could not build the model, a task Dask gave up on) is left
uncommitted and reported, the other chunks go on, and the run ends ``incomplete``: running it
again with ``resume=True`` computes exactly the chunks that are missing.

Run identity is the spec's hash (:attr:`SweepSpec.run_id`). Starting a run whose id is already
in the store is an error unless ``resume=True``; resuming when the store holds a run of the
same name with another spec is an error too (the spec changed since), so two sweeps never mix.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..io.store import (
    STATUS_COMPLETE,
    STATUS_INCOMPLETE,
    STATUS_INTERRUPTED,
    ResultsStore,
)
from ..model import Model
from ..parallel import Executor, SerialExecutor
from ..simulate import Schedule, simulate_ensemble
from ..simulate.summary import SummarySpec
from .spec import ModelSource, SweepSpec, load_spec

__all__ = [
    "ChunkResult",
    "ChunkTask",
    "SweepProgress",
    "SweepReport",
    "run_chunk",
    "run_sweep",
]


# ----------------------------------------------------------------------------- the task
@dataclass(frozen=True, eq=False)
class ChunkTask:
    """Everything a worker needs to simulate one chunk; plain, picklable data."""

    run_id: str
    chunk: int
    model: ModelSource
    members: np.ndarray
    params: dict[str, np.ndarray]
    schedules: tuple[Schedule, ...] | None
    times: np.ndarray
    outputs: tuple[str, ...]
    summaries: tuple[SummarySpec, ...] = ()
    method: str = "auto"
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """A simulated chunk: ``values`` (members, times, outputs), per-member status, summaries."""

    chunk: int
    members: np.ndarray
    columns: tuple[str, ...]
    values: np.ndarray
    status: tuple[str, ...]
    message: tuple[str, ...]
    summaries: dict[str, np.ndarray]
    elapsed_s: float
    worker: str


_MODELS: dict[str, Model] = {}  # per process: ModelSource.key -> Model


def _model_for(source: ModelSource) -> Model:
    model = _MODELS.get(source.key)
    if model is None:
        model = _MODELS[source.key] = source.build()
    return model


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk (the executor's task function; runs on a worker)."""
    start = time.perf_counter()
    model = _model_for(task.model)
    res = simulate_ensemble(
        model,
        params=task.params,
        schedule=list(task.schedules) if task.schedules is not None else None,
        times_h=task.times,
        outputs=list(task.outputs),
        members=task.members,
        method=task.method,
        rtol=task.rtol,
        atol=task.atol,
    )
    summaries = {s.name: s.compute(res.times, res[s.output]) for s in task.summaries}
    return ChunkResult(
        chunk=task.chunk,
        members=np.asarray(res.members, dtype=np.int64),
        columns=tuple(res.columns),
        values=np.asarray(res.values, dtype=float),
        status=tuple(str(s) for s in res.status),
        message=tuple(res.message),
        summaries=summaries,
        elapsed_s=time.perf_counter() - start,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


# ----------------------------------------------------------------------------- the driver
@dataclass(frozen=True)
class SweepProgress:
    """What :func:`run_sweep` tells its ``progress`` callback.

    ``event`` is ``"start"`` (once, counts include chunks committed by an earlier run),
    ``"committed"`` (chunk ``chunk`` is in the store) or ``"failed"`` (chunk ``chunk``'s task
    raised; ``message`` says what).
    """

    event: str
    run_id: str
    chunk: int | None
    chunks_done: int
    chunks_total: int
    members_done: int
    members_total: int
    members_failed: int
    message: str = ""


@dataclass(frozen=True)
class SweepReport:
    """The outcome of :func:`run_sweep`; ``errors`` lists (chunk, message) of failed tasks."""

    run_id: str
    name: str
    status: str
    message: str
    store: str
    executor: str
    members_total: int
    members_done: int
    members_failed: int
    chunks_total: int
    chunks_done: int
    chunks_run: int
    chunks_skipped: int
    elapsed_s: float
    errors: tuple[tuple[int, str], ...] = field(default=())

    @property
    def members_ok(self) -> int:
        return self.members_done - self.members_failed

    @property
    def complete(self) -> bool:
        return self.status == STATUS_COMPLETE

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "store": self.store,
            "executor": self.executor,
            "members_total": self.members_total,
            "members_done": self.members_done,
            "members_ok": self.members_ok,
            "members_failed": self.members_failed,
            "chunks_total": self.chunks_total,
            "chunks_done": self.chunks_done,
            "chunks_run": self.chunks_run,
            "chunks_skipped": self.chunks_skipped,
            "elapsed_s": round(self.elapsed_s, 3),
            "errors": [{"chunk": c, "message": m} for c, m in self.errors],
        }


def run_sweep(
    spec: SweepSpec | str | Path,
    executor: Executor | None,
    store: ResultsStore | str | Path,
    *,
    resume: bool = False,
    progress: Callable[[SweepProgress], None] | None = None,
) -> SweepReport:
    """Run (or with ``resume=True`` continue) a sweep; every finished chunk is committed at once.

    ``spec`` is a :class:`SweepSpec` or the path of its YAML file; ``executor`` an executor
    from :mod:`p53lab.parallel` (None: in this process); ``store`` a :class:`ResultsStore` or
    the path of one (opened and closed here). ``progress`` is called with a
    :class:`SweepProgress` at the start and after every chunk. The executor is not closed.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if not isinstance(store, ResultsStore):
        with ResultsStore(store) as opened:
            return run_sweep(spec, executor, opened, resume=resume, progress=progress)
    executor = executor if executor is not None else SerialExecutor()
    started = time.perf_counter()
    run_id = spec.run_id
    _open_run(spec, store, executor, resume)

    committed = store.committed_chunks(run_id)
    pending = [c for c in range(spec.n_chunks) if c not in committed]
    design = spec.design()
    rec = store.find_run(run_id)
    state = {
        "done": int(rec["members_done"]),
        "failed": int(rec["members_failed"]),
        "chunks": len(committed),
    }

    def tell(event: str, chunk: int | None, message: str = "") -> None:
        if progress is not None:
            progress(
                SweepProgress(
                    event,
                    run_id,
                    chunk,
                    state["chunks"],
                    spec.n_chunks,
                    state["done"],
                    spec.n_members,
                    state["failed"],
                    message,
                )
            )

    def tasks() -> Iterator[tuple[int, ChunkTask]]:
        for c in pending:
            lo, hi = spec.chunk_bounds(c)
            sched = None
            if design.schedule_index is not None:
                sched = tuple(spec.schedules[i][1] for i in design.schedule_index[lo:hi])
            yield (
                c,
                ChunkTask(
                    run_id=run_id,
                    chunk=c,
                    model=spec.model_source,
                    members=design.members[lo:hi],
                    params={k: v[lo:hi] for k, v in design.params.items()},
                    schedules=sched,
                    times=spec.times,
                    outputs=spec.outputs,
                    summaries=spec.summaries,
                    method=spec.method,
                    rtol=spec.rtol,
                    atol=spec.atol,
                ),
            )

    tell("start", None)
    errors: list[tuple[int, str]] = []
    try:
        for chunk, outcome in executor.submit_all(run_chunk, tasks()):
            problem = _check(outcome, spec, design, chunk)
            if problem:
                errors.append((chunk, problem))
                tell("failed", chunk, problem)
                continue
            lo, hi = spec.chunk_bounds(chunk)
            sched_names = None
            if design.schedule_index is not None:
                names = spec.schedule_names
                sched_names = [names[i] for i in design.schedule_index[lo:hi]]
            if store.commit_chunk(
                run_id,
                chunk,
                members=outcome.members,
                params={k: design.params[k][lo:hi] for k in spec.varied},
                status=outcome.status,
                message=outcome.message,
                times=spec.times,
                outputs=spec.outputs,
                values=outcome.values,
                summaries=outcome.summaries,
                schedules=sched_names,
                elapsed_s=outcome.elapsed_s,
                worker=outcome.worker,
            ):
                state["done"] += hi - lo
                state["failed"] += sum(s != "ok" for s in outcome.status)
                state["chunks"] += 1
                tell("committed", chunk)
    except BaseException as exc:  # interrupted: what is committed stays; mark the run
        store.set_status(run_id, STATUS_INTERRUPTED, f"stopped by {type(exc).__name__}")
        raise

    done = store.committed_chunks(run_id)
    rec = store.find_run(run_id)
    failed = int(rec["members_failed"])
    if len(done) == spec.n_chunks:
        status = STATUS_COMPLETE
        message = f"{failed} of {spec.n_members} members failed" if failed else ""
    else:
        status = STATUS_INCOMPLETE
        missing = spec.n_chunks - len(done)
        first = f"; first error (chunk {errors[0][0]}): {errors[0][1]}" if errors else ""
        message = (
            f"{missing} of {spec.n_chunks} chunks not computed{first}. Committed chunks are "
            "kept; resume the run to compute the rest."
        )
    store.set_status(run_id, status, message)
    return SweepReport(
        run_id=run_id,
        name=spec.name,
        status=status,
        message=message,
        store=str(store.path),
        executor=executor.name,
        members_total=spec.n_members,
        members_done=int(rec["members_done"]),
        members_failed=failed,
        chunks_total=spec.n_chunks,
        chunks_done=len(done),
        chunks_run=len(done) - len(committed),
        chunks_skipped=len(committed),
        elapsed_s=time.perf_counter() - started,
        errors=tuple(errors),
    )


def _open_run(spec: SweepSpec, store: ResultsStore, executor: Executor, resume: bool) -> None:
    run_id = spec.run_id
    existing = store.find_run(run_id)
    if existing is not None:
        if existing["spec_hash"] != spec.spec_hash:
            raise ParameterError(
                f"The store {store.path} holds a run {run_id!r} with another spec (the ids "
                "collide). Use another --store."
            )
        if not resume:
            raise ParameterError(
                f"The sweep {spec.name!r} is already in {store.path} as run {run_id} "
                f"({existing['status']}, {existing['members_done']}/{existing['members_total']} "
                "members). Resume it with --resume (only missing chunks are computed), or use "
                "another --store."
            )
        store.resume_run(run_id, executor.name)
        return
    if resume:
        others = [r for r in store.runs_named(spec.name) if r["spec_hash"] != spec.spec_hash]
        if others:
            old = others[0]
            changed = _changed_keys(old["spec"], spec.normalised())
            raise ParameterError(
                f"Cannot resume {spec.name!r}: the store {store.path} holds run "
                f"{old['run_id']} of that name with a different spec (changed: "
                f"{', '.join(changed) or 'the model file or defaults'}). Resuming would mix "
                "two sweeps; undo the change to resume it, or run without --resume to start "
                "a new run."
            )
    store.create_run(
        run_id,
        name=spec.name,
        spec=spec.record(),
        spec_hash=spec.spec_hash,
        model_id=spec.model.id,
        model_fingerprint=spec.model.fingerprint(),
        members_total=spec.n_members,
        chunks_total=spec.n_chunks,
        chunk_size=spec.chunk_size,
        times=spec.times,
        outputs=spec.outputs,
        varied=spec.varied,
        summaries=[s.name for s in spec.summaries],
        schedules=spec.schedule_names,
        executor=executor.name,
    )


def _changed_keys(old: dict, new: dict) -> list[str]:
    return sorted(k for k in new if old.get(k) != new[k])


def _check(outcome, spec: SweepSpec, design, chunk: int) -> str:
    """'' when ``outcome`` is a usable result for ``chunk``; else what is wrong with it."""
    if isinstance(outcome, BaseException):
        return f"{type(outcome).__name__}: {outcome}"
    if not isinstance(outcome, ChunkResult):
        return f"the task returned {type(outcome).__name__}, not a ChunkResult"
    lo, hi = spec.chunk_bounds(chunk)
    if not np.array_equal(outcome.members, design.members[lo:hi]):
        return "the task returned other members than it was given"
    if outcome.columns != tuple(spec.outputs):
        return f"the task returned columns {outcome.columns}, not {spec.outputs}"
    return ""
