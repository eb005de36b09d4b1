"""How long an unanswering Dask scheduler takes to be reported, in one run.

``p53lab sweep --scheduler ADDRESS --timeout S`` must fail soon after ``S`` seconds when nothing
answers at ADDRESS. This script times both layers (``make_executor`` and the whole command) for
a free local port and prints the overrun beyond the timeout. A timing, so it lives here and not
in the test suite (the tests check the message and exit code only).

    python benchmarks/scheduler_timeout.py [--timeout 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path

from p53lab.cli import main
from p53lab.parallel import SchedulerUnreachableError, make_executor

SPEC = """\
name: timeout probe
model: {core: true}
times: [0, 1]
samples: 2
seed: 1
parameters:
  k_p53_syn: {lognormal: {cv: 0.1}}
"""


def _free_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def _time_executor(timeout: float) -> float:
    start = time.perf_counter()
    try:
        make_executor(scheduler=_free_address(), timeout_s=timeout)
    except SchedulerUnreachableError:
        return time.perf_counter() - start
    raise RuntimeError("a scheduler answered on a free port")


def _time_command(timeout: float, folder: Path) -> float:
    spec = folder / "probe.yaml"
    spec.write_text(SPEC)
    args = ["sweep", str(spec), "--scheduler", _free_address(), "--timeout", str(timeout)]
    start = time.perf_counter()
    code = main([*args, "--store", str(folder / "s.duckdb")])
    elapsed = time.perf_counter() - start
    if code != 2:
        raise RuntimeError(f"p53lab sweep exited {code}, expected 2")
    return elapsed


def run(timeout: float, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, fn in (
            ("make_executor", lambda: _time_executor(timeout)),
            ("p53lab sweep", lambda: _time_command(timeout, Path(tmp))),
        ):
            times = [fn() for _ in range(repeats)]
            med = statistics.median(times)
            print(
                f"{label:14s} timeout {timeout:g} s: median {med:.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f}); overrun {med - timeout:.2f} s"
            )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=1.0, help="scheduler timeout, s (1)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats per layer (3)")
    a = ap.parse_args()
    run(a.timeout, a.repeats)
