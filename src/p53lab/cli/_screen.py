"""``p53lab screen``: filter, dock, redock and evaluate a compound library against MDM2.

``p53lab screen filter LIBRARY --profile lipinski-veber|ppi|pains|none [--out FILE.parquet]
[--json]`` — standardise and filter; prints ``{n_in, n_pass, n_fail_by_rule, ...}``.

``p53lab screen dock LIBRARY --receptor PDB --reference-ligand FILE [--exhaustiveness N]
[--workers N | --scheduler ADDRESS] --out DIR [--resume]`` — writes ``DIR/scores.parquet``,
``DIR/poses.sdf`` and the checkpoint ``DIR/screen.duckdb``. Exit 0 when every chunk is in,
1 when some chunks failed (``--resume`` retries them), 2 for input that stops the run.

``p53lab screen redock --receptor PDB --reference-ligand FILE [--json]`` — prints
``{rmsd_angstrom, score_kcal_mol, ...}``.

``p53lab screen evaluate SCORES.parquet --actives FILE [--json] [--plot FILE.png]`` — prints
``{roc_auc, ef1, ef5, bedroc, n_actives, n_decoys, property_baseline_roc_auc, ...}``.

``p53lab screen clinical [--json]`` — which clinical MDM2 inhibitors each profile rejects.
"""

from __future__ import annotations

import json
import sys

EXIT_INCOMPLETE = 1
PROFILE_CHOICES = ("lipinski-veber", "ppi", "pains", "none")


