"""In-silico assays that write the instrument's own files.

A simulated experiment and a real one go through the same analysis code: these writers turn
known per-sample truths (viable cells per well, fractions of apoptotic cells, cell-cycle
fractions, mRNA fold changes) into the files a plate reader, a flow cytometer or a qPCR
instrument exports, plus a truth table and a provenance record. They simulate no biology.

==============================  ===============================================================
writer                          files (read by)
==============================  ===============================================================
:func:`write_celltiter_glo`     plate grid CSV + layout CSV (:func:`p53lab.assays.plates.fit`)
:func:`write_caspase_glo`       plate grid CSV + layout CSV (:func:`p53lab.assays.plates.fit`)
:func:`write_annexin_pi`        FCS 3.1 sample + unstained control (:mod:`p53lab.flow.apoptosis`)
:func:`write_pi_cell_cycle`     FCS 3.1 with PI-A/H/W (:mod:`p53lab.flow.cell_cycle`)
:func:`write_ct_table`          tidy Ct CSV (:mod:`p53lab.assays.qpcr`)
==============================  ===============================================================

Each writer takes a ``seed`` (same seed, same bytes) and returns :class:`WrittenFiles`, the
paths written by role. :func:`dilution_layout` builds standard serial-dilution layouts.
"""

from ._common import WrittenFiles
from .flow import write_annexin_pi, write_pi_cell_cycle
from .plates import dilution_layout, write_caspase_glo, write_celltiter_glo
from .qpcr import expected_log2_sd, write_ct_table

__all__ = [
    "WrittenFiles",
    "dilution_layout",
    "expected_log2_sd",
    "write_annexin_pi",
    "write_caspase_glo",
    "write_celltiter_glo",
    "write_ct_table",
    "write_pi_cell_cycle",
]
