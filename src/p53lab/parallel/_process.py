"""Local worker processes through :class:`concurrent.futures.ProcessPoolExecutor`."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TypeVar

from ._base import _check_workers, _Closing

__all__ = ["ProcessExecutor"]

K = TypeVar("K")
A = TypeVar("A")
R = TypeVar("R")


class ProcessExecutor(_Closing):
    """``workers`` local processes started with ``spawn``; the pool starts on first use.

    Every task is submitted at once and outcomes are yielded as tasks finish
    (:func:`concurrent.futures.as_completed`). A worker process that dies breaks the pool:
    the tasks still in it come back as ``BrokenProcessPool`` outcomes (rerun them, e.g. by
    resuming the sweep); for recomputation on lost workers use :class:`DaskExecutor`.
    """

    def __init__(self, workers: int) -> None:
        self.workers = _check_workers("ProcessExecutor", workers)
        self.name = f"processes({self.workers})"
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def submit_all(
        self, fn: Callable[[A], R], items: Iterable[tuple[K, A]]
    ) -> Iterator[tuple[K, R | BaseException]]:
        """Submit every task to the pool; yield ``(key, outcome)`` as tasks finish."""
        pool = self._ensure_pool()
        futures: dict[Future, K] = {pool.submit(fn, item): key for key, item in items}
        try:
            for fut in as_completed(futures):
                key = futures.pop(fut)
                exc = fut.exception()
                yield key, (exc if exc is not None else fut.result())
        finally:
            for fut in futures:  # the caller stopped early: drop what has not started
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
