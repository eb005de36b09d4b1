"""Dask distributed: the one module of p53lab that imports :mod:`distributed`.

A :class:`DaskExecutor` holds a ``distributed.Client``. Tasks go to the scheduler with
``client.submit`` and come back through :class:`distributed.as_completed`. Resilience is
Dask's: when a worker dies, the scheduler hands its tasks (running, queued, or finished but
not yet fetched) to the other workers and a Nanny restarts the dead one; a task that keeps
killing workers ends as ``KilledWorker`` after ``distributed.scheduler.allowed-failures``
attempts, and that exception is the task's outcome.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ._base import (
    DEFAULT_TIMEOUT_S,
    SchedulerUnreachableError,
    _check_timeout,
    _check_workers,
    _Closing,
)

__all__ = ["DaskExecutor"]

K = TypeVar("K")
A = TypeVar("A")
R = TypeVar("R")


class DaskExecutor(_Closing):
    """Tasks on a Dask cluster: the scheduler at ``address``, or a new local cluster.

    ``address`` (``tcp://HOST:PORT``): connect to a running scheduler, waiting at most
    ``timeout_s`` seconds; no answer raises :class:`SchedulerUnreachableError` naming the
    address. Without it, start a ``LocalCluster`` of ``workers`` single-threaded worker
    processes (default: the number of CPUs), no dashboard, and stop it on :meth:`close`.
    The workers need p53lab importable (the same environment as this process).
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        from distributed import Client, LocalCluster

        timeout_s = _check_timeout("DaskExecutor", timeout_s)
        self._cluster = None
        if address is not None:
            if workers is not None:
                from ..errors import ParameterError

                raise ParameterError(
                    "DaskExecutor: give an address (a running cluster) or workers (a local "
                    f"cluster to start), not both. Got {address!r} and workers={workers!r}."
                )
            try:
                self.client = Client(address, timeout=timeout_s, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SchedulerUnreachableError(
                    f"No Dask scheduler answered at {address} within {timeout_s:g} s ({exc}). "
                    "Check that `dask scheduler` is running there, that the address and port "
                    "are right (e.g. tcp://HOST:8786) and that no firewall blocks the port; "
                    "or run locally with --workers N."
                ) from None
            self.name = f"dask({address})"
            return
        n = _check_workers("DaskExecutor", workers) if workers is not None else os.cpu_count()
        self._cluster = LocalCluster(
            n_workers=n or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = Client(self._cluster, timeout=timeout_s, set_as_default=False)
        self.name = f"dask(local, {n} workers)"

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address

    def submit_all(
        self, fn: Callable[[A], R], items: Iterable[tuple[K, A]]
    ) -> Iterator[tuple[K, R | BaseException]]:
        """Submit every task to the cluster; yield ``(key, outcome)`` as tasks finish."""
        from distributed import as_completed

        tag = f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex[:8]}"
        futures = {
            self.client.submit(fn, item, key=f"{tag}-{i}", pure=False): key
            for i, (key, item) in enumerate(items)
        }
        try:
            for fut in as_completed(list(futures), loop=self.client.loop):
                key = futures.pop(fut)
                try:
                    outcome = fut.result()
                except (Exception, asyncio.CancelledError) as exc:
                    outcome = exc
                del fut  # the result's memory on the cluster is freed with the last reference
                yield key, outcome
        finally:
            if futures:  # the caller stopped early: let the cluster drop the rest
                self.client.cancel(list(futures))

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
