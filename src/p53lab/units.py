"""Canonical units and converters.

Inside p53lab every quantity is in one unit, spelled in its name: concentrations in nM
(``conc_nM``), times in hours (``t_h``), rates per hour (``kdeg_per_h``), second-order rate
constants per nM per hour (``kon_per_nM_per_h``), doses in mg/kg (``dose_mg_per_kg``) or mg.
Conversion happens only where text enters (files, command line, web forms).
"""

from __future__ import annotations

import math
import re

from .errors import UnitError

__all__ = [
    "CONC_FACTORS_TO_NM",
    "TIME_FACTORS_TO_H",
    "mass_conc_to_nM",
    "parse_conc_nM",
    "parse_time_h",
    "to_h",
    "to_nM",
]

# Factor that converts one of the unit into nM.
CONC_FACTORS_TO_NM: dict[str, float] = {
    "fm": 1e-6,
    "pm": 1e-3,
    "nm": 1.0,
    "um": 1e3,
    "µm": 1e3,
    "μm": 1e3,  # Greek mu, as typed on some keyboards
    "mm": 1e6,
    "m": 1e9,
}

# Factor that converts one of the unit into hours.
TIME_FACTORS_TO_H: dict[str, float] = {
    "s": 1 / 3600,
    "sec": 1 / 3600,
    "min": 1 / 60,
    "h": 1.0,
    "hr": 1.0,
    "hour": 1.0,
    "hours": 1.0,
    "d": 24.0,
    "day": 24.0,
    "days": 24.0,
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ]*)\s*$")


_DISPLAY = {"concentration": "pM, nM, uM (or µM), mM, M", "time": "s, min, h, d"}


def _factor(table: dict[str, float], unit: str, kind: str) -> float:
    key = unit.strip().lower()
    if key not in table:
        raise UnitError(f"Unknown {kind} unit {unit!r}. Use one of: {_DISPLAY[kind]}.")
    return table[key]


def to_nM(value: float, unit: str) -> float:
    """Convert a concentration ``value`` in ``unit`` (pM, nM, uM/µM, mM, M) to nM."""
    return float(value) * _factor(CONC_FACTORS_TO_NM, unit, "concentration")


def to_h(value: float, unit: str) -> float:
    """Convert a time ``value`` in ``unit`` (s, min, h, d) to hours."""
    return float(value) * _factor(TIME_FACTORS_TO_H, unit, "time")


def _parse(text: str, table: dict[str, float], kind: str, default_unit: str) -> float:
    m = _QUANTITY.match(str(text))
    if not m:
        raise UnitError(
            f"Cannot read {text!r} as a {kind}. Write a number with an optional unit, "
            f"for example '10 {default_unit}'."
        )
    value = float(m.group(1))
    unit = m.group(2) or default_unit
    try:
        out = value * _factor(table, unit, kind)
    except UnitError as exc:
        raise UnitError(f"Cannot read {text!r}: {exc}") from None
    if not math.isfinite(out):
        raise UnitError(f"The {kind} {text!r} is not a finite number.")
    return out


def parse_conc_nM(text: str | float, default_unit: str = "nM") -> float:
    """Read '10 nM', '1.5uM', '2e-6 M' or a bare number (in ``default_unit``) as nM."""
    if isinstance(text, int | float):
        return to_nM(text, default_unit)
    return _parse(text, CONC_FACTORS_TO_NM, "concentration", default_unit)


def parse_time_h(text: str | float, default_unit: str = "h") -> float:
    """Read '30 min', '24h', '2 d' or a bare number (in ``default_unit``) as hours."""
    if isinstance(text, int | float):
        return to_h(text, default_unit)
    return _parse(text, TIME_FACTORS_TO_H, "time", default_unit)


def mass_conc_to_nM(value: float, unit: str, mw_g_per_mol: float) -> float:
    """Convert a mass concentration (ng/mL, ug/mL, mg/L, g/L) to nM given the molar mass."""
    factors_g_per_L = {
        "ng/ml": 1e-6,
        "ug/ml": 1e-3,
        "µg/ml": 1e-3,
        "mg/l": 1e-3,
        "mg/ml": 1.0,
        "g/l": 1.0,
    }
    key = unit.strip().lower()
    if key not in factors_g_per_L:
        raise UnitError(f"Unknown mass-concentration unit {unit!r}. Use ng/mL, ug/mL, mg/L or g/L.")
    if not mw_g_per_mol > 0:
        raise UnitError(f"The molar mass must be > 0 g/mol. Got {mw_g_per_mol!r} instead.")
    return float(value) * factors_g_per_L[key] / mw_g_per_mol * 1e9
