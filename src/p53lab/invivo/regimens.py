"""Dosing regimens: which days and hours a dose is given, how much, by which route.

Named schedules (day 1 = the first treatment day, time 0 h):

=================  ==============================================================
``single``         one dose at time 0
``qd``             once daily
``bid``            twice daily (0 and 12 h)
``qw``             once weekly
``q3w``            once every three weeks
``d1-3,15-17/q28d`` days 1–3 and 15–17 of every 28-day cycle (milademetan, Gounder 2023)
``d1,8/q4w``       days 1 and 8 of every 28-day cycle
``custom``         ``days`` (1-based) of a ``cycle_days`` cycle, ``per_day`` doses a day;
                   or ``interval_h`` (every so many hours); or explicit ``times_h``
=================  ==============================================================

Doses are given while t < ``duration_days``·24 h.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, param_error
from .pk import DOSE_UNITS, ROUTES, Dose

__all__ = ["SCHEDULES", "Regimen"]

# name -> (days of the cycle, cycle length in days, doses per day)
_CYCLIC = {
    "qd": ((1,), 1, 1),
    "bid": ((1,), 1, 2),
    "qw": ((1,), 7, 1),
    "q3w": ((1,), 21, 1),
    "d1-3,15-17/q28d": ((1, 2, 3, 15, 16, 17), 28, 1),
    "d1,8/q4w": ((1, 8), 28, 1),
}
SCHEDULES = ("single", *_CYCLIC, "custom")


@dataclass(frozen=True)
class Regimen:
    """A regimen; validated on construction (the message names the bad field)."""

    dose: float
    dose_unit: str
    schedule: str = "qd"
    duration_days: float = 21.0
    route: str = "oral"
    infusion_h: float = 0.0
    days: tuple[int, ...] = ()
    cycle_days: float = 0.0
    per_day: int = 1
    interval_h: float = 0.0
    times_h: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        own = "Regimen"
        if isinstance(self.dose, bool) or not isinstance(self.dose, int | float):
            raise ParameterError(
                f"The 'dose' parameter of {own} must be a number in {self.dose_unit}. "
                f"Got {self.dose!r} instead (no unit text in the number)."
            )
        if not (math.isfinite(self.dose) and self.dose >= 0):
            raise param_error(own, "dose", "a finite dose >= 0", self.dose)
        if self.dose_unit not in DOSE_UNITS:
            raise param_error(own, "dose_unit", f"one of {DOSE_UNITS}", self.dose_unit)
        if self.schedule not in SCHEDULES:
            raise param_error(own, "schedule", f"one of {', '.join(SCHEDULES)}", self.schedule)
        if not (math.isfinite(self.duration_days) and self.duration_days > 0):
            raise param_error(own, "duration_days", "> 0 days", self.duration_days)
        if self.route not in ROUTES:
            raise param_error(own, "route", f"one of {ROUTES}", self.route)
        if self.route == "infusion" and not self.infusion_h > 0:
            raise param_error(own, "infusion_h", "> 0 h for an infusion", self.infusion_h)
        if self.schedule == "custom":
            self._check_custom()

    def _check_custom(self) -> None:
        own = "Regimen"
        ways = sum(bool(x) for x in (self.days, self.interval_h, self.times_h))
        if ways != 1:
            raise ParameterError(
                "A custom regimen needs exactly one of 'days' (with 'cycle_days'), "
                "'interval_h' or 'times_h'."
            )
        if self.times_h:
            t = np.asarray(self.times_h, dtype=float)
            if not np.all(np.isfinite(t)) or np.any(t < 0):
                raise param_error(own, "times_h", "finite times >= 0 h", list(self.times_h))
        if self.interval_h and not (math.isfinite(self.interval_h) and self.interval_h > 0):
            raise param_error(own, "interval_h", "> 0 h", self.interval_h)
        if self.interval_h and self.interval_h < 0:
            raise param_error(own, "interval_h", "> 0 h", self.interval_h)
        if self.days:
            if not (math.isfinite(self.cycle_days) and self.cycle_days > 0):
                raise param_error(own, "cycle_days", "> 0 days with 'days'", self.cycle_days)
            for d in self.days:
                if isinstance(d, bool) or int(d) != d or d < 1:
                    raise param_error(own, "days", "whole day numbers >= 1", list(self.days))
                if d > self.cycle_days:
                    raise ParameterError(
                        f"The 'days' parameter of {own} lists day {d}, outside a "
                        f"{self.cycle_days:g}-day cycle (days {list(self.days)}). Use days "
                        f"1-{int(self.cycle_days)} or a longer 'cycle_days'."
                    )
            if len(set(self.days)) != len(self.days):
                raise param_error(own, "days", "distinct days", list(self.days))
            if not (1 <= self.per_day <= 24):
                raise param_error(own, "per_day", "between 1 and 24", self.per_day)

    # ------------------------------------------------------------------ doses
    def dose_times_h(self) -> np.ndarray:
        """Every dose time (h) within the duration, ascending."""
        end = self.duration_days * 24.0
        if self.schedule == "single":
            t = [0.0]
        elif self.schedule == "custom" and self.times_h:
            t = sorted(float(x) for x in self.times_h)
        elif self.schedule == "custom" and self.interval_h:
            t = list(np.arange(0.0, end, self.interval_h))
        else:
            days, cycle, per_day = (
                (self.days, self.cycle_days, self.per_day)
                if self.schedule == "custom"
                else _CYCLIC[self.schedule]
            )
            t = []
            start = 0.0
            while start < end:
                for d in days:
                    for k in range(per_day):
                        t.append(start + (d - 1) * 24.0 + k * 24.0 / per_day)
                start += cycle * 24.0
        return np.asarray([x for x in t if x < end or self.schedule == "single"], dtype=float)

    def doses(self) -> list[Dose]:
        return [
            Dose(float(t), float(self.dose), self.route, self.infusion_h)
            for t in self.dose_times_h()
        ]

    def total_dose(self, over_days: float) -> float:
        """Sum of doses given in the first ``over_days`` days (dose unit)."""
        t = self.dose_times_h()
        return float(self.dose * np.sum(t < over_days * 24.0))

    def describe(self) -> str:
        if self.schedule == "custom":
            if self.days:
                how = f"days {list(self.days)} of {self.cycle_days:g}-day cycles"
            elif self.interval_h:
                how = f"every {self.interval_h:g} h"
            else:
                how = f"at {len(self.times_h)} given times"
        else:
            how = self.schedule
        return f"{self.dose:g} {self.dose_unit} {self.route} {how} for {self.duration_days:g} days"

    @classmethod
    def from_fields(cls, f, default_unit: str | None = None) -> Regimen:
        """Read a regimen from study fields (a :class:`~p53lab.studies.registry.Fields`)."""
        unit = f.choice("dose_unit", DOSE_UNITS, default_unit if default_unit else ...)
        dose = f.number("dose", minimum=0, unit=unit)
        schedule = f.choice("schedule", SCHEDULES, "qd")
        duration = f.number("duration_days", 21.0, minimum=0, exclusive_minimum=True, unit="d")
        route = f.choice("route", ROUTES, "oral")
        infusion_h = f.number("infusion_h", 0.0, minimum=0, unit="h")
        days: Sequence = ()
        cycle_days = 0.0
        interval_h = 0.0
        times: Sequence = ()
        per_day = 1
        if f.has("days"):
            days = tuple(int(x) for x in f.numbers("days", minimum=1))
            for i, x in enumerate(f.numbers("days")):
                if int(x) != x:
                    raise f.error(f"days[{i}]", f"give whole day numbers. Got {x:g}.")
        if f.has("cycle_days"):
            cycle_days = f.number("cycle_days", minimum=0, exclusive_minimum=True, unit="d")
        if f.has("per_day"):
            per_day = f.integer("per_day", minimum=1)
        if f.has("interval_h"):
            interval_h = f.number("interval_h", minimum=0, exclusive_minimum=True, unit="h")
        if f.has("times_h"):
            times = tuple(f.numbers("times_h", minimum=0, unit="h"))
        if schedule != "custom" and (days or interval_h or times):
            raise f.error(
                "schedule",
                f"'days', 'interval_h' and 'times_h' need schedule: custom (got {schedule!r}).",
            )
        try:
            return cls(
                dose=dose,
                dose_unit=unit,
                schedule=schedule,
                duration_days=duration,
                route=route,
                infusion_h=infusion_h,
                days=tuple(days),
                cycle_days=cycle_days,
                per_day=per_day,
                interval_h=interval_h,
                times_h=tuple(times),
            )
        except ParameterError as exc:
            raise ParameterError(f"{f.label}: {f.prefix.rstrip('.') or 'regimen'}: {exc}") from None
