"""SBML reading and writing: errors, ids, math translation and export round trips."""

from __future__ import annotations

import math
import pickle

import libsbml
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from p53lab.errors import SBMLError, UnsupportedSBMLError
from p53lab.io import read_sbml, sbml_default_selection, write_sbml
from p53lab.io.sbml import _Translator, sbml_info, simulate_sbml
from p53lab.model import (
    Compartment,
    Event,
    EventAssignment,
    InitialAssignment,
    Model,
    Observable,
    Parameter,
    Reaction,
    Rule,
    Species,
)
from p53lab.model._expr import to_mathml, to_python
from p53lab.simulate import simulate
from p53lab.simulate._compile import _RUNTIME

L3 = "http://www.sbml.org/sbml/level3/version2/core"
MATHML = "http://www.w3.org/1998/Math/MathML"


def _doc(body: str, level: int = 3, version: int = 2, extra_ns: str = "") -> str:
    ns = (
        f"http://www.sbml.org/sbml/level{level}/version{version}/core"
        if level == 3
        else f"http://www.sbml.org/sbml/level{level}/version{version}"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sbml xmlns="{ns}" {extra_ns} '
        f'level="{level}" version="{version}"><model id="m">{body}</model></sbml>'
    )


def _math(inner: str) -> str:
    return f'<math xmlns="{MATHML}">{inner}</math>'


BASE = (
    '<listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>'
    '<listOfSpecies><species id="x" compartment="c" initialConcentration="1" '
    'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>'
    '<listOfParameters><parameter id="k" value="0.5" constant="true"/>'
    '<parameter id="z" value="0" constant="false"/></listOfParameters>'
)


def _with_rule_math(inner: str) -> str:
    return _doc(
        BASE + f'<listOfRules><assignmentRule variable="z">{_math(inner)}'
        "</assignmentRule></listOfRules>"
    )


def _eval(text: str, env: dict[str, float]) -> float:
    """Evaluate a p53lab expression with the simulator's own runtime functions."""
    code = to_python(text, lambda s: f"_v[{s!r}]")
    with np.errstate(all="ignore"):
        try:
            return float(eval(code, {**_RUNTIME, "_v": env}))  # generated from a validated tree
        except (ZeroDivisionError, OverflowError):  # Python floats, e.g. 1.0 / 0.0
            return math.nan


# ------------------------------------------------------------------------------- errors


def test_truncated_file_names_file_and_line(shared_reference, tmp_path):
    text = (shared_reference / "sbml" / "BIOMD0000000157.xml").read_text()
    bad = tmp_path / "cut_short.xml"
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(SBMLError, match=r"cut_short\.xml, line \d+"):
        read_sbml(bad)


def test_missing_file_and_garbage():
    with pytest.raises(FileNotFoundError):
        read_sbml("/no/such/model.xml")
    with pytest.raises(SBMLError, match="SBML string"):
        read_sbml("<sbml><model")


def test_algebraic_rule_names_the_variable():
    rule = _math("<apply><minus/><ci>z</ci><apply><times/><cn>2</cn><ci>x</ci></apply></apply>")
    xml = _doc(BASE + f"<listOfRules><algebraicRule>{rule}</algebraicRule></listOfRules>")
    with pytest.raises(UnsupportedSBMLError) as info:
        read_sbml(xml)
    msg = str(info.value)
    assert msg.startswith("Algebraic rule for 'z'") and "(SBML element algebraicRule)" in msg
    assert "is not supported" in msg
    assert pickle.loads(pickle.dumps(info.value)).args == info.value.args


@pytest.mark.parametrize(
    ("inner", "words"),
    [
        ("<apply><factorial/><ci>k</ci></apply>", "factorial"),
        (
            '<apply><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/'
            'rateOf">rateOf</csymbol><ci>x</ci></apply>',
            "rateOf",
        ),
    ],
)
def test_unsupported_math_names_element(inner, words):
    with pytest.raises(
        UnsupportedSBMLError,
        match=rf"{words}.*assignment rule for 'z' "
        r"\(SBML element assignmentRule\) is not supported",
    ):
        read_sbml(_with_rule_math(inner))


