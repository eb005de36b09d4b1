"""The three-point p53 hot-spot pharmacophore of MDM2: derivation, 2-D prefilter, 3-D match.

p53 binds MDM2 through three hydrophobic side chains on one helix, Phe19, Trp23 and Leu26, each
in its own sub-pocket of the cleft (Kussie et al. 1996, Science 274:948). Small-molecule
inhibitors mimic them: in nutlin-3a one halophenyl sits deep in the Trp23 pocket, the other in
the Leu26 pocket and the isopropoxy (ethyl ether in the bromo analogue) points into the Phe19
pocket (Vassilev et al. 2004, Science 303:844).

:func:`derive_pharmacophore` takes a co-crystal ligand pose and its receptor and keeps the three
most buried hydrophobic features of the ligand (RDKit ``BaseFeatures.fdef`` families
``Aromatic`` and ``LumpedHydrophobe``, plus ``PocketHydrophobe`` defined here; buriedness =
receptor heavy atoms within 5 Å), then names each point after the sub-pocket whose lining
residues are nearest (residue numbers are matched to MDM2's sequence numbering; a renumbered
file is detected by its offset). The Trp23 point must be aromatic; the Leu26 and Phe19 points
hydrophobic or aromatic (the screening guide's three features).

Matching a molecule:

1. :meth:`Pharmacophore.prefilter` (2-D, no coordinates) — RDKit's ``Pharm3D.EmbedLib``: the
   molecule has features of the three families and some assignment is compatible with the
   distance-geometry bounds matrix of its graph (the reference distances ± tolerance).
2. :meth:`Pharmacophore.match_conformers` (3-D) — ETKDGv3 conformers; for each, every
   assignment of distinct features to the three points; the fit is the largest deviation of
   the three inter-point distances from the reference (Å). A match is a fit ≤ tolerance.
3. :meth:`Pharmacophore.pose_fit` — for a docked pose (receptor frame): the RMS distance of
   the nearest suitable feature to each point, Å (used in consensus scoring).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError, check_positive

__all__ = [
    "MDM2_SUBPOCKETS",
    "Pharmacophore",
    "PharmacophorePoint",
    "derive_pharmacophore",
    "load_ligand",
    "mdm2_residue_offset",
]

#: MDM2 residues lining each p53 sub-pocket (MDM2 sequence numbering; Kussie et al. 1996,
#: Science 274:948, Fig. 3; the Trp23 pocket is the deepest).
MDM2_SUBPOCKETS = {
    "Trp23": (("LEU", 57), ("GLY", 58), ("ILE", 61), ("PHE", 86), ("PHE", 91), ("ILE", 99)),
    "Leu26": (("LEU", 54), ("VAL", 93), ("HIS", 96), ("ILE", 99), ("TYR", 100)),
    "Phe19": (("ILE", 61), ("MET", 62), ("TYR", 67), ("GLN", 72), ("VAL", 75)),
}
#: Cleft residues (DOMAIN §1; Kussie 1996) used to detect a renumbered structure.
MDM2_CLEFT = (
    ("LEU", 54),
    ("LEU", 57),
    ("ILE", 61),
    ("MET", 62),
    ("TYR", 67),
    ("GLN", 72),
    ("VAL", 75),
    ("PHE", 86),
    ("PHE", 91),
    ("VAL", 93),
    ("HIS", 96),
    ("ILE", 99),
    ("TYR", 100),
)
#: Families a point accepts. Trp23: aromatic; Leu26, Phe19: hydrophobic or aromatic (the
#: "PocketHydrophobe" family defined below).
POINT_FAMILIES = {"Trp23": "Aromatic", "Leu26": "PocketHydrophobe", "Phe19": "PocketHydrophobe"}
BURIED_RADIUS_A = 5.0  # estimated: first two shells of receptor atoms around a feature centroid
# Calibrated on the clinical MDM2 inhibitors of the reference set (not on any benchmark): the
# smallest 0.1 Å step at which every one of them passes the 2-D prefilter of the nutlin-3a
# (5ZXF) pharmacophore is 1.4 Å, set by milademetan, whose dispiro core holds its three groups
# in a wider triangle than nutlin's; nutlin-type, piperidinone and other spirooxindole drugs
# pass at 1.0 Å. Rounded up to 1.5 Å.
DEFAULT_TOLERANCE_A = 1.5

# The Leu26 and Phe19 points accept any hydrophobic group that fills those pockets in MDM2
# co-crystals: an aromatic ring (halophenyl, but also the 2-chloro-3-fluoropyridine of
# milademetan), a saturated carbocycle, isopropyl or tert-butyl. RDKit's BaseFeatures has no
# single family for that: its lumped ring hydrophobes (RH6_6, RH5_5) need every ring atom
# non-polar, so neither a pyridine nor a cyclohexane spiro-fused at a carbon bonded to nitrogen
# counts, yet in the spirooxindoles (milademetan, alrizomadlin/APG-115, SAR405838) the oxindole
# mimics Trp23, the halophenyl or halopyridine Leu26 and the spiro ring or alkyl group Phe19
# (the spirooxindole design, Ding et al. 2005 J Am Chem Soc 127:10130). With the two
# BaseFeatures families alone the prefilter rejected milademetan and APG-115, two of the
# clinical drugs. "PocketHydrophobe" is that union (aromatic rings, non-aromatic hydrophobic
# rings, carbocycles attached through a polar-bonded ring carbon, isopropyl, tert-butyl).
POCKET_HYDROPHOBE = "PocketHydrophobe"


def _ring(first: str, atom: str, n: int) -> str:
    return f"{first}1{atom * (n - 2)}{atom}1"


def _feature(name: str, smarts: str, weights: tuple[float, ...]) -> str:
    return (
        f"DefineFeature {name} {smarts}\n  Family {POCKET_HYDROPHOBE}\n"
        f"  Weights {','.join(map(str, weights))}\nEndFeature\n"
    )


_HPHOBE_RING_ATOM = "[{Ring%d};{RingHphobe};!a]"  # BaseFeatures' macros; non-aromatic
_POLAR_ATTACHED_C = "[#6;R;!a;$([#6]~[#7,#8,#9])]"
EXTRA_FEATURES = "".join(
    [
        _feature("PH_arom6", _ring("a", "a", 6), (1.0,) * 6),
        _feature("PH_arom5", _ring("a", "a", 5), (1.0,) * 5),
        *(
            _feature(
                f"PH_ring{n}", _ring(_HPHOBE_RING_ATOM % n, _HPHOBE_RING_ATOM % n, n), (1.0,) * n
            )
            for n in (6, 5)
        ),
        *(
            _feature(
                f"PH_attached{n}", _ring(_POLAR_ATTACHED_C, _HPHOBE_RING_ATOM % n, n), (1.0,) * n
            )
            for n in (6, 5)
        ),
        _feature("PH_tButyl", "[C;!R](-[CH3])(-[CH3])-[CH3]", (1.0, 0.0, 0.0, 0.0)),
        _feature("PH_iPropyl", "[CH;!R](-[CH3])-[CH3]", (1.0, 1.0, 1.0)),
    ]
)

_FACTORY = None


def _factory():
    global _FACTORY
    if _FACTORY is None:
        from rdkit import RDConfig
        from rdkit.Chem import ChemicalFeatures

        base = Path(RDConfig.RDDataDir, "BaseFeatures.fdef").read_text()
        _FACTORY = ChemicalFeatures.BuildFeatureFactoryFromString(base + EXTRA_FEATURES)
    return _FACTORY


def load_ligand(path: str | Path, *, need_3d: bool = True):
    """Read a ligand pose (MOL2, SDF/MOL, PDB) with hydrogens kept; check for 3-D coordinates."""
    from rdkit import Chem

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    suffix = path.suffix.lower()
    if suffix == ".mol2":
        mol = Chem.MolFromMol2File(str(path), removeHs=False)
    elif suffix in (".sdf", ".sd", ".mol"):
        mol = next(iter(Chem.SDMolSupplier(str(path), removeHs=False)), None)
    elif suffix == ".pdb":
        mol = Chem.MolFromPDBFile(str(path), removeHs=False)
    else:
        raise FileFormatError(f"{path}: a ligand pose must be .mol2, .sdf/.mol or .pdb.")
    if mol is None or mol.GetNumAtoms() == 0 or mol.GetNumConformers() == 0:
        raise FileFormatError(f"{path}: RDKit cannot read a molecule with coordinates from it.")
    if need_3d:
        xyz = mol.GetConformer().GetPositions()
        if np.ptp(xyz[:, 2]) < 1e-3 or not mol.GetConformer().Is3D():
            raise FileFormatError(
                f"{path}: the ligand has 2-D coordinates (all z = {xyz[0, 2]:g}); a pose in the "
                "pocket is needed. Give the co-crystal ligand with 3-D coordinates."
            )
    return mol


def _receptor_atoms(receptor) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Heavy-atom coordinates and (residue name, number) of a receptor PDB path or RDKit mol."""
    from rdkit import Chem

    if not hasattr(receptor, "GetAtoms"):
        path = Path(receptor)
        if not path.exists():
            raise FileNotFoundError(2, "No such file", str(path))
        receptor = Chem.MolFromPDBFile(str(path), removeHs=False, sanitize=False)
        if receptor is None or receptor.GetNumAtoms() == 0:
            raise FileFormatError(f"{path}: no atoms could be read from this PDB file.")
    xyz = receptor.GetConformer().GetPositions()
    keep, res = [], []
    for a in receptor.GetAtoms():
        if a.GetAtomicNum() > 1:
            keep.append(a.GetIdx())
            info = a.GetPDBResidueInfo()
            res.append(
                (info.GetResidueName().strip(), info.GetResidueNumber()) if info else ("", 0)
            )
    return xyz[keep], res


