"""The guides' Western blot, in silico: MDM2, p53 and p21 after a degrader and an inhibitor.

Protocol (DOMAIN.md §4): cells treated at 0.1, 1, 10 and 100 nM (inhibitors also 1 and 10 µM)
for 2, 4, 8 and 24 h; lysates blotted for MDM2, p53 and p21 with GAPDH as loading control;
bands quantified, normalised to the loading control and to the vehicle lane of the same time.

Band intensity is proportional to the simulated protein (nM) times an antibody response factor;
lane loading varies by a seeded random factor (``loading_cv``), which the normalisation to
GAPDH removes — the same arithmetic a densitometry table goes through.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import columns as C
from .._version import __version__
from ..catalog import compound as lookup_compound
from ..errors import param_error
from ..model.cells import Variant, cell_model
from ..simulate import Schedule, simulate

__all__ = ["WesternResult", "plot_western", "run_western"]

DEFAULT_COMPOUNDS = ("KT-253", "milademetan")
DEGRADER_CONCS_NM = (0.1, 1.0, 10.0, 100.0)
SMI_CONCS_NM = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
TIMES_H = (2.0, 4.0, 8.0, 24.0)
PROTEINS = {"MDM2": C.MDM2_TOTAL, "p53": C.P53_TOTAL, "p21": C.P21}
LOADING = "GAPDH"
GAPDH_NM = 2000.0  # abundant housekeeping protein; constant over treatment (assumption)


@dataclass(frozen=True)
class WesternResult:
    """The densitometry table (one row per lane and protein) and the run's provenance."""

    table: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    def relative(self, compound: str, protein: str, conc_nM: float, time_h: float) -> float:
        t = self.table
        name = lookup_compound(compound).name
        row = t[
            (t[C.COMPOUND] == name)
            & (t[C.PROTEIN] == protein)
            & np.isclose(t[C.CONC_NM], conc_nM)
            & np.isclose(t[C.TIME_H], time_h)
        ]
        if row.empty:
            raise param_error(
                "WesternResult.relative",
                "lane",
                "one of the lanes of the blot",
                (compound, protein, conc_nM, time_h),
            )
        return float(row[C.REL_VEHICLE].iloc[0])

    def summary(self) -> pd.DataFrame:
        """Wide table: relative-to-vehicle values, one column per protein."""
        return (
            self.table.pivot_table(
                index=[C.COMPOUND, C.CONC_NM, C.TIME_H], columns=C.PROTEIN, values=C.REL_VEHICLE
            )
            .reset_index()
            .rename_axis(columns=None)
        )

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "table": out / "western_blot.csv",
            "summary": out / "western_summary.csv",
            "provenance": out / "western_provenance.json",
        }
        self.table.to_csv(paths["table"], index=False, float_format="%.6g")
        self.summary().to_csv(paths["summary"], index=False, float_format="%.6g")
        paths["provenance"].write_text(json.dumps(self.provenance, indent=2, default=str))
        return paths


def run_western(
    compounds: Sequence[str] = DEFAULT_COMPOUNDS,
    cell_line: str | Variant = "RS4;11",
    times_h: Sequence[float] = TIMES_H,
    concs_nM: dict[str, Sequence[float]] | None = None,
    loading_cv: float = 0.1,
    seed: int = 0,
) -> WesternResult:
    """Simulate the blot for each compound (default concentrations by drug class)."""
    if not compounds:
        raise param_error("run_western", "compounds", "at least one compound", compounds)
    times = np.asarray(sorted(float(t) for t in times_h))
    if times.size == 0 or np.any(times <= 0):
        raise param_error("run_western", "times_h", "times > 0 h", list(times_h))
    if not 0 <= loading_cv < 1:
        raise param_error("run_western", "loading_cv", "in [0, 1)", loading_cv)
    rng = np.random.default_rng(seed)
    grid = np.unique(np.concatenate([[0.0], times]))
    rows = []
    for name in compounds:
        comp = lookup_compound(name)
        concs = (concs_nM or {}).get(name) or (
            DEGRADER_CONCS_NM if comp.is_degrader else SMI_CONCS_NM
        )
        for c in concs:
            if not (np.isfinite(c) and c >= 0):
                raise param_error("run_western", "concs_nM", "finite concentrations >= 0 nM", c)
        model = cell_model(comp, cell_line)
        lanes = [0.0, *sorted(float(c) for c in concs if c > 0)]
        sims = {}
        for c in lanes:
            r = simulate(model, Schedule.bath(c), grid, preequilibrate=True, raise_on_failure=True)
            sims[c] = r
        for t in times:
            for c in lanes:
                load = float(np.exp(rng.normal(0.0, loading_cv))) if loading_cv else 1.0
                gapdh = GAPDH_NM * load
                for prot, col in PROTEINS.items():
                    band = sims[c].at(t, col) * load
                    rows.append(
                        {
                            C.COMPOUND: comp.name,
                            "drug_class": comp.drug_class,
                            C.CONC_NM: c,
                            C.TIME_H: t,
                            C.PROTEIN: prot,
                            C.BAND_INTENSITY: band,
                            C.LOADING_CONTROL: gapdh,
                            C.NORMALISED: band / gapdh,
                        }
                    )
    table = pd.DataFrame(rows)
    veh = table[table[C.CONC_NM] == 0.0].set_index([C.COMPOUND, C.TIME_H, C.PROTEIN])[C.NORMALISED]
    key = list(zip(table[C.COMPOUND], table[C.TIME_H], table[C.PROTEIN], strict=True))
    table[C.REL_VEHICLE] = table[C.NORMALISED].to_numpy() / veh.loc[key].to_numpy()
    prov = {
        "study": "western",
        "compounds": list(compounds),
        "cell_line": cell_line if isinstance(cell_line, str) else repr(cell_line),
        "times_h": times.tolist(),
        "loading_control": LOADING,
        "loading_cv": loading_cv,
        "seed": seed,
        "p53lab_version": __version__,
    }
    return WesternResult(table=table, provenance=prov)


