"""``p53lab fit qpcr | elisa | tgi``: lab assay files → JSON or a table (thin shell)."""

from __future__ import annotations

from pathlib import Path


def register_fit(fs) -> None:
    q = fs.add_parser(
        "qpcr",
        help="qPCR fold change by ddCt (Livak) or efficiency-corrected (Pfaffl)",
        description="CSV columns: sample, group, gene, ct[, replicate]. 'Undetermined' or Ct >= 40 "
        "is flagged and left out. JSON: {method, reference_genes, control_group, efficiencies, "
        "rows: [{gene, group, delta_delta_ct, sd, fold_change, fold_lower, fold_upper, status, "
        "...}], flagged: [...]}.",
    )
    q.add_argument("file")
    q.add_argument(
        "--reference-gene", action="append", required=True, help="reference gene (repeatable)"
    )
    q.add_argument("--control-group", required=True)
    q.add_argument(
        "--efficiency",
        action="append",
        metavar="GENE=E",
        help="amplification factor per cycle (2.0 = 100 %%; 1.9 = 90 %%); repeatable",
    )
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_qpcr)

    e = fs.add_parser(
        "elisa",
        help="ELISA standard curve (4PL/5PL), unknowns, LOD, LLOQ",
        description="CSV columns: sample (or well), kind (standard|unknown|blank), conc "
        "(standards), response. JSON: {model, weighting, A, B, C, D, G, lod_conc, lloq_conc, "
        "standards: [...], unknowns: [{sample, response, conc, flag, status}], ...}.",
    )
    e.add_argument("file")
    e.add_argument("--model", choices=("4pl", "5pl"), default="5pl")
    e.add_argument("--weighting", choices=("none", "1/y", "1/y2"), default="none")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_elisa)

    t = fs.add_parser(
        "tgi",
        help="xenograft %%TGI, T/C, regressions and randomisation check",
        description="CSV columns: animal, group, day and length_mm + width_mm or volume_mm3. "
        "JSON: {vehicle_group, day, baseline_day, groups: [{group, n, tgi_pct, tc_pct, "
        "regressions, complete_responses, ...}], randomisation_ok, anova_p, baseline_means}.",
    )
    t.add_argument("file")
    t.add_argument("--vehicle-group", required=True)
    t.add_argument("--day", type=float, help="day of the comparison (default: last common day)")
    t.add_argument("--baseline-day", type=float, help="randomisation day (default: first day)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=_tgi)


def _show(res, keys, as_json: bool) -> int:
    from ._fit import print_json

    if as_json:
        d = res.to_dict()
        print_json({k: d[k] for k in keys})
    else:
        print(res.summary().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def _qpcr(args) -> int:
    from ..assays import qpcr
    from . import parse_assignments

    table = qpcr.read_ct_table(args.file)
    eff = parse_assignments(args.efficiency, "--efficiency")
    res = qpcr.fit(
        table, args.reference_gene, args.control_group, efficiencies=eff, source=args.file
    )
    keys = ("status", "message", "method", "reference_genes", "control_group", "efficiencies")
    return _show(res, (*keys, "rows", "flagged"), args.json)


def _elisa(args) -> int:
    from ..assays import elisa

    res = elisa.fit_table(
        elisa.read_plate_table(args.file), args.model, args.weighting, source=args.file
    )
    keys = [k for k in res.to_dict() if k not in ("standards_conc", "standards_response")]
    return _show(res, keys, args.json)


def _tgi(args) -> int:
    from ..assays import xenograft

    res = xenograft.fit(
        xenograft.read_tumour_table(args.file),
        args.vehicle_group,
        day=args.day,
        baseline_day=args.baseline_day,
        source=Path(args.file).name,
    )
    keys = ("status", "message", "vehicle_group", "day", "baseline_day", "groups")
    return _show(res, (*keys, "randomisation_ok", "anova_p", "baseline_means"), args.json)
