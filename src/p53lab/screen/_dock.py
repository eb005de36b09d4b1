"""Docking with AutoDock Vina: receptor and ligand preparation, box, maps once per receptor.

- :func:`prepare_receptor` — PDBFixer (OpenMM) removes heterogens and waters, adds missing
  heavy atoms (side chains such as Gln18/Gln44/Lys45 of 3JZK) and hydrogens at pH 7.4; Meeko
  turns the fixed structure into a rigid Vina receptor (PDBQT text). PDBFixer is used for the
  repair because Meeko's own templates refuse residues with missing side chains (Meeko issues
  #393, #432).
- :func:`box_from_ligand` — the search box: the reference ligand's heavy-atom extent plus
  ``padding_A`` on each side (4 Å, estimated: room for a ligand a few atoms larger than the
  reference), centred on the extent's midpoint.
- :func:`prepare_ligand` — molscrub (protonation at pH 7.4, 3-D with ETKDG + MMFF94s) then
  Meeko (Vina atom types, torsion tree) to PDBQT text.
- :class:`Docker` — one ``vina.Vina`` object whose grid maps are computed ONCE for a receptor
  and box and reused for every ligand; a second, Vinardo-scored object (also maps once) rescores
  the docked poses for consensus. :func:`docker_for` caches a Docker per worker process.
- :func:`dock_naive` — the textbook loop (a new Vina, maps recomputed, per ligand), kept as the
  reference for the throughput benchmark; it gives identical scores for the same seed.

What the two design choices buy (``benchmarks/screening_throughput.py``, 2 cores, MOSES ligands
that pass the prefilter): computing the maps once saves 0.3–0.7 s per ligand, 1.2–1.3x at
exhaustiveness 1 and a few per cent at 8, where the search takes ~10 s. One ligand per core
(``DockSettings.cpu = 1``, a worker process per core) beats Vina's own threads only while the
exhaustiveness is below the number of cores, because Vina spreads the independent Monte Carlo
runs, not one run, over its threads: 2.4x at exhaustiveness 1, 1.0x at 8. Scores are identical
either way: each Monte Carlo run has its own seeded generator, so the thread count does not
change the result (the benchmark checks it).

Vina scores are in kcal/mol (Trott & Olson 2010, J Comput Chem 31:455; Eberhardt et al. 2021,
J Chem Inf Model 61:3891 for Vina 1.2 and its Python bindings); Vinardo: Quiroga & Villarreal
2016, PLoS One 11:e0155183.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError, check_positive, param_error

__all__ = [
    "Box",
    "DockSettings",
    "Docker",
    "Receptor",
    "box_from_ligand",
    "check_box",
    "dock_naive",
    "docker_for",
    "pose_contacts",
    "poses_to_mol",
    "prepare_ligand",
    "prepare_receptor",
]

DEFAULT_PADDING_A = 4.0
PH = 7.4  # physiological pH for protonation states
CONTACT_CUTOFF_A = 4.0  # heavy-atom contact distance (the usual 4 Å van der Waals contact)


@dataclass(frozen=True)
class Box:
    """Search box: centre and edge lengths, Å."""

    center: tuple[float, float, float]
    size: tuple[float, float, float]

    def contains(self, xyz: np.ndarray, margin: float = 0.0) -> np.ndarray:
        c, h = np.asarray(self.center), np.asarray(self.size) / 2 + margin
        return np.all(np.abs(np.asarray(xyz) - c) <= h, axis=-1)


@dataclass(frozen=True)
class DockSettings:
    """Vina search settings. ``exhaustiveness``: independent Monte Carlo runs (Vina default 8)."""

    exhaustiveness: int = 8
    n_poses: int = 3
    seed: int = 20240501
    max_evals: int = 0  # 0: Vina's own heuristic number of steps
    cpu: int = 1  # threads per docking (1 for screens: one ligand per core)
    ph: float = PH

    def __post_init__(self) -> None:
        for name in ("exhaustiveness", "n_poses"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise param_error("DockSettings", name, "an integer >= 1", v)
        if not isinstance(self.max_evals, int) or self.max_evals < 0:
            raise param_error("DockSettings", "max_evals", "an integer >= 0", self.max_evals)


@dataclass(frozen=True)
class Receptor:
    """A prepared receptor: rigid PDBQT text, the fixed PDB text and what the repair did."""

    pdbqt: str
    pdb: str
    source: str
    added_atoms: int

    @property
    def key(self) -> str:
        return hashlib.sha1(self.pdbqt.encode()).hexdigest()[:16]

    def heavy_atoms(self) -> tuple[np.ndarray, list[tuple[str, str, int]]]:
        """Heavy-atom coordinates and (chain, residue name, number) from the PDBQT text."""
        xyz, res = [], []
        for line in self.pdbqt.splitlines():
            if line.startswith(("ATOM", "HETATM")) and line[77:79].strip() not in ("H", "HD"):
                xyz.append((float(line[30:38]), float(line[38:46]), float(line[46:54])))
                res.append((line[21], line[17:20].strip(), int(line[22:26])))
        return np.array(xyz).reshape(-1, 3), res


def prepare_receptor(path: str | Path, *, ph: float = PH) -> Receptor:
    """Repair and protonate a receptor PDB (PDBFixer), then type it for Vina (Meeko)."""
    from openmm.app import PDBFile
    from pdbfixer import PDBFixer

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        fixer = PDBFixer(filename=str(path))
    except Exception as exc:
        raise FileFormatError(f"{path}: PDBFixer cannot read this structure ({exc}).") from None
    if fixer.topology.getNumAtoms() == 0:
        raise FileFormatError(f"{path}: the file holds no atoms. Give a receptor PDB.")
    fixer.removeHeterogens(keepWater=False)
    fixer.findMissingResidues()
    fixer.missingResidues = {}  # do not build missing loops: only side chains and hydrogens
    fixer.findNonstandardResidues()
    fixer.replaceNonstandardResidues()
    fixer.findMissingAtoms()
    added = sum(len(v) for v in fixer.missingAtoms.values())
    fixer.missingTerminals = {}  # an OXT on a truncated C-terminus confuses Meeko's templates
    fixer.addMissingAtoms()
    fixer.addMissingHydrogens(ph)
    if fixer.topology.getNumAtoms() == 0:
        raise FileFormatError(f"{path}: no protein atoms are left after removing heterogens.")
    buf = io.StringIO()
    PDBFile.writeFile(fixer.topology, fixer.positions, buf, keepIds=True)
    pdb = buf.getvalue()
    from meeko import MoleculePreparation, PDBQTWriterLegacy, Polymer, ResidueChemTemplates

    try:
        poly = Polymer.from_pdb_string(
            pdb,
            ResidueChemTemplates.create_from_defaults(),
            MoleculePreparation(),
            allow_bad_res=True,
        )
        rigid, _flex = PDBQTWriterLegacy.write_from_polymer(poly)
    except Exception as exc:
        raise FileFormatError(f"{path}: Meeko cannot type the repaired receptor ({exc}).") from None
    return Receptor(rigid, pdb, str(path), added)


def box_from_ligand(ligand, *, padding_A: float = DEFAULT_PADDING_A) -> Box:
    """The box around a reference ligand's heavy atoms plus ``padding_A`` on every side."""
    check_positive("box_from_ligand", "padding_A", padding_A)
    xyz = np.array(
        [
            ligand.GetConformer().GetAtomPosition(a.GetIdx())
            for a in ligand.GetAtoms()
            if a.GetAtomicNum() > 1
        ]
    )
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    centre = (lo + hi) / 2
    size = hi - lo + 2 * padding_A
    return Box(tuple(float(x) for x in centre), tuple(float(x) for x in size))


def check_box(receptor: Receptor, box: Box, *, min_atoms: int = 50) -> int:
    """Receptor heavy atoms inside the box; too few means the box misses the protein."""
    xyz, _ = receptor.heavy_atoms()
    n = int(box.contains(xyz).sum()) if len(xyz) else 0
    if n < min_atoms:
        raise ParameterError(
            f"Only {n} receptor heavy atoms of {receptor.source} lie in the docking box centred at "
            f"({', '.join(f'{c:.2f}' for c in box.center)}) Å (at least {min_atoms} expected). "
            "The reference ligand is not in this receptor's pocket: use the ligand from the same "
            "structure (same coordinate frame)."
        )
    return n


def prepare_ligand(mol, *, seed: int = 20240501, ph: float = PH, embed: bool = True):
    """Protonate (molscrub, pH ``ph``), make 3-D and type for Vina (Meeko). Returns
    ``(pdbqt_text, rdkit_mol_with_H)``; raises ``ValueError`` with the reason on failure.

    ``embed=False`` keeps the molecule's own 3-D coordinates and hydrogens (redocking a
    crystal ligand); a 2-D input then raises.
    """
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    if embed:
        from molscrub import Scrub

        scrub = Scrub(ph_low=ph, ph_high=ph, skip_tautomers=True, etkdg_rng_seed=seed)
        states = list(scrub(mol))
        if not states:
            raise ValueError("molscrub produced no protonation state with 3-D coordinates")
        molh = states[0]
    else:
        molh = mol
        if molh.GetNumConformers() == 0 or not molh.GetConformer().Is3D():
            raise ValueError("the molecule has no 3-D coordinates (a 2-D record); 3-D is needed")
    setups = MoleculePreparation().prepare(molh)
    pdbqt, ok, err = PDBQTWriterLegacy.write_string(setups[0])
    if not ok:
        raise ValueError(f"Meeko cannot write the ligand: {err.strip()}")
    return pdbqt, molh


