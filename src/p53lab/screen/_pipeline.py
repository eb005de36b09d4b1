"""Screening drivers: filter a library, dock it in resumable chunks, redock, evaluate.

Docking runs as chunks of molecules handed to the injected executor (:mod:`p53lab.parallel`):
each chunk is a :class:`DockChunk`, the task :func:`dock_chunk` runs on a worker, where
:func:`~p53lab.screen._dock.docker_for` keeps one Vina object per receptor and box so grid
maps are computed once per worker process, and one ligand is docked per core. The driver
commits every chunk's rows and poses in ONE transaction to ``DIR/screen.duckdb`` as soon as
it arrives; ``resume=True`` computes only the chunks not yet committed.

Why a DuckDB file of its own in the output folder rather than tables in the sweep results
store (:mod:`p53lab.io.store`): a screen's outputs (scores, poses, checkpoint) then travel as
one folder, the sweep store's schema version stays about sweeps only, and a DuckDB file allows
one writer, so a screen and a sweep can run at the same time.

Stage 1 is either docking (``stage1="dock"``, the default: every molecule that passes the
prefilter is docked) or the 3-D overlay stage (``stage1="overlay"``, :mod:`._overlay`): each
molecule's conformers are overlaid on the co-crystal ligand by shape and colour and the best
overlays are optimised locally by Vina in the pocket (status ``placed``; about 1 core-second per
molecule instead of 15–30 for docking).

Stage 2 ("SP then XP"): after every stage-1 chunk is in, the best ``stage2_fraction`` of the
stage-1 molecules (by Vina score after docking; by ``hit_rank`` below after the overlay stage)
are docked with ``stage2_exhaustiveness``, one molecule per chunk; their final score is the
stage-2 score (the stage-1 score is kept in ``stage1_kcal_mol``).

The order of the hit list (``hit_rank``, lower = better): after the overlay stage, the overlay's
shape + colour score, for docked and placed molecules alike; otherwise the consensus below.
Docking then supplies the poses, hot-spot contacts and scores to inspect, not the order: on
MDM2 the Vina score does not rank actives (DEKOIS 2.0 MDM2: AUC 0.52, EF1% 0, DOMAIN §7), and in
this package's first 50-active benchmark draw adding it to the overlay score through the
consensus lowered the ROC AUC from 0.88 to 0.81 (``benchmarks/mdm2_enrichment.py``). The choice
was then checked on a second draw of 50 other actives: 0.86 for the overlay score, 0.79 for
the consensus, 0.81 for molecular weight alone.

Consensus (``consensus_rank``): the mean of three ranks (rank-by-rank consensus, Wang & Wang
2001, J Chem Inf Comput Sci 41:1422): Vina score, Vinardo rescoring of the same pose, and the
pharmacophore fit, which is the shape-and-colour overlay score when the overlay stage ran and
the docked pose's hot-spot point fit otherwise. Docked molecules rank first, then placed ones,
then those stopped by the pharmacophore prefilter, then by the filter.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..columns import MESSAGE, STATUS
from ..errors import ParameterError, param_error
from ..parallel import Executor, SerialExecutor
from ._dock import (
    Box,
    DockSettings,
    Receptor,
    box_from_ligand,
    check_box,
    docker_for,
    pose_contacts,
    poses_to_mol,
    prepare_ligand,
    prepare_receptor,
)
from ._filters import DESCRIPTORS, Profile, apply_profile, descriptors, get_profile
from ._library import (
    STATUS_DUPLICATE,
    STATUS_OK,
    DuplicateTracker,
    Record,
    iter_chunks,
    read_library,
    standardise,
)
from ._overlay import protonate, shape_overlay
from ._pharmacophore import Pharmacophore, derive_pharmacophore, load_ligand, mdm2_residue_offset

__all__ = [
    "DockChunk",
    "FilterReport",
    "PrefilterChunk",
    "RedockResult",
    "ScreenReport",
    "dock_chunk",
    "filter_library",
    "hit_rank",
    "overlay_and_place",
    "prefilter_chunk",
    "redock",
    "run_screen",
]

ID = "id"
SMILES = "smiles"
SCORE = "score_kcal_mol"
STATUS_PASS = "pass"
STATUS_FAIL = "fail"
STATUS_DOCKED = "docked"
STATUS_PLACED = "placed"  # overlay stage: overlaid on the reference and optimised in place
STATUS_FILTERED = "filtered"
STATUS_PRUNED = "pruned"  # stopped by the pharmacophore prefilter
STATUS_FAILED = "failed"
OVERLAY_EXTRA_PADDING_A = 4.0


# ------------------------------------------------------------------------------- filter
@dataclass(frozen=True)
class FilterReport:
    """Counts of a filter run; ``table`` holds one row per molecule (when kept in memory)."""

    n_in: int
    n_pass: int
    n_fail_by_rule: dict
    n_invalid: int
    n_duplicate: int
    profile: str
    table: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("table")
        return d


def filter_molecule(std, profile: Profile, pharmacophore: Pharmacophore | None = None) -> dict:
    """One row: id, smiles, status, message and the descriptors, for a standardised molecule."""
    row = {ID: std.record.id, SMILES: std.smiles, STATUS: std.status, MESSAGE: std.message}
    if std.mol is None:
        return row
    desc = descriptors(std.mol)
    row.update(desc)
    broken = apply_profile(profile, std.mol, desc)
    if pharmacophore is not None and not broken:
        ok, why = pharmacophore.prefilter(std.mol)
        if not ok:
            broken.append("pharmacophore")
            row["pharmacophore_message"] = why
    row[STATUS] = STATUS_FAIL if broken else STATUS_PASS
    row[MESSAGE] = "; ".join(broken)
    return row


def filter_library(
    library: str | Path | Iterable[Record],
    profile: str | Profile = "lipinski-veber",
    *,
    out: str | Path | None = None,
    pharmacophore: Pharmacophore | None = None,
    tautomers: bool = True,
    batch_size: int = 5000,
    keep_table: bool = True,
) -> FilterReport:
    """Standardise, de-duplicate and filter a library, streaming (``batch_size`` rows at a time).

    Each molecule gets status ``pass``, ``fail`` (message: the broken rules, ``;``-joined),
    ``invalid``/``failed`` (cannot parse/standardise, with the reason) or ``duplicate``
    (message: the id of its first occurrence). ``out``: a Parquet file written batch by batch.
    """
    prof = get_profile(profile)
    records = read_library(library) if isinstance(library, (str, Path)) else library
    dup = DuplicateTracker()
    n_in = n_pass = n_invalid = n_dup = 0
    by_rule: dict[str, int] = {}
    writer = None
    kept: list[pd.DataFrame] = []
    cols = [ID, SMILES, STATUS, MESSAGE, *DESCRIPTORS]
    try:
        for chunk in iter_chunks(records, batch_size):
            rows = []
            for rec in chunk:
                n_in += 1
                std = standardise(rec, tautomers=tautomers)
                if std.mol is not None:
                    first = dup.check(std.smiles, rec.id)
                    if first is not None:
                        n_dup += 1
                        rows.append(
                            {
                                ID: rec.id,
                                SMILES: std.smiles,
                                STATUS: STATUS_DUPLICATE,
                                MESSAGE: f"duplicate of {first}",
                            }
                        )
                        continue
                row = filter_molecule(std, prof, pharmacophore)
                if row[STATUS] == STATUS_PASS:
                    n_pass += 1
                elif row[STATUS] == STATUS_FAIL:
                    keys = {
                        "pains" if r.startswith("pains:") else r for r in row[MESSAGE].split("; ")
                    }
                    for key in keys:  # a molecule counts once per rule (PAINS alerts as one)
                        by_rule[key] = by_rule.get(key, 0) + 1
                else:
                    n_invalid += 1
                rows.append(row)
            df = pd.DataFrame(rows).reindex(columns=[*cols, "pharmacophore_message"])
            if pharmacophore is None:
                df = df.drop(columns="pharmacophore_message")
            if out is not None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(df, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(str(out), table.schema)
                writer.write_table(table.cast(writer.schema))
            if keep_table:
                kept.append(df)
    finally:
        if writer is not None:
            writer.close()
    table = pd.concat(kept, ignore_index=True) if kept else None
    return FilterReport(n_in, n_pass, by_rule, n_invalid, n_dup, prof.name, table)


def clinical_losses(csv_path: str | Path, profiles=("lipinski-veber", "ppi")) -> pd.DataFrame:
    """Which clinical MDM2 inhibitors each profile rejects, and by which rules.

    Reads ``name,smiles`` rows (the shared ``mdm2_clinical_smiles.csv``); a name listed twice
    is evaluated once (first SMILES). One row per compound, one column per profile with the
    broken rules (empty = kept).
    """
    df = pd.read_csv(csv_path).drop_duplicates("name")
    rows = []
    for name, smi in zip(df["name"], df["smiles"], strict=True):
        std = standardise(Record(0, name, smiles=smi, source=str(csv_path)))
        row = {"name": name, "smiles": std.smiles}
        if std.mol is not None:
            desc = descriptors(std.mol)
            row.update(desc)
            for p in profiles:
                row[p] = "; ".join(apply_profile(get_profile(p), std.mol, desc))
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- docking
@dataclass(frozen=True, eq=False)
class DockChunk:
    """The work of one chunk: records plus everything a worker needs (all picklable)."""

    key: str
    records: tuple[Record, ...]
    receptor: Receptor
    box: Box
    settings: DockSettings
    profile: Profile
    pharmacophore: Pharmacophore | None
    residue_offset: int = 0
    exhaustiveness: int | None = None  # stage 2 overrides
    prefilter: bool = True
    stage1: str = "dock"  # or "overlay"
    reference: object = None  # the co-crystal ligand, heavy atoms (overlay stage)


def dock_chunk(task: DockChunk) -> dict:
    """Standardise, filter, prefilter, prepare and dock every record of a chunk (on a worker).

    Never raises for a molecule: each gets a row with status and message.
    """
    t0 = time.perf_counter()
    docker = docker_for(task.receptor, task.box, task.settings)
    rows, poses = [], []
    for rec in task.records:
        row = {
            ID: rec.id,
            "index": rec.index,
            SMILES: rec.smiles or "",
            STATUS: STATUS_OK,
            MESSAGE: "",
            SCORE: math.nan,
            "vinardo_kcal_mol": math.nan,
            "pharmacophore_fit_A": math.nan,
            "overlay_combo": math.nan,
            "contacts": "",
        }
        std = standardise(rec)
        row[SMILES] = std.smiles
        if std.mol is None:
            row.update({STATUS: std.status, MESSAGE: std.message})
            rows.append(row)
            continue
        broken = apply_profile(task.profile, std.mol)
        if broken:
            row.update({STATUS: STATUS_FILTERED, MESSAGE: "; ".join(broken)})
            rows.append(row)
            continue
        if task.prefilter and task.pharmacophore is not None:
            ok, why = task.pharmacophore.prefilter(std.mol)
            if not ok:
                row.update({STATUS: STATUS_PRUNED, MESSAGE: f"pharmacophore: {why}"})
                rows.append(row)
                continue
        try:
            if task.stage1 == "overlay":
                out = overlay_and_place(
                    std.mol, task.reference, docker, ph=task.settings.ph, seed=task.settings.seed
                )
                row["overlay_combo"] = out["overlay_combo"]
            else:
                pdbqt, _ = prepare_ligand(std.mol, seed=task.settings.seed, ph=task.settings.ph)
                out = docker.dock(pdbqt, task.exhaustiveness)
            pose = poses_to_mol(out["poses_pdbqt"])
            from rdkit import Chem

            top = Chem.Mol(pose, confId=0)
            row[SCORE] = out[SCORE]
            row["vinardo_kcal_mol"] = out.get("vinardo_kcal_mol", math.nan)
            if task.pharmacophore is not None:
                row["pharmacophore_fit_A"] = task.pharmacophore.pose_fit(top)
            row["contacts"] = ",".join(
                pose_contacts(top, task.receptor, offset=task.residue_offset)
            )
            row[STATUS] = STATUS_PLACED if task.stage1 == "overlay" else STATUS_DOCKED
            top.SetProp("_Name", rec.id)
            for k in (SCORE, "vinardo_kcal_mol", "overlay_combo", "contacts"):
                if k != "overlay_combo" or task.stage1 == "overlay":
                    top.SetProp(k, str(row[k]))
            poses.append((rec.id, Chem.MolToMolBlock(top)))
        except Exception as exc:  # preparation or docking of this molecule failed
            row.update({STATUS: STATUS_FAILED, MESSAGE: f"{rec.where} ({rec.id}): {exc}"})
        rows.append(row)
    return {
        "key": task.key,
        "rows": rows,
        "poses": poses,
        "elapsed_s": time.perf_counter() - t0,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


def overlay_and_place(mol, reference, docker, *, ph: float = 7.4, seed: int = 20240501) -> dict:
    """The overlay stage for one molecule: protonate, overlay conformers on ``reference`` (the
    co-crystal ligand, heavy atoms), optimise the best overlays in the pocket with
    ``docker``'s Vina; the best-scored pose wins. Returns :meth:`Docker.place`'s dict plus
    ``overlay_combo``. Raises ``ValueError`` with the reason when no overlay can be placed."""
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    ov = shape_overlay(protonate(mol, ph=ph), reference, seed=seed)
    best, why = None, []
    for pose in ov.poses:
        pdbqt, ok, err = PDBQTWriterLegacy.write_string(MoleculePreparation().prepare(pose)[0])
        if not ok:
            why.append(f"Meeko: {err.strip()}")
            continue
        try:
            out = docker.place(pdbqt)
        except ValueError as exc:  # the overlay pose leaves the box
            why.append(str(exc))
            continue
        if best is None or out[SCORE] < best[SCORE]:
            best = out
    if best is None:
        raise ValueError(f"no overlay could be placed in the box ({'; '.join(why[:1])})")
    best["overlay_combo"] = ov.combo
    return best


@dataclass(frozen=True)
class ScreenProgress:
    """Told to the progress callback: ``event`` is start, committed or failed."""

    event: str
    molecules_done: int
    molecules_total: int
    chunks_done: int
    chunks_total: int
    chunk: str | None = None
    message: str = ""


@dataclass(frozen=True)
class ScreenReport:
    """The outcome of :func:`run_screen`."""

    out_dir: str
    n_molecules: int
    counts: dict
    chunks_run: int
    chunks_skipped: int
    chunks_failed: list
    elapsed_s: float
    executor: str
    settings: dict

    @property
    def complete(self) -> bool:
        return not self.chunks_failed

    def to_dict(self) -> dict:
        return asdict(self) | {"complete": self.complete}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS screen_run (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS chunks (chunk VARCHAR PRIMARY KEY, molecules INTEGER,
    elapsed_s DOUBLE, worker VARCHAR, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS molecules (chunk VARCHAR, "index" BIGINT, id VARCHAR, smiles VARCHAR,
    status VARCHAR, message VARCHAR, score_kcal_mol DOUBLE, vinardo_kcal_mol DOUBLE,
    pharmacophore_fit_A DOUBLE, overlay_combo DOUBLE, contacts VARCHAR);
CREATE TABLE IF NOT EXISTS poses (chunk VARCHAR, id VARCHAR, molblock VARCHAR);
"""
_ROW_COLS = [
    "index",
    ID,
    SMILES,
    STATUS,
    MESSAGE,
    SCORE,
    "vinardo_kcal_mol",
    "pharmacophore_fit_A",
    "overlay_combo",
    "contacts",
]


