"""The ``p53lab`` command line: a thin shell that parses, calls the library and formats.

Each command group lives in its own module with a ``register(subparsers)`` function. User
errors (every :class:`~p53lab.errors.P53labError`, missing files) print one clear message and
exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import P53labError

# Command-group modules, in the order ``--help`` lists them.
_GROUPS = (
    "_demo",
    "_simulate",
    "_western",
    "_sbml",
    "_sweep",
    "_study",
    "_fit",
    "_flow",
    "_blot",
    "_screen",
    "_advise",
    "_serve",
    "_catalog",
)

EXIT_USAGE = 2

# Optional packages and the pyproject extra that installs each.
_EXTRAS = {
    **dict.fromkeys(
        ("rdkit", "vina", "meeko", "molscrub", "gemmi", "pdbfixer", "openmm"), "screen"
    ),
    **dict.fromkeys(("fastapi", "uvicorn", "jinja2", "multipart", "starlette"), "web"),
    **dict.fromkeys(("roadrunner", "lifelines", "flowkit"), "peers"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"p53lab: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="p53lab",
        description="An open laboratory for MDM2–p53 cancer drugs: simulate the "
        "p53–MDM2–MDMX loop and its drugs, import and export SBML, run in-silico assays.",
    )
    parser.add_argument("--version", action="version", version=f"p53lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _GROUPS:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":  # a group not written yet
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Figures go to files: no display backend, chosen before anything imports matplotlib.
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except P53labError as exc:
        print(f"p53lab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(
            f"p53lab: error: no such file: {exc.filename or exc}. Check the path.", file=sys.stderr
        )
        return EXIT_USAGE
    except IsADirectoryError as exc:
        print(f"p53lab: error: {exc.filename} is a folder; give a file.", file=sys.stderr)
        return EXIT_USAGE
    except PermissionError as exc:
        print(f"p53lab: error: permission denied: {exc.filename}.", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        extra = _EXTRAS.get(top)
        if extra is None:
            raise
        print(
            f"p53lab: error: this command needs the {extra!r} extra ({top} is not installed): "
            f'pip install "p53lab[{extra}]".',
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("p53lab: interrupted; results already written are kept.", file=sys.stderr)
        return 130


def parse_assignments(items: Sequence[str] | None, flag: str = "--set") -> dict[str, float]:
    """Parse ``NAME=VALUE`` pairs given on the command line."""
    from ..errors import ParameterError

    out: dict[str, float] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"{flag} {item!r}: write NAME=VALUE, for example {flag} k_f=500.")
        try:
            v = float(value)
        except ValueError:
            raise ParameterError(f"{flag} {item!r}: {value!r} is not a number.") from None
        if v != v:
            raise ParameterError(f"{flag} {item!r}: the value is NaN; give a number.")
        out[name.strip()] = v
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