def _pdbqt_to_mol(pdbqt_poses: str):
    from meeko import PDBQTMolecule, RDKitMolCreate

    pm = PDBQTMolecule(pdbqt_poses, skip_typing=True)
    mols = RDKitMolCreate.from_pdbqt_mol(pm)
    return mols[0] if mols else None


class Docker:
    """Vina (and Vinardo, for rescoring) with maps computed once for a receptor and box."""

    def __init__(self, receptor: Receptor, box: Box, settings: DockSettings, *, vinardo=True):
        import tempfile

        from vina import Vina

        self.receptor, self.box, self.settings = receptor, box, settings
        with tempfile.NamedTemporaryFile("w", suffix=".pdbqt", delete=False) as fh:
            fh.write(receptor.pdbqt)  # vina reads receptors from files only
            self._rec_path = fh.name
        self.vina = Vina(sf_name="vina", cpu=settings.cpu, seed=settings.seed, verbosity=0)
        self.vina.set_receptor(self._rec_path)
        self.vina.compute_vina_maps(center=list(box.center), box_size=list(box.size))
        self.vinardo = None
        if vinardo:
            self.vinardo = Vina(sf_name="vinardo", cpu=1, seed=settings.seed, verbosity=0)
            self.vinardo.set_receptor(self._rec_path)
            self.vinardo.compute_vina_maps(center=list(box.center), box_size=list(box.size))
        Path(self._rec_path).unlink(missing_ok=True)

    def dock(self, pdbqt: str, exhaustiveness: int | None = None) -> dict:
        """Dock one prepared ligand. Returns scores (kcal/mol) and the poses as an RDKit mol."""
        ex = exhaustiveness or self.settings.exhaustiveness
        v = self.vina
        v.set_ligand_from_string(pdbqt)
        v.dock(exhaustiveness=ex, n_poses=self.settings.n_poses, max_evals=self.settings.max_evals)
        energies = v.energies(n_poses=self.settings.n_poses)
        poses = v.poses(n_poses=self.settings.n_poses)
        out = {"score_kcal_mol": float(energies[0, 0]), "poses_pdbqt": poses}
        if self.vinardo is not None:  # rescore the top Vina pose with Vinardo, in place
            top = poses.split("ENDMDL")[0].replace("MODEL 1", "").strip() + "\n"
            out["vinardo_kcal_mol"] = self._vinardo(top)
        return out

    def _vinardo(self, pose_pdbqt: str) -> float:
        """Vinardo's score of one pose as it stands (no optimisation)."""
        self.vinardo.set_ligand_from_string(_strip_model(pose_pdbqt))
        return float(self.vinardo.score()[0])

    def place(self, pdbqt: str) -> dict:
        """Optimise a ligand locally from the pose it carries (no search): Vina BFGS over
        position, orientation and torsions inside the maps. Returns the score, the optimised
        pose (PDBQT) and its Vinardo rescoring. Raises ``ValueError`` when the pose leaves the
        box (Vina refuses to score it)."""
        import os
        import tempfile

        v = self.vina
        try:
            v.set_ligand_from_string(pdbqt)
            energy = float(v.optimize()[0])
        except RuntimeError as exc:
            raise ValueError(" ".join(str(exc).split())) from None
        fd, path = tempfile.mkstemp(suffix=".pdbqt")  # Vina writes poses to files only
        os.close(fd)
        try:
            v.write_pose(path, overwrite=True)
            pose = Path(path).read_text()
        finally:
            Path(path).unlink(missing_ok=True)
        out = {"score_kcal_mol": energy, "poses_pdbqt": pose}
        if self.vinardo is not None:
            try:  # the optimised pose can drift past the grid's edge
                out["vinardo_kcal_mol"] = self._vinardo(pose)
            except RuntimeError as exc:
                raise ValueError(" ".join(str(exc).split())) from None
        return out


