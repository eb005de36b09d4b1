"""``p53lab advise OBSERVATIONS.yaml``: why did my experiment fail?

Ranks the causes of :mod:`p53lab.advisor` for the observations in the file, each with its
evidence and the control experiments that tell it apart. ``--json`` prints the ranked list
(best first; each item ``{cause, score, title, evidence, next_experiments, rule_score,
model_score, model, explanation}``). Warnings (unknown keys, assumed settings) always go to
stderr, one line each starting ``p53lab advise: warning:``, so stdout stays the list. Exit
status 0, or 2 for a bad file (the message names the file and the key).
"""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "advise",
        help="troubleshoot an experiment: rank the likely causes and the controls to run",
        description="Read an observation file (compound, cell_line, tp53_status and an "
        "observations mapping: p53_fold, mdm2_fold, p21_fold, apoptosis_pct, g1_arrest_pct, "
        "g2m_arrest_pct, ic50_nM, ic50_fold_change_over_time, replicate_cv_pct, mdmx_fold, "
        "bcl2_fold, efflux_inhibitor_reverses, hours, conc_nM), apply the guides' rules and "
        "simulate each candidate cause with the cell model; print the causes ranked by score.",
    )
    p.add_argument("observations", metavar="OBSERVATIONS.yaml", help="the observation file")
    p.add_argument("--json", action="store_true", help="print the ranked list as JSON")
    p.add_argument("--no-model", action="store_true", help="rules only: do not simulate the causes")
    p.add_argument(
        "--cells", type=int, default=20, metavar="N", help="cells per simulated well (default 20)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated cells (default 0)")
    p.add_argument(
        "--top", type=int, default=5, metavar="K", help="causes shown in text output (default 5)"
    )
    p.set_defaults(func=_advise)


def _advise(args) -> int:
    from ..advisor import advise, load_observations
    from ..assays import jsonable

    data = load_observations(args.observations)
    ranked = advise(
        data,
        simulate=not args.no_model,
        n_cells=args.cells,
        seed=args.seed,
        source=str(args.observations),
    )
    for w in ranked.warnings:
        print(f"p53lab advise: warning: {w}", file=sys.stderr)
    if args.json:
        print(json.dumps(jsonable(list(ranked)), indent=2))
        return 0
    note = ranked.provenance.get("model_note")
    if note:
        print(f"({note})")
    for i, item in enumerate(ranked[: max(args.top, 1)], start=1):
        print(f"{i}. {item['cause']}  score {item['score']:.3g}  ({item['title']})")
        for e in item["evidence"]:
            print(f"     - {e}")
        print("   next experiments:")
        for e in item["next_experiments"]:
            print(f"     * {e}")
    rest = ranked[max(args.top, 1) :]
    if rest:
        print("others: " + ", ".join(f"{d['cause']} ({d['score']:.3g})" for d in rest))
    return 0
