"""``p53lab blot quantify | normalise``: Western blot densitometry (thin shell over
:mod:`p53lab.blot`)."""

from __future__ import annotations

import argparse
import sys

from ._fit import print_json, save_figure


def register(sub) -> None:
    p = sub.add_parser(
        "blot",
        help="Western blot densitometry from images (TIFF/PNG) or band tables",
        description="Quantify blot images (lanes, rolling-ball or lane baseline background, "
        "bands, saturation) and normalise bands to a loading control and the vehicle lane.",
    )
    bs = p.add_subparsers(dest="blot_command", metavar="COMMAND")

    q = bs.add_parser(
        "quantify",
        help="bands of a blot image: intensities, saturation, normalised ratios",
        description="Lanes are numbered left to right and band rows top to bottom, from 1. "
        "JSON: {lanes: [{lane, bands: [{row, intensity, background, normalised, saturated}]}]}; "
        "intensity is background-subtracted and integrated over the band box (grey levels x "
        "pixels), background the integrated background removed there, normalised = "
        "(intensity / loading-control intensity of the lane) / (the same in the reference "
        "lane), or intensity / reference-lane intensity without a loading control. Warnings "
        "(saturated bands, the inversion guess) go to stderr.",
    )
    q.add_argument("image", help="TIFF (8/16-bit) or PNG blot image")
    q.add_argument("--lanes", type=int, help="number of lanes (default: detect them)")
    q.add_argument(
        "--lane-layout",
        choices=("peaks", "equal"),
        default="peaks",
        help="peaks: lanes centred on the column-profile peaks (default); equal: equal strips "
        "across the image width (needs --lanes; for touching or empty lanes)",
    )
    q.add_argument("--rows", help="band-row names top to bottom, e.g. MDM2,p53,p21,GAPDH")
    q.add_argument("--labels", help="lane labels left to right, e.g. veh,2h,4h,8h,24h")
    q.add_argument(
        "--loading-control-row",
        metavar="R",
        help="loading-control band row (1 = top) or its name from --rows",
    )
    q.add_argument("--reference-lane", type=int, default=1, help="vehicle lane (default 1)")
    q.add_argument("--background", choices=("rolling-ball", "baseline"), default="rolling-ball")
    q.add_argument(
        "--radius",
        type=float,
        default=None,
        help="rolling-ball radius in pixels (default: 6 x the tallest band box, between 50 px "
        "and half the image's shorter side)",
    )
    q.add_argument(
        "--invert",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="dark bands on a light background (default: detect from the histogram)",
    )
    q.add_argument("--figure", metavar="FILE.png", help="write the image with boxes and a plot")
    q.add_argument(
        "--table", metavar="FILE.csv", help="write the long band table (one row per band)"
    )
    q.add_argument(
        "--wide",
        metavar="FILE.csv",
        help="write the time-course/dose table: one row per lane, normalised value per row name",
    )
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_quantify)

    n = bs.add_parser(
        "normalise",
        aliases=["normalize"],
        help="normalise a pre-quantified band table (lane, target, intensity[, label])",
        description="CSV in long format, one row per band: lane (1 = leftmost), target, "
        "intensity and optionally label. normalised = (intensity / loading-control intensity "
        "of the lane) / (the same in the reference lane). JSON: {loading_control, "
        "reference_lane, lanes: [{lane, label, bands: [{target, intensity, normalised}]}]}.",
    )
    n.add_argument("table", help="band table CSV")
    n.add_argument("--loading-control", help="loading-control target, e.g. GAPDH")
    n.add_argument("--reference-lane", type=int, default=1, help="vehicle lane (default 1)")
    n.add_argument("--figure", metavar="FILE.png", help="write a plot of the normalised values")
    n.add_argument("--table-out", metavar="FILE.csv", help="write the normalised long table")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=_normalise)
    p.set_defaults(func=lambda a: p.print_help())


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",")]


def _print(res, as_json: bool) -> None:

    if as_json:
        print_json(res.by_lane())
    else:
        print(res.wide().to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def _quantify(args) -> int:
    from .. import blot

    image = blot.read_image(args.image, invert=args.invert)
    res = blot.quantify(
        image,
        args.lanes,
        lane_layout=args.lane_layout,
        rows=_split(args.rows),
        labels=_split(args.labels),
        loading_control=args.loading_control_row,
        reference_lane=args.reference_lane,
        background=args.background,
        radius_px=args.radius,
    )
    if res.invert_auto:
        how = "dark bands on light, inverted" if res.inverted else "bright bands on dark"
        flag = "--no-invert" if res.inverted else "--invert"
        print(
            f"p53lab: note: {args.image}: {how} (detected; override with {flag})", file=sys.stderr
        )
    for w in res.warnings:
        print(f"p53lab: warning: {w}", file=sys.stderr)
    _print(res, args.json)
    if args.table:
        res.summary().to_csv(args.table, index=False, float_format="%.6g")
        print(f"wrote {args.table}", file=sys.stderr)
    if args.wide:
        res.wide().to_csv(args.wide, index=False, float_format="%.6g")
        print(f"wrote {args.wide}", file=sys.stderr)
    if args.figure:
        blot.figure(res, image, args.figure)
        print(f"wrote {args.figure}", file=sys.stderr)
    return 0


def _normalise(args) -> int:
    from .. import blot

    res = blot.normalise(
        blot.read_band_table(args.table),
        loading_control=args.loading_control,
        reference_lane=args.reference_lane,
        source=args.table,
    )
    for r in res.rows:
        if r["status"] != "ok":
            print(
                f"p53lab: warning: lane {r['lane']}, {r['target']}: {r['message']}",
                file=sys.stderr,
            )
    _print(res, args.json)
    if args.table_out:
        res.summary().to_csv(args.table_out, index=False, float_format="%.6g")
        print(f"wrote {args.table_out}", file=sys.stderr)
    if args.figure:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4))
        blot.plot(res, ax)
        save_figure(fig, args.figure, dpi=130)
    return 0
