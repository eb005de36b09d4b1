"""Units, the error tree and the message template."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from p53lab import errors
from p53lab.units import mass_conc_to_nM, parse_conc_nM, parse_time_h, to_h, to_nM


@pytest.mark.parametrize(
    "text,nM",
    [
        ("10 nM", 10.0),
        ("1.5uM", 1500.0),
        ("1.5 µM", 1500.0),
        ("2e-6 M", 2000.0),
        ("250 pM", 0.25),
        ("3", 3.0),
        ("0.1 mM", 1e5),
    ],
)
def test_parse_concentration(text, nM):
    assert parse_conc_nM(text) == pytest.approx(nM)


@pytest.mark.parametrize(
    "text,h", [("30 min", 0.5), ("24h", 24.0), ("2 d", 48.0), ("90 s", 0.025), ("4", 4.0)]
)
def test_parse_time(text, h):
    assert parse_time_h(text) == pytest.approx(h)


@given(v=st.floats(1e-6, 1e9), unit=st.sampled_from(["pM", "nM", "uM", "mM", "M"]))
def test_concentration_text_round_trip(v, unit):
    assert parse_conc_nM(f"{v!r} {unit}") == pytest.approx(to_nM(v, unit), rel=1e-12)


@given(text=st.text(max_size=12))
def test_parser_returns_a_finite_number_or_raises_unit_error(text):
    try:
        v = parse_conc_nM(text)
    except errors.UnitError:
        return
    assert math.isfinite(v)


@pytest.mark.parametrize("bad", ["10 furlongs", "ten nM", "", "1e999 nM"])
def test_bad_quantities_name_the_text(bad):
    with pytest.raises(errors.UnitError) as e:
        parse_conc_nM(bad)
    assert "nM" in str(e.value) or repr(bad) in str(e.value)


def test_mass_concentration_uses_molar_mass():
    # milademetan free base 618.53 g/mol: 618.53 ng/mL = 1 uM
    assert mass_conc_to_nM(618.53, "ng/mL", 618.53) == pytest.approx(1000.0)
    assert to_h(90, "min") == 1.5


def test_message_template_names_owner_parameter_rule_and_value():
    e = errors.param_error("fit_dose_response", "hill", "> 0", -1.0)
    assert str(e) == "The 'hill' parameter of fit_dose_response must be > 0. Got -1.0 instead."
    assert isinstance(e, ValueError) and isinstance(e, errors.P53labError)


@pytest.mark.parametrize(
    "cls",
    [
        errors.ParameterError,
        errors.UnitError,
        errors.CatalogError,
        errors.ModelError,
        errors.SimulationError,
        errors.SBMLError,
        errors.UnsupportedSBMLError,
        errors.FileFormatError,
    ],
)
def test_errors_pickle_with_their_message(cls):
    e = cls("what was wrong, with which value, and what to try")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and str(back) == str(e)
    assert isinstance(back, errors.P53labError)