def _commit(con, result: dict) -> None:
    rows = pd.DataFrame(result["rows"], columns=_ROW_COLS)
    rows.insert(0, "chunk", result["key"])
    poses = pd.DataFrame(result["poses"], columns=[ID, "molblock"])
    poses.insert(0, "chunk", result["key"])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, now())",
            [result["key"], len(rows), result["elapsed_s"], result["worker"]],
        )
        con.register("_rows", rows)
        con.execute("INSERT INTO molecules SELECT * FROM _rows")
        con.unregister("_rows")
        con.register("_poses", poses)
        con.execute("INSERT INTO poses SELECT * FROM _poses")
        con.unregister("_poses")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


_REPEATS = "s1-repeats"


def _split_repeats(records) -> tuple[list[Record], list[tuple[Record, Record]]]:
    """The records to dock, and (repeat, first occurrence) for records whose input SMILES is
    exactly that of an earlier record: those are not docked again. (Repeats that differ only
    after standardisation, such as salts or tautomers, are docked and marked afterwards.)"""
    first: dict[str, Record] = {}
    unique, repeats = [], []
    for r in records:
        key = (r.smiles or "").strip()
        if key and key in first:
            repeats.append((r, first[key]))
            continue
        if key:
            first[key] = r
        unique.append(r)
    return unique, repeats


