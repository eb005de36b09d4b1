"""Sweeps on Dask distributed: the serial numbers, and survival of a killed worker."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from p53lab.io.store import ResultsStore
from p53lab.parallel import DaskExecutor, ProcessExecutor
from p53lab.sweep import load_spec, run_sweep

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dask2():
    """A LocalCluster of 2 single-threaded worker processes (with nannies that restart them)."""
    with DaskExecutor(workers=2) as ex:
        yield ex


def _tables(path, run_id):
    with ResultsStore(path, read_only=True) as store:
        traj = store.trajectories(run_id)
        params = store.parameters(run_id).to_pandas()
        summ = store.summaries(run_id).to_pandas()
        counts = store._con.execute(
            "SELECT count(*), count(DISTINCT member) FROM members WHERE run_id = ?", [run_id]
        ).fetchall()[0]
        chunks = store.chunks(run_id)
    cube = np.column_stack([traj.column(i).to_numpy() for i in range(traj.num_columns)])
    return cube, params, summ, counts, chunks


def test_dask_gives_the_numbers_of_serial_and_process_runs(make_spec, tmp_path, dask2):
    spec = load_spec(make_spec())
    serial = run_sweep(spec, None, tmp_path / "serial.duckdb")
    with ProcessExecutor(2) as ex:
        pooled = run_sweep(spec, ex, tmp_path / "pool.duckdb")
    on_dask = run_sweep(spec, dask2, tmp_path / "dask.duckdb")
    assert on_dask.complete and on_dask.executor == "dask(local, 2 workers)"
    assert serial.run_id == pooled.run_id == on_dask.run_id
    ref = _tables(tmp_path / "serial.duckdb", spec.run_id)
    for name in ("pool", "dask"):
        got = _tables(tmp_path / f"{name}.duckdb", spec.run_id)
        assert np.array_equal(got[0], ref[0], equal_nan=True), name  # trajectories
        for col in ref[1].columns:  # parameters, status and message
            assert np.array_equal(got[1][col].to_numpy(), ref[1][col].to_numpy()), (name, col)
        assert np.array_equal(got[2].to_numpy(), ref[2].to_numpy(), equal_nan=True), name
        assert got[3] == (32, 32)
    assert len(set(_tables(tmp_path / "pool.duckdb", spec.run_id)[4]["worker"])) == 2


def test_a_killed_dask_worker_loses_no_member(make_spec, tmp_path, dask2):
    # 12 chunks of 10 members, each a few tenths of a second (w sets the work): a worker is
    # killed with SIGKILL as soon as the first chunk is committed, while others are running
    spec = load_spec(
        make_spec(
            samples=60,
            parameters={"k": {"lognormal": {"cv": 0.3}}, "w": {"uniform": [8, 12]}},
            schedules=None,
            chunk_size=10,
            solver={"method": "serial", "rtol": 1e-8, "atol": 1e-10},
        )
    )
    assert spec.n_chunks == 12
    killed: dict[str, int] = {}
    after_kill: list[int] = []

    def kill_one(ev):
        if ev.event == "committed" and not killed:
            pids = dask2.client.run(os.getpid)
            addr, pid = sorted(pids.items())[0]
            os.kill(pid, signal.SIGKILL)
            killed[addr] = pid
        elif ev.event == "committed":
            after_kill.append(ev.chunk)

    report = run_sweep(spec, dask2, tmp_path / "dask.duckdb", progress=kill_one)
    assert killed and len(after_kill) >= 5  # the kill came while most chunks were pending
    assert report.complete and report.errors == ()
    assert report.members_done == spec.n_members == 120
    _, params, _, counts, chunks = _tables(tmp_path / "dask.duckdb", spec.run_id)
    assert counts == (120, 120)  # every member exactly once
    assert sorted(params["member"]) == list(range(120))
    assert sorted(chunks["chunk"]) == list(range(12))
    (pid,) = killed.values()
    assert pid not in set(dask2.client.run(os.getpid).values())  # the nanny started a new one
    # and the numbers equal an undisturbed serial run's
    serial = run_sweep(spec, None, tmp_path / "serial.duckdb")
    assert serial.complete
    ref = _tables(tmp_path / "serial.duckdb", spec.run_id)
    assert np.array_equal(_tables(tmp_path / "dask.duckdb", spec.run_id)[0], ref[0])
