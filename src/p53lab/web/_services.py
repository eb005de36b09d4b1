"""What the pages and the API both call: thin wrappers over the public library that turn its
results into JSON-able data. No science here (DESIGN: shells parse, call and format)."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ..assays import jsonable
from ..errors import ParameterError

__all__ = [
    "advise",
    "advisor_available",
    "catalog_names",
    "render_svg",
    "run_show",
    "runs_list",
    "screen_available",
    "screen_profiles",
    "simulate_series",
    "studies_list",
]

# pyplot keeps global state and is not thread-safe; requests run on a thread pool, so every
# figure is made and written under this lock.
_FIGURE_LOCK = threading.Lock()


def render_svg(make: Callable[[], object]) -> bytes:
    """Call ``make()`` (returning a matplotlib Figure or Axes) and write it as SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with _FIGURE_LOCK:
        fig = make()
        fig = getattr(fig, "figure", fig)
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="svg", bbox_inches="tight")
        finally:
            plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------------------ catalog
def catalog_names() -> dict:
    from .. import catalog

    return {
        "compounds": [
            {"name": c.name, "drug_class": c.drug_class, "degrader": c.is_degrader}
            for c in catalog.compounds()
        ],
        "cell_lines": [c.name for c in catalog.cell_lines()],
    }


# ----------------------------------------------------------------------------- simulate
def simulate_series(
    compound: str,
    cell_line: str,
    conc_nM: float,
    hours: float,
    points: int = 97,
    washout_h: float | None = None,
) -> dict:
    """What ``p53lab simulate`` computes, as columns: time_h and every output (nM)."""
    import numpy as np

    from .. import columns as C
    from ..catalog import compound as lookup
    from ..model.cells import cell_model
    from ..simulate import Schedule, simulate

    comp = lookup(compound)
    model = cell_model(comp, cell_line)
    schedule = Schedule.bath(conc_nM, washout_h=washout_h)
    times = np.linspace(0.0, hours, points)
    result = simulate(model, schedule, times, preequilibrate=True)
    return jsonable(
        {
            "compound": comp.name,
            "cell_line": cell_line,
            "conc_nM": conc_nM,
            "hours": hours,
            "washout_h": washout_h,
            "status": result.status,
            "message": result.message,
            C.TIME_H: result.times,
            "series": {name: result[name] for name in result.columns},
        }
    )


def simulation_csv(data: dict) -> str:
    import pandas as pd

    frame = pd.DataFrame({"time_h": data["time_h"], **data["series"]})
    return frame.to_csv(index=False, float_format="%.10g")


# ------------------------------------------------------------------------------ studies
def studies_list() -> list[dict]:
    from .._yaml import load_yaml_file
    from ..studies.registry import builtin_studies

    rows = []
    for name, path in builtin_studies().items():
        data = load_yaml_file(path, "study file") or {}
        rows.append(
            {
                "name": name,
                "kind": str(data.get("kind", "")),
                "description": " ".join(str(data.get("description", "")).split()),
            }
        )
    return rows


# ------------------------------------------------------------------------------ advisor
def _optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def advisor_available() -> bool:
    return _optional_module("p53lab.advisor") is not None


def advise(observations: dict) -> list[dict] | None:
    """``p53lab.advisor.advise(observations)``; None when the advisor is not installed."""
    mod = _optional_module("p53lab.advisor")
    if mod is None:
        return None
    return jsonable(list(mod.advise(observations)))


# ---------------------------------------------------------------------------- screening
def screen_available() -> bool:
    try:
        return importlib.util.find_spec("p53lab.screen") is not None
    except (ImportError, ValueError):
        return False


def screen_profiles() -> tuple[list[str], str | None]:
    """The choices and default of ``p53lab screen filter --profile``, read from the command
    line's own parser ([] and None when it offers no fixed list)."""
    import argparse

    from ..cli import build_parser

    def sub(parser, name):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                return action.choices[name]
        return None

    try:
        screen = sub(build_parser(), "screen")
        flt = sub(screen, "filter") if screen is not None else None
        if flt is None:
            return [], None
        for action in flt._actions:
            if action.dest == "profile":
                return [str(c) for c in (action.choices or ())], action.default
    except Exception:  # an unfinished screening CLI must not break the page
        return [], None
    return [], None


def screen_filter_argv(library: Path, profile: str, out: Path) -> list[str]:
    """``p53lab.cli.main(["screen", "filter", ...])`` in a child process (so that it can be
    cancelled and its stdout is its own)."""
    launcher = "import sys; from p53lab.cli import main; sys.exit(main(sys.argv[1:]))"
    return [
        sys.executable,
        "-c",
        launcher,
        "screen",
        "filter",
        str(library),
        "--profile",
        profile,
        "--out",
        str(out),
        "--json",
    ]


def parse_json_output(stdout: str):
    try:
        return json.loads(stdout)
    except ValueError:
        return None


# -------------------------------------------------------------------------------- store
def runs_list(store: Path) -> list[dict] | None:
    """Every run in the store (None when there is no store file yet)."""
    from ..io.store import list_runs

    if not Path(store).exists():
        return None
    df = list_runs(store)
    rows = df.assign(created=df["created"].map(lambda t: t.isoformat() + "Z"))
    return jsonable(rows.to_dict(orient="records"))


def run_show(store: Path, run_id: str) -> dict:
    from ..io.store import show_run

    if not Path(store).exists():
        raise ParameterError(f"No results store at {store}. Run `p53lab sweep` first.")
    return jsonable(show_run(store, run_id))
