"""Analysis of lab data: each module has ``fit(...) -> Result`` and ``plot(result, ax=None)``."""

from ._base import FitResult, jsonable

__all__ = ["FitResult", "jsonable"]
