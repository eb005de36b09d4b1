"""``p53lab fit plate`` and ``p53lab fit lint-layout``: plate-reader exports with a layout
(thin shell over :mod:`p53lab.assays.plates`)."""

from __future__ import annotations

import sys


def register_fit(fs) -> None:
    g = fs.add_parser(
        "plate",
        help="normalise plate-reader exports to their controls; Z', edge effects, outliers, "
        "IC50 per compound",
        description="PLATE files are plate-reader exports (CSV/TSV/XLSX; 96- or 384-well grids, "
        "or long tables with 'well' and 'value'). The layout CSV has well, compound, "
        "concentration, unit, replicate, role (sample, vehicle, positive, blank, empty). Every "
        "layout problem is reported at once. JSON: {plates: [{plate, status, message, z_prime, "
        "z_prime_robust, vehicle_mean, positive_mean, vehicle_cv_pct, signal_to_background, "
        "edge_ratio, edge_p, edge_effect, outliers}], curves: [{compound, status, parameters, "
        "se, ed}]}. Exit code 2 when a plate cannot be normalised (the others are still "
        "reported).",
    )
    g.add_argument("plates", nargs="+", metavar="PLATE")
    g.add_argument("--layout", required=True, help="layout CSV")
    g.add_argument("--wells", type=int, choices=(96, 384), default=None, help="plate format")
    g.add_argument("--no-blank", action="store_true", help="do not subtract the blank wells")
    g.add_argument(
        "--exclude-outliers", action="store_true", help="leave flagged outliers out of fits"
    )
    g.add_argument("--curves", action="store_true", help="fit a curve per compound (%% of vehicle)")
    g.add_argument("--model", default="ll4", choices=("ll2", "ll3", "ll4", "ll5", "bell"))
    g.add_argument("--out", default=None, help="write the normalised wells to this CSV")
    g.add_argument("--figure", default=None, help="write a heat map of the first plate (PNG/SVG)")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_plate)

    lint = fs.add_parser(
        "lint-layout",
        help="check a plate layout and list every problem at once",
        description="Exit code 0 when the layout is sound, 2 with one line per problem.",
    )
    lint.add_argument("layout")
    lint.add_argument("--wells", type=int, choices=(96, 384), default=None)
    lint.add_argument("--json", action="store_true")
    lint.set_defaults(func=_lint)


def _lint(args) -> int:
    from ..assays import plates
    from ..io.plates import read_layout
    from ._fit import print_json

    problems = plates.lint_layout(read_layout(args.layout), args.wells)
    if args.json:
        print_json({"layout": args.layout, "problems": [vars(p) for p in problems]})
    elif not problems:
        print(f"{args.layout}: no problems.")
    for p in problems:
        print(f"p53lab: {args.layout}: {p}", file=sys.stderr)
    return 2 if problems else 0


def _plate(args) -> int:

    from ..assays import plates
    from ._fit import print_json, save_figure

    result = plates.fit(
        args.plates,
        args.layout,
        n_wells=args.wells,
        subtract_blank=not args.no_blank,
        exclude_outliers=args.exclude_outliers,
        curves=args.curves,
        model=args.model,
    )
    if args.out:
        result.table().to_csv(args.out, index=False)
    if args.figure:
        save_figure(plates.plot(result), args.figure)
    if args.json:
        print_json({"plates": list(result.plates), "curves": list(result.curves)})
    else:
        qc = result.qc()
        print(qc.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        for c in result.curves:
            ic50 = c["ed"].get("50", {}).get("estimate") if c["ed"] else None
            txt = f"{ic50:.4g} nM" if isinstance(ic50, float) else "n/a"
            print(f"{c['compound']}: {c['status']}, IC50 {txt} {c['message']}".rstrip())
    bad = [p for p in result.plates if p["status"] != "ok"]
    for p in bad:
        print(f"p53lab: error: {p['message']}", file=sys.stderr)
    return 2 if bad else 0