def _commit_repeats(con, repeats: list[tuple[Record, Record]]) -> None:
    std = dict(
        con.execute("SELECT \"index\", smiles FROM molecules WHERE chunk LIKE 's1-%'").fetchall()
    )
    rows = [
        {
            "index": r.index,
            ID: r.id,
            SMILES: std.get(f.index) or (r.smiles or ""),
            STATUS: STATUS_DUPLICATE,
            MESSAGE: f"duplicate of {f.id} (the same input SMILES); not docked again",
            SCORE: math.nan,
            "vinardo_kcal_mol": math.nan,
            "pharmacophore_fit_A": math.nan,
            "overlay_combo": math.nan,
            "contacts": "",
        }
        for r, f in repeats
    ]
    _commit(con, {"key": _REPEATS, "rows": rows, "poses": [], "elapsed_s": 0.0, "worker": "main"})


def _fingerprint(library: Path, receptor: Receptor, box: Box, settings: dict) -> str:
    st = library.stat()
    h = hashlib.sha1()
    h.update(
        json.dumps(
            [str(library.resolve()), st.st_size, receptor.key, asdict(box), settings],
            sort_keys=True,
            default=str,
        ).encode()
    )
    return h.hexdigest()[:16]


def run_screen(
    library: str | Path,
    receptor: str | Path,
    reference_ligand: str | Path,
    out_dir: str | Path,
    *,
    executor: Executor | None = None,
    settings: DockSettings | None = None,
    profile: str | Profile = "ppi",
    prefilter: bool = True,
    chunk_size: int = 8,
    stage2_fraction: float = 0.0,
    stage2_exhaustiveness: int = 16,
    stage1: str = "dock",
    padding_A: float = 4.0,
    resume: bool = False,
    progress: Callable[[ScreenProgress], None] | None = None,
) -> ScreenReport:
    """Dock a library into the pocket of ``reference_ligand``; write ``out_dir``.

    Writes ``scores.parquet`` (``id, smiles, score_kcal_mol, status, message`` and the
    consensus columns), ``poses.sdf`` (best pose per docked molecule, scores and hot-spot
    contacts as properties) and ``screen.duckdb`` (the per-chunk checkpoint). Every error that
    stops a run (missing files, a 2-D reference ligand, a box with no receptor atoms) is raised
    before any chunk starts.

    Worker executors dock one ligand per worker with ``settings.cpu`` threads (1: one core
    each). The serial executor (the default) docks in this process with Vina's threads on all
    cores when ``settings.cpu`` is 1: the scores are the same, and the checkpoint's fingerprint
    does not depend on the executor, so any executor may resume a screen.
    """
    import duckdb

    t0 = time.perf_counter()
    settings = settings or DockSettings()
    prof = get_profile(profile)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise param_error("run_screen", "chunk_size", "an integer >= 1", chunk_size)
    if not 0 <= stage2_fraction <= 1:
        raise param_error("run_screen", "stage2_fraction", "in [0, 1]", stage2_fraction)
    if stage1 not in ("dock", "overlay"):
        raise param_error("run_screen", "stage1", "'dock' or 'overlay'", stage1)
    library = Path(library)
    records_iter = read_library(library)  # format errors now, before any work
    ref = load_ligand(reference_ligand, need_3d=True)
    rec = prepare_receptor(receptor, ph=settings.ph)
    box = box_from_ligand(ref, padding_A=padding_A)
    check_box(rec, box)
    _, res = rec.heavy_atoms()
    offset = mdm2_residue_offset([(r[1], r[2]) for r in res])
    pharm = derive_pharmacophore(ref, receptor)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    executor = executor if executor is not None else SerialExecutor()
    cfg = {
        "settings": asdict(settings),
        "profile": prof.name,
        "prefilter": prefilter,
        "chunk_size": chunk_size,
        "stage2_fraction": stage2_fraction,
        "stage2_exhaustiveness": stage2_exhaustiveness,
        "stage1": stage1,
        "padding_A": padding_A,
    }
    fp = _fingerprint(library, rec, box, cfg)
    db = out_dir / "screen.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute(_SCHEMA)
        old = dict(con.execute("SELECT key, value FROM screen_run").fetchall())
        if old and not resume:
            raise ParameterError(
                f"{out_dir} already holds a screen. Pass --resume to continue it, or choose a "
                "new --out folder."
            )
        if old and old.get("fingerprint") != fp:
            raise ParameterError(
                f"{out_dir} holds a screen of other inputs or settings (fingerprint "
                f"{old.get('fingerprint')} vs {fp}); resume only the same run, or use a new --out."
            )
        if not old:
            con.executemany(
                "INSERT INTO screen_run VALUES (?, ?)",
                [
                    ("fingerprint", fp),
                    ("config", json.dumps(cfg)),
                    ("library", str(library)),
                    ("receptor", str(receptor)),
                    ("reference_ligand", str(reference_ligand)),
                    ("p53lab_version", __version__),
                    ("pharmacophore", json.dumps(pharm.to_dict())),
                ],
            )
        done = {r[0] for r in con.execute("SELECT chunk FROM chunks").fetchall()}
        unique, repeats = _split_repeats(records_iter)
        chunks = [(f"s1-{i:06d}", tuple(c)) for i, c in enumerate(iter_chunks(unique, chunk_size))]
        n_total = sum(len(c) for _, c in chunks)

        from rdkit import Chem

        heavy_ref = Chem.RemoveHs(ref)

        # the overlay stage's poses sit where the reference sits, so a ligand larger than the
        # reference can reach past the docking box, and Vina refuses to score it: its maps get
        # OVERLAY_EXTRA_PADDING_A more on each side (computed once per worker, ~1 s)
        box1 = box_from_ligand(ref, padding_A=padding_A + OVERLAY_EXTRA_PADDING_A)

        # one ligand per worker process, each on one core; run serially in this process, Vina
        # spreads each docking's Monte Carlo runs over all cores instead (cpu=0): the same
        # scores, and a screen without --workers no longer leaves all cores but one idle
        # (the fingerprint keeps the settings as given: threads do not change results)
        serial = isinstance(executor, SerialExecutor) and settings.cpu == 1
        run_settings = replace(settings, cpu=0) if serial else settings

        def make(key, recs, ex=None, pre=True, s1="dock"):
            b = box1 if s1 == "overlay" else box
            return DockChunk(
                key, recs, rec, b, run_settings, prof, pharm, offset, ex, pre, s1, heavy_ref
            )

        run, skipped, failed = _run_stage(
            con,
            executor,
            [(k, make(k, c, None, prefilter, stage1)) for k, c in chunks if k not in done],
            len(chunks),
            n_total,
            done,
            progress,
        )
        if repeats and _REPEATS not in done:
            _commit_repeats(con, repeats)
            done.add(_REPEATS)
        if stage2_fraction > 0 and not failed:
            top = _stage2_candidates(con)
            n2 = math.ceil(len(top) * stage2_fraction)
            recs2 = [Record(i, rid, smiles=s, source=str(library)) for i, rid, s in top[:n2]]
            size2 = _stage2_chunk_size(done, con, chunk_size)
            c2 = [(f"s2-{i:06d}", tuple(c)) for i, c in enumerate(iter_chunks(recs2, size2))]
            r2, s2, f2 = _run_stage(
                con,
                executor,
                [(k, make(k, c, stage2_exhaustiveness, False)) for k, c in c2 if k not in done],
                len(c2),
                len(recs2),
                done,
                progress,
            )
            run, skipped, failed = run + r2, skipped + s2, failed + f2
        table = _final_table(con)
        table.to_parquet(out_dir / "scores.parquet", index=False)
        _write_poses(con, out_dir / "poses.sdf")
    finally:
        con.close()
    counts = table[STATUS].value_counts().to_dict()
    return ScreenReport(
        str(out_dir),
        len(table),
        {k: int(v) for k, v in counts.items()},
        run,
        skipped,
        failed,
        time.perf_counter() - t0,
        executor.name,
        cfg,
    )


