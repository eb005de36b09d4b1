"""Simulation: ``simulate(model, schedule, times_h)`` as a pure function; steady states."""

from ._compile import CompiledModel, compile_model
from ._result import SimulationResult
from ._schedule import DRUG_MEDIUM, Change, Schedule
from ._solver import SolverSettings, SteadyState, simulate, steady_state

__all__ = [
    "DRUG_MEDIUM",
    "Change",
    "CompiledModel",
    "Schedule",
    "SimulationResult",
    "SolverSettings",
    "SteadyState",
    "compile_model",
    "simulate",
    "steady_state",
]
