"""``p53lab simulate``: one compound, one concentration, one cell line, over time."""

from __future__ import annotations

import sys

import numpy as np

from .. import columns as C
from ..errors import ParameterError


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate the p53-MDM2-MDMX circuit under a compound",
        description="Simulate the core circuit for a compound at a bath concentration. Writes a "
        "CSV with time_h, p53_total_nM, mdm2_total_nM, mdmx_total_nM, p21_nM, puma_nM and more.",
    )
    p.add_argument("--compound", required=True, help="catalog name or alias (kt-253, DS-3032)")
    p.add_argument(
        "--conc-nM",
        type=float,
        required=True,
        dest="conc_nM",
        help="concentration in the medium, nM (0 = vehicle)",
    )
    p.add_argument("--hours", type=float, required=True, help="duration, hours")
    p.add_argument(
        "--cell-line",
        default="reference",
        help="catalog cell line (default: the reference TP53-wild-type line)",
    )
    p.add_argument("--points", type=int, default=97, help="output rows (default 97)")
    p.add_argument("--washout-h", type=float, default=None, help="wash the drug out at this time")
    p.add_argument("--set", action="append", metavar="PARAM=VALUE", help="override a parameter")
    p.add_argument("--out", required=True, help="output CSV (or .parquet)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..catalog import compound
    from ..model.cells import cell_model
    from ..simulate import Schedule, simulate
    from . import parse_assignments

    if not np.isfinite(args.conc_nM) or args.conc_nM < 0:
        raise ParameterError(
            f"--conc-nM must be a finite concentration >= 0 nM. Got "
            f"{args.conc_nM!r}; use 0 for the vehicle."
        )
    if not np.isfinite(args.hours) or args.hours <= 0:
        raise ParameterError(f"--hours must be > 0. Got {args.hours!r}.")
    if args.points < 2:
        raise ParameterError(f"--points must be >= 2. Got {args.points}.")
    comp = compound(args.compound)
    model = cell_model(comp, args.cell_line, **parse_assignments(args.set))
    schedule = Schedule.bath(args.conc_nM, washout_h=args.washout_h)
    times = np.linspace(0.0, args.hours, args.points)
    result = simulate(model, schedule, times, preequilibrate=True)
    out = str(args.out)
    if out.endswith(".parquet"):
        result.to_parquet(out, time_column=C.TIME_H)
    else:
        result.to_csv(out, time_column=C.TIME_H)
    print(
        f"{comp.name} {args.conc_nM:g} nM, {args.hours:g} h, {args.cell_line}: "
        f"{len(times)} rows -> {out}",
        file=sys.stderr,
    )
    if not result.ok:
        print(f"p53lab: simulation failed: {result.message}", file=sys.stderr)
        return 1
    return 0