def _stage2_chunk_size(done: set, con, chunk_size: int) -> int:
    """Stage-2 molecules per chunk: one, so that the workers stay evenly loaded to the end and
    a crash loses at most one molecule per worker (a stage-2 docking costs many stage-1 ones).

    The size is recorded in the checkpoint when stage 2 starts. A checkpoint whose stage 2 was
    started before this rule (``s2-`` chunks but no record) keeps ``chunk_size``, so that
    resuming it neither repeats nor skips a molecule.
    """
    row = con.execute("SELECT value FROM screen_run WHERE key = 'stage2_chunk_size'").fetchone()
    if row is not None:
        return int(row[0])
    size = chunk_size if any(k.startswith("s2-") for k in done) else 1
    con.execute("INSERT INTO screen_run VALUES ('stage2_chunk_size', ?)", [str(size)])
    return size


def _stage2_candidates(con) -> list[tuple]:
    """Stage-1 molecules best first, as (index, id, smiles): docked ones by Vina score, placed
    ones (overlay stage) by the hit rank (the overlay score)."""
    s1 = con.execute(
        'SELECT "index", id, smiles, status, score_kcal_mol, vinardo_kcal_mol, '
        "pharmacophore_fit_A, overlay_combo FROM molecules WHERE chunk LIKE 's1-%' AND status IN "
        f"('{STATUS_DOCKED}', '{STATUS_PLACED}') ORDER BY \"index\""
    ).df()
    placed = (s1[STATUS] == STATUS_PLACED).any()
    key = hit_rank(s1) if placed else s1[SCORE].to_numpy(float)
    order = np.lexsort((s1["index"].to_numpy(), key))
    return [(int(s1["index"].iloc[i]), s1[ID].iloc[i], s1[SMILES].iloc[i]) for i in order]


