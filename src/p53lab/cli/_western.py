"""``p53lab western``: the guides' Western blot in silico (table and figure)."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "western",
        help="in-silico Western blot: degrader vs inhibitor, MDM2/p53/p21 over dose and time",
        description="Simulate the guides' blot: degrader at 0.1-100 nM, inhibitors up to 10 uM, "
        "2/4/8/24 h; bands normalised to GAPDH and to the vehicle lane.",
    )
    p.add_argument(
        "--compounds",
        default="KT-253,milademetan",
        help="comma-separated catalog names (default: KT-253,milademetan)",
    )
    p.add_argument("--cell-line", default="RS4;11")
    p.add_argument("--times-h", default="2,4,8,24", help="comma-separated hours")
    p.add_argument("--seed", type=int, default=0, help="seed of the lane-loading variation")
    p.add_argument(
        "--loading-cv",
        type=float,
        default=0.1,
        help="lane-to-lane loading variation (0 = perfect loading)",
    )
    p.add_argument("--out-dir", default="p53lab-out/western")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..errors import ParameterError
    from ..studies.western import plot_western, run_western

    comps = [c.strip() for c in args.compounds.split(",") if c.strip()]
    try:
        times = [float(x) for x in args.times_h.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(
            f"--times-h {args.times_h!r}: give hours separated by commas, for example 2,4,8,24."
        ) from None
    res = run_western(comps, args.cell_line, times, loading_cv=args.loading_cv, seed=args.seed)
    out = Path(args.out_dir)
    paths = res.save(out)
    fig_path = out / "western_blot.png"
    plot_western(res, fig_path)
    print(res.summary().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"wrote {paths['table']}, {paths['summary']}, {fig_path}", file=sys.stderr)
    return 0
