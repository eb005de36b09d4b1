"""``p53lab fit``: analyse lab data files (dose-response, GR, synergy, qPCR, ELISA, TGI, survival).

Each analysis registers itself from its own module (``_fit_*.py``) with ``register_fit(sub)``.
"""

from __future__ import annotations

import importlib
import json
import sys

# Analysis modules, in the order ``p53lab fit --help`` lists them. A module that does not exist
# yet is skipped, so the group grows one analysis at a time.
_ANALYSES = (
    "_fit_dose_response",
    "_fit_gr",
    "_fit_plate",
    "_fit_synergy",
    "_fit_lab",
    "_fit_clinical",
)


def register(sub) -> None:
    p = sub.add_parser(
        "fit",
        help="analyse lab data: dose-response, GR, synergy, qPCR, ELISA, "
        "tumour growth inhibition, survival, response rates",
    )
    fs = p.add_subparsers(dest="fit_command", metavar="ANALYSIS")
    for name in _ANALYSES:
        try:
            mod = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue
            raise
        mod.register_fit(fs)
    p.set_defaults(func=lambda a: p.print_help())


def save_figure(fig, path, *, dpi: int = 150) -> None:
    """Write a matplotlib figure (or an Axes' figure), close it and say where it went."""
    import matplotlib.pyplot as plt

    fig = getattr(fig, "figure", fig)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def print_json(obj) -> None:
    """Print plain JSON (infinities as "Inf"/"-Inf", NaN as null)."""
    from ..assays import jsonable

    json.dump(jsonable(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")
