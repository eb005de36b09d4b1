"""``p53lab fit gr``: GR metrics from a GRmetrics long-format file (thin shell)."""

from __future__ import annotations

OUTPUT_KEYS = ("GR50", "GRmax", "GR_AOC", "GEC50", "GRinf", "Hill", "r2", "pval")


def register_fit(fs) -> None:
    g = fs.add_parser(
        "gr",
        help="GR metrics (GR50, GRmax, GR_AOC, GEC50, GRinf, Hill) from cell counts or GR values",
        description="Tab-separated (or .csv) GRmetrics long format: cell_line, agent, "
        "perturbation, replicate, time, concentration, cell_count, cell_count__ctrl, "
        "cell_count__time0. GR values are computed per row and fitted per (cell_line, agent, "
        "perturbation, replicate, time), as the gr50 package does; --pool-replicates fits the "
        "replicates' mean instead. With --gr-values "
        "the file holds concentration, GRvalue and grouping columns instead. JSON: a list of "
        "{grouping keys..., GR50, GRmax, GR_AOC, GEC50, GRinf, Hill, r2, pval, status, message}; "
        'infinite GR50 is written "Inf"/"-Inf".',
    )
    g.add_argument("file")
    g.add_argument("--gr-values", action="store_true", help="the file already holds GRvalue")
    g.add_argument("--alpha", type=float, default=0.05, help="F-test level for a flat fit")
    g.add_argument(
        "--pool-replicates",
        action="store_true",
        help="average replicates per concentration and fit one curve per experiment",
    )
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_gr)


def _gr(args) -> int:
    import pandas as pd

    from ..assays import gr
    from ._fit import print_json

    table = gr.read_gr_table(args.file, gr_values=args.gr_values)
    results = gr.fit_gr_table(table, alpha=args.alpha, pool_replicates=args.pool_replicates)
    rows = [{**r.metrics(), "status": r.status, "message": r.message} for r in results]
    if args.json:
        print_json(rows)
    else:
        frame = pd.DataFrame(rows)
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0