def plot_western(result: WesternResult, path: str | Path | None = None):
    """A blot-style panel per compound (bands darker with more protein) and time courses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    comps = list(dict.fromkeys(t[C.COMPOUND]))
    prots = [*PROTEINS, LOADING]
    fig, axes = plt.subplots(
        2,
        len(comps),
        figsize=(6.5 * len(comps), 8),
        squeeze=False,
        gridspec_kw={"height_ratios": [1.1, 1]},
    )
    for j, comp in enumerate(comps):
        sub = t[t[C.COMPOUND] == comp]
        lanes = sub[[C.TIME_H, C.CONC_NM]].drop_duplicates().sort_values([C.TIME_H, C.CONC_NM])
        ax = axes[0, j]
        img = np.zeros((len(prots), len(lanes)))
        for i, prot in enumerate(prots):
            for k, (tt, cc) in enumerate(lanes.itertuples(index=False)):
                if prot == LOADING:
                    v = sub[(sub[C.TIME_H] == tt) & (sub[C.CONC_NM] == cc)][C.LOADING_CONTROL]
                    img[i, k] = v.iloc[0] / GAPDH_NM
                else:
                    v = sub[
                        (sub[C.PROTEIN] == prot) & (sub[C.TIME_H] == tt) & (sub[C.CONC_NM] == cc)
                    ][C.REL_VEHICLE]
                    img[i, k] = v.iloc[0]
        shown = np.log2(np.clip(img, 1 / 16, 16)) / 8 + 0.5  # log scale, vehicle = mid-grey
        ax.imshow(1 - shown, cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ax.set_yticks(range(len(prots)), prots)
        ax.set_xticks(
            range(len(lanes)),
            [
                f"{'veh' if c == 0 else f'{c:g}'}\n{tt:g}h"
                for tt, c in lanes.itertuples(index=False)
            ],
            fontsize=6,
        )
        ax.set_title(f"{comp}: bands (darker = more; log scale)")
        ax2 = axes[1, j]
        for prot, style in zip(PROTEINS, ("-o", "-s", "-^"), strict=False):
            for tt, alpha in zip(
                sorted(sub[C.TIME_H].unique()), (0.35, 0.55, 0.75, 1.0), strict=False
            ):
                d = sub[(sub[C.PROTEIN] == prot) & (sub[C.TIME_H] == tt) & (sub[C.CONC_NM] > 0)]
                if len(d):
                    ax2.plot(
                        d[C.CONC_NM],
                        d[C.REL_VEHICLE],
                        style,
                        alpha=alpha,
                        color={"MDM2": "C3", "p53": "C0", "p21": "C2"}[prot],
                        label=f"{prot} {tt:g} h",
                    )
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.axhline(1.0, color="k", lw=0.5)
        ax2.set_xlabel("concentration (nM)")
        ax2.set_ylabel("relative to vehicle (GAPDH-normalised)")
        ax2.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig


# ------------------------------------------------------------------------------ as a study
def _western_study(f, ctx) -> dict:
    """Study kind ``western``: keys ``compounds``, ``cell_line``, ``times_h``, ``concs_nM``
    (compound -> list, optional), ``loading_cv``."""
    raw = f.raw("compounds", list(DEFAULT_COMPOUNDS))
    if not isinstance(raw, list) or not raw:
        raise f.error("compounds", f"give a list of compound names. Got {raw!r}.")
    comps = []
    for i, name in enumerate(raw):
        comps.append(Fields({"c": name}, f.label, prefix=f"compounds[{i}].").compound("c").name)
    line = f.cell_line("cell_line", "RS4;11")
    times = f.numbers("times_h", list(TIMES_H), minimum=0, exclusive_minimum=True, unit="h")
    concs_f = f.sub("concs_nM", {})
    concs = {}
    for name in list(concs_f.data):
        c = Fields({"c": name}, f.label, prefix=f"concs_nM.{name}:").compound("c").name
        concs[c] = concs_f.numbers(name, minimum=0, unit="nM")
    loading_cv = f.number("loading_cv", 0.1, minimum=0, maximum=0.99)
    f.done()
    ctx.progress(f"western: simulating {', '.join(comps)} in {line.name}")
    res = run_western(comps, line.name, times, concs or None, loading_cv, seed=ctx.seed)
    paths = res.save(ctx.out)
    plot_western(res, ctx.out / "western_blot.png")
    last = max(times)
    summary: dict = {"cell_line": line.name, "files": [p.name for p in paths.values()]}
    for comp in comps:
        sub = res.table[res.table[C.COMPOUND] == comp]
        top = float(sub[C.CONC_NM].max())
        summary[comp] = {
            "top_conc_nM": top,
            **{
                f"{prot.lower()}_fold_{last:g}h": res.relative(comp, prot, top, last)
                for prot in PROTEINS
            },
        }
    return summary


def _study_kinds():
    from .registry import StudyKind

    return {
        "western": StudyKind(
            "western",
            "MDM2/p53/p21 Western blot over dose and time, normalised to GAPDH and vehicle",
            _western_study,
        )
    }


from .registry import Fields  # noqa: E402  (registry imports this module lazily)

STUDY_KINDS = _study_kinds()
