"""The generated analytic Jacobian against 4th-order central differences of the right-hand side,
for every construct the differentiator handles, the core circuit and two SBML models; and the
fall-back to forward differences where a derivative is not generated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from p53lab.model import Compartment, Components, Model, Parameter, Reaction, Species
from p53lab.model._model import Rule
from p53lab.model.cells import cell_model
from p53lab.simulate import simulate_ensemble, steady_state
from p53lab.simulate._batch import _lu_for, _rhs_and_jacobian
from p53lab.simulate._compile import compile_model, initial_vectors


def _jacobians(m: Model, Y: np.ndarray, P: np.ndarray, t: float = 0.3):
    """(analytic, central-difference) dense Jacobians, (states, states, members)."""
    cm = compile_model(m)
    assert cm.jac_into is not None
    lu = _lu_for(cm.jac_pattern)
    n, M = Y.shape
    f0 = np.empty_like(Y)
    V = np.empty((lu.nnz, M))
    _rhs_and_jacobian(cm, lu, t, Y, P, f0, V)
    np.testing.assert_array_equal(f0, cm.rhs_into(t, Y, P, None, np.empty_like(Y)))
    J = np.zeros((n, n, M))
    J[lu.jac_rows, lu.jac_cols] = V[lu.jac_pos]
    Jc = np.zeros((n, n, M))
    for j in range(n):
        h = 1e-5 * np.maximum(np.abs(Y[j]), 1e-2)
        f = []
        for s in (1.0, -1.0, 2.0, -2.0):
            Ys = Y.copy()
            Ys[j] += s * h
            f.append(cm.rhs_into(t, Ys, P, None, np.empty_like(Y)))
        Jc[:, j] = (8.0 * (f[0] - f[1]) - (f[2] - f[3])) / (12.0 * h)
    return J, Jc


def _row_relative_error(J, Jc) -> float:
    scale = np.max(np.abs(Jc), axis=1, keepdims=True)
    return float(np.max(np.abs(J - Jc) / np.where(scale > 0, scale, 1.0)))


def _every_construct() -> Model:
    """One model that uses each differentiable construct of the expression language, a rule
    chain through a reaction rate, a rate rule, an amount species and a compartment of size 2."""
    sp = [Species(s, v, compartment="c") for s, v in (("a", 1.3), ("b", 0.7), ("c_", 2.1))]
    sp.append(Species("n", 5.0, compartment="c", amount=True))
    rxn = [
        Reaction("r_hill", "k * hill(a, K, 2.5)", reactants=(("a", 1.0),), products=(("b", 1.0),)),
        Reaction("r_hill1", "k * hill(b, K, 1)", reactants=(("b", 1.0),)),
        Reaction("r_pw", "piecewise(k * a * b, a > b, k * b**2)", products=(("c_", 1.0),)),
        Reaction("r_if", "(a * c_ if c_ < 3 else sqrt(a) / b)", reactants=(("c_", 1.0),)),
        Reaction("r_minmax", "min(a, b, c_) + max(a * 0.5, b)", products=(("a", 1.0),)),
        Reaction("r_pow", "pow(a, b) + a ** 0.5 + 2 ** b", reactants=(("b", 2.0),)),
        Reaction(
            "r_fn",
            "exp(-a) + log(1 + b) + log10(2 + c_) + abs(a - b) + sin(a) * cos(b) + tan(0.1 * c_)",
            products=(("n", 1.0),),
        ),
        Reaction(
            "r_fn2",
            "arcsin(0.2 * a / (1 + a)) + arccos(0.1 * b / (1 + b)) + arctan(c_) "
            "+ sinh(0.1 * a) + cosh(0.1 * b) + tanh(c_) + floor(a) + ceil(b)",
            reactants=(("n", 1.0),),
        ),
        Reaction("r_rule", "k * q / (1 + r_pw)", reactants=(("a", 1.0),), products=(("c_", 1.0),)),
        Reaction("r_amount", "0.1 * n * a - (-b)", products=(("a", 1.0),)),
    ]
    return Model.build(
        "constructs",
        Components(
            compartments=(Compartment("c", 2.0),),
            species=tuple(sp),
            parameters=(
                Parameter("k", 0.7),
                Parameter("K", 0.9),
                Parameter("z", 0.4),
                Parameter("q", 0.0, constant=False),
            ),
            reactions=tuple(rxn),
            assignment_rules=(Rule("q", "a * b / (K + c_) + r_minmax"),),
            rate_rules=(Rule("z", "-z * q + a / b"),),
        ),
    )


def test_every_construct_matches_central_differences():
    m = _every_construct()
    cm = compile_model(m)
    y0, p0 = initial_vectors(m, cm)
    rng = np.random.default_rng(7)
    Y = y0[:, None] * rng.lognormal(0.0, 0.4, (y0.size, 30)) + 0.05
    P = np.repeat(p0[:, None], 30, axis=1)
    assert _row_relative_error(*_jacobians(m, Y, P)) < 1e-7


@pytest.mark.parametrize("compound", ["KT-253", "milademetan", "nutlin-3a"])
def test_core_circuit_matches_central_differences(compound):
    m = cell_model(compound, "RS4;11").with_params({"drug_medium_nM": 10.0})
    cm = compile_model(m)
    _, p0 = initial_vectors(m, cm)
    rest = np.asarray(steady_state(m).y)
    rng = np.random.default_rng(3)
    Y = rest[:, None] * rng.lognormal(0.0, 0.5, (rest.size, 20)) + 0.5 * rng.random((rest.size, 20))
    P = np.repeat(p0[:, None], 20, axis=1)
    assert _row_relative_error(*_jacobians(m, Y, P)) < 1e-6


@pytest.mark.parametrize("name", ["BIOMD0000000252.xml", "BIOMD0000000157.xml"])
def test_sbml_models_match_central_differences(shared_reference, name):
    from p53lab.io.sbml import read_sbml

    m = read_sbml(shared_reference / "sbml" / name)
    cm = compile_model(m)
    y0, p0 = initial_vectors(m, cm)
    rng = np.random.default_rng(11)
    Y = np.abs(y0)[:, None] * rng.lognormal(0.0, 0.5, (y0.size, 20)) + rng.random((y0.size, 20))
    P = np.repeat(p0[:, None], 20, axis=1)
    assert _row_relative_error(*_jacobians(m, Y, P)) < 1e-6


def test_unsupported_construct_falls_back_to_differences_with_the_same_answer():
    """rem() of a state has no generated derivative: the engine keeps forward differences."""
    m = Model.build(
        "remmodel",
        Components(
            species=(Species("x", 1.0),),
            parameters=(Parameter("k", 0.5),),
            reactions=(Reaction("d", "k * x + 0 * rem(x, 10)", reactants=(("x", 1.0),)),),
        ),
    )
    assert compile_model(m).jac_into is None
    t = np.linspace(0.0, 4.0, 5)
    res = simulate_ensemble(m, {"k": np.array([0.5, 1.0])}, times_h=t, rtol=1e-9, atol=1e-12)
    assert res.provenance["engine"] == "batch"
    np.testing.assert_allclose(res["x"][1], np.exp(-t), rtol=1e-6)


def test_batch_results_do_not_depend_on_the_jacobian_route(monkeypatch):
    """The same ensemble with the analytic and with the difference Jacobian: the answers agree
    to the tolerance (the step sequences differ, so not bit for bit)."""
    import p53lab.simulate._batch as batch

    m = cell_model("KT-253", "RS4;11").with_params({"drug_medium_nM": 3.0})
    rest = steady_state(m)
    m = m.with_params({s.id: rest[s.id] for s in m.species})
    syn = next(p.value for p in m.parameters if p.id == "k_p53_syn")
    k = {"k_p53_syn": np.array([0.8, 1.0, 1.25]) * syn}
    t = np.linspace(0.0, 24.0, 7)
    a = simulate_ensemble(m, k, times_h=t, method="batch", outputs=["p53_total_nM"])
    real = batch._rhs_and_jacobian

    def differences(cm, *args):
        return real(dataclasses.replace(cm, jac_into=None), *args)

    monkeypatch.setattr(batch, "_rhs_and_jacobian", differences)
    b = simulate_ensemble(m, k, times_h=t, method="batch", outputs=["p53_total_nM"])
    np.testing.assert_allclose(a["p53_total_nM"], b["p53_total_nM"], rtol=1e-4)


def test_infinite_analytic_derivative_falls_back_to_differences_for_that_member():
    """x' = 1 − √x from x = 0: ∂/∂x = −1/(2√x) is infinite at the start. The member that starts
    there gets difference quotients and the run matches SciPy's LSODA; the others are analytic."""
    from scipy.integrate import solve_ivp

    m = Model.build(
        "sqrt",
        Components(
            species=(Species("x", 0.0),),
            parameters=(Parameter("k", 1.0),),
            reactions=(Reaction("g", "k - x**0.5", products=(("x", 1.0),)),),
        ),
    )
    t = np.linspace(0.0, 3.0, 7)
    x0 = np.array([0.0, 0.5])
    res = simulate_ensemble(m, {"x": x0}, times_h=t, rtol=1e-9, atol=1e-12, method="batch")
    assert list(res.status) == ["ok", "ok"]
    for i, start in enumerate(x0):
        ref = solve_ivp(
            lambda _, y: [1.0 - np.sqrt(max(y[0], 0.0))],
            (0.0, 3.0),
            [start],
            method="LSODA",
            t_eval=t,
            rtol=1e-11,
            atol=1e-13,
        )
        np.testing.assert_allclose(res["x"][i], ref.y[0], rtol=1e-6, atol=1e-9)
