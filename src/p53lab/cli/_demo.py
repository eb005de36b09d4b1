"""``p53lab demo``: the headline comparison, end to end, with no arguments."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the headline comparison (degrader KT-253 vs inhibitor milademetan) end to end",
        description="For now: the in-silico Western blot of KT-253 and milademetan in RS4;11, "
        "plus the TP53-mutant control; writes tables, figures and an HTML page.",
    )
    p.add_argument("--out-dir", default="p53lab-out/demo")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from ..report import demo_report

    out = Path(args.out_dir)
    html = demo_report(out, seed=args.seed, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"demo written: {html}", file=sys.stderr)
    return 0
