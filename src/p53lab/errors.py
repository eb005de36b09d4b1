"""The p53lab error tree.

Every error a user can cause derives from :class:`P53labError` and from the matching built-in
(``ValueError``, ``FileNotFoundError``, ...), so callers may catch either. Messages say what was
wrong, with which value, and what to try. Errors pickle (they cross process and Dask workers):
each keeps its message as its only positional argument.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "FileFormatError",
    "ModelError",
    "P53labError",
    "ParameterError",
    "SBMLError",
    "SimulationError",
    "UnitError",
    "UnsupportedSBMLError",
    "check_finite",
    "check_nonnegative",
    "check_positive",
    "param_error",
]


class P53labError(Exception):
    """Base of every error p53lab raises on purpose. The CLI prints these without a traceback."""


class ParameterError(P53labError, ValueError):
    """A value given to a public function or command is outside its rule."""


class UnitError(ParameterError):
    """A quantity's unit is unknown or cannot be converted."""


class CatalogError(P53labError, KeyError):
    """A compound or cell line is not in the catalog."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message
        return str(self.args[0]) if self.args else ""


class ModelError(P53labError, ValueError):
    """A model is inconsistent: unknown ids, duplicate ids, invalid expressions."""


class SimulationError(P53labError, RuntimeError):
    """The solver failed. Batch APIs record this as a status instead of raising."""


class FileFormatError(P53labError, ValueError):
    """An input file is malformed. The message names the file and the place."""


class SBMLError(FileFormatError):
    """An SBML file cannot be read."""


class UnsupportedSBMLError(SBMLError):
    """An SBML construct that p53lab does not simulate; the message names the element."""


def param_error(owner: str, name: str, rule: str, value: object) -> ParameterError:
    """The one message template for a parameter outside its rule.

    >>> str(param_error("fit_dose_response", "hill", "> 0", -1.0))
    "The 'hill' parameter of fit_dose_response must be > 0. Got -1.0 instead."
    """
    return ParameterError(
        f"The {name!r} parameter of {owner} must be {rule}. Got {value!r} instead."
    )


def check_finite(owner: str, name: str, value: float) -> float:
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        raise param_error(owner, name, "a finite number", value)
    return v


def check_nonnegative(owner: str, name: str, value: float) -> float:
    v = check_finite(owner, name, value)
    if v < 0:
        raise param_error(owner, name, ">= 0", value)
    return v


def check_positive(owner: str, name: str, value: float) -> float:
    v = check_finite(owner, name, value)
    if v <= 0:
        raise param_error(owner, name, "> 0", value)
    return v
