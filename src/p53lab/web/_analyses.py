"""The analyses the web app offers on uploaded files: one declarative spec per analysis.

Each spec lists its form fields (which become both the HTML form and the documented API
endpoint) and a ``run`` that does what the matching ``p53lab fit|flow|blot`` command does: the
same library calls with the same options, giving the same JSON shape as the command's
``--json``. Nothing is estimated here; figures come from each assay module's own ``plot``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ._security import Saved

__all__ = ["ANALYSES", "Analysis", "Field", "Outcome"]


@dataclass(frozen=True)
class Field:
    """A form field. ``kind``: file, files, text, float, int, bool or choice."""

    name: str
    kind: str
    label: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    minimum: float | None = None


@dataclass
class Outcome:
    """What an analysis gives back: the command's JSON, tables (CSV downloads), a figure
    maker (called under the figure lock), headline numbers and notes (warnings)."""

    result: Any
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figure: Callable[[], Any] | None = None
    headline: list[tuple[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "ok"


@dataclass(frozen=True)
class Analysis:
    slug: str
    title: str
    summary: str
    command: str  # the equivalent command line, shown on the page
    fields: tuple[Field, ...]
    run: Callable[[dict], Outcome]


def _new_axes(figsize=(6.4, 4.4)):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _split(text: str | None) -> list[str] | None:
    if text is None or not text.strip():
        return None
    return [x.strip() for x in text.split(",")]


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    return "n/a" if x is None else str(x)


# ------------------------------------------------------------------------ dose-response
def _dose_response(v: dict) -> Outcome:
    import numpy as np

    from ..assays import dose_response as dr
    from ..assays._tables import numeric_column, read_csv, require_columns
    from ..errors import FileFormatError

    f: Saved = v["file"]
    src = f.display
    df = read_csv(f.path, src)
    group_col = v.get("group_col") or None
    cols = [v["dose_col"], v["response_col"]] + ([group_col] if group_col else [])
    require_columns(df, cols, src)
    dose = numeric_column(df, v["dose_col"], src)
    resp = numeric_column(df, v["response_col"], src, allow_missing=True)
    if not group_col and (dose < 0).any():
        i = int(np.nonzero(dose < 0)[0][0])
        raise FileFormatError(
            f"{src}: row {i + 2}, column {v['dose_col']!r} holds the negative dose {dose[i]!r}. "
            "Doses must be >= 0."
        )
    table = pd.DataFrame({"dose": dose, "response": resp})
    if group_col:
        table["group"] = df[group_col].astype(str).to_numpy()
    results = dr.fit_many(
        table, "dose", "response", "group" if group_col else None, model=v["model"]
    )
    rows = [dr.result_row(r) for r in results]
    out = rows if group_col else {k: val for k, val in rows[0].items() if k != "group"}
    headline = []
    for r in results:
        e = (r.ed or {}).get("50") or {}
        name = "ED50" if not group_col else f"ED50 ({r.group})"
        if e.get("estimate") is not None:
            ci = f" (95 % CI {_fmt(e.get('lower'))} to {_fmt(e.get('upper'))})"
            headline.append((name, f"{_fmt(e['estimate'])}{ci}"))
        else:
            headline.append((name, f"{r.status}: {r.message}"))

    def figure():
        fig, ax = _new_axes()
        for r in results:
            if r.parameters:
                dr.plot(r, ax)
        return fig

    summary = pd.concat([r.summary() for r in results], ignore_index=True)
    notes = [f"{r.group}: {r.message}" for r in results if r.message]
    return Outcome(out, {"parameters": summary}, figure, headline, notes)


# ------------------------------------------------------------------------------- plates
def _plate(v: dict) -> Outcome:
    from ..assays import plates

    wells = None if v.get("wells") in (None, "auto") else int(v["wells"])
    result = plates.fit(
        [s.path for s in v["plates"]],
        v["layout"].path,
        n_wells=wells,
        subtract_blank=not v.get("no_blank"),
        exclude_outliers=bool(v.get("exclude_outliers")),
        curves=bool(v.get("curves")),
        model=v["model"],
    )
    headline = [(f"Z' ({p['plate']})", _fmt(p.get("z_prime"))) for p in result.plates]
    for c in result.curves:
        ic50 = (c.get("ed") or {}).get("50", {}).get("estimate")
        headline.append(
            (
                f"IC50 ({c['compound']}, nM)",
                _fmt(ic50) if ic50 is not None else f"{c['status']} {c.get('message', '')}".strip(),
            )
        )
    bad = [p["message"] for p in result.plates if p["status"] != "ok"]
    has_wells = not result.table().empty
    return Outcome(
        {"plates": list(result.plates), "curves": list(result.curves)},
        {"qc": result.qc(), "wells": result.table()},
        (lambda: plates.plot(result, _new_axes((7.5, 4.8))[1])) if has_wells else None,
        headline,
        bad,
        "failed" if bad else "ok",
    )


# --------------------------------------------------------------------------------- flow
def _transform(text: str | None):
    from ..flow.transforms import parse_transform

    return parse_transform(text or None)


def _quadrants(v: dict) -> Outcome:
    from ..flow import QUADRANTS, quadrant_gate, read_fcs

    s = read_fcs(v["file"].path)
    res = quadrant_gate(
        s,
        v["x"],
        v["y"],
        v["x_threshold"],
        v["y_threshold"],
        spillover="file" if v.get("compensate") else None,
        transform=_transform(v.get("transform")),
    )
    table = pd.DataFrame(
        {
            "quadrant": list(QUADRANTS),
            "events": [res.quadrants[q] for q in QUADRANTS],
            "percent": [res.percent[q] for q in QUADRANTS],
        }
    )
    headline = [(q, f"{res.quadrants[q]} ({res.percent[q]:.2f} %)") for q in QUADRANTS]
    return Outcome(
        {"n_events": res.n_events, "quadrants": res.quadrants}, {"quadrants": table}, None, headline
    )


def _apoptosis(v: dict) -> Outcome:
    from ..flow import apoptosis

    def path(name):
        return v[name].path if v.get(name) is not None else None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", apoptosis.PositiveControlWarning)
        res = apoptosis.fit(
            v["file"].path,
            v["annexin"],
            v["pi"],
            unstained=path("unstained"),
            annexin_only=path("annexin_only"),
            pi_only=path("pi_only"),
            percentile=v["percentile"],
            spillover="file" if v.get("compensate") else None,
            transform=_transform(v.get("transform")),
            annexin_threshold=v.get("annexin_threshold"),
            pi_threshold=v.get("pi_threshold"),
        )
    d = res.to_dict()
    out = {k: d[k] for k in apoptosis.SUMMARY_KEYS}
    keys = ("live_pct", "early_apoptotic_pct", "late_apoptotic_pct", "necrotic_pct")
    headline = [(k.replace("_pct", " %").replace("_", " "), _fmt(d[k])) for k in keys]
    summary = apoptosis.summary_table([res])
    return Outcome(
        out,
        {"apoptosis": summary},
        (lambda: apoptosis.plot(res, _new_axes((5.5, 5))[1])) if res.ok else None,
        headline,
        [str(w.message) for w in caught] + ([res.message] if res.message else []),
        res.status,
    )


def _cell_cycle(v: dict) -> Outcome:
    from ..errors import ParameterError
    from ..flow import SingletGate, cell_cycle

    if v.get("height") and v.get("width"):
        raise ParameterError("Give a height or a width channel for doublet exclusion, not both.")
    gate = None
    if v.get("height") or v.get("width"):
        gate = SingletGate(
            v["channel"], height=v.get("height"), width=v.get("width"), n_mad=v["n_mad"]
        )
    res = cell_cycle.fit(
        v["file"].path,
        v["channel"],
        model=v["model"],
        singlets=gate,
        bins=v["bins"],
        upper=v.get("upper"),
        g1_guess=v.get("g1_guess"),
    )
    d = res.to_dict()
    out = {k: d[k] for k in cell_cycle.SUMMARY_KEYS}
    headline = [
        (
            k.replace("_pct", " %").replace("g2m", "G2/M").replace("g1", "G1").replace("s ", "S "),
            _fmt(d[k]),
        )
        for k in ("g1_pct", "s_pct", "g2m_pct", "sub_g1_pct")
    ]
    return Outcome(
        out,
        {"cell_cycle": pd.DataFrame([out])},
        lambda: cell_cycle.plot(res, _new_axes()[1]),
        headline,
        [res.message] if res.message else [],
    )


# --------------------------------------------------------------------------------- blot
def _blot(v: dict) -> Outcome:
    from .. import blot

    invert = {"auto": None, "yes": True, "no": False}[v["invert"]]
    image = blot.read_image(v["image"].path, invert=invert)
    res = blot.quantify(
        image,
        v.get("lanes"),
        lane_layout=v["lane_layout"],
        rows=_split(v.get("rows")),
        labels=_split(v.get("labels")),
        loading_control=v.get("loading_control_row") or None,
        reference_lane=v["reference_lane"],
        background=v["background"],
        radius_px=v.get("radius"),
    )
    notes = []
    if res.invert_auto:
        how = "dark bands on light, inverted" if res.inverted else "bright bands on dark"
        notes.append(f"{how} (detected; set 'invert' to override)")
    notes += list(res.warnings)
    wide = res.wide()
    return Outcome(
        res.by_lane(),
        {"wide": wide, "bands": res.summary()},
        lambda: blot.figure(res, image),
        [("lanes", str(len(res.lanes)))],
        notes,
    )


# ------------------------------------------------------------------- qPCR, ELISA, TGI, KM
def _qpcr(v: dict) -> Outcome:
    from ..assays import qpcr
    from ..cli import parse_assignments

    table = qpcr.read_ct_table(v["file"].path)
    eff = parse_assignments(_split(v.get("efficiency")), "efficiency")
    res = qpcr.fit(
        table,
        _split(v["reference_gene"]),
        v["control_group"],
        efficiencies=eff,
        source=v["file"].display,
    )
    d = res.to_dict()
    keys = ("status", "message", "method", "reference_genes", "control_group", "efficiencies")
    out = {k: d[k] for k in (*keys, "rows", "flagged")}
    headline = [
        (f"fold change {r['gene']} ({r['group']})", _fmt(r.get("fold_change"))) for r in d["rows"]
    ]
    return Outcome(
        out,
        {"fold_change": res.summary()},
        lambda: qpcr.plot(res, _new_axes()[1]),
        headline,
        [res.message] if res.message else [],
        res.status,
    )


def _elisa(v: dict) -> Outcome:
    from ..assays import elisa

    res = elisa.fit_table(
        elisa.read_plate_table(v["file"].path), v["model"], v["weighting"], source=v["file"].display
    )
    d = res.to_dict()
    out = {k: d[k] for k in d if k not in ("standards_conc", "standards_response")}
    headline = [(k, _fmt(d.get(k))) for k in ("A", "B", "C", "D", "G", "lod_conc", "lloq_conc")]
    return Outcome(
        out,
        {"unknowns": res.summary()},
        lambda: elisa.plot(res, _new_axes()[1]),
        headline,
        [res.message] if res.message else [],
        res.status,
    )


def _tgi(v: dict) -> Outcome:
    from ..assays import xenograft

    res = xenograft.fit(
        xenograft.read_tumour_table(v["file"].path),
        v["vehicle_group"],
        day=v.get("day"),
        baseline_day=v.get("baseline_day"),
        source=v["file"].display,
    )
    d = res.to_dict()
    keys = ("status", "message", "vehicle_group", "day", "baseline_day", "groups")
    out = {k: d[k] for k in (*keys, "randomisation_ok", "anova_p", "baseline_means")}
    headline = [(f"TGI % ({g['group']})", _fmt(g.get("tgi_pct"))) for g in d["groups"]]
    return Outcome(
        out,
        {"groups": res.summary()},
        lambda: xenograft.plot(res, _new_axes()[1]),
        headline,
        [res.message] if res.message else [],
        res.status,
    )


def _survival(v: dict) -> Outcome:
    from ..assays import clinical
    from ..assays._tables import read_csv

    group_col = v.get("group_col") or None
    res = clinical.fit(
        read_csv(v["file"].path, v["file"].display),
        v["time_col"],
        v["event_col"],
        group_col,
        ci=v["ci"],
        source=v["file"].display,
    )
    groups = list(res.groups)
    out = {"groups": groups, "logrank": res.logrank} if group_col else groups[0]
    headline = [
        (
            f"median ({g['group']})",
            f"{_fmt(g['median'])} (95 % CI {_fmt(g['median_lower'])} to {_fmt(g['median_upper'])})",
        )
        for g in groups
    ]
    if res.logrank:
        headline.append(("log-rank", f"chi2 {res.logrank['chi2']:.4g}, p {res.logrank['p']:.3g}"))
    return Outcome(
        out, {"survival": res.summary()}, lambda: clinical.plot(res, _new_axes()[1]), headline
    )


# ------------------------------------------------------------------------------ registry
_DR_MODELS = ("ll4", "ll2", "ll3", "ll5", "bell", "hill", "4pl")
_TRANSFORM = Field(
    "transform",
    "text",
    "transform",
    help="thresholds on this scale: logicle, asinh or biex (e.g. logicle:t=262144,w=0.5,m=4.5,"
    "a=0); empty = linear",
)
_COMPENSATE = Field("compensate", "bool", "compensate with the file's spillover matrix")

ANALYSES: dict[str, Analysis] = {
    a.slug: a
    for a in (
        Analysis(
            "dose-response",
            "Dose-response curve",
            "Log-logistic (drc's LL.2-LL.5) or bell curves from a CSV: parameters, SEs, "
            "ED10/50/90.",
            "p53lab fit dose-response FILE --dose-col D --response-col R [--group-col G] --json",
            (
                Field("file", "file", "CSV file", True),
                Field("dose_col", "text", "dose column", True, "conc"),
                Field("response_col", "text", "response column", True, "response"),
                Field("group_col", "text", "group column (one curve per group)"),
                Field("model", "choice", "model", True, "ll4", _DR_MODELS),
            ),
            _dose_response,
        ),
        Analysis(
            "plate",
            "Plate + layout",
            "Plate-reader exports normalised to their controls: Z', edge effects, outliers, "
            "IC50 per compound.",
            "p53lab fit plate PLATE... --layout LAYOUT.csv [--curves] --json",
            (
                Field("plates", "files", "plate files (CSV/TSV/XLSX)", True),
                Field(
                    "layout",
                    "file",
                    "layout CSV (well, compound, concentration, unit, replicate, role)",
                    True,
                ),
                Field("wells", "choice", "plate format", True, "auto", ("auto", "96", "384")),
                Field("no_blank", "bool", "do not subtract the blank wells"),
                Field("exclude_outliers", "bool", "leave flagged outliers out of fits"),
                Field("curves", "bool", "fit a curve per compound (% of vehicle)", default=True),
                Field(
                    "model", "choice", "model", True, "ll4", ("ll4", "ll2", "ll3", "ll5", "bell")
                ),
            ),
            _plate,
        ),
        Analysis(
            "flow-quadrants",
            "Flow: quadrant gate",
            "Counts events in the four quadrants of X vs Y (positive = value >= threshold).",
            "p53lab flow quadrants FILE --x X --y Y --x-threshold A --y-threshold B --json",
            (
                Field("file", "file", "FCS file", True),
                Field("x", "text", "x channel ($PnN or $PnS)", True),
                Field("y", "text", "y channel ($PnN or $PnS)", True),
                Field("x_threshold", "float", "x threshold", True),
                Field("y_threshold", "float", "y threshold", True),
                _COMPENSATE,
                _TRANSFORM,
            ),
            _quadrants,
        ),
        Analysis(
            "flow-apoptosis",
            "Flow: Annexin V / PI apoptosis",
            "Live, early and late apoptotic, necrotic fractions. Thresholds: given, else from "
            "controls, else the density valley.",
            "p53lab flow apoptosis FILE --annexin A --pi P [--unstained FCS ...] --json",
            (
                Field("file", "file", "FCS file", True),
                Field("annexin", "text", "Annexin V channel", True),
                Field("pi", "text", "propidium iodide channel", True),
                Field("annexin_threshold", "float", "Annexin threshold"),
                Field("pi_threshold", "float", "PI threshold"),
                Field("unstained", "file", "unstained control (FCS)"),
                Field("annexin_only", "file", "Annexin-only control (sets the PI threshold)"),
                Field("pi_only", "file", "PI-only control (sets the Annexin threshold)"),
                Field("percentile", "float", "control percentile", True, 99.0),
                _COMPENSATE,
                _TRANSFORM,
            ),
            _apoptosis,
        ),
        Analysis(
            "flow-cell-cycle",
            "Flow: cell cycle",
            "G1/S/G2-M and sub-G1 from a DNA (PI) histogram, Watson or Dean-Jett-Fox.",
            "p53lab flow cell-cycle FILE --channel PI-A [--model djf] --json",
            (
                Field("file", "file", "FCS file", True),
                Field("channel", "text", "DNA area channel (e.g. PI-A)", True),
                Field("model", "choice", "model", True, "watson", ("watson", "djf")),
                Field("height", "text", "pulse height channel (doublet exclusion)"),
                Field("width", "text", "pulse width channel (doublet exclusion)"),
                Field("n_mad", "float", "singlet band half-width (robust SDs)", True, 3.0),
                Field("bins", "int", "histogram bins", True, 256),
                Field("upper", "float", "histogram top (empty = auto)"),
                Field("g1_guess", "float", "approximate G1 position"),
            ),
            _cell_cycle,
        ),
        Analysis(
            "blot",
            "Western blot image",
            "Lanes, background, bands and saturation from a TIFF/PNG; ratios to the loading "
            "control and the vehicle lane.",
            "p53lab blot quantify IMAGE [--rows MDM2,p53,GAPDH --loading-control-row GAPDH] --json",
            (
                Field("image", "file", "blot image (TIFF or PNG)", True),
                Field("lanes", "int", "number of lanes (empty = detect)"),
                Field("lane_layout", "choice", "lane layout", True, "peaks", ("peaks", "equal")),
                Field("rows", "text", "band-row names top to bottom (e.g. MDM2,p53,GAPDH)"),
                Field("labels", "text", "lane labels left to right"),
                Field("loading_control_row", "text", "loading-control row (number or name)"),
                Field("reference_lane", "int", "vehicle lane", True, 1),
                Field(
                    "background",
                    "choice",
                    "background",
                    True,
                    "rolling-ball",
                    ("rolling-ball", "baseline"),
                ),
                Field("radius", "float", "rolling-ball radius, px (empty = auto)"),
                Field(
                    "invert", "choice", "dark bands on light", True, "auto", ("auto", "yes", "no")
                ),
            ),
            _blot,
        ),
        Analysis(
            "qpcr",
            "qPCR (Ct table)",
            "Fold change by ddCt (Livak) or efficiency-corrected (Pfaffl).",
            "p53lab fit qpcr FILE --reference-gene G --control-group C --json",
            (
                Field("file", "file", "Ct table CSV (sample, group, gene, ct)", True),
                Field("reference_gene", "text", "reference gene(s), comma-separated", True),
                Field("control_group", "text", "control group", True),
                Field("efficiency", "text", "efficiencies GENE=E, comma-separated (2.0 = 100 %)"),
            ),
            _qpcr,
        ),
        Analysis(
            "elisa",
            "ELISA",
            "Standard curve (4PL/5PL), unknowns back-calculated, LOD and LLOQ.",
            "p53lab fit elisa FILE [--model 4pl] [--weighting 1/y2] --json",
            (
                Field("file", "file", "plate table CSV (sample, kind, conc, response)", True),
                Field("model", "choice", "model", True, "5pl", ("5pl", "4pl")),
                Field("weighting", "choice", "weighting", True, "none", ("none", "1/y", "1/y2")),
            ),
            _elisa,
        ),
        Analysis(
            "tgi",
            "Xenograft calipers",
            "%TGI, T/C, regressions and the randomisation check from caliper measurements.",
            "p53lab fit tgi FILE --vehicle-group V --json",
            (
                Field(
                    "file",
                    "file",
                    "CSV (animal, group, day, length_mm + width_mm or volume_mm3)",
                    True,
                ),
                Field("vehicle_group", "text", "vehicle group", True),
                Field("day", "float", "comparison day (empty = last common day)"),
                Field("baseline_day", "float", "randomisation day (empty = first day)"),
            ),
            _tgi,
        ),
        Analysis(
            "survival",
            "Survival (Kaplan-Meier)",
            "Kaplan-Meier medians with confidence intervals and the log-rank test.",
            "p53lab fit survival FILE --time-col T --event-col E [--group-col G] --json",
            (
                Field("file", "file", "CSV file", True),
                Field("time_col", "text", "time column", True, "time"),
                Field(
                    "event_col", "text", "event column (1 = event, 0 = censored)", True, "status"
                ),
                Field("group_col", "text", "group column"),
                Field("ci", "choice", "CI", True, "log", ("log", "log-log")),
            ),
            _survival,
        ),
    )
}
