"""Flow cytometry: FCS files, compensation, transforms, gates, apoptosis and cell cycle.

A typical session::

    from p53lab import flow

    s = flow.read_fcs("treated.fcs")                       # decoded ($PnE, $PnG)
    q = flow.quadrant_gate(s, "FITC-A", "PE-A", 0.45, 0.4,
                           spillover="file", transform=flow.Logicle())
    a = flow.apoptosis.fit(s, "Annexin V", "PI", unstained="unstained.fcs",
                           spillover="file", transform="logicle")
    c = flow.cell_cycle.fit("pi.fcs", "PI-A", model="djf",
                            singlets=flow.SingletGate("PI-A", width="PI-W"))

Modules: :mod:`~p53lab.flow.fcs` (read/write), :mod:`~p53lab.flow.compensation`,
:mod:`~p53lab.flow.transforms`, :mod:`~p53lab.flow.gating`, :mod:`~p53lab.flow.apoptosis`,
:mod:`~p53lab.flow.cell_cycle`; each analysis has ``fit(...)`` and ``plot(result, ax=None)``.
"""

from . import apoptosis, cell_cycle
from .compensation import (
    Spillover,
    channel_values,
    compensate,
    read_spillover_csv,
    spillover_from_keywords,
)
from .fcs import FcsData, FcsWarning, read_fcs, write_fcs
from .gating import (
    QUADRANTS,
    QuadrantResult,
    SingletGate,
    SingletResult,
    above,
    density_valley,
    quadrant_codes,
    quadrant_gate,
)
from .transforms import Asinh, Biexponential, Logicle, Transform, parse_transform

__all__ = [
    "QUADRANTS",
    "Asinh",
    "Biexponential",
    "FcsData",
    "FcsWarning",
    "Logicle",
    "QuadrantResult",
    "SingletGate",
    "SingletResult",
    "Spillover",
    "Transform",
    "above",
    "apoptosis",
    "cell_cycle",
    "channel_values",
    "compensate",
    "density_valley",
    "parse_transform",
    "quadrant_codes",
    "quadrant_gate",
    "read_fcs",
    "read_spillover_csv",
    "spillover_from_keywords",
    "write_fcs",
]