def test_unsupported_constructs():
    comp_rule = _doc(
        BASE + f'<listOfRules><rateRule variable="c">{_math("<cn>1</cn>")}</rateRule></listOfRules>'
    ).replace('constant="true"/></listOfComp', 'constant="false"/></listOfComp')
    with pytest.raises(UnsupportedSBMLError, match=r"compartment 'c'.*rateRule"):
        read_sbml(comp_rule)
    stoich_math = _doc(
        '<listOfCompartments><compartment id="c" size="1"/></listOfCompartments>'
        '<listOfSpecies><species id="x" compartment="c" initialConcentration="1"/>'
        '</listOfSpecies><listOfReactions><reaction id="R"><listOfReactants>'
        f'<speciesReference species="x"><stoichiometryMath>{_math("<cn>2</cn>")}'
        "</stoichiometryMath></speciesReference></listOfReactants>"
        f"<kineticLaw>{_math('<ci>x</ci>')}</kineticLaw></reaction></listOfReactions>",
        level=2,
        version=4,
    )
    with pytest.raises(UnsupportedSBMLError, match=r"stoichiometryMath.*reaction 'R'"):
        read_sbml(stoich_math)
    fast = _doc(
        BASE + '<listOfReactions><reaction id="F" reversible="false" fast="true">'
        '<listOfReactants><speciesReference species="x" stoichiometry="1" '
        f'constant="true"/></listOfReactants><kineticLaw>{_math("<ci>x</ci>")}'
        "</kineticLaw></reaction></listOfReactions>",
        level=3,
        version=1,
    )
    with pytest.raises(UnsupportedSBMLError, match="fast reaction 'F'"):
        read_sbml(fast)
    comp_pkg = _doc(
        BASE,
        level=3,
        version=1,
        extra_ns=(
            'xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" '
            'comp:required="true"'
        ),
    )
    with pytest.raises(UnsupportedSBMLError, match="package 'comp'"):
        read_sbml(comp_pkg)


def test_unknown_symbol_is_an_sbml_error():
    with pytest.raises(SBMLError, match="unknown symbol"):
        read_sbml(_with_rule_math("<apply><times/><ci>k</ci><ci>nowhere</ci></apply>"))


# ------------------------------------------------------------------------------- ids


