"""The guides' protocols as studies that produce assay-format tables and figures."""

from .western import WesternResult, plot_western, run_western

__all__ = ["WesternResult", "plot_western", "run_western"]
