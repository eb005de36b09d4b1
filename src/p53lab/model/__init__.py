"""Models as frozen data, built from named motifs; the p53–MDM2–MDMX core circuit and drugs."""

from ._expr import FUNCTIONS, parse_expr
from ._model import (
    Compartment,
    Components,
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

__all__ = [
    "FUNCTIONS",
    "Compartment",
    "Components",
    "Event",
    "EventAssignment",
    "InitialAssignment",
    "Model",
    "Observable",
    "Parameter",
    "Reaction",
    "Rule",
    "Species",
    "parse_expr",
]