def test_python_keyword_ids_survive():
    # SBML ids 'lambda' (species) and 'in' (parameter): d lambda/dt = -in * lambda
    rate = _math("<apply><times/><ci>in</ci><ci>lambda</ci><ci>c</ci></apply>")
    xml = _doc(
        '<listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>'
        '<listOfSpecies><species id="lambda" compartment="c" initialConcentration="2" '
        'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
        '</listOfSpecies><listOfParameters><parameter id="in" value="0.3" constant="true"/>'
        '</listOfParameters><listOfReactions><reaction id="def" reversible="false">'
        '<listOfReactants><speciesReference species="lambda" stoichiometry="1" constant="true"/>'
        f"</listOfReactants><kineticLaw>{rate}</kineticLaw></reaction></listOfReactions>"
    )
    model = read_sbml(xml)
    assert model.species_ids == ("lambda",) and model.parameter_ids == ("in",)
    res = simulate(model, times_h=[0, 1, 2], outputs=["lambda"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res["lambda"], 2 * np.exp(-0.3 * np.array([0, 1, 2])), rtol=1e-8)
    again = read_sbml(write_sbml(model))
    assert again.species_ids == ("lambda",) and again.reactions[0].id == "def"


def test_reserved_ids_are_renamed_and_restored():
    # 'exp' and 'pi' are names of p53lab's expression language; they get a trailing '_'
    rate = _math("<apply><times/><apply><minus/><ci>pi</ci></apply><ci>exp</ci></apply>")
    xml = _doc(
        '<listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>'
        '<listOfSpecies><species id="exp" compartment="c" initialConcentration="2" '
        'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
        '</listOfSpecies><listOfParameters><parameter id="pi" value="0.5" constant="true"/>'
        f'</listOfParameters><listOfRules><rateRule variable="exp">{rate}</rateRule>'
        "</listOfRules>"
    )
    model = read_sbml(xml)
    assert model.species_ids == ("exp_",) and model.parameter_ids == ("pi_",)
    res = simulate_sbml(model, t_end=2, points=3, rtol=1e-10, atol=1e-12)
    assert res.columns == ("exp",)
    np.testing.assert_allclose(res["exp"], 2 * np.exp(-0.5 * np.arange(3)), rtol=1e-8)
    assert sbml_info(model)["default_selection"] == ["exp"]
    out = write_sbml(model)
    assert 'id="exp"' in out and "<ci> pi </ci>" in out
    assert read_sbml(out).species_ids == ("exp_",)


# ------------------------------------------------------------------------------- math


ENV = {"x": 1.0, "k": 0.5, "z": 0.0}


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<apply><ln/><ci>k</ci></apply>", math.log(0.5)),
        ("<apply><log/><ci>k</ci></apply>", math.log10(0.5)),
        ("<apply><log/><logbase><cn>2</cn></logbase><cn>8</cn></apply>", 3.0),
        ("<apply><root/><cn>16</cn></apply>", 4.0),
        ("<apply><root/><degree><cn>3</cn></degree><cn>27</cn></apply>", 3.0),
        ("<apply><power/><apply><minus/><cn>3</cn></apply><cn>2</cn></apply>", 9.0),
        ("<apply><minus/><apply><power/><cn>3</cn><cn>2</cn></apply></apply>", -9.0),
        ("<apply><minus/><cn>10</cn><apply><minus/><cn>4</cn><cn>3</cn></apply></apply>", 9.0),
        ("<apply><divide/><cn>8</cn><apply><divide/><cn>4</cn><cn>2</cn></apply></apply>", 4.0),
        ("<apply><plus/><cn>1</cn><cn>2</cn><cn>3</cn><cn>4</cn></apply>", 10.0),
        ("<apply><times/><cn>2</cn><cn>3</cn><cn>4</cn></apply>", 24.0),
        ("<apply><ceiling/><cn>1.2</cn></apply>", 2.0),
        ("<apply><floor/><cn>-1.2</cn></apply>", -2.0),
        ("<apply><abs/><cn>-3</cn></apply>", 3.0),
        ("<apply><exp/><cn>1</cn></apply>", math.e),
        ("<apply><min/><cn>3</cn><cn>1</cn><cn>2</cn></apply>", 1.0),
        ("<apply><max/><cn>3</cn><cn>1</cn><cn>2</cn></apply>", 3.0),
        ("<apply><rem/><cn>7</cn><cn>3</cn></apply>", 1.0),
        ("<apply><quotient/><cn>7</cn><cn>3</cn></apply>", 2.0),
        ("<apply><sec/><cn>0.3</cn></apply>", 1 / math.cos(0.3)),
        ("<apply><cot/><cn>0.3</cn></apply>", 1 / math.tan(0.3)),
        ("<apply><arcsinh/><cn>0.3</cn></apply>", math.asinh(0.3)),
        ("<apply><arccosh/><cn>1.3</cn></apply>", math.acosh(1.3)),
        ("<apply><arctanh/><cn>0.3</cn></apply>", math.atanh(0.3)),
        ("<apply><arccoth/><cn>1.3</cn></apply>", math.atanh(1 / 1.3)),
        ("<apply><arcsech/><cn>0.3</cn></apply>", math.acosh(1 / 0.3)),
        ("<apply><arccsch/><cn>0.3</cn></apply>", math.asinh(1 / 0.3)),
        ("<pi/>", math.pi),
        ("<exponentiale/>", math.e),
        ('<cn type="rational"> 1 <sep/> 4 </cn>', 0.25),
        ('<cn type="e-notation"> 2 <sep/> -3 </cn>', 2e-3),
        (
            '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/avogadro">'
            "N_A</csymbol>",
            6.02214076e23,
        ),
        (
            "<piecewise><piece><cn>1</cn><apply><lt/><ci>k</ci><cn>0</cn></apply></piece>"
            "<piece><cn>2</cn><apply><lt/><ci>k</ci><cn>1</cn></apply></piece>"
            "<otherwise><cn>3</cn></otherwise></piecewise>",
            2.0,
        ),
        (
            "<piecewise><piece><cn>1</cn><apply><and/><apply><lt/><cn>0</cn><ci>k</ci><cn>1</cn>"
            "</apply><apply><not/><false/></apply></apply></piece><otherwise><cn>0</cn>"
            "</otherwise></piecewise>",
            1.0,
        ),
        (
            "<piecewise><piece><cn>1</cn><apply><xor/><true/><true/></apply></piece>"
            "<otherwise><cn>0</cn></otherwise></piecewise>",
            0.0,
        ),
        (
            "<piecewise><piece><cn>1</cn><apply><implies/><false/><false/></apply></piece>"
            "<otherwise><cn>0</cn></otherwise></piecewise>",
            1.0,
        ),
        (
            "<piecewise><piece><cn>1</cn><apply><or/><apply><eq/><ci>k</ci><cn>2</cn></apply>"
            "<apply><neq/><ci>x</ci><cn>1</cn></apply></apply></piece><otherwise><cn>0</cn>"
            "</otherwise></piecewise>",
            0.0,
        ),
    ],
)
def test_mathml_translation(inner, expected):
    model = read_sbml(_with_rule_math(inner))
    text = model.assignment_rules[0].expr
    assert _eval(text, ENV) == pytest.approx(expected, rel=1e-12), text


