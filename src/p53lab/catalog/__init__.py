"""The catalog: compounds, cell lines and strategies by p53 status, every number with its source.

>>> from p53lab import catalog
>>> catalog.compound("AMG 232").mdm2_kd_nM.value       # navtemadlin, K_D by SPR (Sun 2014)
0.045
>>> catalog.compound("kt253").degrader.dc50_nM.value
0.4
>>> catalog.cell_line("SJSA-1").mdm2_amplification_fold.value > 1
True

Names match case-insensitively and ignoring spaces, '-' and '_'. Each quantity is a
:class:`Value` with ``value``, ``unit``, ``source``, ``estimated`` and ``note``; estimated values
(model starting points, placeholders where nothing is published) are marked and say what they
rest on. ``compounds_table()`` and ``cell_lines_table()`` give the same data as DataFrames with
``<field>_source`` and ``<field>_estimated`` columns.
"""

from ._catalog import (
    CellLine,
    Compound,
    DegraderParams,
    Potency,
    Strategy,
    Value,
    cell_line,
    cell_lines,
    cell_lines_table,
    compound,
    compounds,
    compounds_table,
    strategies,
)

__all__ = [
    "CellLine",
    "Compound",
    "DegraderParams",
    "Potency",
    "Strategy",
    "Value",
    "cell_line",
    "cell_lines",
    "cell_lines_table",
    "compound",
    "compounds",
    "compounds_table",
    "strategies",
]