def mdm2_residue_offset(residues: list[tuple[str, int]]) -> int:
    """The number to ADD to file residue numbers to get MDM2 numbering (0 for a standard file).

    Tries offsets −60…60 and keeps the one under which most MDM2 cleft residues have the right
    amino acid; 5ZXF_receptor_renumbered.pdb (file = real − 21) gives 21.
    """
    present = set(residues)
    best, score = 0, -1
    for off in sorted(range(-60, 61), key=abs):
        s = sum((name, num - off) in present for name, num in MDM2_CLEFT)
        if s > score:
            best, score = off, s
    return best


@dataclass(frozen=True)
class PharmacophorePoint:
    """A hot-spot point: sub-pocket label, RDKit feature family, position (Å), ligand atoms."""

    label: str
    family: str
    position: tuple[float, float, float]
    atoms: tuple[int, ...] = ()
    buried_atoms: int = 0


@dataclass(frozen=True)
class Pharmacophore:
    """Three points with a distance tolerance (Å). Frozen; match functions are pure."""

    points: tuple[PharmacophorePoint, ...]
    tolerance_A: float = DEFAULT_TOLERANCE_A
    source: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_positive("Pharmacophore", "tolerance_A", self.tolerance_A)
        if len(self.points) < 2:
            raise ParameterError("A pharmacophore needs at least two points.")

    @property
    def distances(self) -> np.ndarray:
        p = np.array([pt.position for pt in self.points])
        return np.linalg.norm(p[:, None] - p[None], axis=-1)

    def with_tolerance(self, tolerance_A: float) -> Pharmacophore:
        return Pharmacophore(self.points, tolerance_A, self.source)

    def to_dict(self) -> dict:
        return {
            "points": [
                {"label": p.label, "family": p.family, "position": list(p.position)}
                for p in self.points
            ],
            "distances_A": {
                f"{a.label}-{b.label}": round(float(self.distances[i, j]), 3)
                for (i, a), (j, b) in itertools.combinations(enumerate(self.points), 2)
            },
            "tolerance_A": self.tolerance_A,
            "source": self.source,
        }

    # ------------------------------------------------------------------ 2-D prefilter
    def _rdkit_pcophore(self):
        if "pc" not in self._cache:
            from rdkit import Geometry
            from rdkit.Chem import ChemicalFeatures
            from rdkit.Chem.Pharm3D import Pharmacophore as P3

            feats = [
                ChemicalFeatures.FreeChemicalFeature(p.family, Geometry.Point3D(*p.position))
                for p in self.points
            ]
            pc = P3.Pharmacophore(feats)
            d = self.distances
            for i, j in itertools.combinations(range(len(self.points)), 2):
                pc.setLowerBound(i, j, max(0.0, d[i, j] - self.tolerance_A))
                pc.setUpperBound(i, j, d[i, j] + self.tolerance_A)
            self._cache["pc"] = pc
        return self._cache["pc"]

    def prefilter(self, mol) -> tuple[bool, str]:
        """2-D check: the features exist and fit the graph's distance bounds. ``(ok, reason)``."""
        from rdkit.Chem import rdDistGeom
        from rdkit.Chem.Pharm3D import EmbedLib

        pc = self._rdkit_pcophore()
        matched, all_matches = EmbedLib.MatchPharmacophoreToMol(mol, _factory(), pc)
        if not matched:
            fams = {f.GetFamily() for f in _factory().GetFeaturesForMol(mol)}
            missing = [p.label for p in self.points if p.family not in fams] or ["all points"]
            return False, "no feature for " + ", ".join(missing)
        bm = rdDistGeom.GetMoleculeBoundsMatrix(mol)
        failed, _, _, _ = EmbedLib.MatchPharmacophore(all_matches, bm, pc, useDownsampling=True)
        if failed:
            return False, "features cannot reach the hot-spot distances"
        return True, ""

    # ------------------------------------------------------------------ 3-D matching
    def _feature_sets(self, mol, conf_id: int = -1):
        feats = _factory().GetFeaturesForMol(mol, confId=conf_id)
        out = []
        for p in self.points:
            out.append(
                [
                    (frozenset(f.GetAtomIds()), np.array(f.GetPos(conf_id)))
                    for f in feats
                    if f.GetFamily() == p.family
                ]
            )
        return out

    def conformer_fit(self, mol, conf_id: int = -1) -> float:
        """Best (smallest) max deviation of inter-point distances over feature assignments, Å."""
        sets = self._feature_sets(mol, conf_id)
        ref = self.distances
        n = len(self.points)
        best = np.inf
        for combo in itertools.product(*sets):
            atoms = [c[0] for c in combo]
            if any(atoms[i] & atoms[j] for i, j in itertools.combinations(range(n), 2)):
                continue
            pos = np.array([c[1] for c in combo])
            d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
            best = min(best, float(np.max(np.abs(d - ref))))
        return best

    def match_conformers(self, mol, *, n_conformers: int = 10, seed: int = 0xF00D) -> float:
        """Embed ``n_conformers`` ETKDGv3 conformers and return the best fit (Å); inf if none."""
        from rdkit import Chem
        from rdkit.Chem import AllChem

        mh = Chem.AddHs(mol)
        params = AllChem.ETKDGv3()
        params.randomSeed = seed
        ids = list(AllChem.EmbedMultipleConfs(mh, numConfs=n_conformers, params=params))
        if not ids:
            return float("inf")
        return min(self.conformer_fit(mh, cid) for cid in ids)

    def pose_fit(self, pose) -> float:
        """RMS distance (Å) from each point to the nearest suitable feature of a docked pose."""
        sets = self._feature_sets(pose)
        d2 = []
        for p, cands in zip(self.points, sets, strict=True):
            if not cands:
                return float("inf")
            d2.append(min(float(np.sum((c[1] - np.array(p.position)) ** 2)) for c in cands))
        return float(np.sqrt(np.mean(d2)))


