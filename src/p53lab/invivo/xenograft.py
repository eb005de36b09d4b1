"""Xenograft studies in silico: Simeoni tumour growth with a p53-pathway-driven kill.

Tumour growth inhibition model (Simeoni 2004 Cancer Res 64:1094), per animal::

    dx1/dt = λ0·x1 / [1 + (λ0/λ1·w)^ψ]^(1/ψ) − k(t)·x1
    dx2/dt = k(t)·x1 − k1·x2,  dx3/dt = k1·(x2 − x3),  dx4/dt = k1·(x3 − x4)
    w = x1 + x2 + x3 + x4  (tumour volume, mm³)

Simeoni's k2·c(t) is replaced by a kill rate set by the p53 circuit of the tumour cell line
under the PK profile (:mod:`p53lab.invivo.pathway`): with D(t) the free PUMA above its
untreated level, ``k(t) = kmax·Dⁿ/(D50ⁿ + Dⁿ)`` (``parameters.yaml``, section ``kill``; all
estimated, the reasoning is there). The circuit runs once per dose group (typical PK);
animals differ by growth rate (lognormal) and tumour shape.

The study then does what a lab does: tumours are randomised at ~150 mm³ (animals with
100–200 mm³ enrolled, blocked randomisation by volume), measured with calipers twice a week
(long and short diameter with reading noise; V = 0.5·a·b²), and the caliper file is analysed
by :mod:`p53lab.assays.xenograft` (%TGI, regressions, complete responses).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from ..assays import xenograft as tgi_assay
from ..catalog import cell_line as lookup_line
from ..errors import ParameterError, SimulationError, param_error
from . import _params
from .pathway import ActivityTrace, pathway_activity
from .pk import PKParams, check_dose_unit, pk_params
from .regimens import Regimen

__all__ = [
    "Group",
    "XenograftResult",
    "kill_rate",
    "run_xenograft",
    "simeoni_volumes",
]


def kill_rate(d_nM, kmax: float | None = None, d50: float | None = None, hill: float | None = None):
    """k = kmax·Dⁿ/(D50ⁿ + Dⁿ) (1/h) from the free-PUMA excess D (nM)."""
    kmax = _params.value("kill/kmax_per_h") if kmax is None else kmax
    d50 = _params.value("kill/d50_nM") if d50 is None else d50
    n = _params.value("kill/hill") if hill is None else hill
    d = np.maximum(np.asarray(d_nM, dtype=float), 0.0)
    return kmax * d**n / (d50**n + d**n)


def simeoni_volumes(
    v0_mm3: np.ndarray,
    lambda0: np.ndarray,
    lambda1: np.ndarray,
    kill: callable,
    times_h: np.ndarray,
    k1: float | None = None,
    psi: float | None = None,
) -> np.ndarray:
    """Total volume w (mm³) of each animal at ``times_h`` (rows: times, columns: animals).
    ``kill(t)`` is the kill rate (1/h) at time t; the tumour starts as proliferating cells."""
    k1 = _params.value("tumour/k1_per_h") if k1 is None else k1
    psi = _params.value("tumour/psi") if psi is None else psi
    v0 = np.asarray(v0_mm3, dtype=float)
    n = v0.size
    lam0 = np.broadcast_to(np.asarray(lambda0, dtype=float), (n,))
    lam1 = np.broadcast_to(np.asarray(lambda1, dtype=float), (n,))

    def rhs(t, y):
        x = y.reshape(4, n)
        w = x.sum(axis=0)
        k = kill(t)
        grow = lam0 * x[0] / (1.0 + (lam0 / lam1 * w) ** psi) ** (1.0 / psi)
        return np.concatenate(
            [
                grow - k * x[0],
                k * x[0] - k1 * x[1],
                k1 * (x[1] - x[2]),
                k1 * (x[2] - x[3]),
            ]
        )

    y0 = np.concatenate([v0, np.zeros(3 * n)])
    sol = solve_ivp(
        rhs,
        (0.0, float(times_h[-1])),
        y0,
        t_eval=times_h,
        method="LSODA",
        rtol=1e-7,
        atol=1e-9,
        max_step=2.0,
    )
    if sol.status != 0:
        raise SimulationError(f"tumour growth integration failed: {sol.message}")
    return sol.y.reshape(4, n, -1).sum(axis=0).T


@dataclass(frozen=True)
class Group:
    """A dose group: a label and a regimen (None = vehicle)."""

    label: str
    regimen: Regimen | None = None


@dataclass(frozen=True)
class XenograftResult:
    calipers: pd.DataFrame  # animal, group, day, length_mm, width_mm
    volumes: pd.DataFrame  # the true (model) volumes behind the calipers
    activity: pd.DataFrame  # time_h, group, free drug, free PUMA, kill rate
    tgi: tgi_assay.TgiResult
    provenance: dict = field(default_factory=dict)

    def group(self, label: str) -> dict:
        for g in self.tgi.groups:
            if g["group"] == label:
                return g
        raise ParameterError(f"No group {label!r}; groups: {[g['group'] for g in self.tgi.groups]}")


def _randomise(
    n_groups: int, per_group: int, rng: np.random.Generator, target: float = 150.0
) -> tuple[np.ndarray, np.ndarray]:
    """Enrol animals with tumours within ±1/3 of ``target`` (volumes spread lognormally
    around it at the randomisation day) and assign groups by blocks of similar volume."""
    need = n_groups * per_group
    vols: list[float] = []
    while len(vols) < need:
        v = target * np.exp(rng.normal(0.0, 0.3, size=2 * need))
        vols += [x for x in v if target * 2 / 3 <= x <= target * 4 / 3]
    v = np.sort(np.asarray(vols[:need]))
    groups = np.empty(need, dtype=int)
    for b in range(per_group):
        groups[b * n_groups : (b + 1) * n_groups] = rng.permutation(n_groups)
    return v, groups


def _calipers(
    vol: np.ndarray, ratio: np.ndarray, sd_mm: float, palpable: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Long and short diameters (mm) with reading noise; NaN where the tumour is not palpable.
    From V = 0.5·a·b² and a = r·b: a = (2·V·r²)^(1/3)."""
    a = (2.0 * np.maximum(vol, 0.0) * ratio**2) ** (1.0 / 3.0)
    b = a / ratio
    a_m = np.maximum(a + rng.normal(0.0, sd_mm, size=a.shape), 0.1)
    b_m = np.maximum(b + rng.normal(0.0, sd_mm, size=b.shape), 0.1)
    gone = vol < palpable
    return np.where(gone, np.nan, a_m), np.where(gone, np.nan, b_m)


