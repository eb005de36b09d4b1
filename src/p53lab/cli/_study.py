"""``p53lab study list|show|run``: the guides' experiments as YAML studies."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "study",
        help="run the guides' experiments (built-in YAML studies or your own)",
        description="Studies are YAML files: a kind (the code that runs it) and every choice "
        "of compounds, cells, doses, times and noise. Copy a built-in one with `study show`, "
        "edit it, and run the copy.",
    )
    ss = p.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    ls = ss.add_parser("list", help="the built-in studies")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    sh = ss.add_parser("show", help="print a built-in study's YAML (to copy and edit)")
    sh.add_argument("name")
    sh.set_defaults(func=_show)
    r = ss.add_parser("run", help="run a built-in study by name, or a study YAML file")
    r.add_argument("study", metavar="NAME_OR_FILE")
    r.add_argument("--out", default=None, help="output folder (default p53lab-out/studies/NAME)")
    r.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    r.add_argument("--json", action="store_true", help="print summary.json on stdout")
    r.set_defaults(func=_run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _list(args) -> int:
    from .._yaml import load_yaml_file
    from ..studies.registry import builtin_studies

    rows = []
    for name, path in builtin_studies().items():
        data = load_yaml_file(path, "study file") or {}
        rows.append(
            {"name": name, "kind": data.get("kind", ""), "description": data.get("description", "")}
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        desc = " ".join(str(r["description"]).split())
        print(f"{r['name']:<{width}}  {desc[:100]}")
    return 0


def _show(args) -> int:
    from ..errors import ParameterError
    from ..studies.registry import builtin_studies

    studies = builtin_studies()
    if args.name not in studies:
        raise ParameterError(
            f"{args.name!r}: no built-in study of that name. `p53lab study list` shows them."
        )
    sys.stdout.write(studies[args.name].read_text(encoding="utf-8"))
    return 0


def _run(args) -> int:
    from ..studies.registry import run_study

    summary = run_study(
        args.study,
        out=args.out,
        seed=args.seed,
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        shown = {k: v for k, v in summary.items() if k != "provenance"}
        for k, v in shown.items():
            print(f"{k}: {json.dumps(v)}")
    return 0
