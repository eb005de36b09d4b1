"""Declarative parameter sweeps: a YAML spec, chunks on any executor, results in a store.

Run one from Python (the command line is ``p53lab sweep SPEC.yaml``)::

    from p53lab.parallel import make_executor
    from p53lab.sweep import load_spec, run_sweep

    spec = load_spec("examples/sweeps/biomd252_kf.yaml")
    with make_executor(workers=4) as executor:
        report = run_sweep(spec, executor, "runs.duckdb")
    report.status, report.members_ok        # ('complete', 200)

:mod:`p53lab.sweep.spec` reads and validates the YAML (every error names the file and the
key) and numbers the members; :mod:`p53lab.sweep.runner` drives the chunks through an
executor from :mod:`p53lab.parallel` into a :class:`~p53lab.io.store.ResultsStore`. The same
spec gives the same numbers serially, on local processes or on a Dask cluster, and an
interrupted run resumes without recomputing what was committed.
"""

from .runner import (
    ChunkResult,
    ChunkTask,
    SweepProgress,
    SweepReport,
    run_chunk,
    run_sweep,
)
from .spec import (
    DEFAULT_CHUNK_SIZE,
    ModelSource,
    SweepDesign,
    SweepSpec,
    load_spec,
    parse_spec,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkResult",
    "ChunkTask",
    "ModelSource",
    "SweepDesign",
    "SweepProgress",
    "SweepReport",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "run_chunk",
    "run_sweep",
]
