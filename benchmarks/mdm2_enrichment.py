"""MDM2 enrichment benchmark: the screening pipeline vs plain Vina vs molecular weight alone.

A DEKOIS-sized set (default 50 ChEMBL MDM2 actives with pIC50 >= 7 from
../shared/reference/chembl/mdm2_chembl_pic50.csv, and 30 decoys per active drawn from the
MOSES test split, ZINC-derived drug-like molecules) is screened twice:

- pipeline: standardise → ``ppi`` profile → hot-spot pharmacophore prefilter (5ZXF nutlin-3a)
  → Vina docking → rank-by-rank consensus (Vina, Vinardo rescoring, pose pharmacophore fit);
  molecules stopped before docking rank last;
- plain Vina: every molecule docked, ranked by the Vina score alone;

and both are compared with ranking by molecular weight alone (heaviest first). Reported: ROC
AUC, EF1%, EF5%, BEDROC(80.5), and an enrichment plot. Nothing is tuned on these data.

Set-up (not the library): the MOSES decoys come from the ``molsets`` 0.3.1 wheel on PyPI; if
the wheel is not in ``--cache`` it is fetched with ``pip download --no-deps molsets==0.3.1``
and ``moses/dataset/data/test.csv.gz`` is read from the zip.

    python benchmarks/mdm2_enrichment.py [--n-actives 50] [--decoys-per-active 30]
        [--workers 2] [--exhaustiveness 2] [--skip-plain] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from p53lab.parallel import make_executor
from p53lab.screen import DockSettings, evaluate, mw_scores, plot_enrichment, run_screen

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"
WHEEL = "molsets-0.3.1-py3-none-any.whl"


def moses_decoys(cache: Path) -> pd.Series:
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / WHEEL
    if not wheel.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "molsets==0.3.1",
                "-d",
                str(cache),
            ],
            check=True,
        )
    with zipfile.ZipFile(wheel) as z:
        data = z.read("moses/dataset/data/test.csv.gz")
    return pd.read_csv(io.BytesIO(data), compression="gzip")["SMILES"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-actives", type=int, default=50)
    ap.add_argument("--decoys-per-active", type=int, default=30)
    ap.add_argument("--pic50", type=float, default=7.0, help="activity threshold")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--exhaustiveness", type=int, default=2)
    ap.add_argument("--max-evals", type=int, default=0, help="cap Vina steps (0: Vina's own)")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--skip-plain", action="store_true", help="do not dock every molecule")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "p53lab")
    ap.add_argument("--out", type=Path, default=Path("mdm2_enrichment_out"))
    a = ap.parse_args()

    chembl = pd.read_csv(SHARED / "chembl" / "mdm2_chembl_pic50.csv")
    act = chembl[chembl["pIC50"] >= a.pic50].sample(a.n_actives, random_state=a.seed)
    dec = moses_decoys(a.cache).sample(a.n_actives * a.decoys_per_active, random_state=a.seed)
    lib = pd.concat(
        [
            pd.DataFrame({"id": [f"chembl-{i}" for i in act.index], "smiles": act["Smiles"]}),
            pd.DataFrame({"id": [f"moses-{i}" for i in dec.index], "smiles": dec.to_numpy()}),
        ]
    ).sample(frac=1, random_state=a.seed)
    a.out.mkdir(parents=True, exist_ok=True)
    lib_path = a.out / "library.csv"
    lib.to_csv(lib_path, index=False)
    actives = a.out / "actives.txt"
    actives.write_text("\n".join(lib["id"][lib["id"].str.startswith("chembl-")]) + "\n")
    print(f"{a.n_actives} actives, {len(dec)} decoys", file=sys.stderr)

    st = SHARED / "structures"
    rec, ref = st / "5ZXF_receptor_renumbered.pdb", st / "5ZXF_nutlin3a.mol2"
    settings = DockSettings(
        exhaustiveness=a.exhaustiveness, n_poses=1, seed=a.seed, max_evals=a.max_evals
    )
    results, curves, timings = {}, {}, {}
    y = None
    with make_executor(a.workers) as ex:
        t = time.perf_counter()
        run_screen(
            lib_path,
            rec,
            ref,
            a.out / "pipeline",
            executor=ex,
            settings=settings,
            profile="ppi",
            prefilter=True,
            resume=True,
        )
        timings["pipeline_s"] = time.perf_counter() - t
        pipe = pd.read_parquet(a.out / "pipeline" / "scores.parquet")
        y = pipe["id"].str.startswith("chembl-").to_numpy().astype(int)
        results["pipeline (consensus)"] = evaluate(pipe, actives, score_column="consensus_rank")
        results["pipeline (Vina score, pruned last)"] = evaluate(pipe, actives)
        curves["pipeline consensus"] = (pipe["consensus_rank"].to_numpy(float), y)
        curves["MW only"] = (mw_scores(pipe["smiles"]), y)
        if not a.skip_plain:
            t = time.perf_counter()
            run_screen(
                lib_path,
                rec,
                ref,
                a.out / "plain",
                executor=ex,
                settings=settings,
                profile="none",
                prefilter=False,
                resume=True,
            )
            timings["plain_vina_s"] = time.perf_counter() - t
            plain = pd.read_parquet(a.out / "plain" / "scores.parquet")
            results["plain Vina"] = evaluate(plain, actives)
            yp = plain["id"].str.startswith("chembl-").to_numpy().astype(int)
            curves["plain Vina"] = (plain["score_kcal_mol"].to_numpy(float), yp)
    counts = pipe["status"].value_counts().to_dict()
    rows = []
    for name, r in results.items():
        rows.append(
            {"method": name, "roc_auc": r.roc_auc, "ef1": r.ef1, "ef5": r.ef5, "bedroc": r.bedroc}
        )
    base = next(iter(results.values()))
    rows.append(
        {
            "method": "MW only (baseline)",
            "roc_auc": base.property_baseline_roc_auc,
            "ef1": base.property_baseline_ef1,
            "ef5": np.nan,
            "bedroc": np.nan,
        }
    )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"pipeline statuses: {counts}; timings: {timings}")
    png = plot_enrichment(curves, a.out / "enrichment.png", title="MDM2 (5ZXF), ChEMBL vs MOSES")
    summary = {
        "n_actives": base.n_actives,
        "n_decoys": base.n_decoys,
        "statuses": counts,
        "timings_s": timings,
        "results": rows,
        "plot": str(png),
    }
    (a.out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))


if __name__ == "__main__":
    main()