def test_infinity_nan_time_and_delay():
    model = read_sbml(_with_rule_math("<apply><plus/><infinity/><notanumber/></apply>"))
    assert math.isnan(_eval(model.assignment_rules[0].expr, ENV))
    delay = (
        '<apply><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/'
        'delay">delay</csymbol><ci>x</ci><cn>2</cn></apply>'
    )
    time = (
        '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>'
    )
    model = read_sbml(_with_rule_math(f"<apply><plus/>{delay}{time}</apply>"))
    assert model.assignment_rules[0].expr == "delay(x, 2) + time"
    assert model.has_delays and sbml_info(model)["has_delays"]


_TEMPLATES = (
    # binary operators, weighted: nesting is where translators go wrong
    *["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / {1})"] * 3,
    "({0} - {1}) - ({1} - {2})",
    "({0} / {1}) / ({2} / {1})",
    "{0} - ({1} - {2})",
    "(abs({0}) + 1) ** ({1} / 10)",
    "-(abs({0}) + 0.5) ** {1}",
    "-({0})",
    "-(-{0})",
    "exp(({0}) / 10)",
    "sin({0})",
    "cos({0})",
    "tan(({0}) / 10)",
    "arctan({0})",
    "tanh({0})",
    "sinh(({0}) / 10)",
    "cosh(({0}) / 10)",
    "abs({0})",
    "floor({0})",
    "ceil({0})",
    "log(abs({0}) + 1)",
    "log10(abs({0}) + 1)",
    "sqrt(abs({0}))",
    "hill(abs({0}), 1.5, 2)",
    "pow(abs({0}) + 1, {1} / 20)",
    "min({0}, {1})",
    "max({0}, {1}, {2})",
    "({0} if {1} < {2} else {2})",
    "({0} if {1} == {2} else -{1})",
    "piecewise({0}, {1} >= {2} and not {0} != {2}, {1})",
    "piecewise({0}, {1} <= {2} or {0} > 1, {2} < {1}, {1})",
    "(({0}) ** 2) ** ({1} / 10)",
    "(-{0}) ** 2",
    "{0} ** 2 ** ({1} / 10)",
    "piecewise({0}, not ({1} > {2} and {0} < 1), {2})",
    "({0} if {1} < {0} < {2} else {1})",
    "piecewise({1}, not ({0} > 1 or {2} > 1), {2})",
)


