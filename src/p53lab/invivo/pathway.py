"""The p53 circuit driven by a PK profile: pathway activity in a tumour or a progenitor cell.

The PK model is *composed* into the cell model (the alternative, feeding the concentration as
piecewise-constant steps every 0.5–1 h, restarts the stiff solver hundreds of times per week
of dosing and approximates the absorption peak). The composed model keeps every species and
parameter of :func:`p53lab.model.cells.cell_model` and adds the PK states of
:class:`~p53lab.invivo.pk.PKParams` (depot, transits, central, peripheral; amounts in the dose
unit) with their first-order transfers; the circuit's medium concentration becomes an
assignment rule, ``drug_medium_nM = Kp_u·fu·central/V1·(10⁶/MW)`` — the free tumour
concentration. Doses are schedule changes that *add* to the depot (oral) or the central
compartment (IV); an infusion sets the input rate on and off. One ODE solve then covers weeks.
The tests check that the composed central concentration equals the exact PK solution.

Readouts: free PUMA (PUMA not held by Bcl-2, the apoptotic switch), total PUMA and total p53,
and their ratio to the untreated steady state of the same cell.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import columns as C
from ..errors import SimulationError
from ..model._model import Model, Parameter, Reaction, Rule, Species
from ..model.cells import Variant, cell_model
from ..simulate import Change, Schedule, simulate
from .pk import Dose, PKParams

__all__ = ["ActivityTrace", "pathway_activity", "pk_cell_model"]

PUMA_FREE = "puma_free_nM"
_INFUSION = "pk_infusion_rate"


def pk_cell_model(compound, cell: str | Variant, pk: PKParams, **values: float) -> Model:
    """The core circuit of ``compound`` in ``cell`` with the PK compartments of ``pk``."""
    m = cell_model(compound, cell, **values)
    states = ["pk_depot", *(f"pk_transit_{i + 1}" for i in range(pk.n_transit))]
    states += ["pk_central", "pk_peripheral"]
    species = tuple(Species(s, 0.0, units=f"{pk.dose_unit} (amount)") for s in states)
    k_depot = pk.ktr_per_h if pk.n_transit else pk.ka_per_h
    rx = [Reaction("pk_absorb_0", f"{k_depot} * pk_depot", (("pk_depot", 1),), ((states[1], 1),))]
    for i in range(1, 1 + pk.n_transit):
        k = pk.ktr_per_h if i < pk.n_transit else pk.ka_per_h
        rx.append(
            Reaction(
                f"pk_absorb_{i}", f"{k} * {states[i]}", ((states[i], 1),), ((states[i + 1], 1),)
            )
        )
    rx += [
        Reaction("pk_elim", f"{pk.k10} * pk_central", (("pk_central", 1),)),
        Reaction("pk_infuse", _INFUSION, (), (("pk_central", 1),)),
    ]
    if pk.compartments == 2:
        rx += [
            Reaction(
                "pk_distrib",
                f"{pk.k12} * pk_central - {pk.k21} * pk_peripheral",
                (("pk_central", 1),),
                (("pk_peripheral", 1),),
            )
        ]
    factor = pk.tumour_kp_free * pk.fu / pk.v1_L * pk.mg_per_L_to_nM()
    params = (
        *tuple(p for p in m.parameters if p.id != "drug_medium_nM"),
        Parameter(
            "drug_medium_nM",
            0.0,
            "nM",
            "free tumour concentration from the PK compartments (assignment rule)",
            constant=False,
        ),
        Parameter(_INFUSION, 0.0, f"{pk.dose_unit}/h", "IV infusion input (schedule)"),
    )
    return dataclasses.replace(
        m,
        id=f"{m.id}_pk",
        species=m.species + species,
        parameters=params,
        reactions=m.reactions + tuple(rx),
        assignment_rules=(*m.assignment_rules, Rule("drug_medium_nM", f"{factor!r} * pk_central")),
    )


def dose_schedule(pk: PKParams, doses: Sequence[Dose]) -> Schedule:
    """Doses as schedule changes of the composed model."""
    ch = []
    for d in doses:
        if d.route == "iv":
            ch.append(Change(d.t_h, "pk_central", d.amount, mode="add", label="IV bolus"))
        elif d.route == "oral":
            ch.append(Change(d.t_h, "pk_depot", d.amount * pk.f_oral, mode="add", label="oral"))
        else:
            rate = d.amount / d.duration_h
            ch.append(Change(d.t_h, _INFUSION, rate, mode="add", label="infusion on"))
            ch.append(Change(d.t_h + d.duration_h, _INFUSION, -rate, mode="add", label="off"))
    return Schedule(tuple(ch))


@dataclass(frozen=True)
class ActivityTrace:
    """Pathway readouts over time under a PK profile (times in h)."""

    times_h: np.ndarray
    conc_free_nM: np.ndarray  # free tumour (cell medium) concentration
    puma_free_nM: np.ndarray
    puma_fold: np.ndarray  # total PUMA / untreated
    p53_fold: np.ndarray  # total p53 / untreated
    puma_free_untreated_nM: float

    @property
    def puma_free_excess_nM(self) -> np.ndarray:
        """Free PUMA above the untreated level (>= 0): the kill driver."""
        return np.maximum(self.puma_free_nM - self.puma_free_untreated_nM, 0.0)

    def at(self, t_h) -> np.ndarray:
        """Linear interpolation of the free-PUMA excess; periodic beyond the trace if
        :meth:`periodic` was used, else held at the last value."""
        return np.interp(t_h, self.times_h, self.puma_free_excess_nM)


def pathway_activity(
    compound,
    cell: str | Variant,
    pk: PKParams,
    doses: Sequence[Dose],
    t_end_h: float,
    dt_h: float = 1.0,
    **values: float,
) -> ActivityTrace:
    """Simulate the composed circuit from the untreated steady state for ``t_end_h`` hours;
    readouts every ``dt_h`` h (plus every dose time, so that peaks are not missed)."""
    m = pk_cell_model(compound, cell, pk, **values)
    grid = np.arange(0.0, t_end_h + 0.5 * dt_h, dt_h)
    dose_t = [d.t_h for d in doses if 0 <= d.t_h <= t_end_h]
    grid = np.unique(np.concatenate([grid, dose_t, np.asarray(dose_t) + 0.5 * dt_h]))
    grid = grid[grid <= t_end_h + 1e-9]
    outs = ["drug_medium_nM", PUMA_FREE, C.PUMA, C.P53_TOTAL]
    r = simulate(
        m,
        dose_schedule(pk, doses),
        grid,
        outputs=outs,
        preequilibrate=True,
        rtol=1e-6,
        atol=1e-9,
    )
    if r.status != "ok":
        raise SimulationError(f"pathway activity of {m.id!r} under {pk.compound}: {r.message}")
    p0 = float(r[PUMA_FREE][0])
    puma0 = float(r[C.PUMA][0])
    p530 = float(r[C.P53_TOTAL][0])
    return ActivityTrace(
        times_h=np.asarray(r.times, dtype=float),
        conc_free_nM=np.asarray(r["drug_medium_nM"], dtype=float),
        puma_free_nM=np.asarray(r[PUMA_FREE], dtype=float),
        puma_fold=np.asarray(r[C.PUMA], dtype=float) / puma0,
        p53_fold=np.asarray(r[C.P53_TOTAL], dtype=float) / p530,
        puma_free_untreated_nM=p0 if math.isfinite(p0) else 0.0,
    )


# ------------------------------------------------------------------------------ populations
@dataclass(frozen=True)
class ExposureResponse:
    """A reduced form of the circuit for populations: the 24-h response ``a_ss(c)`` of a
    readout to a constant free concentration c (from the circuit, on a log grid) and a
    first-order approach to it, ``dA/dt = (a_ss(C(t)) − A)/tau``, with ``tau`` the circuit's
    own time to 63 % of that response at the half-maximal concentration.

    Running the full circuit for every virtual patient (weeks of dosing each) would take
    minutes per arm; the reduction keeps the circuit's concentration–response curve and its
    response time. ``tests/invivo`` compare it with the full circuit for a typical patient.
    """

    readout: str
    concs_nM: np.ndarray
    response: np.ndarray
    tau_h: float

    def steady(self, c_nM) -> np.ndarray:
        c = np.log10(np.maximum(np.asarray(c_nM, dtype=float), self.concs_nM[1]))
        return np.interp(c, np.log10(self.concs_nM[1:]), self.response[1:])

    def trace(self, times_h: np.ndarray, conc_nM: np.ndarray) -> np.ndarray:
        """A(t) on ``times_h`` for the concentration ``conc_nM`` there (rows: times; columns,
        if 2-D: subjects); exact for a concentration held over each step."""
        a_ss = self.steady(conc_nM)
        out = np.empty_like(a_ss)
        a = np.full(a_ss.shape[1:], float(self.response[0]))
        decay = np.exp(-np.diff(np.asarray(times_h, dtype=float)) / self.tau_h)
        out[0] = a
        for i in range(1, a_ss.shape[0]):
            a = a_ss[i - 1] + (a - a_ss[i - 1]) * decay[i - 1]
            out[i] = a
        return out


READOUTS = ("puma_fold_minus_1", "puma_free_excess_nM", "p21_fold_minus_1")


@lru_cache(maxsize=32)
def exposure_response(
    compound, cell: str | Variant, readout: str = "puma_fold_minus_1"
) -> ExposureResponse:
    """Build the :class:`ExposureResponse` of ``readout`` for ``compound`` in ``cell``:
    'puma_fold_minus_1' (total PUMA / untreated − 1, the apoptotic arm), 'puma_free_excess_nM'
    or 'p21_fold_minus_1' (p21 / untreated − 1, the arrest arm)."""
    if readout not in READOUTS:
        from ..errors import param_error

        raise param_error("exposure_response", "readout", f"one of {READOUTS}", readout)
    m = cell_model(compound, cell)
    concs = np.concatenate([[0.0], np.logspace(-1, 5, 19)])
    grid = np.linspace(0.0, 24.0, 49)

    def run(c):
        r = simulate(
            m,
            Schedule.bath(float(c)),
            grid,
            outputs=[C.PUMA, PUMA_FREE, C.P21],
            preequilibrate=True,
        )
        if r.status != "ok":
            raise SimulationError(f"exposure response at {c:g} nM: {r.message}")
        if readout == "puma_fold_minus_1":
            return np.asarray(r[C.PUMA]) / float(r[C.PUMA][0]) - 1.0
        if readout == "p21_fold_minus_1":
            return np.asarray(r[C.P21]) / float(r[C.P21][0]) - 1.0
        return np.maximum(np.asarray(r[PUMA_FREE]) - float(r[PUMA_FREE][0]), 0.0)

    traces = [run(c) for c in concs]
    resp = np.array([tr[-1] for tr in traces])
    half = 0.5 * resp.max()
    i = int(np.argmin(np.abs(resp - half))) if resp.max() > 0 else 0
    tr = traces[i]
    tau = 4.0
    if tr[-1] > 0:
        k = int(np.argmax(tr >= (1 - math.exp(-1)) * tr[-1]))
        tau = max(float(grid[k]), 0.25)
    return ExposureResponse(readout, concs, resp, tau)
