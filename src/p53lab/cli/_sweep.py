"""``p53lab sweep`` and ``p53lab runs``: run declarative sweeps and read their results store.

``p53lab sweep SPEC.yaml [--workers N | --scheduler ADDRESS] [--store FILE.duckdb] [--resume]
[--json]`` runs the sweep serially in this process (no flag), on ``N`` local processes, or on
the Dask cluster whose scheduler is at ``ADDRESS``. Results go to ``--store``, by default
``runs.duckdb`` in the current folder (the same default as ``p53lab runs``, so the two
commands meet without flags). On a terminal a progress bar with ETA appears once a run takes
more than a couple of seconds; otherwise (a pipe, a log file) each committed chunk prints one
line to stderr: ``chunk 3/20 committed (1500/10000 members)``. The summary goes to stdout
(``--json``: as JSON). Exit status: 0 when every chunk is in (failed members are results), 1
when some chunks could not be computed (resume to retry them), 2 for bad input.

``p53lab runs list|show RUN_ID|export RUN_ID --out DIR`` read a store; a unique prefix of a
run id is enough.
"""

from __future__ import annotations

import json
import sys

DEFAULT_STORE = "runs.duckdb"
EXIT_INCOMPLETE = 1


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep described in YAML into a results store",
        description="Run a declarative sweep (see p53lab.sweep.spec for the YAML keys): "
        "members are drawn up-front from the seed, simulated in chunks and each chunk is "
        "committed to the store as it finishes, so an interrupted run resumes where it stopped.",
    )
    p.add_argument("spec", metavar="SPEC.yaml", help="the sweep spec")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="start a local Dask cluster of N single-threaded worker processes (see --backend)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster with this scheduler (e.g. tcp://10.0.0.5:8786)",
    )
    p.add_argument(
        "--store",
        default=DEFAULT_STORE,
        metavar="FILE.duckdb",
        help=f"results store (default: {DEFAULT_STORE} in the current folder)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue this spec's run in the store: only chunks not yet committed are computed",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--backend",
        choices=("dask", "processes"),
        default="dask",
        help="what --workers starts: a local Dask cluster (default) or a plain process pool",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for the Dask scheduler to answer (default 5)",
    )
    p.set_defaults(func=_sweep)

    r = sub.add_parser("runs", help="list, show and export the runs in a results store")
    rs = r.add_subparsers(dest="runs_command", metavar="WHAT")
    store_help = f"results store (default: {DEFAULT_STORE} in the current folder)"

    ls = rs.add_parser("list", help="every run in the store, oldest first")
    ls.add_argument("--store", default=DEFAULT_STORE, metavar="FILE.duckdb", help=store_help)
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=_list)

    sh = rs.add_parser("show", help="one run: status, progress, timing, failures, spec")
    sh.add_argument("run_id", metavar="RUN_ID", help="run id (or a unique prefix)")
    sh.add_argument("--store", default=DEFAULT_STORE, metavar="FILE.duckdb", help=store_help)
    sh.add_argument("--json", action="store_true", help="print JSON")
    sh.set_defaults(func=_show)

    ex = rs.add_parser(
        "export",
        help="write a run's trajectories, parameters and summaries as Parquet or CSV",
        description="Write DIR/trajectories (member, time, <outputs>), DIR/parameters "
        "(member, <varied>, status, message), DIR/summaries (member, <summaries>) and "
        "DIR/run.json.",
    )
    ex.add_argument("run_id", metavar="RUN_ID", help="run id (or a unique prefix)")
    ex.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    ex.add_argument("--store", default=DEFAULT_STORE, metavar="FILE.duckdb", help=store_help)
    ex.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    ex.set_defaults(func=_export)
    r.set_defaults(func=lambda a: r.print_help())


