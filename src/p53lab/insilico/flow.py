"""In-silico flow cytometry: Annexin V / PI apoptosis tubes and PI DNA-content (cell-cycle)
tubes written as FCS 3.1 list-mode files, with a per-event truth table.

Files go through :func:`p53lab.flow.fcs.write_fcs` (FlowIO's writer; 32-bit float, channel
range ``$PnR`` = 262,144 = 2^18 as on BD FACSCanto/LSRFortessa-class instruments, values
clipped there as a saturated detector would). Events come in random order; a ``Time``
channel counts acquisition ticks of ``$TIMESTEP`` = 0.01 s at a Poisson event rate.

**Annexin V / PI** (Vermes I et al. (1995) J Immunol Methods 184:39–51). Four populations
and debris; each fluorescence is log-normal (median, σ of ln) plus Gaussian detector noise::

    population        FSC-A    SSC-A    Annexin V (FITC-A)   PI (PE-A)
    live              90,000   40,000   autofluorescence     autofluorescence
    early apoptotic   72,000   48,000   bright               autofluorescence
    late apoptotic    55,000   60,000   bright               bright
    necrotic          60,000   35,000   autofluorescence     bright
    debris            ≤15,000  ≤10,000  broad, dim           broad, dim

(FSC falls with apoptotic shrinkage and SSC rises with condensation and fragmentation:
Darzynkiewicz Z et al. (1997) Cytometry 27:1–20.) All medians are estimated placements on the
2^18 scale, with the positives 1.5–2 decades above autofluorescence, as Annexin V-FITC and PI
stains typically separate. With ``spillover`` the detectors see ``true · S`` (row: dye, column:
detector) and the matrix is stored as ``$SPILLOVER`` so that ``spillover="file"`` compensates.
The unstained control holds the same cells and debris with autofluorescence only.

**PI DNA content.** Relative DNA content (G1 = 1): G1 cells 1, G2/M ``g2_g1_ratio``, S phase
uniform in between (the Dean–Jett assumption of a flat S phase), sub-G1 (hypodiploid,
apoptotic) uniform in [0.15, 0.75], debris 0.02 + Exp(0.08). Area ``PI-A`` = content ·
``g1_mean`` · (1 + cv·z) with ``cv = g1_cv_pct/100``. Pulse width ``PI-W`` = 100 · (0.9 + 0.1 ·
content) · (1 + 0.03·z) for single events; a doublet (two cycling cells passing together)
sums the areas and has 0.8–0.95 × the summed widths; height ``PI-H`` = 100 · area / width. A
width-based singlet gate (``SingletGate("PI-A", width="PI-W")``) removes the doublets, as on
the instrument. The sub-G1 range stays below the G1 cutoff of :mod:`p53lab.flow.cell_cycle`
(μ1 − 4σ1) for CVs up to 6 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import ParameterError, param_error
from ..flow.compensation import Spillover
from ..flow.fcs import write_fcs
from ._common import (
    WrittenFiles,
    check_count,
    check_fractions,
    check_name,
    check_number,
    check_seed,
    prepare_dir,
    write_provenance,
)

__all__ = [
    "APOPTOSIS_CLASSES",
    "CELL_CYCLE_CLASSES",
    "DEFAULT_SPILLOVER",
    "write_annexin_pi",
    "write_pi_cell_cycle",
]

RANGE = 262144.0  # $PnR: 2^18, the 18-bit range of BD Diva-era cytometers
TIMESTEP_S = 0.01
EVENT_RATE_PER_S = 2000.0  # estimated: a typical acquisition rate for a stained tube
MIN_EVENTS = 500

APOPTOSIS_CLASSES = ("live", "early_apoptotic", "late_apoptotic", "necrotic")
_APO_ALIASES = {"early": "early_apoptotic", "late": "late_apoptotic", "viable": "live"}
CELL_CYCLE_CLASSES = ("sub_g1", "g1", "s", "g2m")
_CC_ALIASES = {"subg1": "sub_g1", "sub-g1": "sub_g1", "g2": "g2m", "g2/m": "g2m", "g2_m": "g2m"}

DEFAULT_SPILLOVER = np.array([[1.0, 0.15], [0.02, 1.0]])
"""FITC → PE detector 15 %, PI → FITC detector 2 % (estimated: FITC spill into a 585/42 PE
detector is typically 10–25 %; PI's emission leaks little into 530/30)."""

# Log-normal populations: (median, sigma of ln). Estimated placements, see the docstring.
_MORPHOLOGY = {  # (FSC-A median, SSC-A median)
    "live": (90_000.0, 40_000.0),
    "early_apoptotic": (72_000.0, 48_000.0),
    "late_apoptotic": (55_000.0, 60_000.0),
    "necrotic": (60_000.0, 35_000.0),
}
_MORPH_SIGMA = 0.15
_AUTO_ANNEXIN = (250.0, 0.45)
_AUTO_PI = (150.0, 0.45)
_ANNEXIN_POS = {"early_apoptotic": (15_000.0, 0.55), "late_apoptotic": (22_000.0, 0.55)}
_PI_POS = {"late_apoptotic": (30_000.0, 0.5), "necrotic": (45_000.0, 0.5)}
_DETECTOR_SD = 40.0  # electronic noise of an area channel after baseline restoration
_DEBRIS_FSC, _DEBRIS_SSC = (6_000.0, 0.5), (4_000.0, 0.6)
_DEBRIS_ANNEXIN, _DEBRIS_PI = (600.0, 1.0), (900.0, 1.2)
FSC_HEIGHT_RATIO = (1.2, 0.03)  # FSC-A / FSC-H of single cells (estimated)


def _lognormal(rng, median_sigma, n) -> np.ndarray:
    median, sigma = median_sigma
    return median * np.exp(sigma * rng.standard_normal(n))


def _time_channel(rng, n) -> np.ndarray:
    # whole ticks of $TIMESTEP, as instruments count them: events may share a tick
    return np.floor(np.cumsum(rng.exponential(1.0 / EVENT_RATE_PER_S, n)) / TIMESTEP_S)


def _spill_matrix(owner: str, spillover) -> np.ndarray | None:
    if spillover is None or spillover is False:
        return None
    if spillover is True:
        return DEFAULT_SPILLOVER.copy()
    if isinstance(spillover, Spillover):
        return np.asarray(spillover.matrix, dtype=float)
    m = np.asarray(spillover, dtype=float)
    if m.shape != (2, 2) or not np.all(np.isfinite(m)) or np.any(m < 0):
        raise param_error(
            owner,
            "spillover",
            "None, True (default matrix) or a 2×2 matrix of finite values >= 0 "
            "(rows: FITC, PI dye; columns: Annexin and PI detectors)",
            spillover,
        )
    if abs(np.linalg.det(m)) < 1e-9:
        raise param_error(owner, "spillover", "an invertible 2×2 matrix", spillover.tolist())
    return m


def _fcs_keywords(name: str, seed: int, extra: Mapping[str, str]) -> dict[str, str]:
    kw = {
        "$CYT": "p53lab in-silico cytometer",
        "$SRC": name,
        "$TIMESTEP": f"{TIMESTEP_S:g}",
        "P53LAB_SEED": str(seed),
    }
    kw.update(extra)
    return kw


def _split_counts(owner, n_events: int, debris_fraction: float, name: str) -> tuple[int, int]:
    n_debris = round(debris_fraction * n_events)
    n_cells = n_events - n_debris
    if n_cells < 1:
        raise param_error(owner, name, "< 1 (some events must be cells)", debris_fraction)
    return n_cells, n_debris


def write_annexin_pi(
    out_dir,
    fractions: Mapping[str, float],
    n_events: int = 20_000,
    *,
    seed: int = 0,
    name: str = "annexin_pi",
    debris_fraction: float = 0.02,
    spillover=None,
    unstained: bool = True,
    unstained_events: int | None = None,
    annexin_channel: str = "FITC-A",
    pi_channel: str = "PE-A",
) -> WrittenFiles:
    """Write an Annexin V / PI tube (and its unstained control) as FCS 3.1 with known truth.

    ``fractions``: of the cells (debris excluded), keys ``live``, ``early_apoptotic``,
    ``late_apoptotic``, ``necrotic`` (``early``/``late`` accepted), summing to 1; the
    classes of the ``n_events`` events are drawn multinomially, so the realised fractions
    (in the truth file) scatter around them by sampling noise. ``debris_fraction`` of the
    events are debris (low FSC/SSC, dim broad fluorescence; a FSC-A gate removes them).
    ``spillover``: None, True (:data:`DEFAULT_SPILLOVER`) or a 2×2 matrix / Spillover.

    Channels: FSC-A, FSC-H, SSC-A, the Annexin V channel (``$PnS`` "Annexin V"), the PI
    channel (``$PnS`` "PI"), Time. Files: ``<name>.fcs``, ``<name>_unstained.fcs`` (when
    ``unstained``), ``<name>_truth.csv`` (event, population) and ``<name>_provenance.json``.
    """
    owner = "write_annexin_pi"
    seed = check_seed(owner, seed)
    name = check_name(owner, name)
    frac = check_fractions(owner, fractions, APOPTOSIS_CLASSES, _APO_ALIASES)
    n_events = check_count(owner, "n_events", n_events, MIN_EVENTS)
    debris_fraction = check_number(owner, "debris_fraction", debris_fraction, lo=0.0, hi=1.0)
    n_unstained = (
        n_events
        if unstained_events is None
        else check_count(owner, "unstained_events", unstained_events, MIN_EVENTS)
    )
    channels = ["FSC-A", "FSC-H", "SSC-A", str(annexin_channel), str(pi_channel), "Time"]
    if len(set(channels)) != len(channels) or not all(c.strip() for c in channels):
        raise param_error(
            owner,
            "annexin_channel / pi_channel",
            "two distinct names other than FSC/SSC/Time",
            (annexin_channel, pi_channel),
        )
    spill = _spill_matrix(owner, spillover)
    rng = np.random.default_rng(seed)

    def tube(n: int, stained: bool):
        n_cells, n_debris = _split_counts(owner, n, debris_fraction, "debris_fraction")
        counts = rng.multinomial(n_cells, [frac[k] for k in APOPTOSIS_CLASSES])
        labels = np.repeat(np.array([*APOPTOSIS_CLASSES, "debris"]), [*counts, n_debris])
        labels = labels[rng.permutation(labels.size)]
        m = labels.size
        fsc, ssc = np.empty(m), np.empty(m)
        annexin = _lognormal(rng, _AUTO_ANNEXIN, m)
        pi = _lognormal(rng, _AUTO_PI, m)
        for cls, (f_med, s_med) in _MORPHOLOGY.items():
            sel = labels == cls
            k = int(sel.sum())
            fsc[sel] = _lognormal(rng, (f_med, _MORPH_SIGMA), k)
            ssc[sel] = _lognormal(rng, (s_med, _MORPH_SIGMA), k)
            if stained and cls in _ANNEXIN_POS:
                annexin[sel] = _lognormal(rng, _ANNEXIN_POS[cls], k)
            if stained and cls in _PI_POS:
                pi[sel] = _lognormal(rng, _PI_POS[cls], k)
        deb = labels == "debris"
        k = int(deb.sum())
        fsc[deb] = np.minimum(_lognormal(rng, _DEBRIS_FSC, k), 15_000.0)
        ssc[deb] = np.minimum(_lognormal(rng, _DEBRIS_SSC, k), 10_000.0)
        if stained:
            annexin[deb] = _lognormal(rng, _DEBRIS_ANNEXIN, k)
            pi[deb] = _lognormal(rng, _DEBRIS_PI, k)
        fl = np.column_stack([annexin, pi])
        if spill is not None:
            fl = fl @ spill
        fl = fl + rng.normal(0.0, _DETECTOR_SD, fl.shape)
        fsc_h = fsc / rng.normal(*FSC_HEIGHT_RATIO, m)
        events = np.column_stack([fsc, fsc_h, ssc, fl, _time_channel(rng, m)])
        events[:, :5] = np.clip(events[:, :5], -RANGE, RANGE - 1)
        return events, labels

    folder = prepare_dir(owner, out_dir)
    labels_pns = ["", "", "", "Annexin V", "PI", ""]
    extra = {}
    if spill is not None:
        extra["$SPILLOVER"] = Spillover((channels[3], channels[4]), spill).to_keyword()
    paths = {"sample": folder / f"{name}.fcs"}
    events, labels = tube(n_events, stained=True)
    write_fcs(
        paths["sample"], events, channels, labels_pns, keywords=_fcs_keywords(name, seed, extra)
    )
    if unstained:
        paths["unstained"] = folder / f"{name}_unstained.fcs"
        u_events, _ = tube(n_unstained, stained=False)
        write_fcs(
            paths["unstained"],
            u_events,
            channels,
            labels_pns,
            keywords=_fcs_keywords(f"{name}_unstained", seed, extra),
        )
    paths["truth"] = folder / f"{name}_truth.csv"
    pd.DataFrame({"event": np.arange(labels.size), "population": labels}).to_csv(
        paths["truth"], index=False
    )
    paths["provenance"] = folder / f"{name}_provenance.json"
    realised = {k: float(np.mean(labels[labels != "debris"] == k)) for k in APOPTOSIS_CLASSES}
    prov = write_provenance(
        paths["provenance"],
        owner,
        seed,
        {
            "fractions": frac,
            "realised_fractions": realised,
            "n_events": n_events,
            "n_debris": int(np.sum(labels == "debris")),
            "debris_fraction": debris_fraction,
            "unstained_events": n_unstained if unstained else 0,
            "channels": channels,
            "spillover": None if spill is None else spill.tolist(),
        },
    )
    return WrittenFiles(paths=paths, provenance=prov)


def write_pi_cell_cycle(
    out_dir,
    fractions: Mapping[str, float],
    n_events: int = 20_000,
    *,
    seed: int = 0,
    name: str = "pi_cell_cycle",
    g1_mean: float = 50_000.0,
    g1_cv_pct: float = 4.0,
    g2_g1_ratio: float = 1.95,
    doublet_fraction: float = 0.05,
    debris_fraction: float = 0.02,
) -> WrittenFiles:
    """Write a PI DNA-content tube as FCS 3.1 (FSC-A, SSC-A, PI-A, PI-H, PI-W) with truth.

    ``fractions``: of the single cells, keys ``sub_g1``, ``g1``, ``s``, ``g2m`` summing to 1
    (drawn multinomially). ``g1_mean``: G1 peak position on the PI-A scale (0–262,144);
    ``g1_cv_pct``: its CV in percent (estimated default 4 %: a well-stained sample on a
    current instrument reads 3–5 %, and DNA-cytometry guidelines accept G0/G1 CVs up to about
    8 %); ``g2_g1_ratio``: G2/M over G1 position (2 on an ideal linear detector; 1.9–2.0 is
    usual). ``doublet_fraction`` and ``debris_fraction``: of all events. Files:
    ``<name>.fcs``, ``<name>_truth.csv`` (event, population — sub_g1, g1, s, g2m, debris,
    doublet — and dna_content relative to G1) and ``<name>_provenance.json``.
    """
    owner = "write_pi_cell_cycle"
    seed = check_seed(owner, seed)
    name = check_name(owner, name)
    frac = check_fractions(owner, fractions, CELL_CYCLE_CLASSES, _CC_ALIASES)
    if frac["g1"] + frac["s"] + frac["g2m"] <= 0:
        raise ParameterError(
            f"The 'fractions' parameter of {owner} must leave some cycling cells (g1 + s + g2m "
            f"> 0). Got {dict(fractions)!r} instead."
        )
    n_events = check_count(owner, "n_events", n_events, MIN_EVENTS)
    cv = check_number(owner, "g1_cv_pct", g1_cv_pct, lo=0.0, hi=20.0, lo_open=True) / 100
    ratio = check_number(owner, "g2_g1_ratio", g2_g1_ratio, lo=1.6, hi=2.4)
    top = RANGE / (ratio * (1 + 4 * cv))  # the G2/M peak must stay on scale
    mu1 = check_number(owner, "g1_mean", g1_mean, lo=100.0, hi=math.floor(top))
    doublet_fraction = check_number(owner, "doublet_fraction", doublet_fraction, lo=0, hi=0.5)
    debris_fraction = check_number(owner, "debris_fraction", debris_fraction, lo=0, hi=0.5)
    if doublet_fraction + debris_fraction >= 0.9:
        raise param_error(
            owner, "doublet_fraction + debris_fraction", "< 0.9", doublet_fraction + debris_fraction
        )
    rng = np.random.default_rng(seed)
    n_doublets = round(doublet_fraction * n_events)
    n_debris = round(debris_fraction * n_events)
    n_cells = n_events - n_doublets - n_debris
    counts = rng.multinomial(n_cells, [frac[k] for k in CELL_CYCLE_CLASSES])
    labels = np.repeat(np.array([*CELL_CYCLE_CLASSES, "debris"]), [*counts, n_debris])
    content = np.empty(labels.size)
    for cls, k in zip((*CELL_CYCLE_CLASSES, "debris"), (*counts, n_debris), strict=True):
        sel = labels == cls
        if cls == "g1":
            content[sel] = 1.0
        elif cls == "g2m":
            content[sel] = ratio
        elif cls == "s":
            content[sel] = rng.uniform(1.0, ratio, k)
        elif cls == "sub_g1":
            content[sel] = rng.uniform(0.15, 0.75, k)
        else:
            content[sel] = 0.02 + rng.exponential(0.08, k)
    area = content * mu1 * (1.0 + cv * rng.standard_normal(content.size))
    width = 100.0 * (0.9 + 0.1 * content) * (1.0 + 0.03 * rng.standard_normal(content.size))
    cycling = np.flatnonzero(np.isin(labels, ("g1", "s", "g2m")))
    if n_doublets and cycling.size:
        i, j = rng.choice(cycling, n_doublets), rng.choice(cycling, n_doublets)
        area = np.concatenate([area, area[i] + area[j]])
        width = np.concatenate([width, (width[i] + width[j]) * rng.uniform(0.8, 0.95, n_doublets)])
        content = np.concatenate([content, content[i] + content[j]])
        labels = np.concatenate([labels, np.full(n_doublets, "doublet")])
    order = rng.permutation(labels.size)
    area, width, content, labels = area[order], width[order], content[order], labels[order]
    m = labels.size
    height = 100.0 * area / width
    fsc = _lognormal(rng, (70_000.0, 0.18), m)  # fixed cells: size only weakly tied to DNA
    ssc = _lognormal(rng, (30_000.0, 0.25), m)
    events = np.column_stack([fsc, ssc, area, height, width])
    events = np.clip(events, 0.0, RANGE - 1)
    folder = prepare_dir(owner, out_dir)
    paths = {
        "sample": folder / f"{name}.fcs",
        "truth": folder / f"{name}_truth.csv",
        "provenance": folder / f"{name}_provenance.json",
    }
    channels = ["FSC-A", "SSC-A", "PI-A", "PI-H", "PI-W"]
    write_fcs(
        paths["sample"],
        events,
        channels,
        ["", "", "PI", "", ""],
        keywords=_fcs_keywords(name, seed, {}),
    )
    pd.DataFrame({"event": np.arange(m), "population": labels, "dna_content": content}).to_csv(
        paths["truth"], index=False, float_format="%.6g"
    )
    cells = labels[np.isin(labels, CELL_CYCLE_CLASSES)]
    prov = write_provenance(
        paths["provenance"],
        owner,
        seed,
        {
            "fractions": frac,
            "realised_fractions": {k: float(np.mean(cells == k)) for k in CELL_CYCLE_CLASSES},
            "n_events": n_events,
            "n_doublets": int(n_doublets),
            "n_debris": int(n_debris),
            "g1_mean": mu1,
            "g1_cv_pct": 100 * cv,
            "g2_g1_ratio": ratio,
        },
    )
    return WrittenFiles(paths=paths, provenance=prov)