def _run_stage(con, executor, todo, n_chunks, n_mols, done, progress):
    committed = n_chunks - len(todo)
    mols_done = 0
    if committed:
        prefix = todo[0][0][:3] if todo else None
        if prefix:
            mols_done = con.execute(
                "SELECT coalesce(sum(molecules), 0) FROM chunks WHERE chunk LIKE ?", [prefix + "%"]
            ).fetchone()[0]
        else:
            mols_done = n_mols
    if progress:
        progress(ScreenProgress("start", int(mols_done), n_mols, committed, n_chunks))
    failed = []
    for key, outcome in executor.submit_all(dock_chunk, todo):
        if isinstance(outcome, BaseException):
            failed.append(f"{key}: {type(outcome).__name__}: {outcome}")
            if progress:
                progress(
                    ScreenProgress(
                        "failed", int(mols_done), n_mols, committed, n_chunks, key, str(outcome)
                    )
                )
            continue
        _commit(con, outcome)
        done.add(key)
        committed += 1
        mols_done += len(outcome["rows"])
        if progress:
            progress(ScreenProgress("committed", int(mols_done), n_mols, committed, n_chunks, key))
    return len(todo) - len(failed), n_chunks - len(todo), failed


def mark_duplicates(table: pd.DataFrame) -> None:
    """In place, in the table's (library) order: the second and later molecules with the
    standardised SMILES of an earlier one get status ``duplicate``, a message naming the first,
    and no scores."""
    ok = table[STATUS].isin(
        [STATUS_DOCKED, STATUS_PLACED, STATUS_FILTERED, STATUS_PRUNED, STATUS_FAILED]
    )
    dup = ok & table.duplicated(SMILES, keep="first")
    first = table[ok].drop_duplicates(SMILES).set_index(SMILES)[ID]
    table.loc[dup, MESSAGE] = "duplicate of " + table.loc[dup, SMILES].map(first)
    table.loc[dup, STATUS] = STATUS_DUPLICATE
    scores = [SCORE, "vinardo_kcal_mol", "pharmacophore_fit_A", "overlay_combo"]
    table.loc[dup, [c for c in scores if c in table.columns]] = np.nan