def _strip_model(text: str) -> str:
    return (
        "\n".join(ln for ln in text.splitlines() if not ln.startswith(("MODEL", "ENDMDL"))) + "\n"
    )


_DOCKERS: dict = {}


def docker_for(receptor: Receptor, box: Box, settings: DockSettings, vinardo=True) -> Docker:
    """This process's Docker for (receptor, box, settings): maps are computed on first use only."""
    key = (receptor.key, box, settings, vinardo)
    if key not in _DOCKERS:
        _DOCKERS.clear()  # one receptor at a time per worker keeps memory bounded
        _DOCKERS[key] = Docker(receptor, box, settings, vinardo=vinardo)
    return _DOCKERS[key]


def dock_naive(receptor: Receptor, box: Box, settings: DockSettings, pdbqt: str) -> float:
    """One ligand the textbook way: new Vina object, receptor read and maps computed again."""
    return Docker(receptor, box, settings, vinardo=False).dock(pdbqt)["score_kcal_mol"]


def poses_to_mol(poses_pdbqt: str):
    """The docked poses as one RDKit molecule with a conformer per pose (hydrogens kept)."""
    return _pdbqt_to_mol(poses_pdbqt)


def pose_contacts(pose, receptor: Receptor, *, offset: int = 0, conf_id: int = -1) -> list[str]:
    """Receptor residues with a heavy atom within 4 Å of the pose (``LEU54``, MDM2 numbering
    when ``offset`` converts the file's numbers)."""
    xyz, res = receptor.heavy_atoms()
    conf = pose.GetConformer(conf_id)
    lig = np.array(
        [list(conf.GetAtomPosition(a.GetIdx())) for a in pose.GetAtoms() if a.GetAtomicNum() > 1]
    )
    if not len(lig) or not len(xyz):
        return []
    d = np.linalg.norm(xyz[:, None] - lig[None], axis=-1).min(axis=1)
    seen = sorted(
        {(r[2] + offset, r[1]) for r, dd in zip(res, d, strict=True) if dd <= CONTACT_CUTOFF_A}
    )
    return [f"{name}{num}" for num, name in seen]
