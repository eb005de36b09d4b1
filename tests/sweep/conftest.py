"""Fixtures for the sweep tests: a tiny model with known answers, written as SBML, and specs.

The model (time in h, concentrations in nM)::

    x' = u + g·x² − k·x          x(0) = 1    (u = g = 0: x = exp(−k t))
    y' = k·x − 0.1·y             y(0) = 0    (u = g = 0: y = k/(k − 0.1)·(e^(−0.1 t) − e^(−k t)))
    a' = w·b,  b' = −w·a         a(0) = 1, b(0) = 0   (a = cos(w t): work that scales with w)

``g`` > 0 makes x blow up at t = 1/g (a member that fails); ``w`` sets the cost of a member.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from p53lab.io import write_sbml
from p53lab.model import Components, Model, Parameter, Reaction, Species

TINY = Model.build(
    "tiny",
    Components(
        species=(Species("x", 1.0), Species("y", 0.0), Species("a", 1.0), Species("b", 0.0)),
        parameters=(
            Parameter("k", 0.5, "1/h"),
            Parameter("g", 0.0, "1/(nM*h)"),
            Parameter("u", 0.0, "nM/h"),
            Parameter("w", 1.0, "1/h"),
        ),
        reactions=(
            Reaction("grow", "u + g*x*x - k*x", products=(("x", 1),)),
            Reaction("conv", "k*x - 0.1*y", products=(("y", 1),)),
            Reaction("osc_a", "w*b", products=(("a", 1),)),
            Reaction("osc_b", "w*a", reactants=(("b", 1),)),
        ),
    ),
)

# A spec exercising every axis: 2 grid points × 2 schedules × 8 draws = 32 members, 6 chunks.
BASE = {
    "name": "tiny sweep",
    "model": "tiny.xml",
    "times": {"t_end": 10, "points": 11},
    "samples": 8,
    "seed": 3,
    "sampling": "lhs",
    "parameters": {"k": {"lognormal": {"cv": 0.3}}, "w": {"uniform": [0.5, 2.0]}},
    "correlation": [["k", "w", 0.5]],
    "grid": {"u": [0, 0.5]},
    "schedules": [
        {"name": "none", "changes": []},
        {"name": "pulse", "changes": [{"t": 5, "target": "x", "value": 1, "mode": "add"}]},
    ],
    "outputs": ["x", "y", "a"],
    "summaries": [
        {"output": "x", "stat": "auc"},
        {"output": "y", "stat": "time_above", "threshold": 0.2},
    ],
    "chunk_size": 6,
}


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    return TINY


@pytest.fixture
def base_spec() -> dict:
    """A deep copy of BASE, the spec make_spec writes."""
    return copy.deepcopy(BASE)


@pytest.fixture(scope="session")
def tiny_sbml_text() -> str:
    return write_sbml(TINY)


@pytest.fixture
def make_spec(tmp_path, tiny_sbml_text):
    """make_spec(**keys) -> path of a YAML spec in tmp_path (BASE updated by keys; a key
    given as None is dropped), next to the tiny model as tiny.xml."""
    (tmp_path / "tiny.xml").write_text(tiny_sbml_text)

    def make(filename: str = "sweep.yaml", **keys) -> Path:
        data = {**BASE, **keys}
        data = {k: v for k, v in data.items() if v is not None}
        path = tmp_path / filename
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make
