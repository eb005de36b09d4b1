"""Batch engine (work in progress): every member advanced together."""

from __future__ import annotations


def batch_supported(model, cm) -> str | None:
    """None when the batch engine can run ``model``, else the reason it cannot."""
    return "the batch engine is not available yet"


def run_batch(model, cm, Y0, P0, scheds, times, out_idx, *, rtol, atol, max_steps, progress):
    raise NotImplementedError
