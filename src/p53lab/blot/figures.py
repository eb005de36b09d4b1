"""Figures of a quantified blot: the image with what was measured, and the normalised values.

:func:`plot_image` draws the image as scanned with every lane (dashed) and band box (yellow;
red when saturated) on it, so a reader can see what each number integrates; :func:`plot` draws
the normalised values of every target except the loading control, as lines against the lane
labels when they all read as numbers (a time course "0 h, 30 min, 2 h, ..." in hours, or a dose
series "0, 100 pM, 1 nM, 1 uM" in nM on a log axis), and as grouped bars otherwise;
:func:`figure` puts both on one page.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import UnitError
from ..units import parse_conc_nM, parse_time_h
from .image import BlotImage
from .tables import LABEL, LANE, NORMALISED, TARGET

__all__ = ["figure", "plot", "plot_image"]


def _numeric(labels) -> tuple[np.ndarray | None, str]:
    """Lane labels as numbers (times in h, concentrations in nM) and the axis title, or
    (None, "") when any label is not a number."""
    has_unit = any(re.search(r"[A-Za-zµμ]", str(s)) for s in labels)
    for parse, title in ((parse_time_h, "time (h)"), (parse_conc_nM, "concentration (nM)")):
        try:
            values = np.array([parse(str(s).strip()) for s in labels])
        except UnitError:
            continue
        return values, title if has_unit else "lane label"
    return None, ""


def _decades(xs: np.ndarray) -> float:
    pos = xs[xs > 0]
    return float(np.log10(pos.max() / pos.min())) if pos.size >= 2 else 0.0


def plot(result, ax=None):
    """Normalised band values per lane for each target (a :class:`BlotResult` or
    :class:`NormalisedBlot`); saturated bands are drawn hatched or as open markers."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    df = result.summary()
    if df.empty:
        return ax
    if result.loading_control:
        df = df[df[TARGET] != result.loading_control]
    if "saturated" not in df:
        df = df.assign(saturated=False)
    lanes = df[[LANE, LABEL]].drop_duplicates().sort_values(LANE)
    targets = list(dict.fromkeys(df[TARGET]))
    default = all(str(a) == str(b) for a, b in zip(lanes[LANE], lanes[LABEL], strict=True))
    xs, xtitle = (None, "") if default else _numeric(lanes[LABEL])  # lane numbers: categories
    width = 0.8 / max(1, len(targets))
    for k, target in enumerate(targets):
        sub = df[df[TARGET] == target].set_index(LANE).reindex(lanes[LANE])
        y = sub[NORMALISED].to_numpy(float)
        sat = sub["saturated"].fillna(False).to_numpy(bool)
        colour = f"C{k}"
        if xs is not None:
            ax.plot(xs, y, "-o", color=colour, label=target)
            if sat.any():
                ax.plot(xs[sat], y[sat], "o", mfc="white", mec="red", ms=9, mew=1.5)
        else:
            x = np.arange(len(lanes)) + (k - (len(targets) - 1) / 2) * width
            bars = ax.bar(x, y, width, color=colour, label=target)
            for bar, s in zip(bars, sat, strict=True):
                if s:
                    bar.set_hatch("//")
                    bar.set_edgecolor("red")
    if xs is None:
        ax.set_xticks(np.arange(len(lanes)), list(lanes[LABEL]))
    elif xtitle.startswith("concentration") and _decades(xs) >= 2:
        ax.set_xscale("symlog", linthresh=float(xs[xs > 0].min()))  # dose series over decades
    ax.axhline(1.0, color="k", lw=0.6)
    ref = f"lane {result.reference_lane}"
    per = f"{result.loading_control}-normalised, " if result.loading_control else ""
    ax.set_ylabel(f"relative to {ref} ({per}1 = reference)")
    ax.set_xlabel(xtitle if xs is not None else "lane")
    ax.legend(fontsize=8)
    if np.any(df["saturated"].to_numpy(bool)):
        ax.set_title("red/hatched: saturated band (lower bound)", fontsize=8, color="red")
    return ax


def plot_image(result, image: BlotImage, ax=None):
    """The image as scanned with lane strips (dashed) and band boxes (yellow, red if
    saturated), lane labels on top and row names on the left."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.imshow(image.raw, cmap="gray", interpolation="nearest")
    h = result.shape[0]
    for lane in result.lanes:
        ax.add_patch(
            Rectangle(
                (lane["left"] - 0.5, -0.5),
                lane["right"] - lane["left"],
                h,
                fill=False,
                ls="--",
                lw=0.6,
                ec="tab:cyan",
            )
        )
    for b in result.bands:
        ax.add_patch(
            Rectangle(
                (b["left"] - 0.5, b["top"] - 0.5),
                b["right"] - b["left"],
                b["bottom"] - b["top"] + 1,
                fill=False,
                lw=1.2 if b["saturated"] else 0.8,
                ec="red" if b["saturated"] else "gold",
            )
        )
    ax.set_xticks([lane["centre"] for lane in result.lanes], [lane[LABEL] for lane in result.lanes])
    ax.xaxis.tick_top()
    ax.set_yticks([r["centre"] for r in result.band_rows], [r[TARGET] for r in result.band_rows])
    ax.set_title(
        f"{Path(result.source).name}: {len(result.lanes)} lanes × {len(result.band_rows)} rows, "
        f"background {result.background_method}",
        fontsize=9,
        pad=18,
    )
    return ax


def figure(result, image: BlotImage, path=None):
    """Image with boxes above, normalised values below; saved to ``path`` when given."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = result.shape
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(7.5, 3.5 + 6.0 * h / max(w, 1)),
        gridspec_kw={"height_ratios": [h / w * 2, 1.3]},
    )
    plot_image(result, image, top)
    plot(result, bottom)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig
