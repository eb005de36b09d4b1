"""Background jobs: a function run on a worker thread (or a child process) with progress
messages, a status, result files in its own folder, and cancellation.

A job function takes the :class:`Job` and returns a JSON-able result. It reports progress with
``job.progress("message")``, which also raises :class:`JobCancelled` once cancellation was
asked for, so long loops stop at their next message. A job that runs a command in a child
process (:meth:`Job.run_process`) is cancelled by terminating that process.

Jobs live in memory (a restarted server forgets them; their folders stay in the work folder).
The executor is the standard library's thread pool: the jobs are few and long, and the heavy
ones (studies, simulations) spend their time in NumPy/SciPy and compiled solvers.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import P53labError

__all__ = ["Job", "JobCancelled", "JobManager", "TooManyJobs"]

log = logging.getLogger("p53lab.web")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL = (DONE, FAILED, CANCELLED)
MAX_MESSAGES = 500  # the newest are kept; a chatty job cannot fill the memory


class JobCancelled(Exception):
    """Raised inside a job by :meth:`Job.progress` once cancellation was asked for."""


class TooManyJobs(P53labError, RuntimeError):
    """The job queue is full."""


@dataclass(eq=False)
class Job:
    id: str
    kind: str
    title: str
    folder: Path
    status: str = QUEUED
    messages: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: object = None
    error: str = ""
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _future: Future | None = field(default=None, repr=False)
    _process: subprocess.Popen | None = field(default=None, repr=False)

    # --------------------------------------------------------------- inside the job
    def progress(self, message: str) -> None:
        """Record a progress message; raises :class:`JobCancelled` when cancelled."""
        with self._lock:
            self.messages.append(str(message))
            del self.messages[:-MAX_MESSAGES]
        if self._cancel.is_set():
            raise JobCancelled()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run_process(self, argv: Sequence[str], timeout_s: float | None = None) -> tuple:
        """Run ``argv`` in a child process (no shell) in the job folder; each line it writes to
        stderr becomes a progress message. Returns (exit code, stdout, stderr). Cancelling the
        job terminates the process."""
        if self._cancel.is_set():
            raise JobCancelled()
        out_path, err_path = self.folder / "stdout.txt", self.folder / "stderr.txt"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=self.folder)
        self._process = proc
        t0, seen = time.monotonic(), 0
        try:
            while True:
                try:
                    proc.wait(timeout=0.5)
                    finished = True
                except subprocess.TimeoutExpired:
                    finished = False
                text = err_path.read_bytes()
                lines = text[seen:].split(b"\n")
                complete = lines if finished else lines[:-1]
                for line in complete:
                    seen += len(line) + 1
                    if line.strip():
                        with self._lock:
                            self.messages.append(line.decode(errors="replace").rstrip())
                            del self.messages[:-MAX_MESSAGES]
                if finished:
                    break
                # Cancellation is also checked here: a cancel that arrives while the process
                # is being started finds no process to terminate.
                if self._cancel.is_set():
                    proc.terminate()
                    proc.wait()
                    raise JobCancelled()
                if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                    proc.kill()
                    proc.wait()
                    raise P53labError(f"the command ran longer than {timeout_s:g} s; stopped.")
        finally:
            self._process = None
        if self._cancel.is_set():
            raise JobCancelled()
        stdout = out_path.read_bytes().decode(errors="replace")
        stderr = err_path.read_bytes().decode(errors="replace")
        return proc.returncode, stdout, stderr

    # --------------------------------------------------------------- outside
    def files(self) -> list[str]:
        """Result files, as paths relative to the job folder."""
        if not self.folder.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file()
        )

    def to_dict(self) -> dict:
        with self._lock:
            messages = list(self.messages)
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "messages": messages,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "elapsed_s": None
            if self.started is None
            else round((self.finished or time.time()) - self.started, 3),
            "error": self.error,
            "result": self.result,
            "files": self.files(),
        }


class JobManager:
    """Runs jobs on a thread pool; every job gets a folder under ``root``."""

    def __init__(self, root: Path, workers: int = 2, max_queued: int = 16) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_queued = max_queued
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="p53lab-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, title: str, fn: Callable[[Job], object]) -> Job:
        with self._lock:
            waiting = sum(j.status in (QUEUED, RUNNING) for j in self._jobs.values())
            if waiting >= self.max_queued:
                raise TooManyJobs(
                    f"{waiting} jobs are queued or running (the limit is {self.max_queued}). "
                    "Wait for some to finish or cancel them, then try again."
                )
            job_id = secrets.token_hex(8)
            folder = self.root / job_id
            folder.mkdir(mode=0o700)
            job = Job(id=job_id, kind=kind, title=title, folder=folder)
            self._jobs[job_id] = job
        job._future = self._pool.submit(self._run, job, fn)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def cancel(self, job: Job) -> None:
        job._cancel.set()
        if job._future is not None and job._future.cancel():  # still queued
            job.status, job.finished = CANCELLED, time.time()
            return
        proc = job._process
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def shutdown(self) -> None:
        for job in self.list():
            if job.status not in FINAL:
                self.cancel(job)
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, fn: Callable[[Job], object]) -> None:
        job.status, job.started = RUNNING, time.time()
        try:
            if job._cancel.is_set():
                raise JobCancelled()
            job.result = fn(job)
            job.status = DONE
        except JobCancelled:
            job.status = CANCELLED
        except P53labError as exc:
            job.error, job.status = str(exc), FAILED
        except Exception as exc:  # a job never takes the server down; the log has the trace
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.error = f"internal error ({type(exc).__name__}: {exc}); the server log has details."
            job.status = FAILED
        finally:
            job.finished = time.time()
