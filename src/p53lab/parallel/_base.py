"""The executor contract, the serial executor and :func:`make_executor`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar, runtime_checkable

from ..errors import P53labError, ParameterError, param_error

__all__ = ["Executor", "SchedulerUnreachableError", "SerialExecutor", "make_executor"]

K = TypeVar("K")
A = TypeVar("A")
R = TypeVar("R")

#: Seconds to wait for a Dask scheduler to answer before giving up.
DEFAULT_TIMEOUT_S = 5.0
BACKENDS = ("processes", "dask")


class SchedulerUnreachableError(P53labError, ConnectionError):
    """No Dask scheduler answered at the given address within the timeout."""


@runtime_checkable
class Executor(Protocol):
    """Runs ``fn(item)`` for many items and yields each outcome as its task finishes.

    ``submit_all(fn, items)`` takes ``(key, item)`` pairs and yields ``(key, outcome)`` pairs
    in the order tasks finish, where ``outcome`` is ``fn(item)`` or the exception it raised.
    Closing the generator early cancels the tasks not yet started. ``close()`` releases
    workers; executors are context managers. ``name`` describes the executor for provenance
    (``"serial"``, ``"processes(4)"``, ``"dask(tcp://10.0.0.5:8786)"``).
    """

    name: str

    def submit_all(
        self, fn: Callable[[A], R], items: Iterable[tuple[K, A]]
    ) -> Iterator[tuple[K, R | BaseException]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class _Closing:
    """Context-manager methods shared by the executors."""

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class SerialExecutor(_Closing):
    """Runs every task in this process, in the order given; nothing to start or stop.

    Tasks run lazily, one per step of the iteration, so a caller that commits each outcome
    before asking for the next keeps everything done so far when it is interrupted.
    """

    name = "serial"

    def submit_all(
        self, fn: Callable[[A], R], items: Iterable[tuple[K, A]]
    ) -> Iterator[tuple[K, R | BaseException]]:
        """Run each task here, when the caller asks for the next outcome."""
        for key, item in items:
            try:
                outcome = fn(item)
            except Exception as exc:  # a task's failure is its outcome, not the caller's
                outcome = exc
            yield key, outcome

    def close(self) -> None:
        pass


def _check_workers(owner: str, workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise param_error(owner, "workers", "an integer >= 1", workers)
    return int(workers)


def _check_timeout(owner: str, timeout_s: Any) -> float:
    if (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, numbers.Real)
        or not math.isfinite(timeout_s)
        or timeout_s <= 0
    ):
        raise param_error(owner, "timeout_s", "a finite number of seconds > 0", timeout_s)
    return float(timeout_s)


def make_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    backend: str = "processes",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Executor:
    """The executor for the command-line choices ``--workers N`` / ``--scheduler ADDRESS``.

    Neither: :class:`SerialExecutor`. ``scheduler``: a :class:`DaskExecutor` connected to that
    address (waiting at most ``timeout_s`` seconds for it to answer). ``workers``: ``N`` local
    worker processes, a :class:`ProcessExecutor` (``backend="processes"``) or a Dask
    ``LocalCluster`` (``backend="dask"``). Giving both is an error.
    """
    owner = "make_executor"
    if workers is not None and scheduler is not None:
        raise ParameterError(
            "make_executor: give workers (local processes) or scheduler (a Dask cluster), "
            f"not both. Got workers={workers!r} and scheduler={scheduler!r}."
        )
    if backend not in BACKENDS:
        raise param_error(owner, "backend", f"one of {BACKENDS}", backend)
    timeout_s = _check_timeout(owner, timeout_s)
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise param_error(owner, "scheduler", "an address such as tcp://HOST:8786", scheduler)
        from ._dask import DaskExecutor

        return DaskExecutor(scheduler.strip(), timeout_s=timeout_s)
    if workers is None:
        return SerialExecutor()
    workers = _check_workers(owner, workers)
    if backend == "dask":
        from ._dask import DaskExecutor

        return DaskExecutor(workers=workers, timeout_s=timeout_s)
    from ._process import ProcessExecutor

    return ProcessExecutor(workers)
