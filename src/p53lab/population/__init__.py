"""Cell populations: fate decided from each cell's p53 dynamics, growth, and the readouts of
the guides' assays (viability, Annexin V/PI, DNA content, qPCR, Western)."""

from .fate import FateParams
from .population import Condition, PopulationResult, simulate_population

__all__ = ["Condition", "FateParams", "PopulationResult", "simulate_population"]
