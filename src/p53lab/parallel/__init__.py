"""Executors: one injected object decides where the chunks of a sweep run.

The same driver code runs serially in this process, on a pool of local processes, or on a Dask
cluster (a :class:`distributed.LocalCluster`, or any scheduler by address), because it talks to
an :class:`Executor` only through one call::

    for key, outcome in executor.submit_all(fn, [(key, item), ...]):
        ...  # outcome is fn(item), or the exception fn raised

Why this interface and not ``concurrent.futures.Executor``: a sweep never needs futures, only
"run all of these and hand me each outcome as it finishes, in any order". Returning outcomes
(an exception is a value, not a raise) keeps one bad task from ending the loop, as habit 10
asks; yielding as tasks finish lets the driver commit each chunk at once. Every backend does
this with its engine's own machinery: :func:`concurrent.futures.as_completed` for processes,
:class:`distributed.as_completed` for Dask, whose scheduler recomputes a task that was on a
worker that died. There is no scheduling, retrying or bookkeeping of our own.

- :class:`SerialExecutor`: in this process, one task after another (the default).
- :class:`ProcessExecutor`: a :class:`~concurrent.futures.ProcessPoolExecutor` with the
  ``spawn`` start method (safe with threads, the same on every OS).
- :class:`DaskExecutor`: a ``distributed.Client`` on a scheduler address, or on a
  ``LocalCluster`` of single-threaded worker processes it starts and stops. Dask is imported in
  :mod:`p53lab.parallel._dask` only, and only when this executor is made.

``fn`` must be a picklable top-level function and ``item`` picklable data. This package
imports nothing of p53lab but :mod:`p53lab.errors`.
"""

from ._base import (
    Executor,
    SchedulerUnreachableError,
    SerialExecutor,
    make_executor,
)
from ._process import ProcessExecutor


def __getattr__(name: str):
    if name == "DaskExecutor":  # imports distributed only when asked for
        from ._dask import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SchedulerUnreachableError",
    "SerialExecutor",
    "make_executor",
]
