"""What the in-silico writers share: argument checks with one message template, seeded
noise, the returned record of files written and its provenance."""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from .._jsonable import jsonable
from .._version import __version__
from ..errors import ParameterError, param_error

__all__ = ["WrittenFiles"]

FRACTION_TOL = 1e-6
"""Fractions must sum to 1 within this tolerance."""


@dataclasses.dataclass(frozen=True)
class WrittenFiles:
    """The files one writer produced (``paths``: role → path) and the inputs that made them.

    Index it by role (``files["plate"]``); iterating yields the paths. ``provenance`` holds the
    writer, its parameters, the seed and the p53lab version; it is also written as
    ``<name>_provenance.json`` (role ``"provenance"``).
    """

    paths: Mapping[str, Path]
    provenance: Mapping = dataclasses.field(default_factory=dict)

    def __getitem__(self, role: str) -> Path:
        try:
            return self.paths[role]
        except KeyError:
            raise ParameterError(
                f"No file with role {role!r} was written; roles: {', '.join(self.paths)}."
            ) from None

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths.values())

    def __len__(self) -> int:
        return len(self.paths)


def prepare_dir(owner: str, path) -> Path:
    """The output folder, created when missing; a file in its place is an error."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise param_error(owner, "out_dir", "a folder (it is an existing file)", str(p))
    p.mkdir(parents=True, exist_ok=True)
    return p


def check_name(owner: str, name: str) -> str:
    s = str(name)
    if not s or any(ch in s for ch in '/\\:*?"<>|') or s.strip() != s:
        raise param_error(owner, "name", "a plain file stem (letters, digits, '_', '-', '.')", name)
    return s


def check_seed(owner: str, seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise param_error(owner, "seed", "a whole number >= 0", seed)
    return int(seed)


def check_number(
    owner: str,
    name: str,
    value,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """``value`` as a finite float inside [lo, hi] (open ends where asked)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise param_error(owner, name, "a number", value) from None
    if not math.isfinite(v):
        raise param_error(owner, name, "a finite number", value)
    bad_lo = lo is not None and (v <= lo if lo_open else v < lo)
    bad_hi = hi is not None and (v >= hi if hi_open else v > hi)
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        rule = (
            f"in {left}{lo:g}, {hi:g}{right}"
            if lo is not None and hi is not None
            else (f"{'>' if lo_open else '>='} {lo:g}" if lo is not None else f"<= {hi:g}")
        )
        raise param_error(owner, name, rule, value)
    return v


def check_count(owner: str, name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise param_error(owner, name, f"a whole number >= {minimum}", value)
    return int(value)


def check_fractions(
    owner: str, fractions: Mapping[str, float], keys: Sequence[str], aliases: Mapping[str, str]
) -> dict[str, float]:
    """Fractions by canonical key (missing keys are 0): each finite in [0, 1], sum 1 ± 1e-6."""
    if not isinstance(fractions, Mapping):
        raise param_error(owner, "fractions", f"a mapping of {', '.join(keys)}", fractions)
    out = dict.fromkeys(keys, 0.0)
    for k, v in fractions.items():
        key = aliases.get(str(k).strip().lower(), str(k).strip().lower())
        if key not in out:
            raise ParameterError(
                f"The 'fractions' parameter of {owner} has an unknown key {k!r}; use "
                f"{', '.join(map(repr, keys))}."
            )
        out[key] = check_number(owner, f"fractions[{k!r}]", v, lo=0.0, hi=1.0)
    total = math.fsum(out.values())
    if abs(total - 1.0) > FRACTION_TOL:
        raise ParameterError(
            f"The 'fractions' parameter of {owner} must sum to 1. Got {dict(fractions)!r} "
            f"(sum {total:.6g}) instead. Give fractions of 1, not percentages, and include "
            "every population."
        )
    return out


def lognormal_factor(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    """Mean-one log-normal multipliers with coefficient of variation ``cv``:
    σ² = ln(1 + cv²), μ = −σ²/2 (so that E = 1 and SD/E = cv)."""
    if cv == 0:
        return np.ones(size)
    s2 = math.log1p(cv * cv)
    return np.exp(rng.normal(-0.5 * s2, math.sqrt(s2), size))


def write_provenance(path: Path, writer: str, seed: int, parameters: Mapping) -> dict:
    prov = {
        "writer": f"p53lab.insilico.{writer}",
        "p53lab_version": __version__,
        "seed": seed,
        "parameters": jsonable(parameters, nonfinite="text"),
    }
    path.write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")
    return prov
