"""``p53lab demo``: the headline comparison, end to end, with no arguments."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the headline comparison (degrader KT-253 vs inhibitor milademetan) end to end",
        description="KT-253 vs milademetan in RS4;11 plus the TP53-mutant control: calibrate on "
        "KT-253 DC50 and milademetan p53 EC50, simulate the cell populations, write and analyse "
        "the CellTiter-Glo plates, and write report.html, summary.json and the results store.",
    )
    p.add_argument("--out", "--out-dir", dest="out", default="p53lab-out/demo")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--cells", type=int, default=40, help="simulated cells per condition (default 40)"
    )
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..errors import ParameterError
    from ..studies.demo import run_demo

    if args.seed < 0:
        raise ParameterError(f"--seed {args.seed}: give a whole number >= 0.")
    if args.cells < 1:
        raise ParameterError(f"--cells {args.cells}: give a whole number >= 1.")
    t0 = time.perf_counter()
    out = Path(args.out)
    s = run_demo(
        out,
        seed=args.seed,
        n_cells=args.cells,
        progress=lambda msg: print(f"[{time.perf_counter() - t0:5.1f} s] {msg}", file=sys.stderr),
    )
    ratio = s["growth_potency_ratio"]
    for comp in ("kt-253", "milademetan"):
        e = s[comp]
        print(
            f"{comp:12s} IC50 72 h {e['ic50_qualifier'].replace('=', '')}{e['ic50_72h_nM']:.3g} nM"
            f"  p53 EC50 {e['p53_ec50_nM']:.3g} nM  MDM2 at 8 h x{e['mdm2_fold_8h']:.2f}"
            f"  TP53-mutant IC50 {e['p53_mutant_ic50_qualifier'].replace('=', '')}"
            f"{e['p53_mutant_ic50_nM']:.3g} nM"
        )
    print(f"growth potency ratio {ratio:.3g}")
    print(f"demo written: {out / 'report.html'}", file=sys.stderr)
    return 0
