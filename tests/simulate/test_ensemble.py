"""Ensembles: the batch engine against analytic answers, SciPy, the single-run solver and
libRoadRunner; per-member status; inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from p53lab.errors import ModelError, ParameterError
from p53lab.model import Components, Event, EventAssignment, Model, Parameter, Reaction, Species
from p53lab.simulate import Schedule, simulate, simulate_ensemble, steady_state
from p53lab.simulate._batch import _factor, _solve, _symbolic_lu
from p53lab.simulate._compile import compile_model


def _blowup() -> Model:
    """x' = k x², x(0) = 1: x = 1 / (1 − k t), infinite at t = 1/k."""
    return Model.build(
        "blowup",
        Components(
            species=(Species("x", 1.0),),
            parameters=(Parameter("k", 0.1),),
            reactions=(Reaction("grow", "k * x**2", products=(("x", 1.0),)),),
        ),
    )


def _robertson() -> Model:
    """Robertson's stiff kinetics (Hairer & Wanner II, §IV.1)."""
    return Model.build(
        "robertson",
        Components(
            species=(Species("a", 1.0), Species("b", 0.0), Species("c", 0.0)),
            parameters=(Parameter("k1", 0.04), Parameter("k2", 3e7), Parameter("k3", 1e4)),
            reactions=(
                Reaction("r1", "k1 * a", reactants=(("a", 1.0),), products=(("b", 1.0),)),
                Reaction(
                    "r2", "k2 * b**2", reactants=(("b", 2.0),), products=(("b", 1.0), ("c", 1.0))
                ),
                Reaction(
                    "r3",
                    "k3 * b * c",
                    reactants=(("b", 1.0), ("c", 1.0)),
                    products=(("a", 1.0), ("c", 1.0)),
                ),
            ),
        ),
    )


def test_blowup_matches_analytic_and_fails_per_member():
    t = np.linspace(0.0, 5.0, 11)
    k = np.array([0.05, 0.1, 0.15, 2.0, 0.19])  # 2.0 blows up at t = 0.5
    res = simulate_ensemble(_blowup(), {"k": k}, times_h=t, rtol=1e-8, atol=1e-12)
    assert res.provenance["engine"] == "batch"
    assert list(res.status) == ["ok", "ok", "ok", "failed", "ok"]
    assert "t=0.5" in res.message[3] or "near t=0.49" in res.message[3]
    for i in (0, 1, 2, 4):
        np.testing.assert_allclose(res["x"][i], 1.0 / (1.0 - k[i] * t), rtol=1e-6)
    # the failed member keeps the rows it reached and is NaN afterwards
    assert np.isfinite(res["x"][3][0]) and np.all(np.isnan(res["x"][3][2:]))


@pytest.mark.parametrize("scheme", ["rodas3", "ros4"])
def test_robertson_matches_scipy_radau(scheme):
    m = _robertson()
    t = np.array([0.0, 0.4, 4.0, 40.0, 400.0])
    k1 = np.array([0.04, 0.02, 0.08])
    res = simulate_ensemble(m, {"k1": k1}, times_h=t, rtol=1e-7, atol=1e-12, scheme=scheme)
    assert res.ok.all()
    for i, kk in enumerate(k1):

        def f(_t, y, kk=kk):
            a, b, c = y
            return [-kk * a + 1e4 * b * c, kk * a - 1e4 * b * c - 3e7 * b * b, 3e7 * b * b]

        ref = solve_ivp(f, (0, 400), [1, 0, 0], "Radau", t_eval=t, rtol=1e-11, atol=1e-15)
        for j, sp in enumerate("abc"):
            np.testing.assert_allclose(res[sp][i], ref.y[j], rtol=2e-4, atol=1e-10)


def test_sparse_lu_solves_like_dense():
    pattern = compile_model(_core_at_rest()).jac_pattern
    lu = _symbolic_lu(pattern)
    rng = np.random.default_rng(1)
    m = 5
    V = np.zeros((lu.nnz, m))
    vals = rng.normal(size=(lu.jac_pos.size, m))
    V[lu.jac_pos] = vals
    A = np.zeros((m, lu.n, lu.n))
    A[:, lu.jac_rows, lu.jac_cols] = vals.T
    V[lu.diag] += 20.0
    A[:, np.arange(lu.n), np.arange(lu.n)] += 20.0
    b = rng.normal(size=(lu.n, m))
    _factor(lu, V)
    x = _solve(lu, V, b.copy())
    ref = np.linalg.solve(A, b.T[:, :, None])[:, :, 0].T
    np.testing.assert_allclose(x, ref, rtol=1e-12, atol=1e-12)


def _core_at_rest():
    from p53lab.model.cells import cell_model

    model = cell_model("milademetan", "SJSA-1")
    rest = steady_state(model)
    assert rest.status == "ok"
    return model.with_params({s.id: rest[s.id] for s in model.species})


@pytest.mark.slow
def test_core_circuit_batch_matches_single_runs_with_schedules():
    """Per-member parameters and per-member dose schedules, against simulate() one by one."""
    model = _core_at_rest()
    t = np.linspace(0.0, 24.0, 13)
    rng = np.random.default_rng(7)
    syn = model.value("k_p53_syn") * rng.lognormal(0.0, 0.3, 4)
    scheds = [Schedule.bath(c) for c in (0.0, 30.0, 300.0)] + [Schedule.bath(300.0, washout_h=6)]
    res = simulate_ensemble(model, {"k_p53_syn": syn}, schedule=scheds, times_h=t, rtol=1e-7)
    assert res.provenance["engine"] == "batch" and res.ok.all()
    for i in range(4):
        one = simulate(model.with_params(k_p53_syn=syn[i]), scheds[i], t, rtol=1e-10, atol=1e-12)
        scale = np.maximum(np.abs(one.values).max(axis=0), 1e-9)
        err = np.abs(res.values[i] - one.values).max(axis=0) / scale
        assert err.max() < 1e-4, dict(zip(one.columns, err, strict=True))