def register(sub) -> None:
    p = sub.add_parser("screen", help="structure-based screening of the MDM2 p53 pocket")
    ss = p.add_subparsers(dest="screen_command", metavar="WHAT")

    f = ss.add_parser("filter", help="standardise a library and apply a property profile")
    f.add_argument("library", metavar="LIBRARY", help=".smi, .csv or .sdf (optionally .gz)")
    f.add_argument("--profile", choices=PROFILE_CHOICES, default="lipinski-veber")
    f.add_argument("--out", metavar="FILE.parquet", help="per-molecule table")
    f.add_argument(
        "--no-tautomers", action="store_true", help="skip tautomer canonicalisation (faster)"
    )
    f.add_argument("--json", action="store_true", help="print the counts as JSON")
    f.set_defaults(func=_filter)

    d = ss.add_parser("dock", help="filter, prefilter and dock a library with AutoDock Vina")
    d.add_argument("library", metavar="LIBRARY")
    d.add_argument("--receptor", required=True, metavar="PDB")
    d.add_argument("--reference-ligand", required=True, metavar="FILE", help="co-crystal pose")
    d.add_argument("--exhaustiveness", type=int, default=8, metavar="N")
    d.add_argument("--n-poses", type=int, default=3, metavar="N")
    d.add_argument("--seed", type=int, default=20240501)
    d.add_argument("--profile", choices=PROFILE_CHOICES, default="ppi")
    d.add_argument(
        "--no-prefilter", action="store_true", help="dock without the pharmacophore prefilter"
    )
    d.add_argument(
        "--stage2-fraction",
        type=float,
        default=0.0,
        metavar="F",
        help="re-dock the best fraction F with --stage2-exhaustiveness",
    )
    d.add_argument("--stage2-exhaustiveness", type=int, default=16, metavar="N")
    d.add_argument(
        "--stage1",
        choices=("dock", "overlay"),
        default="dock",
        help="dock every prefiltered molecule (dock), or overlay it on the reference ligand by "
        "shape and colour and optimise it in place (overlay, ~1 core-s per molecule); with "
        "--stage2-fraction the best overlays are then docked",
    )
    d.add_argument("--chunk-size", type=int, default=8, metavar="N")
    where = d.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="N local worker processes, one ligand each (default: this process, with each "
        "docking's Monte Carlo runs on all cores through Vina's threads)",
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler address")
    d.add_argument("--backend", choices=("dask", "processes"), default="processes")
    d.add_argument("--out", required=True, metavar="DIR")
    d.add_argument("--resume", action="store_true", help="continue the screen in DIR")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_dock)

    r = ss.add_parser("redock", help="redock the reference ligand; RMSD to the crystal pose")
    r.add_argument("--receptor", required=True, metavar="PDB")
    r.add_argument("--reference-ligand", required=True, metavar="FILE")
    r.add_argument("--exhaustiveness", type=int, default=4, metavar="N")
    r.add_argument("--seed", type=int, default=20240501)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_redock)

    e = ss.add_parser("evaluate", help="ROC AUC, EF1%%, EF5%%, BEDROC of a ranked screen")
    e.add_argument("scores", metavar="SCORES.parquet")
    e.add_argument("--actives", required=True, metavar="FILE", help="one active id per line")
    e.add_argument("--score-column", default="score_kcal_mol", help="lower is better")
    e.add_argument("--plot", metavar="FILE.png", help="write an enrichment plot")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_evaluate)

    c = ss.add_parser("clinical", help="which clinical MDM2 inhibitors each profile rejects")
    c.add_argument("--compounds", metavar="CSV", help="name,smiles table (default: shared set)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_clinical)
    p.set_defaults(func=lambda a: p.print_help())


def _filter(args) -> int:
    from ..screen import filter_library

    rep = filter_library(
        args.library,
        args.profile,
        out=args.out,
        tautomers=not args.no_tautomers,
        keep_table=False,
    )
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        rules = ", ".join(f"{k}: {v}" for k, v in sorted(rep.n_fail_by_rule.items())) or "-"
        print(
            f"{rep.n_pass} of {rep.n_in} pass {rep.profile} ({rep.n_invalid} invalid, "
            f"{rep.n_duplicate} duplicate); failures by rule: {rules}"
        )
    if args.out:
        print(f"p53lab: wrote {args.out}", file=sys.stderr)
    return 0


def _dock(args) -> int:
    from ..errors import param_error
    from ..parallel import make_executor
    from ..screen import DockSettings, run_screen

    owner = "p53lab screen dock"
    if args.workers is not None and args.workers < 1:
        raise param_error(owner, "--workers", ">= 1", args.workers)
    settings = DockSettings(
        exhaustiveness=args.exhaustiveness, n_poses=args.n_poses, seed=args.seed
    )
    from ._progress import ChunkProgress

    progress = ChunkProgress("molecules", "mol")
    with make_executor(args.workers, args.scheduler, backend=args.backend) as executor:
        try:
            rep = run_screen(
                args.library,
                args.receptor,
                args.reference_ligand,
                args.out,
                executor=executor,
                settings=settings,
                profile=args.profile,
                prefilter=not args.no_prefilter,
                chunk_size=args.chunk_size,
                stage2_fraction=args.stage2_fraction,
                stage2_exhaustiveness=args.stage2_exhaustiveness,
                stage1=args.stage1,
                resume=args.resume,
                progress=progress,
            )
        finally:
            progress.close()
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2, default=str))
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(rep.counts.items()))
        print(
            f"{rep.n_molecules} molecules ({counts}); {rep.chunks_run} chunks computed, "
            f"{rep.chunks_skipped} already stored; {rep.elapsed_s:.1f} s on {rep.executor}\n"
            f"scores: {rep.out_dir}/scores.parquet"
        )
    if not rep.complete:
        print(
            f"p53lab: error: chunks failed: {'; '.join(rep.chunks_failed)}; rerun with --resume",
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    return 0


def _redock(args) -> int:
    from ..screen import redock

    res = redock(
        args.receptor, args.reference_ligand, exhaustiveness=args.exhaustiveness, seed=args.seed
    )
    if args.json:
        print(json.dumps(res.to_dict(), indent=2))
    else:
        print(f"top pose RMSD {res.rmsd_angstrom:.2f} Å, score {res.score_kcal_mol:.2f} kcal/mol")
    return 0


def _evaluate(args) -> int:
    from ..screen import evaluate

    res = evaluate(args.scores, args.actives, score_column=args.score_column)
    if args.plot:
        import pandas as pd

        from ..screen import mw_scores, plot_enrichment

        df = pd.read_parquet(args.scores)
        from ..screen import read_actives

        acts = read_actives(args.actives)
        y = df["id"].astype(str).isin(acts).to_numpy().astype(int)
        curves = {args.score_column: (df[args.score_column].to_numpy(dtype=float), y)}
        if "smiles" in df.columns:
            curves["MW only"] = (mw_scores(df["smiles"]), y)
        plot_enrichment(curves, args.plot)
        print(f"p53lab: wrote {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps(res.to_dict(), indent=2))
    else:
        base = res.property_baseline_roc_auc
        print(
            f"ROC AUC {res.roc_auc:.3f}, EF1% {res.ef1:.1f}, EF5% {res.ef5:.1f}, "
            f"BEDROC {res.bedroc:.3f} ({res.n_actives} actives, {res.n_decoys} decoys); "
            f"MW-only baseline AUC {'-' if base is None else f'{base:.3f}'}"
        )
    return 0


def _clinical(args) -> int:
    from pathlib import Path

    from ..screen import clinical_losses

    path = args.compounds
    if path is None:
        path = Path(__file__).resolve().parents[4] / "shared" / "reference" / "compounds"
        path = path / "mdm2_clinical_smiles.csv"
    df = clinical_losses(path)
    if args.json:
        print(df.to_json(orient="records", indent=2))
    else:
        print(df[["name", "lipinski-veber", "ppi"]].to_string(index=False))
    return 0
