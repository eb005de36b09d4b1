"""SBML import checked against libRoadRunner, a peer simulator, and against known answers.

Reference models (../shared/reference/sbml, see its README):
- BIOMD0000000252, Hunziker, Jensen & Krishna 2010 (BMC Syst Biol 4:94): resting steady state
  free p53 16.8 nM, free MDM2 7.8 nM, complex 90.8 nM, mdm2 mRNA 14.1; k_f 5000 -> 500 (nutlin)
  raises free MDM2 about eightfold, to about 62.5 nM.
- BIOMD0000000157, Geva-Zatorsky et al. 2006 model IV: sustained oscillation with a period of
  6.82 h and MDM2 lagging p53 by 1.77 h (libRoadRunner 2.10, tight tolerances).
Synthetic models are written here as SBML text with known answers; each is also run in
libRoadRunner (except the delay model, which libRoadRunner does not simulate).
"""

from __future__ import annotations

import math

import libsbml
import numpy as np
import pytest

from p53lab.io import read_sbml, sbml_default_selection, simulate_sbml, write_sbml
from p53lab.model import (
    Compartment,
    Event,
    EventAssignment,
    Model,
    Observable,
    Parameter,
    Reaction,
    Rule,
    Species,
)
from p53lab.simulate import simulate, steady_state

roadrunner = pytest.importorskip("roadrunner")

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(scope="module")
def sbml_dir(shared_reference):
    return shared_reference / "sbml"


def _rr(source: str, t_end: float, points: int, selections=None):
    """libRoadRunner at tight tolerances: (times, {name: values}) with brackets stripped."""
    r = roadrunner.RoadRunner(source)
    r.integrator.relative_tolerance = RTOL
    r.integrator.absolute_tolerance = ATOL
    if selections is not None:
        r.timeCourseSelections = ["time", *selections]
    out = np.asarray(r.simulate(0, t_end, points))
    names = [c.strip("[]") for c in r.timeCourseSelections]
    return out[:, 0], {n: out[:, i] for i, n in enumerate(names) if n != "time"}


def _max_rel_dev(ours, theirs: dict) -> float:
    """Largest |ours - theirs| over all times, relative to each species' own maximum."""
    worst = 0.0
    for name, ref in theirs.items():
        scale = max(float(np.max(np.abs(ref))), 1e-300)
        worst = max(worst, float(np.max(np.abs(ours[name] - ref))) / scale)
    return worst


# ------------------------------------------------------------------------- reference models


@pytest.mark.parametrize("name", ["BIOMD0000000252", "BIOMD0000000157"])
def test_reference_model_matches_roadrunner(sbml_dir, name):
    path = sbml_dir / f"{name}.xml"
    model = read_sbml(path)
    ours = simulate_sbml(model, t_end=48, points=481, rtol=RTOL, atol=ATOL)
    assert ours.ok, ours.message
    t, theirs = _rr(str(path), 48, 481)
    np.testing.assert_allclose(ours.times, t, rtol=0, atol=1e-12)
    assert list(ours.columns) == list(theirs)
    # measured: 2e-9 (252) and 2e-8 (157) of each species' maximum
    assert _max_rel_dev(ours, theirs) < 1e-4


@pytest.mark.parametrize("name", ["BIOMD0000000252", "BIOMD0000000157"])
def test_default_selection_matches_roadrunner(sbml_dir, name):
    path = sbml_dir / f"{name}.xml"
    r = roadrunner.RoadRunner(str(path))
    expected = [c.strip("[]") for c in r.timeCourseSelections if c != "time"]
    assert sbml_default_selection(read_sbml(path)) == expected


def test_default_selection_of_mixed_species_matches_roadrunner():
    # every kind of species: floating, constant, rule-defined, boundary with and without rules
    species = [
        ("b_rate0", "boundary"),
        ("f1", ""),
        ("c2", "constant"),
        ("a3", "assign"),
        ("r4", "rate"),
        ("hosu5", "hosu"),
        ("b6", "boundary"),
        ("b_assign7", "bassign"),
        ("b_rate8", "boundary"),
        ("f9", ""),
    ]
    parts = [_comp("c", 1)]
    for sid, kind in species:
        parts.append(
            _species(
                sid,
                1.0,
                boundary=kind in ("boundary", "bassign"),
                constant=kind == "constant",
                hosu=kind == "hosu",
            )
        )
    # rate rules on boundary species listed out of document order on purpose
    parts += [
        _rate_rule("b_rate8", "1"),
        _assign_rule("a3", "2"),
        _rate_rule("r4", "1"),
        _assign_rule("b_assign7", "3"),
        _rate_rule("b_rate0", "1"),
    ]
    parts.append(_reaction("R", {"f1": 1}, {}, "0.1 * f1"))
    xml = _doc(*parts)
    r = roadrunner.RoadRunner(xml)
    expected = [c.strip("[]") for c in r.timeCourseSelections if c != "time"]
    assert expected == ["f1", "c2", "hosu5", "f9", "a3", "r4", "b_rate8", "b_rate0"]
    assert sbml_default_selection(read_sbml(xml)) == expected


