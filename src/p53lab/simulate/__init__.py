"""Simulation: ``simulate(model, schedule, times_h)``, ensembles and steady states."""

from ._compile import CompiledModel, compile_model
from ._ensemble import EnsembleResult, simulate_ensemble
from ._result import SimulationResult
from ._schedule import DRUG_MEDIUM, Change, Schedule
from ._solver import SolverSettings, SteadyState, default_outputs, simulate, steady_state

__all__ = [
    "DRUG_MEDIUM",
    "Change",
    "CompiledModel",
    "EnsembleResult",
    "Schedule",
    "SimulationResult",
    "SolverSettings",
    "SteadyState",
    "compile_model",
    "default_outputs",
    "simulate",
    "simulate_ensemble",
    "steady_state",
]
