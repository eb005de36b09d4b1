"""The hot-spot pharmacophore from the nutlin-3a co-crystal pose (PDB 5ZXF)."""

from __future__ import annotations

import pytest
from rdkit import Chem

from p53lab.screen import derive_pharmacophore, mdm2_residue_offset
from p53lab.screen._pharmacophore import _receptor_atoms

NUTLIN3A = (
    "CC(C)OC1=C(C=CC(=C1)OC)C2=N[C@H]([C@H](N2C(=O)N3CCNC(=O)C3)C4=CC=C(C=C4)Cl)C5=CC=C(C=C5)Cl"
)


@pytest.fixture(scope="module")
def pharm(structures):
    return derive_pharmacophore(
        structures / "5ZXF_nutlin3a.mol2", structures / "5ZXF_receptor_renumbered.pdb"
    )


def test_points_and_distances_match_the_published_pose(pharm):
    # DOMAIN §7 / reference README: in 5ZXF the Trp23- and Leu26-pocket chlorophenyl centroids
    # are 4.05 Å apart, the Phe19-pocket isopropoxy 5.24 Å and 8.04 Å from them.
    d = pharm.to_dict()["distances_A"]
    assert d["Trp23-Leu26"] == pytest.approx(4.05, abs=0.02)
    assert d["Phe19-Trp23"] == pytest.approx(5.24, abs=0.02)
    assert d["Phe19-Leu26"] == pytest.approx(8.04, abs=0.02)
    fam = {p.label: p.family for p in pharm.points}
    assert fam["Trp23"] == "Aromatic"
    # Vassilev 2004: one halophenyl deepest in the Trp23 pocket, the ether toward Phe19
    by = {p.label: len(p.atoms) for p in pharm.points}
    assert by == {"Trp23": 6, "Leu26": 6, "Phe19": 3}  # rings vs the isopropyl group


def test_renumbered_file_offset_is_detected(structures):
    _, res = _receptor_atoms(structures / "5ZXF_receptor_renumbered.pdb")
    assert mdm2_residue_offset(res) == 21  # README: file number = real number − 21
    _, res4 = _receptor_atoms(structures / "4QO4.pdb")
    assert mdm2_residue_offset(res4) == 0


def test_prefilter_and_3d_matching(pharm):
    nut = Chem.MolFromSmiles(NUTLIN3A)
    assert pharm.prefilter(nut) == (True, "")
    assert pharm.match_conformers(nut, n_conformers=5) <= pharm.tolerance_A
    ethanol = Chem.MolFromSmiles("CCO")
    ok, why = pharm.prefilter(ethanol)
    assert not ok and "no feature" in why
    assert pharm.match_conformers(ethanol, n_conformers=2) == float("inf")


def test_crystal_pose_fits_its_own_pharmacophore(pharm, structures):
    from p53lab.screen import load_ligand

    lig = Chem.RemoveHs(load_ligand(structures / "5ZXF_nutlin3a.mol2"))
    assert pharm.pose_fit(lig) == pytest.approx(0.0, abs=1e-6)
    assert pharm.conformer_fit(lig) == pytest.approx(0.0, abs=1e-6)


def test_prefilter_keeps_every_clinical_mdm2_inhibitor(pharm, shared_reference):
    """A prefilter that drops the known drugs repeats the guide's Lipinski mistake: every
    clinical compound of the reference set must pass, spirooxindoles included (milademetan's
    chloro-fluoropyridine and alrizomadlin's spiro-cyclohexane are pocket hydrophobes)."""
    import pandas as pd

    from p53lab.screen import Record, standardise

    clinical = pd.read_csv(shared_reference / "compounds" / "mdm2_clinical_smiles.csv")
    failed = {}
    for name, smi in zip(clinical["name"], clinical["smiles"], strict=True):
        ok, why = pharm.prefilter(standardise(Record(1, name, smiles=smi)).mol)
        if not ok:
            failed[name] = why
    assert not failed
    # and it still rejects what has no hot-spot triad
    assert not pharm.prefilter(Chem.MolFromSmiles("c1ccccc1O"))[0]