def _final_table(con) -> pd.DataFrame:
    s1 = con.execute(
        "SELECT * EXCLUDE (chunk) FROM molecules WHERE chunk LIKE 's1-%' ORDER BY \"index\""
    ).df()
    s2 = con.execute("SELECT * EXCLUDE (chunk) FROM molecules WHERE chunk LIKE 's2-%'").df()
    s1["stage1_kcal_mol"] = s1[SCORE]
    if len(s2):
        upd = s2[s2[STATUS] == STATUS_DOCKED].set_index("index")
        idx = s1["index"].isin(upd.index)
        for col in (SCORE, "vinardo_kcal_mol", "pharmacophore_fit_A", "contacts", STATUS):
            s1.loc[idx, col] = s1.loc[idx, "index"].map(upd[col]).to_numpy()
    mark_duplicates(s1)
    s1["consensus_rank"] = consensus_rank(s1)
    s1["hit_rank"] = hit_rank(s1)
    cols = [
        ID,
        SMILES,
        SCORE,
        STATUS,
        MESSAGE,
        "vinardo_kcal_mol",
        "pharmacophore_fit_A",
        "overlay_combo",
        "stage1_kcal_mol",
        "hit_rank",
        "consensus_rank",
        "contacts",
    ]
    return s1[cols]


