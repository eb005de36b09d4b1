"""``p53lab sweep`` and ``p53lab runs``: contracts, exit codes, progress lines, kill and resume."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from p53lab.cli import main
from p53lab.io.store import ResultsStore
from p53lab.sweep import load_spec


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_runs_and_prints_progress_lines_and_a_summary(make_spec, tmp_path, capsys):
    spec = make_spec()
    store = tmp_path / "runs.duckdb"
    assert main(["sweep", str(spec), "--store", str(store)]) == 0
    out, err = capsys.readouterr()
    # stderr is not a terminal here: one plain line per committed chunk, no bar
    lines = err.strip().splitlines()
    assert len(lines) == 6
    for i, line in enumerate(lines, 1):
        assert re.fullmatch(rf"chunk {i}/6 committed \(\d+/32 members\)", line), line
    assert lines[-1].endswith("(32/32 members)")
    run_id = load_spec(spec).run_id
    assert f"run {run_id} (tiny sweep): complete, 32 of 32 members (32 ok, 0 failed)" in out
    assert f"store: {store}" in out

    # the same spec again: refused without --resume, a no-op with it
    assert main(["sweep", str(spec), "--store", str(store)]) == 2
    assert "Resume it with --resume" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--store", str(store), "--resume", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_run"] == 0 and report["chunks_skipped"] == 6
    assert report["members_ok"] == 32 and report["status"] == "complete"


def test_default_store_is_runs_duckdb_in_the_current_folder(make_spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = make_spec(samples=2, chunk_size=100)
    assert main(["sweep", str(spec)]) == 0
    assert (tmp_path / "runs.duckdb").is_file()
    assert main(["runs", "list"]) == 0


@pytest.mark.parametrize(
    ("keys", "text", "expected"),
    [
        ({}, "name: x\n  seed: 1\n", ["line 2, column 7: invalid YAML", "mapping values"]),
        ({"parameters": {"kf": {"lognormal": {"cv": 0.3}}}}, None, ["parameters.kf", "'k'"]),
        ({"parameters": {"k": {"lognormal": {"cv": -0.3}}}}, None, ["parameters.k", ">= 0"]),
        ({"model": "nowhere/tiny.xml"}, None, ["model", "nowhere/tiny.xml", "does not exist"]),
        ({"grid": {"u": "0, 1"}}, None, ["grid.u", "list"]),
    ],
)
def test_bad_specs_exit_2_with_a_clear_message(make_spec, capsys, keys, text, expected):
    spec = make_spec(**keys)
    if text is not None:
        spec.write_text(text)
    assert main(["sweep", str(spec), "--store", str(spec.with_suffix(".duckdb"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"p53lab: error: {spec}") and err.count("\n") == 1, err
    for part in expected:
        assert part in err, (part, err)
    assert "Traceback" not in err


def test_bad_flags_and_stores_exit_2(make_spec, tmp_path, capsys):
    spec = str(make_spec())
    with pytest.raises(SystemExit) as info:
        main(["sweep", spec, "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
    assert main(["sweep", spec, "--workers", "0"]) == 2
    assert "'--workers' parameter of p53lab sweep must be >= 1" in capsys.readouterr().err
    notes = tmp_path / "notes.duckdb"
    notes.write_text("not a database\n")
    assert main(["sweep", spec, "--store", str(notes)]) == 2
    assert f"{notes.name} is not a DuckDB database" in capsys.readouterr().err
    assert main(["runs", "list", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "No results store at" in capsys.readouterr().err
    assert main(["runs", "show", "abc", "--store", str(notes)]) == 2
    capsys.readouterr()


@pytest.mark.slow
def test_an_unanswering_scheduler_exits_2_naming_the_address(make_spec, tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    store = tmp_path / "s.duckdb"
    args = ["sweep", str(make_spec()), "--scheduler", address, "--timeout", "1"]
    assert main([*args, "--store", str(store)]) == 2
    assert not store.exists()  # nothing is created for a run that cannot start
    err = capsys.readouterr().err
    assert err.startswith(f"p53lab: error: No Dask scheduler answered at {address} within 1 s")
    assert "dask scheduler" in err and "Traceback" not in err


def test_runs_list_show_export_round_trip(make_spec, tmp_path, capsys):
    spec_path = make_spec(grid={"g": [0, 50]})  # half the members fail
    spec = load_spec(spec_path)
    store = tmp_path / "s.duckdb"
    assert main(["sweep", str(spec_path), "--store", str(store), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["members_failed"] == 16 and report["status"] == "complete"
    run_id = report["run_id"]

    assert main(["runs", "list", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert run_id in out and "tiny sweep" in out and "32/32" in out and "complete" in out
    assert main(["runs", "list", "--store", str(store), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["run_id"] == run_id and row["members_failed"] == 16

    assert main(["runs", "show", run_id[:6], "--store", str(store), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["run_id"] == run_id and info["chunks_done"] == 6
    assert info["varied"] == ["g", "k", "w"] and info["schedules"] == ["none", "pulse"]
    assert info["spec"]["seed"] == 3 and info["failures"][0]["members"] <= 16
    assert main(["runs", "show", run_id, "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert "32 of 32 (16 ok, 16 failed)" in text and "failed: " in text

    out_dir = tmp_path / "export"
    assert main(["runs", "export", run_id, "--out", str(out_dir), "--store", str(store)]) == 0
    capsys.readouterr()
    traj = pd.read_parquet(out_dir / "trajectories.parquet")
    params = pd.read_parquet(out_dir / "parameters.parquet")
    summ = pd.read_parquet(out_dir / "summaries.parquet")
    assert list(traj.columns) == ["member", "time", "x", "y", "a"]
    assert list(params.columns) == ["member", "g", "k", "w", "schedule", "status", "message"]
    assert list(summ.columns) == ["member", "x_auc", "y_time_above_0.2"]
    with ResultsStore(store, read_only=True) as s:
        pd.testing.assert_frame_equal(traj, s.trajectories(run_id).to_pandas(), check_exact=True)
        pd.testing.assert_frame_equal(params, s.parameters(run_id).to_pandas(), check_exact=True)
        pd.testing.assert_frame_equal(summ, s.summaries(run_id).to_pandas(), check_exact=True)
    design = spec.design()
    for name in spec.varied:
        assert np.array_equal(params[name].to_numpy(), design.params[name])
    assert (params["status"] == np.where(params["g"] == 50, "failed", "ok")).all()

    csv_dir = tmp_path / "csv"
    args = ["runs", "export", run_id, "--out", str(csv_dir), "--store", str(store)]
    assert main([*args, "--format", "csv"]) == 0
    back = pd.read_csv(csv_dir / "trajectories.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(back, traj, check_exact=True, check_dtype=False)
    assert main(["runs", "export", "nope", "--out", str(csv_dir), "--store", str(store)]) == 2
    assert "No run 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_killed_sweep_resumes_without_recomputing(make_spec, tmp_path, capsys):
    # 10 chunks of 8 members, each chunk a few hundredths of a second of serial integration
    spec_path = make_spec(
        samples=80,
        parameters={"k": {"lognormal": {"cv": 0.3}}, "w": {"uniform": [8, 12]}},
        schedules=None,
        grid=None,
        correlation=None,
        chunk_size=8,
        solver={"method": "serial", "rtol": 1e-8, "atol": 1e-10},
    )
    spec = load_spec(spec_path)
    store = tmp_path / "killed.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "p53lab.cli", "sweep", str(spec_path), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if sum("committed" in s for s in seen) == 2:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
    finally:
        watchdog.cancel()
        proc.kill()
        proc.communicate()  # closes the pipes
    assert proc.returncode == -signal.SIGKILL, seen

    with ResultsStore(store, read_only=True) as s:
        before = s.chunks(spec.run_id).set_index("chunk")["finished_at"]
        info = s.show_run(spec.run_id)
    assert 2 <= len(before) < 10, before
    assert info["status"] == "interrupted" and info["members_done"] == 8 * len(before)

    assert main(["sweep", str(spec_path), "--store", str(store), "--resume", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["chunks_skipped"] == len(before)
    assert report["chunks_run"] == 10 - len(before)  # only the missing chunks were computed
    assert captured.err.startswith(f"resuming: {len(before)}/10 chunks already committed")
    with ResultsStore(store, read_only=True) as s:
        after = s.chunks(spec.run_id).set_index("chunk")["finished_at"]
        n, distinct = s._con.execute(
            "SELECT count(*), count(DISTINCT member) FROM members WHERE run_id = ?",
            [spec.run_id],
        ).fetchall()[0]
        resumed = [s.trajectories(spec.run_id), s.parameters(spec.run_id), s.summaries(spec.run_id)]
    assert (after[before.index] == before).all()  # the early chunks were not rewritten
    assert sorted(after.index) == list(range(10))
    assert n == distinct == 80

    fresh = tmp_path / "fresh.duckdb"
    assert main(["sweep", str(spec_path), "--store", str(fresh)]) == 0
    capsys.readouterr()
    with ResultsStore(fresh, read_only=True) as s:
        whole = [s.trajectories(spec.run_id), s.parameters(spec.run_id), s.summaries(spec.run_id)]
    for a, b in zip(resumed, whole, strict=True):
        assert a.equals(b)


def test_failed_chunks_exit_1_and_say_how_to_finish(make_spec, tmp_path, capsys, monkeypatch):
    from p53lab.sweep import runner

    real = runner.run_chunk

    def broken(task):
        if task.chunk == 3:
            raise MemoryError("worker ran out of memory")
        return real(task)

    monkeypatch.setattr(runner, "run_chunk", broken)
    spec, store = str(make_spec()), str(tmp_path / "s.duckdb")
    assert main(["sweep", spec, "--store", store]) == 1
    out, err = capsys.readouterr()
    assert "chunk 3 failed, not committed: MemoryError: worker ran out of memory" in err
    assert "p53lab: error: 1 of 6 chunks not computed" in err and "resume" in err
    assert ": incomplete, 26 of 32 members" in out  # chunk 3 holds members 18-23
    monkeypatch.setattr(runner, "run_chunk", real)
    assert main(["sweep", spec, "--store", store, "--resume"]) == 0
    assert "1 chunks computed, 5 already stored" in capsys.readouterr().out


def test_the_commands_are_registered(capsys):
    from p53lab.cli import build_parser

    help_text = build_parser().format_help()
    assert "sweep" in help_text and "runs" in help_text
    assert main(["runs"]) == 0
    assert "list" in capsys.readouterr().out
