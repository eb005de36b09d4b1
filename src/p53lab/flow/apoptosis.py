"""Annexin V × propidium iodide (PI) apoptosis quadrants.

Annexin V binds phosphatidylserine exposed on the outer leaflet early in apoptosis; PI enters
only cells whose membrane has lost integrity (Vermes I et al. (1995) J Immunol Methods
184:39–51). With an Annexin threshold θA and a PI threshold θP (positive means ≥ θ)::

    live               A−P−   (A < θA, P < θP)
    early apoptotic    A+P−
    late apoptotic     A+P+   (late apoptotic or secondary necrotic)
    necrotic           A−P+

Percentages are of the events analysed (after the optional singlet pre-gate);
``apoptotic_pct`` = early + late.

**Where the thresholds come from**, per axis, in this order:

1. given by the user (on the gating scale: after compensation and the transform, if any);
2. from control files: the ``percentile``-th percentile (default **99th**, i.e. about 1 % of
   the control's events fall above) of the control's values on that axis. The Annexin threshold
   is taken from the PI-only control when given (its Annexin axis holds the PI spillover that an
   unstained control lacks), else from the unstained control; the PI threshold likewise from the
   Annexin-only control, else the unstained one. Controls go through the same compensation
   (each file's own matrix with ``spillover="file"``) and transform as the samples. Because
   ~1 % of truly negative events of the same distribution also exceed a 99th-percentile
   threshold, about 1 % of live cells per axis are counted positive; choose 99.5 or 99.9 when
   the negative population is large and the positives are bright;
3. otherwise from the density valley between the negative and positive peaks of the sample
   itself (:func:`p53lab.flow.gating.density_valley`; on the transform's scale, or on a logicle
   scale with T = the largest value when no transform is given).

**Positive control.** A staurosporine-treated (or otherwise induced) control should show
apoptosis; when its Annexin-positive fraction (early + late) is below ``min_apoptotic_pct``
(default 20 %, a conservative floor chosen here, not a published constant — set it from your
own positive-control history) a :class:`PositiveControlWarning` is issued and the result's
``qc`` is "failed".

Batches (:func:`fit_many`) never stop at one bad file: each file gets a result with ``status``
("ok" or "failed") and ``message``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from ..assays._base import FAILED, OK, FitResult
from ..errors import P53labError, ParameterError, param_error
from .compensation import channel_values, resolve_spillover
from .fcs import FcsData, read_fcs
from .gating import (
    EXCLUDED,
    SingletGate,
    _counts,
    _spill_label,
    density_valley,
    log_like_scale,
    quadrant_codes,
    resolve_transforms,
)

__all__ = [
    "CLASSES",
    "DEFAULT_MIN_APOPTOTIC_PCT",
    "DEFAULT_PERCENTILE",
    "SUMMARY_KEYS",
    "ApoptosisResult",
    "PositiveControlWarning",
    "control_thresholds",
    "fit",
    "fit_many",
    "plot",
    "summary_table",
]

# The fields of one result as ``p53lab flow apoptosis --json`` and the web app report them.
SUMMARY_KEYS = (
    "status",
    "message",
    "source",
    "live_pct",
    "early_apoptotic_pct",
    "late_apoptotic_pct",
    "necrotic_pct",
    "apoptotic_pct",
    "counts",
    "n_events",
    "n_excluded",
    "annexin_channel",
    "pi_channel",
    "annexin_threshold",
    "pi_threshold",
    "annexin_threshold_method",
    "pi_threshold_method",
    "percentile",
    "compensation",
    "transform",
    "positive_control",
    "min_apoptotic_pct",
    "qc",
)

LIVE, NECROTIC, EARLY, LATE = "live", "necrotic", "early_apoptotic", "late_apoptotic"
CLASSES = (LIVE, NECROTIC, EARLY, LATE)
"""Classes in the order of the quadrant codes 2·[A+] + [P+] (0 A−P−, 1 A−P+, 2 A+P−, 3 A+P+)."""

DEFAULT_PERCENTILE = 99.0
DEFAULT_MIN_APOPTOTIC_PCT = 20.0
MIN_EVENTS = 100
MAX_DOTS = 2000


class PositiveControlWarning(UserWarning):
    """The positive control shows less apoptosis than the stated minimum."""


@dataclasses.dataclass(frozen=True)
class ApoptosisResult(FitResult):
    """Quadrant fractions of one Annexin V / PI sample, with the thresholds and their origin.

    ``dot_annexin``/``dot_pi`` hold up to 2,000 evenly spaced events on the gating scale, for
    :func:`plot`.
    """

    source: str = ""
    annexin_channel: str = ""
    pi_channel: str = ""
    annexin_threshold: float = math.nan
    pi_threshold: float = math.nan
    annexin_threshold_method: str = ""
    pi_threshold_method: str = ""
    percentile: float = math.nan
    compensation: str = "none"
    transform: str = "none"
    n_events: int = 0
    n_excluded: int = 0
    counts: dict = dataclasses.field(default_factory=dict)
    live_pct: float = math.nan
    early_apoptotic_pct: float = math.nan
    late_apoptotic_pct: float = math.nan
    necrotic_pct: float = math.nan
    apoptotic_pct: float = math.nan
    positive_control: bool = False
    min_apoptotic_pct: float = math.nan
    qc: str = ""
    dot_annexin: tuple = ()
    dot_pi: tuple = ()


def _load(x, what: str = "sample") -> FcsData:
    if isinstance(x, FcsData):
        return x
    if isinstance(x, str | os.PathLike):
        return read_fcs(x)
    raise ParameterError(f"The {what} must be an FCS file path or FcsData. Got {x!r} instead.")


def _check_percentile(percentile) -> float:
    q = float(percentile)
    if not (math.isfinite(q) and 50.0 <= q < 100.0):
        raise param_error("apoptosis", "percentile", "in [50, 100) (e.g. 99)", percentile)
    return q


def _gating_values(sample: FcsData, channel: str, spillover, transform) -> np.ndarray:
    v = channel_values(sample, [channel], resolve_spillover(sample, spillover))[:, 0]
    return transform.apply(v) if transform is not None else v


def control_thresholds(
    annexin: str,
    pi: str,
    *,
    unstained=None,
    annexin_only=None,
    pi_only=None,
    percentile: float = DEFAULT_PERCENTILE,
    spillover=None,
    transform=None,
) -> dict[str, tuple[float, str]]:
    """Thresholds from control files: ``{"annexin": (θ, method), "pi": (θ, method)}``.

    An axis with no suitable control is left out. See the module docstring for which control
    sets which axis; thresholds are on the gating scale.
    """
    q = _check_percentile(percentile)
    ta, tp = resolve_transforms(transform, (annexin, pi))
    out: dict[str, tuple[float, str]] = {}
    plan = (
        ("annexin", annexin, ta, (("pi_only", pi_only), ("unstained", unstained))),
        ("pi", pi, tp, (("annexin_only", annexin_only), ("unstained", unstained))),
    )
    for axis, channel, t, candidates in plan:
        for label, ctrl in candidates:
            if ctrl is None:
                continue
            data = _load(ctrl, f"{label} control")
            v = _gating_values(data, channel, spillover, t)
            v = v[np.isfinite(v)]
            if v.size < MIN_EVENTS:
                raise ParameterError(
                    f"{data.source}: the {label} control has {v.size} events; at least "
                    f"{MIN_EVENTS} are needed for a {q:g}th-percentile threshold."
                )
            out[axis] = (float(np.percentile(v, q)), f"{label} control, {q:g}th percentile")
            break
    return out


def _threshold(value, axis: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise param_error("apoptosis.fit", f"{axis}_threshold", "a number", value) from None
    if not math.isfinite(v):
        raise param_error("apoptosis.fit", f"{axis}_threshold", "a finite number", value)
    return v


def fit(
    sample,
    annexin: str,
    pi: str,
    *,
    annexin_threshold: float | None = None,
    pi_threshold: float | None = None,
    unstained=None,
    annexin_only=None,
    pi_only=None,
    percentile: float = DEFAULT_PERCENTILE,
    spillover=None,
    transform=None,
    singlets: SingletGate | None = None,
    positive_control: bool = False,
    min_apoptotic_pct: float = DEFAULT_MIN_APOPTOTIC_PCT,
    _preset: dict | None = None,
) -> ApoptosisResult:
    """Annexin V / PI quadrant fractions of one sample (an FCS path or :class:`FcsData`).

    ``annexin`` and ``pi`` are channel names (``$PnN`` or ``$PnS``). Thresholds: see the module
    docstring. ``spillover``: None (no compensation), "file", a CSV path or a Spillover.
    ``transform``: None, a Transform or spec ("logicle", "asinh:t=…"), a pair, or a mapping by
    channel; user thresholds are on that scale. ``singlets``: an optional
    :class:`~p53lab.flow.gating.SingletGate` applied first.
    """
    data = _load(sample)
    ai, pj = data.index(annexin), data.index(pi)
    names = (data.pnn[ai], data.pnn[pj])
    ta, tp = resolve_transforms(transform, (annexin, pi))
    min_pct = float(min_apoptotic_pct)
    if not (math.isfinite(min_pct) and 0 <= min_pct <= 100):
        raise param_error("apoptosis.fit", "min_apoptotic_pct", "in [0, 100]", min_apoptotic_pct)
    q = _check_percentile(percentile)

    mask = singlets.apply(data).mask if singlets is not None else None
    vals = channel_values(data, [ai, pj], resolve_spillover(data, spillover))
    kept = vals if mask is None else vals[mask]
    if kept.shape[0] < MIN_EVENTS:
        raise ParameterError(
            f"{data.source}: {kept.shape[0]} events to analyse"
            f"{' after the singlet gate' if mask is not None else ''}; at least {MIN_EVENTS} "
            "are needed for quadrant percentages. Check the file and the gate."
        )

    preset = dict(_preset or {})
    if annexin_threshold is not None:
        preset["annexin"] = (_threshold(annexin_threshold, "annexin"), "given")
    if pi_threshold is not None:
        preset["pi"] = (_threshold(pi_threshold, "pi"), "given")
    missing = [ax for ax in ("annexin", "pi") if ax not in preset]
    if missing and any(c is not None for c in (unstained, annexin_only, pi_only)):
        ctl = control_thresholds(
            annexin,
            pi,
            unstained=unstained,
            annexin_only=annexin_only,
            pi_only=pi_only,
            percentile=q,
            spillover=spillover,
            transform=(ta, tp),
        )
        preset.update({k: v for k, v in ctl.items() if k in missing})
    for k, (axis, t) in enumerate((("annexin", ta), ("pi", tp))):
        if axis in preset:
            continue
        where = f"{data.source}: {axis} channel {names[k]}"
        if t is not None:
            theta = density_valley(t.apply(kept[:, k]), where=where)
        else:
            theta = density_valley(kept[:, k], log_like_scale(kept[:, k]), where=where)
        preset[axis] = (theta, "density valley")
    (a_thr, a_how), (p_thr, p_how) = preset["annexin"], preset["pi"]

    codes = quadrant_codes(vals[:, 0], vals[:, 1], a_thr, p_thr, ta, tp)
    if mask is not None:
        codes[~mask] = EXCLUDED
    counts = _counts(codes)
    n = int(counts.sum())
    pct = 100.0 * counts / n
    by = dict(zip(CLASSES, pct, strict=True))
    apoptotic = float(by[EARLY] + by[LATE])

    qc, status_msg = "", ""
    if positive_control:
        if apoptotic < min_pct:
            qc = "failed"
            status_msg = (
                f"positive control {data.name}: {apoptotic:.1f} % Annexin V-positive (early + "
                f"late) is below the expected minimum of {min_pct:g} %. Check the inducer "
                "(e.g. staurosporine concentration and time), the staining and the thresholds."
            )
            warnings.warn(status_msg, PositiveControlWarning, stacklevel=2)
        else:
            qc = "passed"

    idx = np.flatnonzero(codes >= 0)
    if idx.size > MAX_DOTS:
        idx = idx[np.linspace(0, idx.size - 1, MAX_DOTS).astype(np.intp)]
    dx, dy = vals[idx, 0], vals[idx, 1]
    if ta is not None:
        dx = ta.apply(dx)
    if tp is not None:
        dy = tp.apply(dy)
    uses_pct = "percentile" in a_how or "percentile" in p_how
    labels = [t.describe() if t is not None else "none" for t in (ta, tp)]
    label = labels[0] if labels[0] == labels[1] else " / ".join(labels)
    return ApoptosisResult(
        status=OK,
        message=status_msg,
        source=data.source,
        annexin_channel=names[0],
        pi_channel=names[1],
        annexin_threshold=float(a_thr),
        pi_threshold=float(p_thr),
        annexin_threshold_method=a_how,
        pi_threshold_method=p_how,
        percentile=q if uses_pct else math.nan,
        compensation=_spill_label(spillover),
        transform=label,
        n_events=n,
        n_excluded=int(codes.shape[0] - n),
        counts={c: int(k) for c, k in zip(CLASSES, counts, strict=True)},
        live_pct=float(by[LIVE]),
        early_apoptotic_pct=float(by[EARLY]),
        late_apoptotic_pct=float(by[LATE]),
        necrotic_pct=float(by[NECROTIC]),
        apoptotic_pct=apoptotic,
        positive_control=bool(positive_control),
        min_apoptotic_pct=min_pct,
        qc=qc,
        dot_annexin=tuple(float(v) for v in dx),
        dot_pi=tuple(float(v) for v in dy),
    )


def _fit_one(job: dict) -> ApoptosisResult:
    sample = job.pop("sample")
    source = os.fspath(sample) if isinstance(sample, str | os.PathLike) else sample.source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PositiveControlWarning)  # re-issued by fit_many
            return fit(sample, **job)
    except P53labError as exc:
        msg = str(exc)
    except OSError as exc:
        msg = f"{source}: cannot be read ({exc.strerror or exc}). Check the path."
    except Exception as exc:  # batches never die on one bad item; the reason is kept
        msg = f"{source}: {type(exc).__name__}: {exc}"
    return ApoptosisResult(
        status=FAILED,
        message=msg,
        source=source,
        positive_control=bool(job.get("positive_control", False)),
    )


def fit_many(
    samples: Sequence,
    annexin: str,
    pi: str,
    *,
    positive_controls: Sequence = (),
    executor: Executor | None = None,
    unstained=None,
    annexin_only=None,
    pi_only=None,
    percentile: float = DEFAULT_PERCENTILE,
    spillover=None,
    transform=None,
    **settings,
) -> tuple[ApoptosisResult, ...]:
    """:func:`fit` over many files; one result per file, in order, with ``status``.

    Control thresholds are computed once (an unreadable control stops the batch, since every
    sample depends on it). ``positive_controls`` are files (also listed in ``samples`` or
    not) checked against ``min_apoptotic_pct``. ``executor``: any
    ``concurrent.futures.Executor`` (serial when None).
    """
    items = list(samples)
    pos = [os.fspath(p) if isinstance(p, str | os.PathLike) else p for p in positive_controls]
    keyed = [os.fspath(s) if isinstance(s, str | os.PathLike) else s for s in items]
    items += [p for p in pos if not any(p is k or p == k for k in keyed)]
    preset = control_thresholds(
        annexin,
        pi,
        unstained=unstained,
        annexin_only=annexin_only,
        pi_only=pi_only,
        percentile=percentile,
        spillover=spillover,
        transform=transform,
    )
    jobs = []
    for s in items:
        key = os.fspath(s) if isinstance(s, str | os.PathLike) else s
        jobs.append(
            dict(
                sample=s,
                annexin=annexin,
                pi=pi,
                percentile=percentile,
                spillover=spillover,
                transform=transform,
                positive_control=any(key is p or key == p for p in pos),
                _preset=preset,
                **settings,
            )
        )
    results = tuple(executor.map(_fit_one, jobs) if executor is not None else map(_fit_one, jobs))
    for r in results:
        if r.qc == "failed":
            warnings.warn(r.message, PositiveControlWarning, stacklevel=2)
    return results


def summary_table(results: Sequence[ApoptosisResult]) -> pd.DataFrame:
    """One row per sample: source, status, message, thresholds, counts and percentages."""
    rows = []
    for r in results:
        d = r.to_dict()
        d.pop("dot_annexin", None)
        d.pop("dot_pi", None)
        counts = d.pop("counts", {}) or {}
        d.update({f"n_{k}": counts.get(k) for k in CLASSES})
        rows.append(d)
    return pd.DataFrame(rows)


def plot(result: ApoptosisResult, ax=None):
    """Annexin V × PI dot plot with the quadrant lines and the four percentages."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    x = np.asarray(result.dot_annexin, dtype=float)
    y = np.asarray(result.dot_pi, dtype=float)
    ax.scatter(x, y, s=2, c="0.3", alpha=0.5, linewidths=0, rasterized=True)
    if result.transform == "none":
        ax.set_xscale("symlog")
        ax.set_yscale("symlog")
    ax.axvline(result.annexin_threshold, color="tab:red", lw=1)
    ax.axhline(result.pi_threshold, color="tab:red", lw=1)
    corners = (
        (0.02, 0.02, "left", "bottom", "live", result.live_pct),
        (0.98, 0.02, "right", "bottom", "early", result.early_apoptotic_pct),
        (0.98, 0.98, "right", "top", "late", result.late_apoptotic_pct),
        (0.02, 0.98, "left", "top", "necrotic", result.necrotic_pct),
    )
    for px, py, ha, va, label, v in corners:
        ax.text(
            px,
            py,
            f"{label} {v:.1f} %",
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=8,
            color="tab:red",
        )
    ax.set_xlabel(f"Annexin V ({result.annexin_channel})")
    ax.set_ylabel(f"PI ({result.pi_channel})")
    title = os.path.basename(result.source) or "apoptosis"
    if result.qc:
        title += f" — positive control {result.qc}"
    ax.set_title(title, fontsize=9)
    return ax