def _expr_strategy():
    leaf = st.one_of(
        st.sampled_from(["a", "b", "c"]),
        st.floats(0.1, 10).map(lambda v: repr(round(v, 3))),
        st.integers(0, 5).map(str),
    )
    return st.recursive(
        leaf,
        lambda ch: st.builds(
            lambda t, args: t.format(*args),
            st.sampled_from(_TEMPLATES),
            st.lists(ch, min_size=3, max_size=3),
        ),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(expr=_expr_strategy(), a=st.floats(-5, 5), b=st.floats(-5, 5), c=st.floats(-5, 5))
def test_expression_to_mathml_and_back(expr, a, b, c):
    # our language -> to_mathml -> libSBML's MathML reader -> our importer's translation
    node = libsbml.readMathMLFromString(to_mathml(expr))
    assert node is not None
    back = _Translator({}, {}, "a test").text(node)
    env = {"a": np.float64(a), "b": np.float64(b), "c": np.float64(c)}
    want, got = _eval(expr, env), _eval(back, env)
    assume(math.isfinite(want) and abs(want) < 1e100)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (expr, back)


# ------------------------------------------------------------------------------- export


def kitchen_sink() -> Model:
    """A model using every part the exporter writes."""
    return Model(
        id="kitchen_sink",
        compartments=(Compartment("cell", 1.0), Compartment("nuc", 2.0)),
        species=(
            Species("A", 5.0, "cell"),
            Species("B", 0.0, "cell"),
            Species("N", 4.0, "nuc", amount=True, description="an amount in the nucleus"),
            Species("S", 2.0, "cell", boundary=True),
            Species("C", 1.5, "cell", constant=True),
            Species("R", 1.0, "cell"),
            Species("D", 0.0, "cell"),
        ),
        parameters=(
            Parameter(
                "k1",
                0.3,
                "per_h",
                source="Smith 2020, Table 2",
                estimated=True,
                description="A -> B <fast> & saturable",
            ),
            Parameter("k2", 0.1, "per_h", source="estimated"),
            Parameter("kd", 0.2, "nM_per_h"),
            Parameter("tau", 0.5, "h"),
            Parameter("trig", 4.0, "h"),
            Parameter("drift", 0.0, "", constant=False),
            Parameter("scale", 0.0),
        ),
        reactions=(
            Reaction(
                "r1", "k1 * hill(A, 2.0, 2) * cell", (("A", 1),), (("B", 1),), motif="degrade"
            ),
            Reaction("r2", "k2 * delay(B, tau) * cell", (("B", 1),), (("A", 1),)),
            Reaction("r3", "kd * C * piecewise(1, time < 3, 0.5)", (("C", 1),), (("N", 1),)),
            Reaction("r4", "0.1 * N", (("N", 1),), ()),
            Reaction("r5", "0.05 * S * A * cell", (("S", 1), ("A", 1)), (("B", 2),)),
        ),
        assignment_rules=(Rule("D", "log10(A + 1) + B ** 2 + max(A, B) * scale"),),
        rate_rules=(Rule("R", "-0.2 * R + min(A, B)"), Rule("drift", "0.1")),
        initial_assignments=(
            InitialAssignment("scale", "2 * k1"),
            InitialAssignment("B", "A / 10"),
        ),
        events=(
            Event(
                "e1",
                "time >= trig",
                (EventAssignment("A", "A + 1"),),
                delay="tau",
                priority="1",
                persistent=False,
                initial_value=False,
                use_values_from_trigger_time=False,
            ),
            Event("e2", "A < 1", (EventAssignment("B", "B / 2"),), priority="2"),
        ),
        observables=(Observable("total", "A + B", description="free plus bound"),),
        time_units="h",
        conc_units="nM",
    )


def _consistency_errors(xml: str) -> list[str]:
    doc = libsbml.readSBMLFromString(xml)
    doc.checkConsistency()
    return [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]


def _assert_same_run(m1: Model, m2: Model, t_end: float) -> None:
    out = list(simulate(m1, t_end=t_end, points=3).columns)
    r1 = simulate(m1, t_end=t_end, points=201, outputs=out, rtol=1e-10, atol=1e-12)
    r2 = simulate(m2, t_end=t_end, points=201, outputs=out, rtol=1e-10, atol=1e-12)
    assert r1.ok and r2.ok, (r1.message, r2.message)
    scale = np.maximum(np.max(np.abs(r1.values), axis=0), 1e-300)
    assert np.max(np.abs(r1.values - r2.values) / scale) < 1e-9


@pytest.mark.parametrize("name", ["BIOMD0000000252", "BIOMD0000000157"])
def test_reference_round_trip(shared_reference, name):
    model = read_sbml(shared_reference / "sbml" / f"{name}.xml")
    xml = write_sbml(model)
    assert _consistency_errors(xml) == []
    again = read_sbml(xml)
    assert again.time_units == model.time_units == "h"
    assert sbml_default_selection(again) == sbml_default_selection(model)
    _assert_same_run(model, again, 48)


def test_kitchen_sink_round_trip(tmp_path):
    model = kitchen_sink()
    path = tmp_path / "sink.xml"
    xml = write_sbml(model, path)
    assert path.read_text(encoding="utf-8") == xml
    assert _consistency_errors(xml) == []
    again = read_sbml(path)
    assert (again.time_units, again.conc_units) == ("h", "nM")
    assert again.observables == model.observables
    assert again.events == model.events
    assert again.initial_assignments == model.initial_assignments
    assert again.rate_rules == model.rate_rules and again.assignment_rules == model.assignment_rules
    assert [(r.id, r.reactants, r.products, r.motif) for r in again.reactions] == [
        (r.id, r.reactants, r.products, r.motif) for r in model.reactions
    ]
    assert again.species_by_id("N").amount and again.species_by_id("S").boundary
    assert again.species_by_id("N").description == "an amount in the nucleus"
    _assert_same_run(model, again, 10)


def test_parameter_provenance_survives_in_notes():
    model = kitchen_sink()
    xml = write_sbml(model)
    assert "<p>Source: Smith 2020, Table 2</p>" in xml
    assert "<p>Estimated: yes</p>" in xml
    again = read_sbml(xml)
    for p in model.parameters:
        q = again.parameter(p.id)
        assert (q.value, q.units, q.source, q.estimated, q.description) == (
            p.value,
            p.units,
            p.source,
            p.estimated,
            p.description,
        )


def test_time_and_concentration_units():
    model = kitchen_sink()
    doc = libsbml.readSBMLFromString(write_sbml(model))
    m = doc.getModel()
    assert m.getTimeUnits() == "hour" and m.getSubstanceUnits() == "nmol"
    assert m.getVolumeUnits() == "litre"
    u = m.getUnitDefinition("hour").getUnit(0)
    assert u.getMultiplier() == 3600 and libsbml.UnitKind_toString(u.getKind()) == "second"
    minutes = Model(id="m", compartments=(Compartment("cell"),), time_units="min", conc_units="µM")
    again = read_sbml(write_sbml(minutes))
    assert (again.time_units, again.conc_units) == ("min", "µM")
    odd = Model(
        id="m", compartments=(Compartment("cell"),), time_units="fortnight", conc_units="copies"
    )
    again = read_sbml(write_sbml(odd))
    assert (again.time_units, again.conc_units) == ("model time units", "model concentration units")


def test_info_counts(shared_reference):
    info = sbml_info(read_sbml(shared_reference / "sbml" / "BIOMD0000000252.xml"))
    assert (info["species"], info["parameters"], info["reactions"], info["rate_rules"]) == (
        4,
        9,
        0,
        4,
    )
    assert info["time_units"] == "h" and not info["has_delays"]
    assert info["default_selection"] == ["p", "mm", "m", "pm"]
