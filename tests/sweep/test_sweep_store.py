"""The results store: exact round trips, one transaction per chunk, clear errors on bad files."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from p53lab.errors import FileFormatError, ParameterError
from p53lab.io.store import SCHEMA_VERSION, ResultsStore

TIMES = np.array([0.0, 0.5, 1.0, 2.0])
OUTPUTS = ("p", "mdm2", "x")


def _run(store: ResultsStore, run_id: str = "r1") -> None:
    store.create_run(
        run_id,
        name="demo",
        spec={"name": "demo"},
        spec_hash=run_id * 4,
        model_id="m",
        model_fingerprint="f" * 64,
        members_total=6,
        chunks_total=2,
        chunk_size=3,
        times=TIMES,
        outputs=OUTPUTS,
        varied=("k", "d"),
        summaries=("p_auc",),
        schedules=("a", "b"),
    )


def _chunk(c: int) -> dict:
    rng = np.random.default_rng(c)
    members = np.arange(3 * c, 3 * c + 3)
    values = rng.normal(size=(3, TIMES.size, len(OUTPUTS)))
    values[1, 2:, :] = np.nan  # a failed member keeps the rows it reached
    return {
        "members": members,
        "params": {"k": rng.random(3), "d": rng.random(3)},
        "status": ["ok", "failed", "ok"],
        "message": ["", "step size too small", ""],
        "times": TIMES,
        "outputs": OUTPUTS,
        "values": values,
        "summaries": {"p_auc": rng.random(3)},
        "schedules": ["a", "b", "a"],
        "elapsed_s": 0.25,
        "worker": "host:1",
    }


def test_round_trip_is_exact(tmp_path):
    chunks = [_chunk(0), _chunk(1)]
    with ResultsStore(tmp_path / "s.duckdb") as store:
        _run(store)
        assert [store.commit_chunk("r1", c, **ch) for c, ch in enumerate(chunks)] == [True] * 2
        traj = store.trajectories("r1").to_pandas()
        params = store.parameters("r1").to_pandas()
        summ = store.summaries("r1").to_pandas()
        info = store.show_run("r")  # a unique prefix is enough
    assert list(traj.columns) == ["member", "time", *OUTPUTS]
    cube = traj[list(OUTPUTS)].to_numpy().reshape(6, TIMES.size, len(OUTPUTS))
    expected = np.concatenate([ch["values"] for ch in chunks])
    assert np.array_equal(cube, expected, equal_nan=True)
    assert np.array_equal(traj["time"].to_numpy(), np.tile(TIMES, 6))
    assert list(params.columns) == ["member", "k", "d", "schedule", "status", "message"]
    assert np.array_equal(params["k"], np.concatenate([ch["params"]["k"] for ch in chunks]))
    assert list(params["status"]) == ["ok", "failed", "ok"] * 2
    assert params["message"][1] == "step size too small"
    assert np.array_equal(
        summ["p_auc"], np.concatenate([ch["summaries"]["p_auc"] for ch in chunks])
    )
    assert info["members_done"] == 6 and info["members_failed"] == 2 and info["chunks_done"] == 2
    assert info["failures"] == [{"message": "step size too small", "members": 2, "first_member": 1}]


def _counts(store, run_id="r1"):
    return tuple(
        store._con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchall()[0][0]
        for t in ("members", "trajectories", "summaries", "chunks")
    )


def test_a_chunk_is_stored_once_and_all_or_nothing(tmp_path):
    with ResultsStore(tmp_path / "s.duckdb") as store:
        _run(store)
        assert store.commit_chunk("r1", 0, **_chunk(0))
        one = _counts(store)
        assert one == (3, 3 * TIMES.size * len(OUTPUTS), 3, 1)
        assert not store.commit_chunk("r1", 0, **_chunk(0))  # already committed: no-op
        # the same members under another chunk number: the members' key aborts everything
        with pytest.raises(FileFormatError, match="already holds members"):
            store.commit_chunk("r1", 1, **_chunk(0))
        assert _counts(store) == one
        assert store.committed_chunks("r1") == {0}

        # a failure late in the transaction (the chunk row) leaves nothing of the chunk
        real = store._con

        class FailOnChunkRow:
            def __getattr__(self, name):
                return getattr(real, name)

            def execute(self, sql, *args):
                if sql.startswith("INSERT INTO chunks"):
                    raise RuntimeError("killed")
                return real.execute(sql, *args)

        store._con = FailOnChunkRow()
        with pytest.raises(RuntimeError, match="killed"):
            store.commit_chunk("r1", 1, **_chunk(1))
        store._con = real
        assert _counts(store) == one
        assert store.find_run("r1")["members_done"] == 3


def test_exports_equal_the_store(tmp_path):
    with ResultsStore(tmp_path / "s.duckdb") as store:
        _run(store)
        store.commit_chunk("r1", 0, **_chunk(0))
        tables = {
            "trajectories": store.trajectories("r1"),
            "parameters": store.parameters("r1"),
            "summaries": store.summaries("r1"),
        }
        paths = store.export("r1", tmp_path / "out")
        csv_paths = store.export("r1", tmp_path / "csv", format="csv")
    for name, table in tables.items():
        got = pq.read_table(paths[name])
        assert got.schema.remove_metadata().equals(table.schema), name
        pd.testing.assert_frame_equal(got.to_pandas(), table.to_pandas(), check_exact=True)
        meta = json.loads(got.schema.metadata[b"p53lab"])
        assert meta["run_id"] == "r1" and meta["varied"] == ["k", "d"]
        frame = pd.read_csv(csv_paths[name], keep_default_na=False, na_values=["nan", "NaN"])
        expected = table.to_pandas()
        for col in expected.columns:
            if expected[col].dtype.kind == "f":
                np.testing.assert_allclose(frame[col], expected[col], rtol=1e-15, equal_nan=True)
            else:
                assert list(frame[col].astype(str)) == list(expected[col].astype(str)), col
    assert json.loads(paths["run"].read_text())["members_done"] == 3


def test_files_that_are_not_stores_are_refused(tmp_path):
    text = tmp_path / "notes.duckdb"
    text.write_text("hello\n")
    with pytest.raises(FileFormatError, match=r"notes\.duckdb is not a DuckDB database"):
        ResultsStore(text)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    with pytest.raises(FileFormatError, match=r"other\.duckdb is a DuckDB database but not"):
        ResultsStore(other)
    newer = tmp_path / "newer.duckdb"
    ResultsStore(newer).close()
    con = duckdb.connect(str(newer))
    con.execute("UPDATE p53lab_store SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(FileFormatError, match=f"schema version 99.*reads version {SCHEMA_VERSION}"):
        ResultsStore(newer, read_only=True)
    with pytest.raises(ParameterError, match="No results store at"):
        ResultsStore(tmp_path / "absent.duckdb", read_only=True)


def test_unknown_and_ambiguous_run_ids(tmp_path):
    with ResultsStore(tmp_path / "s.duckdb") as store:
        _run(store, "abc111")
        _run(store, "abc222")
        with pytest.raises(ParameterError, match="matches 2 runs"):
            store.run("abc")
        with pytest.raises(ParameterError, match="Did you mean 'abc111'"):
            store.run("abc11x")
        assert store.run("abc2")["run_id"] == "abc222"
    # read by another process later: a run left 'running' was interrupted
    with ResultsStore(tmp_path / "s.duckdb", read_only=True) as store:
        assert set(store.list_runs()["status"]) == {"interrupted"}


def test_a_store_held_by_another_process_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "busy.duckdb"
    ResultsStore(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', "
            "flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (True, False):
            with pytest.raises(ParameterError, match="open in another process"):
                ResultsStore(path, read_only=read_only)
    finally:
        holder.kill()
        holder.communicate()  # waits and closes the pipe