def _peak_times(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Local maxima refined by a parabola through the three samples around each."""
    i = np.where((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:]))[0] + 1
    y0, y1, y2 = v[i - 1], v[i], v[i + 1]
    h = t[1] - t[0]
    return t[i] + h * (y0 - y2) / (2.0 * (y0 - 2.0 * y1 + y2))


def test_model_iv_period_and_lag(sbml_dir):
    # README: period 6.82 h, MDM2 (y) lagging p53 (x) by 1.77 h
    model = read_sbml(sbml_dir / "BIOMD0000000157.xml")
    res = simulate(model, t_end=72, points=72001, outputs=["x", "y"], rtol=RTOL, atol=ATOL)
    assert res.ok
    px, py = _peak_times(res.times, res["x"]), _peak_times(res.times, res["y"])
    assert len(px) >= 8
    period = float(np.mean(np.diff(px[1:])))  # the first peak is the transient
    assert period == pytest.approx(6.82, rel=0.01)  # measured 6.8194 h
    lag = float(np.mean((py - px[: len(py)])[1:]))
    assert lag == pytest.approx(1.77, abs=0.02)  # measured 1.769 h


def test_hunziker_resting_state_and_nutlin(sbml_dir):
    model = read_sbml(sbml_dir / "BIOMD0000000252.xml")
    rest = steady_state(model, method="BDF")
    assert rest.status == "ok"
    for name, value in {"p": 16.8, "m": 7.8, "pm": 90.8, "mm": 14.1}.items():
        assert rest[name] == pytest.approx(value, rel=0.02), name
    nutlin = steady_state(model.with_params(k_f=500), method="BDF")
    assert nutlin.status == "ok"
    ratio = nutlin["m"] / rest["m"]
    assert 7.0 < ratio < 9.0  # measured 8.016
    assert nutlin["m"] == pytest.approx(62.5, rel=0.05)  # measured 62.53 nM
    total_mdm2 = (nutlin["m"] + nutlin["pm"]) / (rest["m"] + rest["pm"])
    assert total_mdm2 == pytest.approx(1.55, abs=0.02)
    total_p53 = (nutlin["p"] + nutlin["pm"]) / (rest["p"] + rest["pm"])
    assert total_p53 == pytest.approx(1.04, abs=0.01)


# ------------------------------------------------------------------------- synthetic models
# A small SBML Level 3 Version 2 writer for test documents; math goes through libSBML's own
# infix parser so the documents hold genuine MathML (csymbols for time and delay included).


def _ml(formula: str) -> str:
    node = libsbml.parseL3Formula(formula)
    assert node is not None, libsbml.getLastParseL3Error()
    return libsbml.writeMathMLToString(node).split("?>", 1)[-1]


def _comp(cid, size, constant=True):
    return "listOfCompartments", (
        f'<compartment id="{cid}" size="{size}" spatialDimensions="3" '
        f'constant="{str(constant).lower()}"/>'
    )


def _species(sid, conc=None, amount=None, comp="c", *, hosu=False, boundary=False, constant=False):
    init = (
        f'initialConcentration="{conc}"'
        if conc is not None
        else f'initialAmount="{amount}"'
        if amount is not None
        else ""
    )
    return "listOfSpecies", (
        f'<species id="{sid}" compartment="{comp}" {init} '
        f'hasOnlySubstanceUnits="{str(hosu).lower()}" '
        f'boundaryCondition="{str(boundary).lower()}" constant="{str(constant).lower()}"/>'
    )


def _param(pid, value=None, constant=True):
    val = f' value="{value}"' if value is not None else ""
    return "listOfParameters", (f'<parameter id="{pid}"{val} constant="{str(constant).lower()}"/>')


def _refs(tag, refs):
    if not refs:
        return ""
    inner = "".join(
        f'<speciesReference species="{s}" stoichiometry="{n}" constant="true"/>'
        for s, n in refs.items()
    )
    return f"<{tag}>{inner}</{tag}>"


def _reaction(rid, reactants, products, formula, local=None):
    loc = ""
    if local:
        loc = (
            "<listOfLocalParameters>"
            + "".join(f'<localParameter id="{k}" value="{v}"/>' for k, v in local.items())
            + "</listOfLocalParameters>"
        )
    return "listOfReactions", (
        f'<reaction id="{rid}" reversible="false">{_refs("listOfReactants", reactants)}'
        f"{_refs('listOfProducts', products)}<kineticLaw>{_ml(formula)}{loc}</kineticLaw>"
        "</reaction>"
    )


def _rate_rule(var, formula):
    return "listOfRules", f'<rateRule variable="{var}">{_ml(formula)}</rateRule>'


def _assign_rule(var, formula):
    return "listOfRules", f'<assignmentRule variable="{var}">{_ml(formula)}</assignmentRule>'


def _ia(symbol, formula):
    return (
        "listOfInitialAssignments",
        f'<initialAssignment symbol="{symbol}">{_ml(formula)}</initialAssignment>',
    )


def _fdef(fid, formula):
    return (
        "listOfFunctionDefinitions",
        f'<functionDefinition id="{fid}">{_ml(formula)}</functionDefinition>',
    )


def _event(eid, trigger, assignments, delay=None, persistent=True, initial_value=True, uvftt=True):
    d = f"<delay>{_ml(delay)}</delay>" if delay else ""
    eas = "".join(
        f'<eventAssignment variable="{v}">{_ml(f)}</eventAssignment>'
        for v, f in assignments.items()
    )
    return "listOfEvents", (
        f'<event id="{eid}" useValuesFromTriggerTime="{str(uvftt).lower()}">'
        f'<trigger initialValue="{str(initial_value).lower()}" '
        f'persistent="{str(persistent).lower()}">{_ml(trigger)}</trigger>{d}'
        f"<listOfEventAssignments>{eas}</listOfEventAssignments></event>"
    )


_ORDER = (
    "listOfFunctionDefinitions",
    "listOfCompartments",
    "listOfSpecies",
    "listOfParameters",
    "listOfInitialAssignments",
    "listOfRules",
    "listOfReactions",
    "listOfEvents",
)


def _doc(*parts, model_id="test_model") -> str:
    groups: dict[str, list[str]] = {k: [] for k in _ORDER}
    for tag, xml in parts:
        groups[tag].append(xml)
    body = "".join(f"<{k}>{''.join(v)}</{k}>" for k, v in groups.items() if v)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
        f'<model id="{model_id}">{body}</model></sbml>'
    )


SYNTHETIC = {
    # x' = 1 until x reaches 2, then the event sets the rate to -1: x = t, then 4 - t
    "event": _doc(
        _comp("c", 1),
        _species("x", 0.0),
        _param("k", 1, constant=False),
        _rate_rule("x", "k"),
        _event("turn", "x >= 2", {"k": "-1"}),
    ),
    # a delayed event: at t = 1 the trigger fires, 0.5 h later A jumps to 3
    "delayed_event": _doc(
        _comp("c", 1),
        _species("A", 1.0),
        _param("kd", 0.3),
        _reaction("deg", {"A": 1}, {}, "kd * A * c"),
        _event("bump", "time >= 1", {"A": "3"}, delay="0.5"),
    ),
    "function_definition": _doc(
        _fdef("mm", "lambda(s, vmax, km, vmax * s / (km + s))"),
        _comp("c", 1),
        _species("S", 10.0),
        _species("P", 0.0),
        _param("V", 2.0),
        _param("K", 3.0),
        _reaction("conv", {"S": 1}, {"P": 1}, "c * mm(S, V, K)"),
    ),
    "initial_assignment": _doc(
        _comp("c", 1),
        _species("A", 0.0),
        _species("B", 0.0),
        _param("total", 8.0),
        _param("frac", 0.25),
        _param("k", 0.0),
        _ia("A", "total * frac"),
        _ia("B", "total - A"),
        _ia("k", "2 * frac"),
        _reaction("AtoB", {"A": 1}, {"B": 1}, "k * A * c"),
    ),
    "local_parameters": _doc(
        _comp("c", 1),
        _species("A", 5.0),
        _species("B", 0.0),
        _param("k", 7.0),
        _reaction("R1", {"A": 1}, {"B": 1}, "k * A * c", local={"k": 0.4}),
        _reaction("R2", {"B": 1}, {}, "k * B * c", local={"k": 0.1}),
    ),
    "assignment_rule": _doc(
        _comp("c", 1),
        _species("A", 4.0),
        _species("B", 0.0),
        _species("T", None),
        _param("kf", 0.5),
        _param("kr", 0.2),
        _assign_rule("T", "A + B"),
        _reaction("f", {"A": 1}, {"B": 1}, "kf * A * c"),
        _reaction("r", {"B": 1}, {"A": 1}, "kr * B * c / (1 + T)"),
    ),
    # amounts in a compartment of size 2: the rate is in amount per time
    "only_substance_units": _doc(
        _comp("c", 2),
        _species("A", amount=6.0, hosu=True),
        _species("B", 0.5),
        _param("k", 0.3),
        _reaction("R", {"A": 1}, {"B": 2}, "k * A"),
    ),
    # a reaction id in math means the reaction's rate
    "reaction_id_in_math": _doc(
        _comp("c", 1),
        _species("A", 3.0),
        _species("B", 0.0),
        _param("k", 0.4),
        _reaction("R", {"A": 1}, {}, "k * A * c"),
        _rate_rule("B", "2 * R"),
    ),
    "piecewise_rate": _doc(
        _comp("c", 1),
        _species("X", 0.0),
        _reaction("pulse", {}, {"X": 1}, "piecewise(2, time < 5, 0.2)"),
        _reaction("deg", {"X": 1}, {}, "0.3 * X"),
    ),
}


@pytest.mark.parametrize("case", sorted(SYNTHETIC))
def test_synthetic_model_matches_roadrunner(case):
    xml = SYNTHETIC[case]
    ours = simulate_sbml(read_sbml(xml), t_end=10, points=101, rtol=RTOL, atol=ATOL)
    assert ours.ok, ours.message
    _, theirs = _rr(xml, 10, 101)
    assert list(ours.columns) == list(theirs)
    assert _max_rel_dev(ours, theirs) < 1e-6


def test_event_model_known_answer():
    res = simulate_sbml(read_sbml(SYNTHETIC["event"]), t_end=4, points=41, rtol=RTOL, atol=ATOL)
    expected = np.where(res.times <= 2, res.times, 4 - res.times)
    np.testing.assert_allclose(res["x"], expected, atol=1e-8)


def test_delay_model_method_of_steps():
    # x' = -x(t - 1), x = 1 for t <= 0. By the method of steps: x = 1 - t on [0, 1];
    # x(1) = 0, x(2) = -1/2, x(3) = -1/6. libRoadRunner refuses delay models.
    xml = _doc(_comp("c", 1), _species("x", 1.0), _rate_rule("x", "-delay(x, 1)"))
    model = read_sbml(xml)
    assert model.has_delays
    res = simulate(model, times_h=[0.0, 0.5, 1.0, 2.0, 3.0], outputs=["x"], rtol=RTOL, atol=ATOL)
    assert res.ok, res.message
    np.testing.assert_allclose(res["x"], [1.0, 0.5, 0.0, -0.5, -1.0 / 6.0], atol=1e-8)


# ------------------------------------------------------------------------- export to roadrunner


def core_like_model() -> Model:
    """A p53–MDM2 loop with a nucleus, Hill transcription, a drug and an observable."""
    p = [
        Parameter("ks_p53", 2.0, "nM_per_h", source="test value"),
        Parameter("kdeg_p53", 0.05, "per_h", source="test value"),
        Parameter("kon", 0.1, "per_nM_per_h", source="test value", estimated=True),
        Parameter("koff", 1.0, "per_h", source="test value"),
        Parameter("kubi", 2.0, "per_h", source="test value"),
        Parameter("ktx", 4.0, "nM_per_h", source="test value"),
        Parameter("K_tx", 30.0, "nM"),
        Parameter("n_tx", 2.0, ""),
        Parameter("kexp", 0.5, "per_h"),
        Parameter("kdeg_mrna", 0.4, "per_h"),
        Parameter("ktl", 0.6, "per_h"),
        Parameter("kdeg_mdm2", 0.5, "per_h"),
        Parameter("drug_kon", 0.05, "per_nM_per_h"),
        Parameter("drug_koff", 0.01, "per_h"),
        Parameter("drug_dose", 0.0, "nM", constant=False),
    ]
    s = [
        Species("p53", 10.0, "cell"),
        Species("mdm2", 5.0, "cell"),
        Species("complex", 0.0, "cell"),
        Species("mrna_nuc", 1.0, "nucleus"),
        Species("mrna", 1.0, "cell"),
        Species("drug", 0.0, "cell"),
        Species("mdm2_drug", 0.0, "cell"),
    ]
    r = [
        Reaction("p53_syn", "ks_p53 * cell", products=(("p53", 1),)),
        Reaction("p53_deg", "kdeg_p53 * p53 * cell", reactants=(("p53", 1),)),
        Reaction(
            "bind",
            "(kon * p53 * mdm2 - koff * complex) * cell",
            reactants=(("p53", 1), ("mdm2", 1)),
            products=(("complex", 1),),
        ),
        Reaction(
            "ubi", "kubi * complex * cell", reactants=(("complex", 1),), products=(("mdm2", 1),)
        ),
        Reaction(
            "tx",
            "ktx * hill(p53, K_tx, n_tx) * nucleus",
            products=(("mrna_nuc", 1),),
            modifiers=("p53",),
        ),
        Reaction(
            "export",
            "kexp * mrna_nuc * nucleus",
            reactants=(("mrna_nuc", 1),),
            products=(("mrna", 1),),
        ),
        Reaction("mrna_deg", "kdeg_mrna * mrna * cell", reactants=(("mrna", 1),)),
        Reaction("tl", "ktl * mrna * cell", products=(("mdm2", 1),), modifiers=("mrna",)),
        Reaction("mdm2_deg", "kdeg_mdm2 * mdm2 * cell", reactants=(("mdm2", 1),)),
        Reaction(
            "drug_bind",
            "(drug_kon * drug * mdm2 - drug_koff * mdm2_drug) * cell",
            reactants=(("drug", 1), ("mdm2", 1)),
            products=(("mdm2_drug", 1),),
        ),
    ]
    return Model(
        id="core_like",
        compartments=(Compartment("cell", 1.0), Compartment("nucleus", 0.4)),
        species=tuple(s),
        parameters=tuple(p),
        reactions=tuple(r),
        rate_rules=(Rule("drug_dose", "0"),),
        events=(
            Event(
                "dose",
                "time >= 12",
                (EventAssignment("drug", "drug + 50"), EventAssignment("drug_dose", "50")),
            ),
        ),
        observables=(Observable("total_p53", "p53 + complex"),),
    )


def test_exported_core_like_model_runs_in_roadrunner():
    model = core_like_model()
    xml = write_sbml(model)
    ids = [s.id for s in model.species]
    ours = simulate(model, t_end=48, points=481, outputs=ids, rtol=RTOL, atol=ATOL)
    assert ours.ok, ours.message
    _, theirs = _rr(xml, 48, 481, selections=[f"[{s}]" for s in ids])
    assert _max_rel_dev(ours, theirs) < 1e-6
    # the observable is an assignment-rule parameter in SBML
    _, obs = _rr(xml, 48, 481, selections=["total_p53"])
    ours_obs = simulate(model, t_end=48, points=481, outputs=["total_p53"], rtol=RTOL, atol=ATOL)
    assert _max_rel_dev(ours_obs, obs) < 1e-6
    assert math.isclose(float(ours["drug"][-1]) + float(ours["mdm2_drug"][-1]), 50.0, rel_tol=1e-6)


def test_exported_core_circuit_runs_in_roadrunner():
    from p53lab.model.core import core_model

    model = core_model()
    if model.has_delays:
        pytest.skip("libRoadRunner does not simulate delay equations")
    xml = write_sbml(model)
    ids = list(model.species_ids)
    ours = simulate(model, t_end=48, points=481, outputs=ids, rtol=RTOL, atol=ATOL)
    assert ours.ok, ours.message
    _, theirs = _rr(xml, 48, 481, selections=[f"[{s}]" for s in ids])
    assert _max_rel_dev(ours, theirs) < 1e-6  # measured 3e-9
    obs = [o.id for o in model.observables]
    ours_obs = simulate(model, t_end=48, points=481, outputs=obs, rtol=RTOL, atol=ATOL)
    _, theirs_obs = _rr(xml, 48, 481, selections=obs)
    assert _max_rel_dev(ours_obs, theirs_obs) < 1e-6