def hit_rank(df: pd.DataFrame) -> np.ndarray:
    """The hit list's order (lower = better). Where the overlay stage ran, docked and placed
    molecules by overlay score (higher first, ties averaged), then pruned, filtered and the
    rest; otherwise :func:`consensus_rank`."""
    if "overlay_combo" not in df or not df["overlay_combo"].notna().any():
        return consensus_rank(df)
    out = np.full(len(df), np.nan)
    posed = df[STATUS].isin([STATUS_DOCKED, STATUS_PLACED]).to_numpy()
    combo = df.loc[posed, "overlay_combo"]
    out[posed] = (-combo).rank(method="average", na_option="bottom").to_numpy()
    return _rank_stopped(df, out)


def _rank_stopped(df: pd.DataFrame, out: np.ndarray) -> np.ndarray:
    """After the posed molecules (already in ``out``): pruned, then filtered, then the rest
    (failed, invalid, duplicate), each group tied, at multiples of len(df) + 1."""
    n = len(df) + 1
    for offset, status in ((2, STATUS_PRUNED), (3, STATUS_FILTERED)):
        out[(df[STATUS] == status).to_numpy()] = offset * n
    out[np.isnan(out)] = 4 * n
    return out


def consensus_rank(df: pd.DataFrame) -> np.ndarray:
    """Rank-by-rank consensus (lower = better), group by group.

    Docked, then placed (overlay stage), each ranked by the mean of the ranks of Vina score,
    Vinardo score and pharmacophore fit (the overlay's shape + colour score, higher better,
    where the group has one; else the pose's point fit, lower better). Then
    pharmacophore-pruned, then filtered, then failed/invalid/duplicate (each group tied).
    """
    out = np.full(len(df), np.nan)
    n = len(df) + 1
    for offset, status in ((0, STATUS_DOCKED), (1, STATUS_PLACED)):
        grp = (df[STATUS] == status).to_numpy()
        if not grp.any():
            continue
        sub = df.loc[grp, [SCORE, "vinardo_kcal_mol"]].copy()
        combo = df.loc[grp, "overlay_combo"] if "overlay_combo" in df else None
        if combo is not None and combo.notna().any():
            sub["fit"] = -combo
        else:
            sub["fit"] = df.loc[grp, "pharmacophore_fit_A"]
        ranks = sub.rank(method="average", na_option="bottom")
        out[grp] = offset * n + ranks.mean(axis=1).to_numpy()
    return _rank_stopped(df, out)


