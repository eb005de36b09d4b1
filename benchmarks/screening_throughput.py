"""Screening throughput per stage, docking with maps once vs a naive Vina loop, Dask scaling.

Not a test. Prints molecules per second per core for each stage on MOSES drug-like molecules
(the ``molsets`` wheel, fetched with ``pip download`` into ``--cache`` if missing):

1. read + standardise (MolStandardize with tautomer canonicalisation),
2. descriptors + ``ppi`` profile,
3. 2-D hot-spot pharmacophore prefilter (RDKit Pharm3D bounds-matrix check),
4. 3-D pharmacophore matching (10 ETKDG conformers; on a sample),
   and the overlay stage (20 conformers overlaid on nutlin-3a by shape and colour, the best
   three optimised in place by Vina; on the same sample),
5. docking (Vina, maps computed once per process) vs the naive loop (a new Vina object and new
   maps per ligand) on the same ligands and seed: speed-up and whether the scores are identical,
   first on one core each (what computing the maps once saves), then on the whole machine for
   each ``--machine-exhaustiveness``: the pipeline's way (one ligand per core, maps once per
   worker process) against the naive loop as Vina's documentation writes it (one ligand after
   another, each using all cores through Vina's own threads, ``cpu=0``),

then stages 1–3 for ``--n`` molecules on 1 and 2 Dask workers (wall time and speed-up).

    python benchmarks/screening_throughput.py [--n 100000] [--n-dock 6] [--exhaustiveness 1]
        [--machine-exhaustiveness 1,8] [--n-machine 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from rdkit import Chem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mdm2_enrichment import SHARED, moses_decoys

from p53lab.parallel import make_executor
from p53lab.screen import (
    Docker,
    DockSettings,
    PrefilterChunk,
    Record,
    box_from_ligand,
    derive_pharmacophore,
    descriptors,
    dock_naive,
    get_profile,
    iter_chunks,
    load_ligand,
    overlay_and_place,
    prefilter_chunk,
    prepare_ligand,
    prepare_receptor,
    standardise,
)
from p53lab.screen._dock import DEFAULT_PADDING_A, docker_for
from p53lab.screen._pipeline import OVERLAY_EXTRA_PADDING_A


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f} mol/s/core ({n} in {seconds:.2f} s)"


def start_worker(_) -> None:
    import vina  # noqa: F401


def dock_on_worker(task) -> float:
    """One ligand on a worker process, with that process's Docker (maps computed on first use)."""
    receptor, box, settings, pdbqt = task
    return docker_for(receptor, box, settings, vinardo=False).dock(pdbqt)["score_kcal_mol"]


