"""HTML reports of the in-vivo studies (figures embedded, provenance and assumed inputs)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from ..report import html_page, png_base64
from ._params import PARAMETER_FILE, assumed_inputs

__all__ = ["figure", "table", "write_report"]


def figure(fig, caption: str = "") -> str:
    cap = f"<p>{html.escape(caption)}</p>" if caption else ""
    return f'<img src="data:image/png;base64,{png_base64(fig)}">{cap}'


def table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–")


def write_report(
    out: Path,
    title: str,
    sections: list[tuple[str, str]],
    provenance: dict,
    assumed_prefixes: list[str],
    notes: str = "",
) -> Path:
    """``report.html`` in ``out`` with the given sections, then the assumed inputs (every value
    of ``parameters.yaml`` under the prefixes, estimated ones flagged) and the provenance."""
    rows = []
    for p in assumed_prefixes:
        rows += assumed_inputs(p)
    assumed = pd.DataFrame(rows)
    n_est = int(assumed["estimated"].sum()) if len(assumed) else 0
    body = (f"<p>{html.escape(notes)}</p>" if notes else "") + (
        f"<p>{n_est} of {len(assumed)} inputs below are <b>assumed (estimated)</b>; the others "
        f"are published values. Source file: <code>{PARAMETER_FILE.name}</code>.</p>"
        + (table(assumed) if len(assumed) else "")
    )
    page = html_page(
        title,
        [
            *sections,
            ("Which inputs were assumed", body),
            (
                "Provenance",
                f"<pre>{html.escape(json.dumps(provenance, indent=2, default=str))}</pre>",
            ),
        ],
    )
    path = Path(out) / "report.html"
    path.write_text(page)
    return path