def _write_poses(con, path: Path) -> None:
    rows = con.execute(
        "SELECT p.id, p.molblock, p.chunk FROM poses p ORDER BY p.chunk DESC"
    ).fetchall()
    seen = set()
    with open(path, "w") as fh:
        for rid, block, _chunk in rows:  # stage-2 poses (s2-) first, so they win
            if rid in seen:
                continue
            seen.add(rid)
            fh.write(block if block.endswith("\n") else block + "\n")
            fh.write("$$$$\n")


# ------------------------------------------------------------------------------- redock
@dataclass(frozen=True)
class RedockResult:
    """Redocking a co-crystal ligand into its own receptor."""

    rmsd_angstrom: float
    score_kcal_mol: float
    pose_rmsds_angstrom: tuple[float, ...]
    pose_scores_kcal_mol: tuple[float, ...]
    exhaustiveness: int
    seed: int

    def to_dict(self) -> dict:
        return asdict(self)


def redock(
    receptor: str | Path,
    reference_ligand: str | Path,
    *,
    exhaustiveness: int = 4,
    seed: int = 20240501,
    cpu: int = 0,
    padding_A: float = 4.0,
    n_poses: int = 3,
) -> RedockResult:
    """Redock the reference ligand; heavy-atom RMSD of the top-scored pose to the crystal pose.

    The ligand's own bond geometry and hydrogens are kept (the usual redocking protocol); Vina
    randomises position, orientation and torsions before searching. RMSD: RDKit ``CalcRMS``,
    symmetry-aware, no alignment (both poses are in the receptor frame).
    """
    from rdkit import Chem
    from rdkit.Chem import rdMolAlign

    ref = load_ligand(reference_ligand, need_3d=True)
    rec = prepare_receptor(receptor)
    box = box_from_ligand(ref, padding_A=padding_A)
    check_box(rec, box)
    settings = DockSettings(exhaustiveness=exhaustiveness, n_poses=n_poses, seed=seed, cpu=cpu)
    try:
        pdbqt, _ = prepare_ligand(ref, embed=False)
    except ValueError as exc:
        raise ParameterError(f"{reference_ligand}: cannot prepare the ligand: {exc}") from None
    from ._dock import Docker

    out = Docker(rec, box, settings, vinardo=False).dock(pdbqt)
    pose = Chem.RemoveHs(poses_to_mol(out["poses_pdbqt"]))
    ref_heavy = Chem.RemoveHs(ref)
    rmsds = [
        float(rdMolAlign.CalcRMS(Chem.Mol(pose, confId=c.GetId()), ref_heavy))
        for c in pose.GetConformers()
    ]
    energies = _energies(out["poses_pdbqt"])
    return RedockResult(rmsds[0], out[SCORE], tuple(rmsds), tuple(energies), exhaustiveness, seed)


def _energies(poses_pdbqt: str) -> list[float]:
    return [
        float(ln.split()[3])
        for ln in poses_pdbqt.splitlines()
        if ln.startswith("REMARK VINA RESULT")
    ]


# ------------------------------------------------------------------------------- prefilter
@dataclass(frozen=True, eq=False)
class PrefilterChunk:
    """Records to standardise, filter and check against the 2-D pharmacophore (one task)."""

    records: tuple[Record, ...]
    profile: Profile
    pharmacophore: Pharmacophore | None = None
    tautomers: bool = True


def prefilter_chunk(task: PrefilterChunk) -> pd.DataFrame:
    """The cheap stages for one chunk (an executor task): one row per record with status."""
    rows = [
        filter_molecule(standardise(r, tautomers=task.tautomers), task.profile, task.pharmacophore)
        for r in task.records
    ]
    return pd.DataFrame(rows)
