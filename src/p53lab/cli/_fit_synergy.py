"""``p53lab fit synergy``: drug-combination blocks → synergy scores per block (thin shell)."""

from __future__ import annotations

import sys

_KEYS = ("block_id", "drug1", "drug2", "method", "status", "message", "mean_score")
_CELL_KEYS = ("conc1", "conc2", "response", "reference", "score")


def register_fit(fs) -> None:
    s = fs.add_parser(
        "synergy",
        help="drug-combination synergy (ZIP, Bliss, HSA, Loewe; SynergyFinder 3 conventions)",
        description="CSV columns: block_id, drug1, drug2, conc1, conc2, response (percent; "
        "several rows per cell are replicates and are averaged). Each block needs single-drug "
        "rows (conc2 = 0 for drug1, conc1 = 0 for drug2). JSON: a list with one object per "
        "block: {block_id, drug1, drug2, method, status, message, mean_score, scores: [{conc1, "
        "conc2, response, reference, score}]}. mean_score averages the cells where both "
        "concentrations are > 0; a positive score is synergy.",
    )
    s.add_argument("file")
    s.add_argument("--method", choices=("zip", "bliss", "hsa", "loewe"), default="zip")
    s.add_argument(
        "--response-kind",
        choices=("inhibition", "viability"),
        default="inhibition",
        help="what the response column holds, in percent (viability becomes 100 - viability)",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_synergy)


def _synergy(args) -> int:
    from ..assays import synergy
    from ._fit import print_json

    table = synergy.read_synergy_table(args.file)
    results = synergy.fit_blocks(table, method=args.method, response_kind=args.response_kind)
    if args.json:
        blocks = []
        for res in results:
            d = res.to_dict()
            out = {k: d[k] for k in _KEYS}
            out["scores"] = [{k: cell[k] for k in _CELL_KEYS} for cell in d["scores"]]
            blocks.append(out)
        print_json(blocks)
    else:
        for res in results:
            head = f"block {res.block_id}: {res.drug1} + {res.drug2}, {res.method.upper()}"
            if res.ok:
                print(f"{head}, mean score {res.mean_score:.3f}")
                cells = res.summary()[list(_CELL_KEYS)]
                print(cells.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            else:
                print(f"{head}: {res.status}. {res.message}")
            print()
    if not any(r.ok for r in results):
        print(
            f"p53lab: error: {args.file}: no block could be scored (see the messages above).",
            file=sys.stderr,
        )
        return 2
    return 0
