"""run_sweep in this process: known answers, failed members, chunk errors and resume."""

from __future__ import annotations

import numpy as np
import pytest

from p53lab.errors import ParameterError
from p53lab.io.store import ResultsStore
from p53lab.parallel import SerialExecutor
from p53lab.simulate import simulate_ensemble
from p53lab.sweep import load_spec, run_sweep
from p53lab.sweep import runner as runner_module


def test_trajectories_match_the_analytic_solution(make_spec, tmp_path):
    # u = g = 0: x = exp(-k t), y = k/(k - 0.1) (exp(-0.1 t) - exp(-k t)), a = cos(w t)
    ks = [0.2, 0.7, 1.5]
    spec = load_spec(
        make_spec(
            parameters=None,
            samples=None,
            correlation=None,
            schedules=None,
            grid={"k": ks, "w": [0.5, 2.0]},
            summaries=[{"output": "x", "stat": "auc"}],
            solver={"rtol": 1e-8, "atol": 1e-12},
        )
    )
    report = run_sweep(spec, None, tmp_path / "s.duckdb")
    assert report.complete and report.members_ok == 6 and report.members_failed == 0
    with ResultsStore(tmp_path / "s.duckdb", read_only=True) as store:
        traj = store.trajectories(report.run_id).to_pandas()
        params = store.parameters(report.run_id).to_pandas()
        summ = store.summaries(report.run_id).to_pandas()
    t = traj["time"].to_numpy()
    k = params.set_index("member").loc[traj["member"], "k"].to_numpy()
    w = params.set_index("member").loc[traj["member"], "w"].to_numpy()
    np.testing.assert_allclose(traj["x"], np.exp(-k * t), rtol=1e-6, atol=1e-8)
    y = k / (k - 0.1) * (np.exp(-0.1 * t) - np.exp(-k * t))
    np.testing.assert_allclose(traj["y"], y, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(traj["a"], np.cos(w * t), rtol=1e-6, atol=1e-6)
    # grid order: itertools.product of k then w, the last fastest
    assert list(params["k"]) == [0.2, 0.2, 0.7, 0.7, 1.5, 1.5]
    assert list(params["w"]) == [0.5, 2.0] * 3
    # trapezoidal AUC of exp(-k t) on 11 points in [0, 10], against the sampled values
    xs = traj.pivot(index="member", columns="time", values="x").to_numpy()
    expected = np.sum(0.5 * (xs[:, 1:] + xs[:, :-1]), axis=1)  # step 1 h
    np.testing.assert_allclose(summ["x_auc"], expected, rtol=1e-12)


def test_store_holds_what_simulate_ensemble_gives(make_spec, tmp_path):
    spec = load_spec(make_spec())
    report = run_sweep(spec, SerialExecutor(), tmp_path / "s.duckdb")
    assert report.chunks_run == 6 and report.members_done == 32
    d = spec.design()
    schedules = [spec.schedules[i][1] for i in d.schedule_index]
    direct = simulate_ensemble(
        spec.model,
        params=d.params,
        schedule=schedules,
        times_h=spec.times,
        outputs=list(spec.outputs),
    )
    with ResultsStore(tmp_path / "s.duckdb", read_only=True) as store:
        traj = store.trajectories(report.run_id)
        params = store.parameters(report.run_id).to_pandas()
    cube = np.column_stack([traj.column(c).to_numpy() for c in spec.outputs]).reshape(
        direct.values.shape
    )
    # chunks of 6 vs one ensemble of 32: the same numbers to solver tolerance
    np.testing.assert_allclose(cube, direct.values, rtol=1e-5, atol=1e-8)
    assert list(params["schedule"][:10]) == ["none"] * 8 + ["pulse"] * 2
    for name in spec.varied:
        assert np.array_equal(params[name].to_numpy(), d.params[name])


def test_a_failing_member_is_recorded_and_the_rest_finish(make_spec, tmp_path):
    # g = 50 makes x blow up at t = 0.02 h; the other grid value is harmless
    spec = load_spec(make_spec(grid={"g": [0, 50]}, schedules=None))
    report = run_sweep(spec, None, tmp_path / "s.duckdb")
    assert report.status == "complete"
    assert report.members_failed == 8 and report.members_ok == 8
    assert report.message == "8 of 16 members failed"
    with ResultsStore(tmp_path / "s.duckdb", read_only=True) as store:
        params = store.parameters(report.run_id).to_pandas()
        traj = store.trajectories(report.run_id).to_pandas()
        info = store.show_run(report.run_id)
    bad = params["g"] == 50
    assert (params.loc[bad, "status"] == "failed").all()
    assert (params.loc[~bad, "status"] == "ok").all()
    assert params.loc[bad, "message"].str.len().min() > 0
    assert params.loc[~bad, "message"].eq("").all()
    good_rows = traj["member"].isin(params.loc[~bad, "member"])
    assert np.isfinite(traj.loc[good_rows, ["x", "y", "a"]].to_numpy()).all()
    assert info["status"] == "complete" and info["members_failed"] == 8
    assert info["failures"][0]["members"] <= 8


def test_chunk_errors_leave_the_run_incomplete_and_resume_fills_it(
    make_spec, tmp_path, monkeypatch
):
    spec = load_spec(make_spec())
    real = runner_module.run_chunk

    def flaky(task):
        if task.chunk in (2, 4):
            raise RuntimeError(f"worker lost for chunk {task.chunk}")
        return real(task)

    monkeypatch.setattr(runner_module, "run_chunk", flaky)
    events = []
    report = run_sweep(spec, None, tmp_path / "s.duckdb", progress=events.append)
    assert report.status == "incomplete" and report.chunks_done == 4
    assert [c for c, _ in report.errors] == [2, 4]
    assert "worker lost for chunk 2" in report.message
    assert [e.event for e in events].count("failed") == 2
    with ResultsStore(tmp_path / "s.duckdb") as store:
        before = store.chunks(report.run_id).set_index("chunk")["finished_at"]
        with pytest.raises(ParameterError, match=r"already in .* Resume it with --resume"):
            run_sweep(spec, None, store)

        monkeypatch.setattr(runner_module, "run_chunk", real)
        again = run_sweep(spec, None, store, resume=True)
        assert again.complete and again.chunks_run == 2 and again.chunks_skipped == 4
        after = store.chunks(report.run_id).set_index("chunk")["finished_at"]
        assert (after[before.index] == before).all()  # committed chunks were not recomputed
        n, distinct = store._con.execute(
            "SELECT count(*), count(DISTINCT member) FROM members WHERE run_id = ?",
            [report.run_id],
        ).fetchall()[0]
        assert n == distinct == 32
        resumed = store.trajectories(report.run_id)
    fresh = run_sweep(spec, None, tmp_path / "fresh.duckdb")
    with ResultsStore(tmp_path / "fresh.duckdb", read_only=True) as store:
        assert store.trajectories(fresh.run_id).equals(resumed)


def test_resuming_a_changed_spec_is_refused(make_spec, tmp_path):
    store = tmp_path / "s.duckdb"
    run_sweep(load_spec(make_spec(samples=2)), None, store)
    changed = load_spec(make_spec(samples=3))
    with pytest.raises(ParameterError, match=r"different spec \(changed: samples\)"):
        run_sweep(changed, None, store, resume=True)
    report = run_sweep(changed, None, store)  # without --resume: a new run beside the old
    assert report.complete
    with ResultsStore(store, read_only=True) as s:
        assert len(s.list_runs()) == 2
