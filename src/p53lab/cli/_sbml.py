"""``p53lab sbml``: simulate, describe and convert SBML files.

``p53lab sbml simulate FILE.xml --t-end H --points N [--set NAME=VALUE ...] --out OUT.csv``
writes ``time`` and the species of libRoadRunner's default selection, as concentrations, at
``N`` times from 0 to ``H`` inclusive, in the model's own time unit.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

EXIT_FAILED = 1


def register(sub) -> None:
    p = sub.add_parser("sbml", help="simulate, describe and convert SBML models")
    cs = p.add_subparsers(dest="sbml_command", metavar="WHAT")

    s = cs.add_parser(
        "simulate",
        help="simulate an SBML file; CSV of time and libRoadRunner's default species",
        description="Simulate an SBML model from 0 to --t-end (model time units) and write "
        "'time' plus the species libRoadRunner selects by default, as concentrations.",
    )
    s.add_argument("file", metavar="FILE.xml", help="the SBML file")
    s.add_argument(
        "--t-end", type=float, required=True, metavar="H", help="end time, in the model's time unit"
    )
    s.add_argument(
        "--points",
        type=int,
        required=True,
        metavar="N",
        help="number of output rows, 0 to H inclusive (>= 2)",
    )
    s.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        default=[],
        help="change a parameter value, a species' initial concentration or a "
        "compartment size; repeat for several",
    )
    s.add_argument("--out", required=True, metavar="OUT.csv", help="output file")
    s.add_argument(
        "--method",
        default="LSODA",
        choices=("LSODA", "BDF", "Radau", "RK45", "DOP853"),
        help="integration method (default LSODA)",
    )
    s.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (1e-6)")
    s.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    s.add_argument(
        "--parquet",
        action="store_true",
        help="write Parquet (with provenance in its metadata) instead of CSV",
    )
    s.set_defaults(func=_simulate)

    i = cs.add_parser("info", help="counts, time unit, delays and default selection of a file")
    i.add_argument("file", metavar="FILE.xml")
    i.add_argument("--json", action="store_true", help="print JSON")
    i.set_defaults(func=_info)

    c = cs.add_parser(
        "convert",
        help="read an SBML file and write it again through p53lab's model (SBML Level 3 Version 2)",
    )
    c.add_argument("file", metavar="FILE.xml")
    c.add_argument("--out", required=True, metavar="OUT.xml")
    c.set_defaults(func=_convert)
    e = cs.add_parser(
        "export",
        help="write p53lab's core circuit (a compound in a cell line) as SBML for COPASI or "
        "libRoadRunner",
        description="Export the core circuit with the compound's and cell line's parameter "
        "values. Species start at the untreated steady state; the drug in the medium is the "
        "parameter drug_medium_nM (set by --conc-nM). Time in hours, concentrations in nM.",
    )
    e.add_argument("--compound", default=None, help="catalog compound (default: no drug)")
    e.add_argument("--cell-line", default="reference", help="catalog cell line")
    e.add_argument(
        "--conc-nM",
        type=float,
        default=0.0,
        dest="conc_nM",
        help="drug in the medium, nM (default 0)",
    )
    e.add_argument("--out", required=True, metavar="OUT.xml")
    e.set_defaults(func=_export)
    p.set_defaults(func=lambda a: p.print_help())


def _export(args) -> int:
    from ..errors import ParameterError, SimulationError
    from ..io import write_sbml
    from ..model.cells import cell_model
    from ..simulate import steady_state

    if not math.isfinite(args.conc_nM) or args.conc_nM < 0:
        raise ParameterError(
            f"--conc-nM must be a finite concentration >= 0 nM. Got {args.conc_nM!r}."
        )
    model = cell_model(args.compound, args.cell_line)
    rest = steady_state(model)
    if rest.status != "ok":
        raise SimulationError(f"the untreated steady state was not reached: {rest.message}")
    start = {s.id: rest[s.id] for s in model.species}
    model = model.with_params({**start, "drug_medium_nM": args.conc_nM})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_sbml(model, args.out)
    print(
        f"wrote {args.out}: {len(model.species)} species, {len(model.reactions)} reactions, "
        f"{len(model.parameters)} parameters",
        file=sys.stderr,
    )
    return 0


def _simulate(args) -> int:
    from ..errors import ParameterError, check_positive, param_error
    from ..io.sbml import read_sbml, simulate_sbml
    from . import parse_assignments

    owner = "p53lab sbml simulate"
    t_end = args.t_end
    if not math.isfinite(t_end) or t_end <= 0:
        raise param_error(owner, "--t-end", "a finite time > 0", t_end)
    if args.points < 2:
        raise param_error(owner, "--points", ">= 2", args.points)
    check_positive(owner, "--rtol", args.rtol)
    check_positive(owner, "--atol", args.atol)
    values = parse_assignments(args.set)
    model = read_sbml(args.file)
    if values:
        model = _with_values(model, values)
    res = simulate_sbml(
        model, t_end=t_end, points=args.points, method=args.method, rtol=args.rtol, atol=args.atol
    )
    out = Path(args.out)
    if out.is_dir():
        raise ParameterError(f"--out {args.out!r} is a folder; give a file name.")
    if args.parquet:
        res.to_parquet(out, time_column="time")
    else:
        res.to_csv(out, time_column="time")
    rows, cols = res.values.shape
    print(
        f"p53lab: {rows} rows × {cols + 1} columns (time, {', '.join(res.columns)}) "
        f"in {model.time_units} → {out}",
        file=sys.stderr,
    )
    if not res.ok:
        print(
            f"p53lab: error: the simulation failed: {res.message}. The rows computed before "
            "the failure are in the file.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def _with_values(model, values: dict[str, float]):
    """Apply ``--set`` values; names are SBML ids. A set value replaces an initial assignment."""
    from ..errors import ParameterError
    from ..io.sbml import sbml_ids

    to_model = {old: new for new, old in sbml_ids(model).items()}
    known = (
        [p.id for p in model.parameters]
        + [s.id for s in model.species]
        + [c.id for c in model.compartments]
    )
    ruled = {r.variable for r in model.assignment_rules}
    changes = {}
    for name, v in values.items():
        mid = to_model.get(name, name)
        if mid not in known:
            sbml_known = [sbml_ids(model).get(k, k) for k in known]
            close = difflib.get_close_matches(name, sbml_known, n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ParameterError(
                f"--set {name}: the model has no parameter, species or compartment {name!r}.{hint}"
            )
        if mid in ruled:
            raise ParameterError(
                f"--set {name}: {name!r} is defined by an assignment rule at "
                "all times; set the quantities its rule reads instead."
            )
        changes[mid] = v
    model = replace(
        model,
        initial_assignments=tuple(
            ia for ia in model.initial_assignments if ia.variable not in changes
        ),
    )
    return model.with_params(changes)


def _info(args) -> int:
    from ..io.sbml import read_sbml, sbml_info

    info = sbml_info(read_sbml(args.file))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    width = max(len(k) for k in info)
    for k, v in info.items():
        if isinstance(v, list):
            v = ", ".join(v) or "-"
        elif isinstance(v, dict):
            v = ", ".join(f"{a} → {b}" for a, b in v.items()) or "-"
        print(f"{k.replace('_', ' '):<{width}}  {v}")
    return 0


def _convert(args) -> int:
    from ..io.sbml import read_sbml, write_sbml

    model = read_sbml(args.file)
    out = Path(args.out)
    write_sbml(model, out)
    print(
        f"p53lab: wrote {model.id} ({len(model.species)} species, {len(model.reactions)} "
        f"reactions) as SBML L3V2 → {out}",
        file=sys.stderr,
    )
    return 0
