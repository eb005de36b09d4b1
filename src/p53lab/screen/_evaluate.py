"""Evaluate a ranked screen against known actives; the property-only baseline; the plot.

:func:`evaluate` reads a scores table (``id``, a score column where lower is better, and
``smiles`` for the baseline) and a set of active ids; every other row is a decoy. Molecules
without a score (filtered, pruned, failed) rank last, tied with each other. The
property-only baseline ranks the same molecules by molecular weight alone, heaviest first:
on MDM2, where actives are large PPI inhibitors, it is the trivial ranking a screen must
beat (Réau et al. 2018, Front Pharmacol 9:1275, on property bias between actives and decoys).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FileFormatError, ParameterError
from ._metrics import BEDROC_ALPHA, bedroc, enrichment_factor, roc_auc, roc_curve

__all__ = ["EvaluationResult", "evaluate", "plot_enrichment", "read_actives"]


@dataclass(frozen=True)
class EvaluationResult:
    roc_auc: float
    ef1: float
    ef5: float
    bedroc: float
    n_actives: int
    n_decoys: int
    property_baseline_roc_auc: float | None
    property_baseline_ef1: float | None
    score_column: str
    bedroc_alpha: float = BEDROC_ALPHA

    def to_dict(self) -> dict:
        return asdict(self)


def read_actives(path: str | Path) -> set[str]:
    """Active ids, one per line (blank lines and ``#`` comments ignored)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    ids = {ln.strip() for ln in path.read_text().splitlines()}
    ids = {i for i in ids if i and not i.startswith("#")}
    if not ids:
        raise FileFormatError(f"{path}: no active ids (write one molecule id per line).")
    return ids


def _table(scores) -> pd.DataFrame:
    if isinstance(scores, pd.DataFrame):
        return scores
    path = Path(scores)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        return pd.read_parquet(path) if path.suffix != ".csv" else pd.read_csv(path)
    except Exception as exc:
        raise FileFormatError(f"{path}: cannot read the scores table ({exc}).") from None


def mw_scores(smiles: pd.Series) -> np.ndarray:
    """The property-only baseline: molecular weight as a score (heavier = better, i.e. more
    negative, as docking scores); unparsable SMILES score +inf (last)."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import Descriptors

    RDLogger.DisableLog("rdApp.*")
    out = []
    for s in smiles.fillna(""):
        m = Chem.MolFromSmiles(s) if s else None
        out.append(-Descriptors.MolWt(m) if m is not None else np.inf)  # heavier = better
    return np.asarray(out, dtype=float)


def evaluate(scores, actives, *, score_column: str = "score_kcal_mol") -> EvaluationResult:
    """ROC AUC, EF1%, EF5%, BEDROC(80.5) of ``score_column`` (lower = better), MW baseline."""
    df = _table(scores)
    for col in ("id", score_column):
        if col not in df.columns:
            raise FileFormatError(
                f"the scores table has no {col!r} column; it has {list(df.columns)}."
            )
    act = read_actives(actives) if isinstance(actives, (str, Path)) else set(map(str, actives))
    ids = df["id"].astype(str)
    missing = act - set(ids)
    y = ids.isin(act).to_numpy().astype(int)
    if y.sum() == 0:
        raise ParameterError(
            f"None of the {len(act)} active ids is in the scores table "
            f"(e.g. {sorted(missing)[:3]})."
        )
    s = pd.to_numeric(df[score_column], errors="coerce").to_numpy(dtype=float)
    s = np.where(np.isnan(s), np.inf, s)
    base_auc = base_ef1 = None
    if "smiles" in df.columns:
        mw = mw_scores(df["smiles"])
        base_auc = roc_auc(mw, y)
        base_ef1 = enrichment_factor(mw, y, 0.01)
    return EvaluationResult(
        roc_auc(s, y),
        enrichment_factor(s, y, 0.01),
        enrichment_factor(s, y, 0.05),
        bedroc(s, y),
        int(y.sum()),
        int(len(y) - y.sum()),
        base_auc,
        base_ef1,
        score_column,
    )


def plot_enrichment(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str | Path, *, title=""
):
    """ROC-style enrichment plot: fraction of actives found vs fraction of decoys screened.

    ``curves``: label -> (scores, labels). Writes a PNG (matplotlib) and returns its path.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for label, (s, y) in curves.items():
        s = np.where(np.isnan(np.asarray(s, float)), np.inf, np.asarray(s, float))
        fpr, tpr = roc_curve(s, y)
        ax.plot(fpr, tpr, label=f"{label} (AUC {roc_auc(s, y):.2f})")
    ax.plot([0, 1], [0, 1], "k:", lw=1, label="random")
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of decoys ranked above (log scale below 1 %)")
    ax.set_ylabel("fraction of actives found")
    ax.set_title(title or "Enrichment")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
