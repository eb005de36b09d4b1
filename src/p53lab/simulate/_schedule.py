"""Dose schedules for cell-level simulation: bath application, wash-out and other set-points.

A :class:`Schedule` is frozen data: a sorted tuple of :class:`Change` events, each setting (or
adding to) a parameter or species at a time. For the core circuit the drug in the medium is the
parameter ``drug_medium_nM``; a DNA-damage pulse sets the species ``damage``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import param_error

__all__ = ["Change", "Schedule"]

DRUG_MEDIUM = "drug_medium_nM"


@dataclass(frozen=True, order=True)
class Change:
    """At ``t_h``, set ``target`` to ``value`` (``mode='set'``) or add ``value`` (``'add'``)."""

    t_h: float
    target: str = field(compare=False)
    value: float = field(compare=False)
    mode: str = field(default="set", compare=False)
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.t_h):
            raise param_error("Change", "t_h", "a finite time in hours", self.t_h)
        if not math.isfinite(self.value):
            raise param_error("Change", "value", "a finite number", self.value)
        if self.mode not in ("set", "add"):
            raise param_error("Change", "mode", "'set' or 'add'", self.mode)


@dataclass(frozen=True)
class Schedule:
    """A time-ordered list of changes applied during a simulation."""

    changes: tuple[Change, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(sorted(self.changes)))

    def __add__(self, other: Schedule) -> Schedule:
        return Schedule(self.changes + other.changes)

    @property
    def times_h(self) -> tuple[float, ...]:
        return tuple(sorted({c.t_h for c in self.changes}))

    @classmethod
    def bath(
        cls,
        conc_nM: float,
        at_h: float = 0.0,
        washout_h: float | None = None,
        target: str = DRUG_MEDIUM,
    ) -> Schedule:
        """Add drug to the medium at ``conc_nM`` from ``at_h``; optionally wash it out."""
        if not (isinstance(conc_nM, int | float) and math.isfinite(conc_nM)) or conc_nM < 0:
            raise param_error("Schedule.bath", "conc_nM", "a finite concentration >= 0 nM", conc_nM)
        ch = [Change(at_h, target, float(conc_nM), label=f"add {conc_nM:g} nM")]
        if washout_h is not None:
            if washout_h <= at_h:
                raise param_error("Schedule.bath", "washout_h", f"> at_h ({at_h})", washout_h)
            ch.append(Change(washout_h, target, 0.0, label="wash-out"))
        return cls(tuple(ch))

    @classmethod
    def washout(cls, at_h: float, target: str = DRUG_MEDIUM) -> Schedule:
        return cls((Change(at_h, target, 0.0, label="wash-out"),))

    @classmethod
    def set(cls, at_h: float, target: str, value: float, label: str = "") -> Schedule:
        return cls((Change(at_h, target, float(value), label=label),))

    def to_list(self) -> list[dict]:
        return [
            {"t_h": c.t_h, "target": c.target, "value": c.value, "mode": c.mode, "label": c.label}
            for c in self.changes
        ]