def run_xenograft(
    compound: str,
    cell_line: str,
    groups: Sequence[Group],
    per_group: int = 8,
    days: Sequence[float] | None = None,
    seed: int = 0,
    pk: PKParams | None = None,
    caliper_sd_mm: float | None = None,
    out: str | Path | None = None,
    progress=None,
    randomise_at_mm3: float = 150.0,
) -> XenograftResult:
    """Simulate the study and analyse its caliper file. ``days``: measurement days after
    randomisation (default twice weekly for 28 days). Writes ``calipers.csv`` into ``out``
    (if given) and reads it back for the analysis, as a lab would."""
    say = progress or (lambda m: None)
    line = lookup_line(cell_line)
    if not _params.has(f"tumour/lines/{line.name}"):
        known = ", ".join(_params.parameters()["tumour"]["lines"])
        raise ParameterError(
            f"No xenograft growth parameters for {line.name!r} in parameters.yaml; known: {known}."
        )
    if int(per_group) != per_group or per_group < 2:
        raise param_error("run_xenograft", "per_group", "a whole number >= 2", per_group)
    labels = [g.label for g in groups]
    if len(set(labels)) != len(labels):
        raise param_error("run_xenograft", "groups", "distinct labels", labels)
    if not any(g.regimen is None for g in groups):
        raise ParameterError("A xenograft study needs a vehicle group (a group without a dose).")
    pk = pk or pk_params(compound, "mouse")
    for g in groups:
        if g.regimen is not None:
            check_dose_unit(pk, g.regimen.dose_unit, f"group {g.label!r}")
            if g.regimen.route != pk.route and not (
                pk.route == "iv" and g.regimen.route == "infusion"
            ):
                say(f"note: group {g.label!r} given {g.regimen.route}, PK set is {pk.route}")
    if days is None:
        days = sorted({*np.arange(0, 29, 7).tolist(), *np.arange(3, 29, 7).tolist()})
    days = np.asarray(sorted(float(d) for d in days))
    if days[0] != 0 or np.any(days < 0):
        raise param_error("run_xenograft", "days", "ascending days starting at 0", days.tolist())
    sd = _params.value("tumour/caliper_sd_mm") if caliper_sd_mm is None else caliper_sd_mm
    if not (math.isfinite(sd) and sd >= 0):
        raise param_error("run_xenograft", "caliper_sd_mm", ">= 0 mm", sd)

    if not (math.isfinite(randomise_at_mm3) and randomise_at_mm3 > 0):
        raise param_error("run_xenograft", "randomise_at_mm3", "> 0 mm3", randomise_at_mm3)
    rng = np.random.default_rng(seed)
    t_end = float(days[-1]) * 24.0
    times = days * 24.0
    lam0 = _params.value(f"tumour/lines/{line.name}/lambda0_per_h")
    lam1 = _params.value(f"tumour/lines/{line.name}/lambda1_mm3_per_h")
    cv = _params.value("tumour/growth_cv")
    lo, hi = _params.value("tumour/aspect_ratio")
    palpable = _params.value("tumour/palpable_mm3")

    v0, assign = _randomise(len(groups), int(per_group), rng, randomise_at_mm3)
    n = v0.size
    om = math.sqrt(math.log1p(cv**2))
    lam0_i = lam0 * np.exp(rng.normal(0.0, om, n))
    lam1_i = lam1 * np.exp(rng.normal(0.0, om, n))
    ratio = rng.uniform(lo, hi, n)

    vol = np.zeros((times.size, n))
    act_rows = []
    for gi, g in enumerate(groups):
        idx = np.flatnonzero(assign == gi)
        if g.regimen is None:

            def kill(t):
                return 0.0
        else:
            say(f"xenograft: p53 circuit of {line.name} under {compound} {g.regimen.describe()}")
            tr: ActivityTrace = pathway_activity(
                compound, line.name, pk, g.regimen.doses(), t_end, dt_h=0.5
            )
            k_tr = kill_rate(tr.puma_free_excess_nM)

            def kill(t, _t=tr.times_h, _k=k_tr):
                return float(np.interp(t, _t, _k))

            for t, c, p, k in zip(tr.times_h, tr.conc_free_nM, tr.puma_free_nM, k_tr, strict=True):
                act_rows.append(
                    {
                        "group": g.label,
                        "time_h": t,
                        "free_drug_tumour_nM": c,
                        "puma_free_nM": p,
                        "kill_rate_per_h": k,
                    }
                )
        vol[:, idx] = simeoni_volumes(v0[idx], lam0_i[idx], lam1_i[idx], kill, times)

    animals = [f"m{i + 1:03d}" for i in range(n)]
    cal_rows, vol_rows = [], []
    for j in range(n):
        a, b = _calipers(vol[:, j], np.full(times.size, ratio[j]), sd, palpable, rng)
        for k, d in enumerate(days):
            g = groups[assign[j]].label
            cal_rows.append(
                {"animal": animals[j], "group": g, "day": d, "length_mm": a[k], "width_mm": b[k]}
            )
            vol_rows.append({"animal": animals[j], "group": g, "day": d, "volume_mm3": vol[k, j]})
    calipers = pd.DataFrame(cal_rows).sort_values(["group", "animal", "day"], kind="stable")
    volumes = pd.DataFrame(vol_rows)
    vehicle = next(g.label for g in groups if g.regimen is None)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "calipers.csv"
        calipers.to_csv(path, index=False, float_format="%.2f")
        table = tgi_assay.read_tumour_table(path)
        source = str(path)
    else:
        table = calipers.round(2)
        source = "simulated calipers"
    result = tgi_assay.fit(table, vehicle, source=source)
    prov = {
        "compound": compound,
        "cell_line": line.name,
        "groups": {g.label: (g.regimen.describe() if g.regimen else "vehicle") for g in groups},
        "per_group": int(per_group),
        "days": days.tolist(),
        "seed": seed,
        "pk": pk.to_dict(),
        "kill": {k: _params.value(f"kill/{k}") for k in ("kmax_per_h", "d50_nM", "hill")},
        "tumour": {"lambda0_per_h": lam0, "lambda1_mm3_per_h": lam1, "growth_cv": cv},
        "caliper_sd_mm": sd,
    }
    return XenograftResult(calipers, volumes, pd.DataFrame(act_rows), result, prov)