# ------------------------------------------------------------------------------- sweep
def _sweep(args) -> int:
    from ..errors import param_error
    from ..io.store import ResultsStore
    from ..parallel import make_executor
    from ..sweep import load_spec, run_sweep

    owner = "p53lab sweep"
    if args.workers is not None and args.workers < 1:
        raise param_error(owner, "--workers", ">= 1", args.workers)
    if not args.timeout > 0:
        raise param_error(owner, "--timeout", "> 0 seconds", args.timeout)
    spec = load_spec(args.spec)  # every spec error before any worker starts
    from ._progress import ChunkProgress

    progress = ChunkProgress("members", "member", announce_resume=True)
    with (  # the executor first: an unanswering scheduler leaves no empty store behind
        make_executor(
            args.workers, args.scheduler, backend=args.backend, timeout_s=args.timeout
        ) as executor,
        ResultsStore(args.store) as store,
    ):
        try:
            report = run_sweep(spec, executor, store, resume=args.resume, progress=progress)
        finally:
            progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(
            f"run {report.run_id} ({report.name}): {report.status}, {report.members_done} of "
            f"{report.members_total} members ({report.members_ok} ok, {report.members_failed} "
            f"failed); {report.chunks_run} chunks computed, {report.chunks_skipped} already "
            f"stored; {report.elapsed_s:.1f} s on {report.executor}\nstore: {report.store}"
        )
    if not report.complete:
        print(f"p53lab: error: {report.message}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


# ------------------------------------------------------------------------------- runs
def _list(args) -> int:
    from ..io.store import list_runs

    df = list_runs(args.store)
    if args.json:
        rows = df.assign(created=df["created"].map(lambda t: t.isoformat() + "Z"))
        print(json.dumps(rows.to_dict(orient="records"), indent=2, ensure_ascii=False))
        return 0
    if df.empty:
        print(f"no runs in {args.store}")
        return 0
    table = df.assign(
        created=df["created"].map(lambda t: t.strftime("%Y-%m-%d %H:%M")),
        members=[f"{d}/{t}" for d, t in zip(df["members_done"], df["members_total"], strict=True)],
        chunks=[f"{d}/{t}" for d, t in zip(df["chunks_done"], df["chunks_total"], strict=True)],
        failed=df["members_failed"],
    )[["run_id", "name", "status", "members", "failed", "chunks", "created"]]
    print(table.to_string(index=False))
    return 0


def _show(args) -> int:
    from ..io.store import show_run

    info = show_run(args.store, args.run_id)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    status = info["status"] + (f" ({info['message']})" if info["message"] else "")
    lines = [
        ("run", f"{info['run_id']} ({info['name']})"),
        ("status", status),
        (
            "members",
            f"{info['members_done']} of {info['members_total']} ({info['members_ok']} ok, "
            f"{info['members_failed']} failed)",
        ),
        ("chunks", f"{info['chunks_done']} of {info['chunks_total']} ({info['chunk_size']} each)"),
        ("created", info["created"]),
        ("last chunk", info["last_chunk_at"] or "-"),
        ("compute", "-" if info["compute_s"] is None else f"{info['compute_s']:.1f} s"),
        ("model", f"{info['model_id']} ({info['model_fingerprint'][:12]})"),
        ("varied", ", ".join(info["varied"]) or "-"),
        ("schedules", ", ".join(info["schedules"] or []) or "-"),
        ("outputs", ", ".join(info["outputs"])),
        ("summaries", ", ".join(info["summaries"]) or "-"),
        ("times", f"{len(info['times'])} from {info['times'][0]:g} to {info['times'][-1]:g}"),
        ("executor", info["executor"] or "-"),
        ("p53lab", f"{info['p53lab_version']} on {info['host']}"),
        ("store", info["store"]),
    ]
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k:<{width}}  {v}")
    for f in info["failures"]:
        print(f"failed: {f['members']} member(s), first {f['first_member']}: {f['message']}")
    return 0


def _export(args) -> int:
    from ..io.store import export_run

    paths = export_run(args.store, args.run_id, args.out, args.format)
    names = ", ".join(p.name for p in paths.values())
    print(f"p53lab: wrote {names} → {args.out}", file=sys.stderr)
    return 0
