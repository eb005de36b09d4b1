"""Compound libraries: streaming readers, standardisation and duplicate tracking.

A library is read lazily, one record at a time, so a file of millions of molecules never sits
in memory: :func:`read_library` yields :class:`Record` objects (source position, id, SMILES
or an SDF mol block) and :func:`iter_chunks` groups them into lists for the executor. Parsing
and standardisation happen in :func:`standardise`, which never raises for a bad molecule: it
returns the molecule (or ``None``) with a status and a human message, as habit 10 asks.

Formats (by file name): ``.smi``/``.smiles`` (``SMILES [id]`` per line, whitespace or tab;
``#`` comments), ``.csv`` (a header with a SMILES column and an id column; names matched
case-insensitively), ``.sdf``/``.sd`` and the same gzip-compressed (``.sdf.gz``). SDF records
are split on ``$$$$`` and each mol block is kept as text, so one broken record is one failed
row, not a stopped reader.

Standardisation uses RDKit's MolStandardize (the RDKit implementation of the ChEMBL/MolVS
rules): ``Cleanup`` (sanitise, normalise functional groups, reionise), ``FragmentParent``
(keep the largest organic fragment: salts and solvents go), ``Uncharger`` (neutralise where a
neutral form exists) and, optionally, ``TautomerEnumerator.Canonicalize`` (one canonical
tautomer, so tautomers count as duplicates).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError

__all__ = [
    "Record",
    "StandardisedMolecule",
    "iter_chunks",
    "mol_from_record",
    "read_library",
    "standardise",
]

STATUS_OK = "ok"
STATUS_INVALID = "invalid"
STATUS_DUPLICATE = "duplicate"
STATUS_FAILED = "failed"

SMILES_SUFFIXES = (".smi", ".smiles", ".ism", ".can")
CSV_SUFFIXES = (".csv", ".tsv")
SDF_SUFFIXES = (".sdf", ".sd", ".mol")
_SMILES_NAMES = ("smiles", "canonical_smiles", "smi", "structure")
_ID_NAMES = ("id", "name", "molecule_id", "compound_id", "chembl_id", "zinc_id", "title")


@dataclass(frozen=True, slots=True)
class Record:
    """One library entry as read: its 1-based position in the file, id and structure text."""

    index: int
    id: str
    smiles: str | None = None
    molblock: str | None = None
    source: str = ""

    @property
    def where(self) -> str:
        return f"{self.source} record {self.index}" if self.source else f"record {self.index}"


@dataclass(frozen=True, slots=True)
class StandardisedMolecule:
    """The outcome of :func:`standardise`: ``mol`` is ``None`` unless ``status == 'ok'``."""

    record: Record
    mol: object | None
    smiles: str
    status: str
    message: str


def _suffix(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    return Path(name).suffix, gz


def _open_text(path: Path, gz: bool):
    if gz:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace", newline="")


def read_library(
    path: str | Path, *, smiles_column: str | None = None, id_column: str | None = None
) -> Iterator[Record]:
    """Yield the records of a SMILES, CSV or SDF library (gzip allowed), one at a time.

    Records without an id get ``<file stem>-<index>``. A missing file raises
    :class:`FileNotFoundError`; an unknown extension or a CSV without a SMILES column raises
    :class:`~p53lab.errors.FileFormatError` naming the file and what to do. Bad structures are
    not checked here (see :func:`standardise`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    suffix, gz = _suffix(path)
    if suffix in SMILES_SUFFIXES:
        return _read_smi(path, gz)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, gz, suffix, smiles_column, id_column)
    if suffix in SDF_SUFFIXES:
        return _read_sdf(path, gz)
    raise FileFormatError(
        f"{path}: unknown library format {suffix or '(no extension)'!r}. Use .smi/.smiles "
        "(SMILES and id per line), .csv (columns smiles,id) or .sdf, optionally gzipped (.gz)."
    )


def _read_smi(path: Path, gz: bool) -> Iterator[Record]:
    stem = path.name.split(".")[0]
    with _open_text(path, gz) as fh:
        index = 0
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            index += 1
            parts = line.split(None, 1)
            if index == 1 and parts[0].lower() in _SMILES_NAMES:  # a header line
                index = 0
                continue
            rid = parts[1].strip() if len(parts) > 1 else f"{stem}-{index}"
            yield Record(index, rid, smiles=parts[0], source=str(path))


def _pick(names: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, path):
    lower = {n.strip().lower(): n for n in names}
    if wanted is not None:
        if wanted in names:
            return wanted
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise FileFormatError(
            f"{path}: no {what} column {wanted!r}; the header has {names}. Give one of those."
        )
    for c in candidates:
        if c in lower:
            return lower[c]
    return None


