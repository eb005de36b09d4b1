"""Drugs and cell backgrounds as parameter values of the core circuit.

:func:`drug_values` turns a catalog compound into binding constants (an inhibitor never binds
CRBN; a degrader also binds CRBN and forms the ternary complex). :func:`variant_values` turns a
cell line or explicit variant settings into the background parameters (TP53 status, MDM2 copies,
MDMX, Bcl-2, efflux, the rescue construct). :func:`cell_model` assembles both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog import CellLine, Compound, cell_line, compound
from ..errors import param_error
from ._model import Model
from .core import core_model

__all__ = ["KON_PER_NM_PER_H", "Variant", "cell_model", "drug_values", "variant_values"]

# Association rate assumed for drug binding (estimated): 1e7 /M/s = 36 /(nM*h), fast as for a
# preformed pocket; affinities from the catalog set the dissociation rates (k_off = k_on * K_D).
# With 1e6 /M/s newly made MDM2 is captured too slowly for a degrader to reach DC50 0.4 nM.
KON_PER_NM_PER_H = 36.0

TP53_STATUSES = ("wild_type", "missense", "null")


def drug_values(c: Compound | str) -> dict[str, float]:
    """Parameter values of the core circuit for compound ``c`` (catalog name or object)."""
    c = compound(c) if isinstance(c, str) else c
    if c.drug_class not in ("smi", "degrader"):
        raise param_error(
            "drug_values",
            "compound",
            f"an MDM2 inhibitor or degrader of the catalog ({c.name} is class {c.drug_class!r})",
            c.name,
        )
    kon = KON_PER_NM_PER_H
    kd = c.degrader.k_t_nM.value if c.is_degrader else c.mdm2_kd_nM.value
    v = {"kon_dm": kon, "koff_dm": kon * float(kd)}
    if c.mdmx_kd_nM is not None:
        v |= {"kon_dx": kon, "koff_dx": kon * float(c.mdmx_kd_nM.value)}
    else:
        v |= {"kon_dx": 0.0}
    if c.is_degrader:
        d = c.degrader
        v |= {
            "kon_de": kon,
            "koff_de": kon * float(d.k_e_nM.value),
            "alpha": float(d.cooperativity.value),
            "k_ub_mdm2": float(d.k_ub_per_h.value),
            "kon_dr": 0.0,
        }
    else:
        v |= {"kon_de": 0.0, "alpha": 1.0, "k_ub_mdm2": 0.0, "kon_dr": kon}
    return v


@dataclass(frozen=True)
class Variant:
    """A cell background. Defaults are the reference line (TP53 wild type, nothing altered).

    ``tp53``: 'wild_type', 'missense' (binds MDM2, no transactivation) or 'null';
    ``mdm2_amplification``: MDM2 gene copies relative to diploid; ``mdmx_fold``,
    ``bcl2_fold``, ``efflux_fold``: expression relative to the reference line;
    ``mdm2_construct_nM``: steady level of the degradation-resistant MDM2 construct (binds p53
    and inhibitors, not recognised by the degrader).
    """

    tp53: str = "wild_type"
    mdm2_amplification: float = 1.0
    mdmx_fold: float = 1.0
    bcl2_fold: float = 1.0
    efflux_fold: float = 1.0
    mdm2_construct_nM: float = 0.0

    def __post_init__(self) -> None:
        if self.tp53 not in TP53_STATUSES:
            raise param_error("Variant", "tp53", f"one of {TP53_STATUSES}", self.tp53)
        for name in ("mdm2_amplification", "mdmx_fold", "bcl2_fold", "efflux_fold"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise param_error("Variant", name, "a finite number > 0", v)
        v = self.mdm2_construct_nM
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise param_error("Variant", "mdm2_construct_nM", "a finite number >= 0 nM", v)

    @classmethod
    def of(cls, line: CellLine | str) -> Variant:
        line = cell_line(line) if isinstance(line, str) else line
        return cls(
            tp53=str(line.tp53_status.value),
            mdm2_amplification=float(line.mdm2_amplification_fold.value),
            mdmx_fold=float(line.mdmx_level_fold.value),
            bcl2_fold=float(line.bcl2_level_fold.value),
            efflux_fold=float(line.efflux_fold.value),
        )


def variant_values(v: Variant, drug: Compound | None = None) -> dict[str, float]:
    """Parameter values for cell background ``v``. Efflux acts on drugs not known to escape
    ABC transporters (a compound with ``p_gp_substrate`` explicitly false is unaffected)."""
    pgp = drug.p_gp_substrate.value if drug is not None and drug.p_gp_substrate else None
    return {
        "p53_gene": 0.0 if v.tp53 == "null" else 1.0,
        "p53_tact": 1.0 if v.tp53 == "wild_type" else 0.0,
        "mdm2_copies": float(v.mdm2_amplification),
        "mdmx_level": float(v.mdmx_fold),
        "bcl2_level": float(v.bcl2_fold),
        "efflux": 1.0 if pgp is False else float(v.efflux_fold),
        "mdm2r_level": float(v.mdm2_construct_nM),
    }


def cell_model(
    compound_name: Compound | str | None = None,
    cell: CellLine | str | Variant | None = None,
    **values: float,
) -> Model:
    """The core circuit for a compound in a cell background, with optional parameter overrides.

    The drug concentration itself is not part of the model: it comes from the dose schedule
    (``Schedule.bath(conc_nM)``), so one model serves every concentration.
    """
    c = compound(compound_name) if isinstance(compound_name, str) else compound_name
    if cell is None:
        v = Variant()
    elif isinstance(cell, Variant):
        v = cell
    else:
        v = Variant.of(cell)
    params = variant_values(v, c)
    if c is not None:
        params |= drug_values(c)
    params |= values
    return core_model().with_params(params)