def derive_pharmacophore(
    ligand, receptor, *, tolerance_A: float = DEFAULT_TOLERANCE_A, n_points: int = 3
) -> Pharmacophore:
    """The hot-spot pharmacophore from a co-crystal ligand pose (path or mol) and its receptor."""
    from rdkit import Chem

    lig = load_ligand(ligand) if not hasattr(ligand, "GetAtoms") else ligand
    lig = Chem.RemoveHs(lig)
    rxyz, rres = _receptor_atoms(receptor)
    offset = mdm2_residue_offset(rres)
    feats = [
        f
        for f in _factory().GetFeaturesForMol(lig)
        if f.GetFamily() in ("Aromatic", "LumpedHydrophobe", POCKET_HYDROPHOBE)
    ]
    groups: dict[frozenset, dict] = {}  # one candidate per atom group (a ring is both families)
    for f in feats:
        key = frozenset(f.GetAtomIds())
        g = groups.setdefault(key, {"pos": np.array(f.GetPos()), "families": set()})
        g["families"].add(f.GetFamily())
    for g in groups.values():
        g["buried"] = int(np.sum(np.linalg.norm(rxyz - g["pos"], axis=1) < BURIED_RADIUS_A))
    chosen = sorted(groups.items(), key=lambda kv: -kv[1]["buried"])[:n_points]
    if len(chosen) < n_points:
        raise ParameterError(
            f"The reference ligand has {len(chosen)} hydrophobic/aromatic groups; "
            f"{n_points} are needed for the hot-spot pharmacophore."
        )
    # label each point by the nearest sub-pocket (mean distance to its lining residues' atoms)
    centres = {}
    for label, residues in MDM2_SUBPOCKETS.items():
        want = {(n, num - offset) for n, num in residues}
        mask = np.array([r in want for r in rres])
        if mask.any():
            centres[label] = rxyz[mask].mean(axis=0)
    labels = list(MDM2_SUBPOCKETS)
    if len(centres) == len(labels) and n_points == len(labels):
        best = min(
            itertools.permutations(labels),
            key=lambda perm: sum(
                np.linalg.norm(g["pos"] - centres[lab])
                for (_, g), lab in zip(chosen, perm, strict=True)
            ),
        )
    else:
        best = tuple(f"P{i + 1}" for i in range(n_points))
    points = []
    for (atoms, g), lab in zip(chosen, best, strict=True):
        fam = POINT_FAMILIES.get(
            lab, "Aromatic" if "Aromatic" in g["families"] else "LumpedHydrophobe"
        )
        if fam not in g["families"]:
            fam = sorted(g["families"])[0]
        points.append(
            PharmacophorePoint(
                lab, fam, tuple(float(x) for x in g["pos"]), tuple(sorted(atoms)), g["buried"]
            )
        )
    order = {lab: i for i, lab in enumerate(("Phe19", "Trp23", "Leu26"))}
    points.sort(key=lambda p: order.get(p.label, 9))
    src = getattr(ligand, "name", str(ligand)) if not hasattr(ligand, "GetAtoms") else "molecule"
    return Pharmacophore(tuple(points), tolerance_A, source=f"{src} (residue offset {offset})")
