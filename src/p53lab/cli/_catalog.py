"""``p53lab catalog``: list and show compounds and cell lines with their sources."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("catalog", help="list compounds and cell lines, with sources")
    cs = p.add_subparsers(dest="catalog_command", metavar="WHAT")
    c = cs.add_parser("compounds", help="the compounds (class, MDM2 affinity, status)")
    c.add_argument("--json", action="store_true", help="print JSON instead of a table")
    c.set_defaults(func=_compounds)
    cl = cs.add_parser("cell-lines", help="the reference cell lines (TP53, MDM2, MDMX, Bcl-2)")
    cl.add_argument("--json", action="store_true")
    cl.set_defaults(func=_cell_lines)
    s = cs.add_parser("show", help="one compound or cell line in full, every value with its source")
    s.add_argument("name")
    s.set_defaults(func=_show)
    p.set_defaults(func=lambda a: p.print_help())


def _table(df, as_json: bool) -> int:
    if as_json:
        print(df.to_json(orient="records", indent=2))
    else:
        cols = [c for c in df.columns if not c.endswith(("_source", "_estimated", "_note"))]
        print(df[cols].to_string(index=False, max_colwidth=40))
    return 0


def _compounds(args) -> int:
    from ..catalog import compounds_table

    return _table(compounds_table(), args.json)


def _cell_lines(args) -> int:
    from ..catalog import cell_lines_table

    return _table(cell_lines_table(), args.json)


def _show(args) -> int:
    from dataclasses import asdict

    from ..catalog import cell_line, compound
    from ..errors import CatalogError

    try:
        item = compound(args.name)
    except CatalogError:
        try:
            item = cell_line(args.name)
        except CatalogError:
            raise CatalogError(
                f"{args.name!r} is neither a compound nor a cell line of the catalog. Run "
                "`p53lab catalog compounds` or `p53lab catalog cell-lines` to list them."
            ) from None
    print(json.dumps(asdict(item), indent=2, default=str))
    return 0
