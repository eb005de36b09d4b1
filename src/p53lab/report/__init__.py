"""Self-contained HTML reports (figures embedded, no network needed to view them)."""

from __future__ import annotations

import base64
import html
import io

from .._version import __version__

__all__ = ["html_page", "png_base64"]


def png_base64(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    body = "\n".join(
        f"<section><h2>{html.escape(h)}</h2>\n{content}</section>" for h, content in sections
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}} table{{border-collapse:collapse;font-size:0.85em}} td,th{{border:1px solid #ccc;
padding:2px 6px;text-align:right}} img{{max-width:100%}} code{{background:#f4f4f4}}
.note{{color:#555;font-size:0.9em}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p class="note">p53lab {__version__}. Simulated with the p53lab core circuit; every parameter
carries its source in <code>p53lab.model.core</code> (estimated values are marked).</p>
{body}</body></html>"""
