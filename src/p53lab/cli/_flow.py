"""``p53lab flow info | quadrants | apoptosis | cell-cycle``: FCS files → JSON or a table
(thin shell over :mod:`p53lab.flow`)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from ._fit import print_json, save_figure

_COMPENSATE_HELP = (
    "compensate with the file's $SPILLOVER/$SPILL/SPILL matrix, or with the CSV matrix given "
    "(header of channel names, then the rows)"
)
_TRANSFORM_HELP = (
    "thresholds are on this scale: logicle, asinh or biex, optionally with parameters, e.g. "
    "'logicle:t=262144,w=0.5,m=4.5,a=0' (default: none, the decoded linear values)"
)


def register(sub) -> None:
    p = sub.add_parser(
        "flow",
        help="flow cytometry: FCS channels, quadrant gates, Annexin V/PI apoptosis, cell cycle",
    )
    fs = p.add_subparsers(dest="flow_command", metavar="ANALYSIS")

    i = fs.add_parser(
        "info",
        help="list an FCS file's channels, event count and spillover keyword",
        description="JSON: {file, version, n_events, channels: [{index, pnn, pns, range}], "
        "spillover_channels}.",
    )
    i.add_argument("file")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_info)

    q = fs.add_parser(
        "quadrants",
        help="quadrant gate on two channels",
        description="Counts events in the four quadrants of X vs Y (positive = value >= "
        "threshold), on the decoded channel values ($PnE, $PnG) unless --compensate or "
        "--transform is given. Channels by $PnN or $PnS name. JSON: {n_events, quadrants: "
        '{"x-y-": n, "x-y+": n, "x+y-": n, "x+y+": n}}.',
    )
    q.add_argument("file")
    q.add_argument("--x", required=True, help="x channel ($PnN or $PnS)")
    q.add_argument("--y", required=True, help="y channel ($PnN or $PnS)")
    q.add_argument("--x-threshold", type=float, required=True)
    q.add_argument("--y-threshold", type=float, required=True)
    q.add_argument(
        "--compensate", nargs="?", const="file", default=None, metavar="CSV", help=_COMPENSATE_HELP
    )
    q.add_argument("--transform", default=None, metavar="SPEC", help=_TRANSFORM_HELP)
    q.add_argument(
        "--events-out",
        default=None,
        metavar="CSV",
        help="write one row per event, in file order, with a 'quadrant' column",
    )
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_quadrants)

    a = fs.add_parser(
        "apoptosis",
        help="Annexin V x PI quadrants: live, early and late apoptotic, necrotic",
        description="Thresholds per axis: --annexin-threshold/--pi-threshold (on the gating "
        "scale), else the --percentile (default 99) of control files (Annexin axis: "
        "--pi-only, else --unstained; PI axis: --annexin-only, else --unstained), else the "
        "density valley of each sample. Several FILEs run as a batch: each gets a status and "
        "the others go on; exit code 2 when any failed. JSON (one file): {live_pct, "
        "early_apoptotic_pct, late_apoptotic_pct, necrotic_pct, apoptotic_pct, counts, "
        "annexin_threshold, pi_threshold, ...}; several: {samples: [...]}.",
    )
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument("--annexin", required=True, help="Annexin V channel ($PnN or $PnS)")
    a.add_argument("--pi", required=True, help="propidium iodide channel ($PnN or $PnS)")
    a.add_argument("--annexin-threshold", type=float, default=None)
    a.add_argument("--pi-threshold", type=float, default=None)
    a.add_argument("--unstained", default=None, metavar="FCS", help="unstained control")
    a.add_argument(
        "--annexin-only",
        default=None,
        metavar="FCS",
        help="Annexin-only control (sets the PI threshold)",
    )
    a.add_argument(
        "--pi-only",
        default=None,
        metavar="FCS",
        help="PI-only control (sets the Annexin threshold)",
    )
    a.add_argument(
        "--percentile",
        type=float,
        default=99.0,
        help="control percentile for thresholds (default 99)",
    )
    a.add_argument(
        "--positive-control",
        action="append",
        default=[],
        metavar="FCS",
        help="positive control (e.g. staurosporine); warns when its Annexin+ "
        "fraction is below --min-apoptotic-pct (repeatable)",
    )
    a.add_argument(
        "--min-apoptotic-pct",
        type=float,
        default=20.0,
        help="minimum early + late apoptotic %% of a positive control (default 20)",
    )
    a.add_argument(
        "--compensate", nargs="?", const="file", default=None, metavar="CSV", help=_COMPENSATE_HELP
    )
    a.add_argument("--transform", default=None, metavar="SPEC", help=_TRANSFORM_HELP)
    _singlet_args(a, "FSC-A,FSC-H")
    a.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="dot plot with the quadrant lines (a folder when several files)",
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=_apoptosis)

    c = fs.add_parser(
        "cell-cycle",
        help="G1/S/G2-M and sub-G1 from a PI (DNA) histogram",
        description="Fits the Watson pragmatic or the Dean-Jett-Fox model to the linear DNA "
        "area histogram after optional doublet exclusion (--height or --width). JSON: {g1_pct, "
        "s_pct, g2m_pct, sub_g1_pct, g1_mean, g1_cv, g2_mean, g2_cv, g2_g1_ratio, "
        "reduced_chi2, ...}; CVs in percent; G1/S/G2-M are percent of cycling cells, sub-G1 "
        "percent of all analysed events.",
    )
    c.add_argument("file")
    c.add_argument("--channel", required=True, help="DNA area channel, e.g. PI-A")
    c.add_argument("--model", choices=("watson", "djf"), default="watson")
    c.add_argument("--height", default=None, help="pulse height channel for doublet exclusion")
    c.add_argument("--width", default=None, help="pulse width channel for doublet exclusion")
    c.add_argument(
        "--n-mad", type=float, default=3.0, help="singlet band half-width in robust SDs (default 3)"
    )
    c.add_argument("--bins", type=int, default=256)
    c.add_argument("--upper", type=float, default=None, help="histogram top (default auto)")
    c.add_argument("--g1-guess", type=float, default=None, help="approximate G1 position")
    c.add_argument("--plot", default=None, metavar="PNG", help="histogram with the components")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cell_cycle)

    p.set_defaults(func=lambda args: p.print_help())


def _singlet_args(p, example: str) -> None:
    p.add_argument(
        "--singlets",
        default=None,
        metavar="AREA,HEIGHT",
        help=f"area/height singlet pre-gate, e.g. {example}",
    )
    p.add_argument(
        "--singlets-width",
        default=None,
        metavar="AREA,WIDTH",
        help="area vs width singlet pre-gate, e.g. PI-A,PI-W",
    )


def _singlet_gate(args):
    from ..errors import ParameterError
    from ..flow import SingletGate

    if args.singlets and args.singlets_width:
        raise ParameterError("Give --singlets or --singlets-width, not both.")
    spec = args.singlets or args.singlets_width
    if not spec:
        return None
    parts = [s.strip() for s in spec.split(",")]
    if len(parts) != 2 or not all(parts):
        flag = "--singlets" if args.singlets else "--singlets-width"
        raise ParameterError(f"{flag} {spec!r}: write AREA,OTHER, for example FSC-A,FSC-H.")
    if args.singlets:
        return SingletGate(parts[0], height=parts[1])
    return SingletGate(parts[0], width=parts[1])


def _info(args) -> int:
    from ..flow import read_fcs, spillover_from_keywords

    s = read_fcs(args.file)
    sp = spillover_from_keywords(s)
    d = {
        "file": args.file,
        "version": s.version,
        "n_events": s.n_events,
        "channels": [
            {"index": k, "pnn": n, "pns": lab, "range": r}
            for k, (n, lab, r) in enumerate(zip(s.pnn, s.pns, s.ranges, strict=True))
        ],
        "spillover_channels": list(sp.channels) if sp else [],
    }
    if args.json:
        print_json(d)
        return 0
    print(f"{args.file}: FCS {s.version}, {s.n_events} events, {s.n_channels} channels")
    for ch in d["channels"]:
        print(f"  {ch['index']:>3}  {ch['pnn']:<16} {ch['pns']:<24} range {ch['range']:g}")
    if sp:
        print(f"  spillover matrix for: {', '.join(sp.channels)}")
    return 0


def _quadrants(args) -> int:
    from ..flow import QUADRANTS, quadrant_gate, read_fcs
    from ..flow.compensation import compensate
    from ..flow.transforms import parse_transform

    s = read_fcs(args.file)
    t = parse_transform(args.transform)
    res = quadrant_gate(
        s,
        args.x,
        args.y,
        args.x_threshold,
        args.y_threshold,
        spillover=args.compensate,
        transform=t,
    )
    if args.events_out:
        table = (
            compensate(s, args.compensate).to_dataframe() if args.compensate else (s.to_dataframe())
        )
        if t is not None:
            for ch in (res.x_channel, res.y_channel):
                table[f"{ch} ({t.name})"] = t.apply(table[ch].to_numpy())
        table["quadrant"] = res.labels()
        table.to_csv(args.events_out, index=False)
        print(f"wrote {args.events_out} ({len(table)} events)", file=sys.stderr)
    if args.json:
        print_json({"n_events": res.n_events, "quadrants": res.quadrants})
        return 0
    print(
        f"{Path(args.file).name}: {res.n_events} events; x = {res.x_channel} >= "
        f"{res.x_threshold:g}, y = {res.y_channel} >= {res.y_threshold:g}"
        f" (compensation {res.compensation}, transform {res.x_transform})"
    )
    for qname in QUADRANTS:
        print(f"  {qname}  {res.quadrants[qname]:>9}  {res.percent[qname]:6.2f} %")
    return 0


def _apoptosis(args) -> int:
    from ..flow import apoptosis
    from ..flow.transforms import parse_transform

    settings = dict(
        unstained=args.unstained,
        annexin_only=args.annexin_only,
        pi_only=args.pi_only,
        percentile=args.percentile,
        spillover=args.compensate,
        transform=parse_transform(args.transform),
        singlets=_singlet_gate(args),
        annexin_threshold=args.annexin_threshold,
        pi_threshold=args.pi_threshold,
        min_apoptotic_pct=args.min_apoptotic_pct,
    )
    single = len(args.files) == 1 and not args.positive_control
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", apoptosis.PositiveControlWarning)
        if single:
            results = (apoptosis.fit(args.files[0], args.annexin, args.pi, **settings),)
        else:
            results = apoptosis.fit_many(
                args.files,
                args.annexin,
                args.pi,
                positive_controls=args.positive_control,
                **settings,
            )
    for w in caught:
        print(f"p53lab: warning: {w.message}", file=sys.stderr)
    if args.plot:
        if single:
            save_figure(apoptosis.plot(results[0]), args.plot)
        else:
            folder = Path(args.plot)
            folder.mkdir(parents=True, exist_ok=True)
            for r in results:
                if r.ok:
                    save_figure(apoptosis.plot(r), folder / f"{Path(r.source).stem}_apoptosis.png")
    rows = [{k: r.to_dict()[k] for k in apoptosis.SUMMARY_KEYS} for r in results]
    if args.json:
        print_json(rows[0] if single else {"samples": rows})
    else:
        table = apoptosis.summary_table(results)
        cols = [
            "source",
            "status",
            "live_pct",
            "early_apoptotic_pct",
            "late_apoptotic_pct",
            "necrotic_pct",
            "annexin_threshold",
            "pi_threshold",
            "qc",
        ]
        table["source"] = [Path(s).name for s in table["source"]]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    bad = [r for r in results if not r.ok]
    for r in bad:
        print(f"p53lab: error: {r.message}", file=sys.stderr)
    return 2 if bad else 0


def _cell_cycle(args) -> int:
    from ..errors import ParameterError
    from ..flow import SingletGate, cell_cycle

    if args.height and args.width:
        raise ParameterError("Give --height or --width for doublet exclusion, not both.")
    gate = None
    if args.height or args.width:
        gate = SingletGate(args.channel, height=args.height, width=args.width, n_mad=args.n_mad)
    res = cell_cycle.fit(
        args.file,
        args.channel,
        model=args.model,
        singlets=gate,
        bins=args.bins,
        upper=args.upper,
        g1_guess=args.g1_guess,
    )
    if args.plot:
        save_figure(cell_cycle.plot(res), args.plot)
    d = res.to_dict()
    if args.json:
        print_json({k: d[k] for k in cell_cycle.SUMMARY_KEYS})
        return 0
    print(
        f"{Path(args.file).name} ({res.channel}, {res.model}): G1 {res.g1_pct:.1f} %, "
        f"S {res.s_pct:.1f} %, G2/M {res.g2m_pct:.1f} %, sub-G1 {res.sub_g1_pct:.1f} %"
    )
    print(
        f"  G1 mean {res.g1_mean:.4g} (CV {res.g1_cv:.2f} %), G2 mean {res.g2_mean:.4g} "
        f"(CV {res.g2_cv:.2f} %), G2/G1 {res.g2_g1_ratio:.3f}, reduced chi2 "
        f"{res.reduced_chi2:.3g}, {res.n_events} events ({res.n_excluded} doublets excluded)"
    )
    if res.message:
        print(f"  note: {res.message}")
    return 0
