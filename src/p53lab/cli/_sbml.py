"""``p53lab sbml``: simulate, describe and convert SBML files.

``p53lab sbml simulate FILE.xml --t-end H --points N [--set NAME=VALUE ...] --out OUT.csv``
writes ``time`` and the species of libRoadRunner's default selection, as concentrations, at
``N`` times from 0 to ``H`` inclusive, in the model's own time unit.

``p53lab sbml ensemble FILE.xml --t-end H --points N --samples M --vary P1,P2 --cv 0.2
--seed S --out DIR`` writes ``DIR/trajectories.parquet`` (``member, time, <species ids>``) and
``DIR/parameters.parquet`` (``member, <varied parameters>, status, message``); the varied
parameters are lognormal with median at the model's value and the given coefficient of variation.
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

    en = cs.add_parser(
        "ensemble",
        help="simulate many members with parameters varied lognormally; Parquet out",
        description="Simulate --samples members of an SBML model, the --vary parameters drawn "
        "lognormally (median at the model's value, coefficient of variation --cv) from --seed. "
        "Writes DIR/trajectories.parquet (member, time, species of libRoadRunner's default "
        "selection, as concentrations) and DIR/parameters.parquet (member, varied parameters, "
        "status, message). A member whose integration fails is recorded as failed; the exit "
        "status is then 1.",
    )
    en.add_argument("file", metavar="FILE.xml", help="the SBML file")
    en.add_argument("--t-end", type=float, required=True, metavar="H", help="end time")
    en.add_argument(
        "--points", type=int, required=True, metavar="N", help="output times, 0 to H (>= 2)"
    )
    en.add_argument("--samples", type=int, required=True, metavar="M", help="members (>= 1)")
    en.add_argument(
        "--vary", required=True, metavar="P1,P2", help="comma-separated parameter ids to vary"
    )
    en.add_argument(
        "--cv", type=float, default=0.2, help="coefficient of variation, >= 0 (default 0.2)"
    )
    en.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    en.add_argument("--out", required=True, metavar="DIR", help="output folder")
    en.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (1e-6)")
    en.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    en.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "batch", "serial"),
        help="batch (all members together) or serial (one by one); auto picks batch "
        "unless the model has events or delays",
    )
    en.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    en.set_defaults(func=_ensemble)

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


def _ensemble(args) -> int:
    from ..errors import ParameterError, check_positive, param_error
    from ..io.sbml import read_sbml, sbml_ids, simulate_sbml_ensemble
    from ..simulate.sampling import lognormal_cv, sample

    owner = "p53lab sbml ensemble"
    if not math.isfinite(args.t_end) or args.t_end <= 0:
        raise param_error(owner, "--t-end", "a finite time > 0", args.t_end)
    if args.points < 2:
        raise param_error(owner, "--points", ">= 2", args.points)
    if args.samples < 1:
        raise param_error(owner, "--samples", ">= 1", args.samples)
    if not math.isfinite(args.cv) or args.cv < 0:
        raise param_error(owner, "--cv", "a finite coefficient of variation >= 0", args.cv)
    if args.seed < 0:
        raise param_error(owner, "--seed", "an integer >= 0", args.seed)
    check_positive(owner, "--rtol", args.rtol)
    check_positive(owner, "--atol", args.atol)
    names = [v.strip() for v in args.vary.split(",") if v.strip()]
    if not names:
        raise ParameterError(f"{owner}: --vary needs at least one parameter id, e.g. k_f,k_b.")
    if len(set(names)) != len(names):
        raise ParameterError(f"{owner}: --vary names a parameter twice: {args.vary!r}.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {args.out!r} is a file; give a folder.")
    model = read_sbml(args.file)
    to_model = {old: new for new, old in sbml_ids(model).items()}
    known = {p.id: p for p in model.parameters}
    ruled = {r.variable for r in (*model.assignment_rules, *model.rate_rules)}
    dists = {}
    for name in names:
        mid = to_model.get(name, name)
        if mid not in known or mid in ruled:
            visible = [sbml_ids(model).get(k, k) for k in known if k not in ruled]
            close = difflib.get_close_matches(name, visible, n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            why = "is set by a rule" if mid in ruled else "is not a parameter of the model"
            raise ParameterError(f"--vary {name}: {name!r} {why} ({args.file}).{hint}")
        base = float(known[mid].value)
        if not (math.isfinite(base) and base > 0):
            raise ParameterError(
                f"--vary {name}: its value in {args.file} is {base!r}; a lognormal spread "
                "needs a value > 0."
            )
        dists[name] = lognormal_cv(base, args.cv)
    values = sample(dists, args.samples, seed=args.seed)
    bar = _progress_bar(args.samples)
    try:
        res = simulate_sbml_ensemble(
            model,
            values,
            t_end=args.t_end,
            points=args.points,
            rtol=args.rtol,
            atol=args.atol,
            method=args.engine,
            progress=bar.update_to if bar else None,
        )
    finally:
        if bar:
            bar.close()
    paths = res.write(out)
    summary = {
        "members": res.n_members,
        "failed": res.n_failed,
        "engine": res.provenance.get("engine"),
        "elapsed_s": round(float(res.provenance.get("time_elapsed_s", 0.0)), 3),
        "trajectories": str(paths["trajectories"]),
        "parameters": str(paths["parameters"]),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    print(
        f"p53lab: {res.n_members} members ({res.n_failed} failed) × {len(res.times)} times "
        f"in {summary['elapsed_s']} s → {paths['trajectories']}, {paths['parameters']}",
        file=sys.stderr,
    )
    if res.n_failed:
        first = int(next(i for i, s in enumerate(res.status) if s != "ok"))
        print(
            f"p53lab: error: {res.n_failed} member(s) failed (first: member "
            f"{int(res.members[first])}: {res.message[first]}); their status and message are "
            "in parameters.parquet.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


class _Bar:
    """tqdm on a terminal, driven by (done, total) callbacks."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="member", file=sys.stderr, mininterval=0.5)

    def update_to(self, done: int, total: int) -> None:
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def _progress_bar(total: int):
    """A progress bar with ETA when stderr is a terminal, else none."""
    return _Bar(total) if sys.stderr.isatty() else None


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