def machine_docking(rec, box, ligs, exhaustiveness: int, workers: int) -> None:
    """Docking throughput of the whole machine: one ligand per core vs Vina's own threads."""
    settings = DockSettings(exhaustiveness=exhaustiveness, n_poses=1)
    with make_executor(workers) as ex:
        # start the workers and their imports before the clock (a long screen pays this once);
        # the maps are computed inside the timed run, once per worker, as in a screen
        for _, out in ex.submit_all(start_worker, [(i, None) for i in range(2 * workers)]):
            if isinstance(out, BaseException):
                raise out
        t = time.perf_counter()
        tasks = [(i, (rec, box, settings, p)) for i, p in enumerate(ligs)]
        ours = dict(ex.submit_all(dock_on_worker, tasks))
        t_ours = time.perf_counter() - t
    for out in ours.values():
        if isinstance(out, BaseException):
            raise out
    ours = [ours[i] for i in range(len(ligs))]
    threads = DockSettings(exhaustiveness=exhaustiveness, n_poses=1, cpu=0)  # all cores
    t = time.perf_counter()
    naive = [dock_naive(rec, box, threads, p) for p in ligs]
    t_naive = time.perf_counter() - t
    print(
        f"  whole machine, exhaustiveness {exhaustiveness}: one ligand per core "
        f"{len(ligs) / t_ours:.2f} mol/s ({t_ours:.1f} s), naive loop with Vina's threads "
        f"{len(ligs) / t_naive:.2f} mol/s ({t_naive:.1f} s): speed-up {t_naive / t_ours:.2f}x; "
        f"identical scores: {np.array_equal(ours, naive)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="molecules for the Dask stage run")
    ap.add_argument("--n-stage", type=int, default=2000, help="molecules for per-stage rates")
    ap.add_argument("--n-3d", type=int, default=50)
    ap.add_argument("--n-dock", type=int, default=6)
    ap.add_argument("--exhaustiveness", type=int, default=1)
    ap.add_argument(
        "--machine-exhaustiveness",
        default="1,8",
        help="comma-separated exhaustiveness values for the whole-machine docking comparison "
        "(empty: skip it)",
    )
    ap.add_argument("--n-machine", type=int, default=8, help="ligands per whole-machine run")
    ap.add_argument("--dock-workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "p53lab")
    ap.add_argument("--skip-dask", action="store_true")
    a = ap.parse_args()

    smiles = moses_decoys(a.cache)
    recs = [Record(i + 1, f"moses-{i}", smiles=s) for i, s in enumerate(smiles)]
    st = SHARED / "structures"
    ref = load_ligand(st / "5ZXF_nutlin3a.mol2")
    pharm = derive_pharmacophore(ref, st / "5ZXF_receptor_renumbered.pdb")
    prof = get_profile("ppi")
    sub = recs[: a.n_stage]

    t = time.perf_counter()
    mols = [standardise(r).mol for r in sub]
    print("1 standardise      ", rate(len(sub), time.perf_counter() - t))
    mols = [m for m in mols if m is not None]
    t = time.perf_counter()
    for m in mols:
        d = descriptors(m)
        [r.passes(d[r.descriptor]) for r in prof.rules]
    print("2 ppi profile      ", rate(len(mols), time.perf_counter() - t))
    t = time.perf_counter()
    passed = [m for m in mols if pharm.prefilter(m)[0]]
    print(
        "3 2-D prefilter    ",
        rate(len(mols), time.perf_counter() - t),
        f"-> {len(passed)}/{len(mols)} pass",
    )
    t = time.perf_counter()
    fits = [pharm.match_conformers(m) for m in passed[: a.n_3d]]
    print(
        "4 3-D match        ",
        rate(len(fits), time.perf_counter() - t),
        f"-> {sum(f <= pharm.tolerance_A for f in fits)}/{len(fits)} match",
    )

    rec = prepare_receptor(st / "5ZXF_receptor_renumbered.pdb")
    box = box_from_ligand(ref)
    heavy_ref = Chem.RemoveHs(ref)
    big_box = box_from_ligand(ref, padding_A=DEFAULT_PADDING_A + OVERLAY_EXTRA_PADDING_A)
    placer = Docker(rec, big_box, DockSettings(n_poses=1))
    t = time.perf_counter()
    placed = 0
    for m in passed[: a.n_3d]:
        try:
            overlay_and_place(m, heavy_ref, placer)
            placed += 1
        except ValueError:
            pass
    print(
        "4b overlay + place ",
        rate(len(passed[: a.n_3d]), time.perf_counter() - t),
        f"-> {placed}/{len(passed[: a.n_3d])} placed",
    )
    settings = DockSettings(exhaustiveness=a.exhaustiveness, n_poses=1)
    ligs = [prepare_ligand(m)[0] for m in passed[: a.n_dock]]
    t = time.perf_counter()
    docker = Docker(rec, box, settings, vinardo=False)
    fast = [docker.dock(p)["score_kcal_mol"] for p in ligs]
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    naive = [dock_naive(rec, box, settings, p) for p in ligs]
    t_naive = time.perf_counter() - t
    print("5 docking (maps once)", rate(len(ligs), t_fast))
    print(
        "  naive Vina loop    ",
        rate(len(ligs), t_naive),
        f"speed-up {t_naive / t_fast:.2f}x; identical scores: {np.array_equal(fast, naive)}",
    )
    if a.machine_exhaustiveness:
        ligs = [prepare_ligand(m)[0] for m in passed[: a.n_machine]]
        print(f"5b docking on the whole machine ({a.dock_workers} cores, {len(ligs)} ligands)")
        for exh in (int(x) for x in a.machine_exhaustiveness.split(",")):
            machine_docking(rec, box, ligs, exh, a.dock_workers)

    if a.skip_dask:
        return
    big = recs[: a.n]
    for workers in (1, 2):
        with make_executor(workers, backend="dask") as ex:
            tasks = [
                (i, PrefilterChunk(tuple(c), prof, pharm))
                for i, c in enumerate(iter_chunks(big, a.chunk))
            ]
            t = time.perf_counter()
            n_pass = 0
            for _, out in ex.submit_all(prefilter_chunk, tasks):
                if isinstance(out, BaseException):
                    raise out
                n_pass += int((out["status"] == "pass").sum())
            wall = time.perf_counter() - t
        print(
            f"stages 1-3, {len(big)} molecules, {workers} Dask worker(s): {wall:.1f} s "
            f"({len(big) / wall:.0f} mol/s), {n_pass} pass"
        )


if __name__ == "__main__":
    main()
