"""``p53lab fit survival | response-rate``: clinical endpoints (thin shell)."""

from __future__ import annotations

SURVIVAL_SHAPE = (
    "JSON shape: without --group-col, one object {group: 'all', n, events, median, "
    "median_lower, median_upper}; with --group-col, {groups: [{group, n, events, median, "
    "median_lower, median_upper}, ...], logrank: {chi2, p, df}}. A median or limit never reached "
    'is "Inf".'
)


def register_fit(fs) -> None:
    s = fs.add_parser(
        "survival",
        help="Kaplan-Meier medians with CI and the log-rank test",
        description="Kaplan-Meier per group with Greenwood CIs; median CI where the CI curves "
        "cross 0.5 (R's rule). " + SURVIVAL_SHAPE,
    )
    s.add_argument("file")
    s.add_argument("--time-col", required=True)
    s.add_argument("--event-col", required=True, help="1 = event, 0 = censored")
    s.add_argument("--group-col")
    s.add_argument(
        "--ci",
        choices=("log", "log-log"),
        default="log",
        help="log: R survival's default; log-log: lifelines' (default: log)",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_survival)

    r = fs.add_parser(
        "response-rate",
        help="response rate with an exact Clopper-Pearson 95%% CI",
        description="JSON: {responders, n, rate_pct, ci_lower_pct, ci_upper_pct, method}.",
    )
    r.add_argument("--responders", type=int, required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_response_rate)


def _survival(args) -> int:
    from ..assays import clinical
    from ..assays._tables import read_csv
    from ._fit import print_json

    table = read_csv(args.file)
    res = clinical.fit(
        table, args.time_col, args.event_col, args.group_col, ci=args.ci, source=args.file
    )
    if args.json:
        groups = list(res.groups)
        if args.group_col:
            print_json({"groups": groups, "logrank": res.logrank})
        else:
            print_json(groups[0])
        return 0
    print(res.summary().to_string(index=False))
    if res.logrank:
        print(
            f"log-rank chi2 = {res.logrank['chi2']:.2f} ({res.logrank['df']} df), "
            f"p = {res.logrank['p']:.3g}"
        )
    return 0


def _response_rate(args) -> int:
    from ..assays import clinical
    from ._fit import print_json

    res = clinical.response_rate(args.responders, args.n)
    keys = ("responders", "n", "rate_pct", "ci_lower_pct", "ci_upper_pct", "method")
    d = {k: getattr(res, k) for k in keys}
    if args.json:
        print_json(d)
    else:
        print(
            f"{res.responders}/{res.n} = {res.rate_pct:.1f} % "
            f"(95 % CI {res.ci_lower_pct:.1f}-{res.ci_upper_pct:.1f} %, Clopper-Pearson)"
        )
    return 0