def test_serial_engine_for_events_and_batch_refuses_them():
    m = Model.build(
        "ev",
        Components(
            species=(Species("x", 10.0),),
            parameters=(Parameter("k", 1.0),),
            reactions=(Reaction("d", "k * x", reactants=(("x", 1.0),)),),
            events=(Event("refill", "time > 1", (EventAssignment("x", "10"),)),),
        ),
    )
    t = np.array([0.0, 0.5, 1.5])
    res = simulate_ensemble(m, {"k": [1.0, 2.0]}, times_h=t)
    assert res.provenance["engine"] == "serial"
    np.testing.assert_allclose(res["x"][1], [10, 10 * np.exp(-1.0), 10 * np.exp(-1.0)], rtol=1e-4)
    with pytest.raises(ParameterError, match="event"):
        simulate_ensemble(m, {"k": [1.0]}, times_h=t, method="batch")


def test_same_members_same_answers_whatever_the_batch():
    """A member's result does not depend on who else is in the batch."""
    m = _robertson()
    t = np.array([0.0, 1.0, 10.0])
    k1 = np.array([0.04, 0.01, 0.1, 0.03])
    full = simulate_ensemble(m, {"k1": k1}, times_h=t)
    part = simulate_ensemble(m, {"k1": k1[[2]]}, times_h=t)
    np.testing.assert_array_equal(full.values[2], part.values[0])


def test_coarse_outputs_do_not_step_across_a_blow_up():
    """x' = 5x² has a pole at t = 0.2; with outputs 1 h apart the steps grow large. A
    linearly implicit step across the pole lands on the wrong branch (x = −0.25 at t = 1)
    with a small error estimate; the engine must stop at the pole instead."""
    res = simulate_ensemble(_blowup(), {"k": [5.0, 0.1]}, times_h=[0, 1, 2])
    assert list(res.status) == ["failed", "ok"]
    assert "t=0.2" in res.message[0] or "t=0.19999" in res.message[0]


def test_tables_and_files(tmp_path):
    import pyarrow.parquet as pq

    res = simulate_ensemble(
        _blowup(), {"k": [0.1, 0.2, 5.0]}, times_h=[0, 1, 2], members=[10, 11, 12]
    )
    paths = res.write(tmp_path / "out")
    traj = pq.read_table(paths["trajectories"]).to_pandas()
    pars = pq.read_table(paths["parameters"]).to_pandas()
    assert list(traj.columns) == ["member", "time", "x"]
    assert list(pars.columns) == ["member", "k", "status", "message"]
    assert traj.shape == (9, 3) and list(pars["member"]) == [10, 11, 12]
    assert list(pars["status"]) == ["ok", "ok", "failed"] and pars["message"][2]
    np.testing.assert_allclose(traj["x"][:3], 1 / (1 - 0.1 * np.array([0, 1, 2])), rtol=1e-5)


def test_bad_inputs():
    m = _blowup()
    with pytest.raises(ModelError, match="Did you mean 'k'"):
        simulate_ensemble(m, {"kk": [1.0]}, times_h=[0, 1])
    with pytest.raises(ParameterError, match="non-finite"):
        simulate_ensemble(m, {"k": [1.0, np.nan]}, times_h=[0, 1])
    with pytest.raises(ParameterError, match="2 values but the ensemble has 3"):
        simulate_ensemble(m, {"k": [1.0, 2.0]}, n_members=3, times_h=[0, 1])
    with pytest.raises(ParameterError, match="size"):
        simulate_ensemble(m, times_h=[0, 1])
    with pytest.raises(ParameterError, match="scheme"):
        simulate_ensemble(m, {"k": [1.0]}, times_h=[0, 1], scheme="euler")
    with pytest.raises(ParameterError, match="rtol"):
        simulate_ensemble(m, {"k": [1.0]}, times_h=[0, 1], rtol=-1)


@pytest.mark.slow
def test_biomd252_agrees_with_libroadrunner(shared_reference):
    """The issue's check: 50 random members of a 10,000-member ensemble (k_f, k_b, delta
    lognormal, CV 0.3), every species within 1e-4 of its own maximum against libRoadRunner
    run with the same parameters at tight tolerances."""
    roadrunner = pytest.importorskip("roadrunner")
    from p53lab.io.sbml import read_sbml, simulate_sbml_ensemble
    from p53lab.simulate.sampling import lognormal_cv, sample

    path = shared_reference / "sbml" / "BIOMD0000000252.xml"
    model = read_sbml(path)
    names = ["k_f", "k_b", "delta"]
    dists = {k: lognormal_cv(model.value(k), 0.3) for k in names}
    values = sample(dists, 10_000, seed=252)
    res = simulate_sbml_ensemble(model, values, t_end=48, points=49)
    assert res.ok.all(), res.message[int(np.argmax(~res.ok))]
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    picks = np.random.default_rng(50).choice(10_000, 50, replace=False)
    worst = 0.0
    for i in picks:
        rr.resetAll()
        for k in names:
            rr[k] = float(values[k][i])
        out = rr.simulate(0, 48, 49)
        cols = [c.strip("[]") for c in out.colnames[1:]]
        ref = np.asarray(out)[:, 1:]
        ours = res.values[i][:, [res.columns.index(c) for c in cols]]
        err = np.abs(ours - ref).max(axis=0) / np.abs(ref).max(axis=0)
        worst = max(worst, float(err.max()))
    assert worst < 1e-4, worst
