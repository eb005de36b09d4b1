"""Files at the edge: SBML import and export (more formats join here)."""

from .sbml import (
    read_sbml,
    sbml_default_selection,
    sbml_ids,
    sbml_info,
    simulate_sbml,
    write_sbml,
)

__all__ = [
    "read_sbml",
    "sbml_default_selection",
    "sbml_ids",
    "sbml_info",
    "simulate_sbml",
    "write_sbml",
]