def _read_csv(path: Path, gz, suffix, smiles_column, id_column) -> Iterator[Record]:
    stem = path.name.split(".")[0]
    with _open_text(path, gz) as fh:
        reader = csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ",")
        header = next(reader, None)
        if header is None:
            return
        scol = _pick(header, smiles_column, _SMILES_NAMES, "SMILES", path)
        if scol is None:
            raise FileFormatError(
                f"{path}: no SMILES column in the header {header}. Name it 'smiles' or pass "
                "--smiles-column."
            )
        icol = _pick(header, id_column, _ID_NAMES, "id", path)
        si = header.index(scol)
        ii = header.index(icol) if icol is not None else None
        for index, row in enumerate(reader, 1):
            smi = row[si].strip() if si < len(row) else ""
            rid = row[ii].strip() if ii is not None and ii < len(row) else ""
            yield Record(index, rid or f"{stem}-{index}", smiles=smi, source=str(path))


def _read_sdf(path: Path, gz: bool) -> Iterator[Record]:
    stem = path.name.split(".")[0]
    index = 0
    with _open_text(path, gz) as fh:
        lines: list[str] = []
        for line in fh:
            if line.startswith("$$$$"):
                index += 1
                yield _sdf_record(lines, index, stem, path)
                lines = []
            else:
                lines.append(line)
        if any(x.strip() for x in lines):  # a last record without its $$$$
            index += 1
            yield _sdf_record(lines, index, stem, path)


def _sdf_record(lines: list[str], index: int, stem: str, path: Path) -> Record:
    block = "".join(lines)
    title = lines[0].strip() if lines else ""
    rid = title
    for i, line in enumerate(lines):  # an explicit id data field wins over the title
        if line.startswith(">") and i + 1 < len(lines):
            field = line[line.find("<") + 1 : line.rfind(">")].strip().lower()
            if field in _ID_NAMES:
                rid = lines[i + 1].strip() or rid
                break
    return Record(index, rid or f"{stem}-{index}", molblock=block, source=str(path))


def iter_chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Group records into lists of ``size`` (the last may be shorter)."""
    chunk: list[Record] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def mol_from_record(record: Record):
    """Parse a record into an RDKit molecule; ``(mol, message)`` with ``mol=None`` on failure."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # the reason goes into the row's message instead
    if record.molblock is not None:
        mol = Chem.MolFromMolBlock(record.molblock, removeHs=False)
        what = "mol block"
    else:
        text = (record.smiles or "").strip()
        if not text:
            return None, f"{record.where} ({record.id}): empty SMILES"
        mol = Chem.MolFromSmiles(text)
        what = f"SMILES {text!r}"
    if mol is None or mol.GetNumAtoms() == 0:
        return None, f"{record.where} ({record.id}): RDKit cannot parse the {what}"
    return mol, ""


_STANDARDISERS: dict = {}


def _standardisers(tautomers: bool):
    key = bool(tautomers)
    if key not in _STANDARDISERS:
        from rdkit.Chem.MolStandardize import rdMolStandardize as ms

        params = ms.CleanupParameters()
        params.maxTautomers = 200  # bounded work per molecule; RDKit's default is 1000
        params.maxTransforms = 200
        taut = ms.TautomerEnumerator(params) if tautomers else None
        _STANDARDISERS[key] = (
            ms,
            ms.LargestFragmentChooser(preferOrganic=True),
            ms.Uncharger(),
            taut,
        )
    return _STANDARDISERS[key]


def standardise(record: Record, *, tautomers: bool = True) -> StandardisedMolecule:
    """Parse and standardise one record: cleanup, largest organic fragment, neutralise, tautomer.

    Returns status ``ok`` with the molecule and its canonical isomeric SMILES, or ``invalid``
    (unparsable, empty, no heavy atoms) / ``failed`` (standardisation error) with the reason.
    Coordinates of SDF input are kept (conformers survive the steps that do not add atoms).
    """
    from rdkit import Chem

    mol, msg = mol_from_record(record)
    if mol is None:
        return StandardisedMolecule(record, None, record.smiles or "", STATUS_INVALID, msg)
    ms, chooser, uncharger, taut = _standardisers(tautomers)
    try:
        m = ms.Cleanup(Chem.RemoveHs(mol))
        m = chooser.choose(m)
        m = uncharger.uncharge(m)
        if taut is not None:
            m = taut.Canonicalize(m)
        Chem.SanitizeMol(m)
        if m.GetNumHeavyAtoms() == 0:
            return StandardisedMolecule(
                record, None, "", STATUS_INVALID, f"{record.where} ({record.id}): no heavy atoms"
            )
        smiles = Chem.MolToSmiles(m)
    except Exception as exc:  # RDKit raises many types; the row keeps the reason
        return StandardisedMolecule(
            record,
            None,
            record.smiles or "",
            STATUS_FAILED,
            f"{record.where} ({record.id}): standardisation failed: {exc}",
        )
    return StandardisedMolecule(record, m, smiles, STATUS_OK, "")


class DuplicateTracker:
    """Marks the second and later occurrences of a canonical SMILES as duplicates.

    Keeps one 8-byte hash per unique molecule (about 80 MB for ten million), so streaming a
    large library stays within memory.
    """

    def __init__(self) -> None:
        self._seen: dict[int, str] = {}

    def check(self, smiles: str, rid: str) -> str | None:
        """The id of the first molecule with these SMILES, or ``None`` if new (then remembered)."""
        import hashlib

        key = int.from_bytes(hashlib.blake2b(smiles.encode(), digest_size=8).digest(), "little")
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = rid
        return first
