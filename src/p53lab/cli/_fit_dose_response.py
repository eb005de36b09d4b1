"""``p53lab fit dose-response``: log-logistic (LL.2–LL.5) or bell curves from a CSV (thin
shell over :mod:`p53lab.assays.dose_response`)."""

from __future__ import annotations

MODEL_CHOICES = ("ll2", "ll3", "ll4", "ll5", "bell", "hill", "4pl")


def register_fit(fs) -> None:
    g = fs.add_parser(
        "dose-response",
        help="dose-response curves (drc's LL.2-LL.5, bell/hook): parameters, SEs, ED10/50/90",
        description="CSV with a dose column and a response column (and optionally a group "
        "column, one curve per group). JSON: per curve {group, status, message, model, "
        "parameters {b, c, d, e, ...}, se, ed {'10', '50', '90': {estimate, se, lower, "
        "upper}}} (95 %% delta-method CIs); a list when grouped.",
    )
    g.add_argument("file")
    g.add_argument("--dose-col", required=True)
    g.add_argument("--response-col", required=True)
    g.add_argument("--group-col", default=None)
    g.add_argument("--model", default="ll4", choices=MODEL_CHOICES)
    g.add_argument(
        "--profile",
        action="store_true",
        help="add profile-likelihood CIs of every free parameter (slower: refits per bound)",
    )
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_dose_response)


def _dose_response(args) -> int:
    import numpy as np
    import pandas as pd

    from ..assays import dose_response as dr
    from ..assays._tables import numeric_column, read_csv, require_columns
    from ._fit import print_json

    src = str(args.file)
    df = read_csv(args.file, src)
    cols = [args.dose_col, args.response_col] + ([args.group_col] if args.group_col else [])
    require_columns(df, cols, src)
    dose = numeric_column(df, args.dose_col, src)
    resp = numeric_column(df, args.response_col, src, allow_missing=True)
    if not args.group_col and (dose < 0).any():
        i = int(np.nonzero(dose < 0)[0][0])
        from ..errors import FileFormatError

        raise FileFormatError(
            f"{src}: row {i + 2}, column {args.dose_col!r} holds the negative dose {dose[i]!r}. "
            "Doses must be >= 0."
        )
    table = pd.DataFrame({"dose": dose, "response": resp})
    if args.group_col:
        table["group"] = df[args.group_col].astype(str).to_numpy()
    results = dr.fit_many(
        table, "dose", "response", "group" if args.group_col else None, model=args.model
    )
    profiles = {}
    if args.profile:
        for r in results:
            if r.ok and r.df >= 1:
                profiles[r.group] = {
                    k: dict(zip(("lower", "upper"), dr.profile_ci(r, k), strict=True))
                    for k in r.free
                }
    rows = [
        dr.result_row(r) | ({"profile": profiles.get(r.group, {})} if args.profile else {})
        for r in results
    ]
    if args.json:
        print_json(rows if args.group_col else {k: v for k, v in rows[0].items() if k != "group"})
        return 0
    for r in results:
        head = f"{r.group}: " if args.group_col else ""
        print(f"{head}{r.model} {r.status}" + (f" ({r.message})" if r.message else ""))
        if r.parameters:
            frame = r.summary().drop(columns=["group", "status"])
            print(frame.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
            print(f"residual SE {r.sigma:.6g} on {r.df} df\n")
    return 0
