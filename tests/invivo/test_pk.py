"""PK against analytic solutions: Bateman (one-compartment oral), superposition of doses,
bi-exponential two-compartment IV bolus, infusion steady state; the composed circuit's drug
input against the exact PK; population variability."""

import numpy as np
import pytest

from p53lab.errors import ParameterError, UnitError
from p53lab.invivo.pk import (
    Dose,
    PKParams,
    bateman,
    check_dose_unit,
    concentrations,
    pk_params,
    sample_population,
    simulate_amounts,
    two_compartment_iv_bolus,
)

T = np.linspace(0.0, 72.0, 289)


def _one_cmt(**kw):
    base = dict(
        compound="test",
        species="human",
        dose_unit="mg",
        cl_L_per_h=5.0,
        v1_L=50.0,
        ka_per_h=1.3,
        f_oral=0.7,
        mw_g_per_mol=1e6,  # 1 mg/L = 1 nM: concentrations read in mg/L
    )
    return PKParams(**{**base, **kw})


def test_one_compartment_oral_matches_bateman():
    pk = _one_cmt()
    c = concentrations(pk, [Dose(0.0, 100.0, "oral")], T)
    ref = bateman(T, 100.0, 0.7, 1.3, 5.0, 50.0)
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-12)
    assert c.max() > 0.5  # not a trivial zero profile


def test_multiple_dosing_is_superposition_of_bateman():
    pk = _one_cmt()
    doses = [Dose(t, 100.0, "oral") for t in (0.0, 12.0, 24.0, 36.0)]
    c = concentrations(pk, doses, T)
    ref = sum(bateman(T - d.t_h, 100.0, 0.7, 1.3, 5.0, 50.0) for d in doses)
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-12)
    # accumulation: the trough before the 4th dose exceeds the one before the 2nd
    assert c[np.searchsorted(T, 36.0) - 1] > c[np.searchsorted(T, 12.0) - 1]


def test_two_compartment_iv_bolus_is_biexponential():
    pk = _one_cmt(compartments=2, q_L_per_h=8.0, v2_L=120.0, route="iv")
    c = concentrations(pk, [Dose(0.0, 250.0, "iv")], T)
    ref = two_compartment_iv_bolus(T, 250.0, 5.0, 50.0, 8.0, 120.0)
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-12)
    # mass balance at t = 0: all of the dose in the central compartment
    assert c[0] == pytest.approx(250.0 / 50.0, rel=1e-12)


def test_infusion_matches_analytic_solution():
    """Constant-rate infusion: C = R/CL·(1 − e^(−k·t)) during, decaying as e^(−k·(t − T))
    after it ends (k = CL/V)."""
    pk = _one_cmt(route="infusion")
    t = np.linspace(0.0, 48.0, 97)
    c = concentrations(pk, [Dose(0.0, 240.0, "infusion", duration_h=24.0)], t)
    k, rate = 5.0 / 50.0, 10.0
    during = rate / 5.0 * (1 - np.exp(-k * np.minimum(t, 24.0)))
    ref = np.where(t <= 24.0, during, during * np.exp(-k * (t - 24.0)))
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-12)


def test_transit_chain_delays_absorption_but_keeps_auc():
    a = _one_cmt()
    b = _one_cmt(n_transit=3, ktr_per_h=2.0)
    t = np.linspace(0, 400, 4001)
    ca = concentrations(a, [Dose(0.0, 100.0)], t)
    cb = concentrations(b, [Dose(0.0, 100.0)], t)
    auc = 0.7 * 100.0 / 5.0  # F*D/CL
    assert np.trapezoid(ca, t) == pytest.approx(auc, rel=1e-3)
    assert np.trapezoid(cb, t) == pytest.approx(auc, rel=1e-3)
    assert t[np.argmax(cb)] > t[np.argmax(ca)]


def test_free_and_tumour_free_and_nM_conversion():
    pk = pk_params("milademetan", "mouse")
    d = [Dose(0.0, 100.0, "oral")]
    tot = concentrations(pk, d, [4.0])
    assert concentrations(pk, d, [4.0], "free") == pytest.approx(tot * pk.fu)
    mgL = simulate_amounts(pk, d, [4.0])[0, pk.central] / pk.v1_L
    assert tot[0] == pytest.approx(mgL * 1e6 / 618.53)


def test_dose_unit_mismatch_is_a_clear_error():
    with pytest.raises(UnitError, match=r"mg/kg.*human PK set.*flat dose in mg"):
        check_dose_unit(pk_params("milademetan", "human"), "mg/kg", "arm 'A'")
    with pytest.raises(ParameterError, match="cl_L_per_h"):
        _one_cmt(cl_L_per_h=-1.0)
    with pytest.raises(ParameterError, match="No human PK parameter set for 'nutlin-3a'"):
        pk_params("nutlin-3a", "human")


def test_population_variability_is_lognormal_with_the_given_cv():
    pk = _one_cmt()
    pop = sample_population(pk, 4000, np.random.default_rng(1), {"cl": 0.4, "v": 0.0})
    cl = np.array([p.cl_L_per_h for p in pop])
    assert np.std(np.log(cl)) == pytest.approx(np.sqrt(np.log1p(0.4**2)), rel=0.05)
    assert np.median(cl) == pytest.approx(5.0, rel=0.05)
    assert all(p.v1_L == 50.0 for p in pop)


def test_composed_circuit_sees_the_exact_pk():
    """The PK compartments composed into the cell model reproduce the exact solution."""
    from p53lab.invivo.pathway import pathway_activity

    pk = pk_params("KT-253", "mouse")
    doses = [Dose(0.0, 3.0, "iv")]
    tr = pathway_activity("KT-253", "RS4;11", pk, doses, 48.0, dt_h=1.0)
    exact = concentrations(pk, doses, tr.times_h, "tumour_free")
    np.testing.assert_allclose(tr.conc_free_nM, exact, rtol=1e-4, atol=1e-6)
    assert tr.puma_free_nM.max() > 5 * tr.puma_free_untreated_nM  # the pathway responds
