"""The overlay stage: shape-and-colour overlay on the co-crystal ligand, Vina in place, funnel."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import rdMolAlign

from p53lab.cli import main
from p53lab.screen import (
    box_from_ligand,
    consensus_rank,
    hit_rank,
    load_ligand,
    prepare_receptor,
)
from p53lab.screen._dock import Docker, DockSettings, poses_to_mol, prepare_ligand
from p53lab.screen._overlay import protonate, shape_overlay

NUTLIN3A = (
    "CC(C)OC1=C(C=CC(=C1)OC)C2=N[C@H]([C@H](N2C(=O)N3CCNC(=O)C3)C4=CC=C(C=C4)Cl)C5=CC=C(C=C5)Cl"
)


@pytest.fixture(scope="module")
def reference(structures):
    return load_ligand(structures / "5ZXF_nutlin3a.mol2")


def _centroid(mol) -> np.ndarray:
    heavy = Chem.RemoveHs(mol)
    return heavy.GetConformer().GetPositions().mean(axis=0)


def test_nutlin3a_overlays_its_own_crystal_pose_in_the_pocket_frame(reference):
    ref = Chem.RemoveHs(reference)
    ov = shape_overlay(protonate(Chem.MolFromSmiles(NUTLIN3A)), ref, seed=1)
    assert 1 <= ov.n_conformers <= 20
    assert ov.combo == pytest.approx(ov.shape + ov.colour)
    assert 0 < ov.shape <= 1 and 0 <= ov.colour <= 1
    # the overlay is in the reference (= receptor) frame: the centroids nearly coincide
    assert np.linalg.norm(_centroid(ov.poses[0]) - _centroid(ref)) < 1.5
    # the best overlay keeps every hydrogen of the protonated molecule (Vina needs polar H)
    assert ov.poses[0].GetNumAtoms() == protonate(Chem.MolFromSmiles(NUTLIN3A)).GetNumAtoms()
    # ranks: nutlin-3a on itself scores above an unrelated small drug (aspirin) and a
    # same-size but featureless alkane chain
    for other in ("CC(=O)Oc1ccccc1C(=O)O", "C" * 30):
        assert ov.combo > shape_overlay(protonate(Chem.MolFromSmiles(other)), ref).combo


def test_vina_in_place_keeps_the_crystal_pose_and_lowers_its_energy(structures, reference):
    rec = prepare_receptor(structures / "5ZXF_receptor_renumbered.pdb")
    docker = Docker(rec, box_from_ligand(reference), DockSettings(exhaustiveness=1, n_poses=1))
    pdbqt, _ = prepare_ligand(reference, embed=False)
    docker.vina.set_ligand_from_string(pdbqt)
    before = float(docker.vina.score()[0])
    out = docker.place(pdbqt)
    # a local optimisation cannot raise the energy, and from the crystal pose it stays close
    assert out["score_kcal_mol"] <= before + 1e-6
    assert out["score_kcal_mol"] < -6
    assert np.isfinite(out["vinardo_kcal_mol"])
    pose = Chem.RemoveHs(poses_to_mol(out["poses_pdbqt"]))
    assert rdMolAlign.CalcRMS(pose, Chem.RemoveHs(reference)) < 1.0
    # a pose outside the box is refused with Vina's reason, not a crash
    moved = Chem.Mol(reference)
    conf = moved.GetConformer()
    for i in range(moved.GetNumAtoms()):
        p = conf.GetAtomPosition(i)
        conf.SetAtomPosition(i, (p.x + 60.0, p.y, p.z))
    far, _ = prepare_ligand(moved, embed=False)
    with pytest.raises(ValueError, match="outside the grid box"):
        docker.place(far)


def test_consensus_ranks_docked_then_placed_then_pruned_then_filtered():
    df = pd.DataFrame(
        {
            "status": ["placed", "docked", "placed", "pruned", "filtered", "failed", "docked"],
            "score_kcal_mol": [-9.0, -5.0, -4.0, np.nan, np.nan, np.nan, -7.0],
            "vinardo_kcal_mol": [-6.0, -3.0, -2.0, np.nan, np.nan, np.nan, -4.0],
            "pharmacophore_fit_A": [1.0, 2.0, 3.0, np.nan, np.nan, np.nan, 1.0],
            "overlay_combo": [0.9, 0.5, 0.6, np.nan, np.nan, np.nan, 0.7],
        }
    )
    r = consensus_rank(df)
    # docked: row 6 beats row 1 on all three terms (Vina, Vinardo, higher overlay) → 1, 2
    assert r[6] == 1.0 and r[1] == 2.0
    # placed: row 0 beats row 2 on all three; placed after every docked molecule
    n = len(df) + 1
    assert r[0] == n + 1.0 and r[2] == n + 2.0
    assert r[3] == 2 * n and r[4] == 3 * n and r[5] == 4 * n
    # without overlay scores the pose's point fit (lower better) is the pharmacophore term
    no_ov = df.assign(overlay_combo=np.nan, pharmacophore_fit_A=[1, 5, 3, 0, 0, 0, 9])
    r2 = consensus_rank(no_ov)
    assert r2[1] == pytest.approx((2 + 2 + 1) / 3) and r2[6] == pytest.approx((1 + 1 + 2) / 3)


def test_hit_list_orders_posed_molecules_by_overlay_score_alone():
    df = pd.DataFrame(
        {
            "status": ["placed", "docked", "placed", "pruned", "filtered", "invalid"],
            "score_kcal_mol": [-3.0, -9.0, -8.0, np.nan, np.nan, np.nan],
            "vinardo_kcal_mol": [-2.0, -6.0, -5.0, np.nan, np.nan, np.nan],
            "pharmacophore_fit_A": [3.0, 1.0, 1.0, np.nan, np.nan, np.nan],
            "overlay_combo": [1.2, 0.9, 0.9, np.nan, np.nan, np.nan],
        }
    )
    r = hit_rank(df)
    # the best overlay leads although its Vina scores are the worst; the tie is averaged
    assert r[0] == 1.0 and r[1] == r[2] == 2.5
    n = len(df) + 1
    assert r[3] == 2 * n and r[4] == 3 * n and r[5] == 4 * n
    # no overlay stage (docking only): the hit list is the consensus
    no_ov = df.assign(overlay_combo=np.nan, status=["docked"] * 3 + ["pruned", "filtered", "x"])
    np.testing.assert_array_equal(hit_rank(no_ov), consensus_rank(no_ov))


@pytest.mark.slow
def test_overlay_screen_with_a_docked_second_stage(dock_args, tmp_path, capsys):
    lib = tmp_path / "lib.csv"
    lib.write_text(
        "id,smiles\n"
        f"nut,{NUTLIN3A}\n"
        "bad,C1CC\n"
        "tiny,CCO\n"
        # a 4-aryl imidazoline without the piperazinone: passes the prefilter, is placed
        "half,COc1ccc(C2=N[C@@H](c3ccc(Cl)cc3)[C@@H](c3ccc(Cl)cc3)N2)cc1\n"
    )
    out = tmp_path / "screen"
    args = dock_args(
        lib,
        out,
        "--stage1",
        "overlay",
        "--stage2-fraction",
        "0.5",
        "--stage2-exhaustiveness",
        "1",
    )
    assert main(args) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["complete"] and rep["settings"]["stage1"] == "overlay"
    df = pd.read_parquet(out / "scores.parquet").set_index("id")
    assert df.loc["bad", "status"] == "invalid" and df.loc["tiny", "status"] == "pruned"
    # two placed; the better half (one, by consensus) is docked in stage 2
    assert sorted(df.loc[["nut", "half"], "status"]) == ["docked", "placed"]
    for mid in ("nut", "half"):
        assert 0 < df.loc[mid, "overlay_combo"] <= 2
        assert np.isfinite(df.loc[mid, "stage1_kcal_mol"])
    docked = df[df["status"] == "docked"]
    placed = df[df["status"] == "placed"]
    assert docked["consensus_rank"].max() < placed["consensus_rank"].min()
    # stage 2 took the better overlay, which also leads the hit list
    assert docked["overlay_combo"].min() >= placed["overlay_combo"].max()
    assert docked["hit_rank"].max() < placed["hit_rank"].min()
    assert (df.loc["tiny", "consensus_rank"] > df["consensus_rank"][df["status"] == "placed"]).all()
    poses = {p.GetProp("_Name"): p for p in Chem.SDMolSupplier(str(out / "poses.sdf"))}
    assert set(poses) == {"nut", "half"}
    with duckdb.connect(str(out / "screen.duckdb"), read_only=True) as con:
        s2 = con.execute("SELECT molecules FROM chunks WHERE chunk LIKE 's2-%'").fetchall()
    assert s2 == [(1,)]  # stage 2 runs one molecule per chunk
    # resume computes nothing and gives the same table
    assert main([*args, "--resume"]) == 0
    assert json.loads(capsys.readouterr().out)["chunks_run"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "scores.parquet").set_index("id"), df)


def test_stage1_must_be_dock_or_overlay(structures, tmp_path, capsys):
    lib = tmp_path / "lib.csv"
    lib.write_text(f"id,smiles\nnut,{NUTLIN3A}\n")
    from p53lab.errors import ParameterError
    from p53lab.screen import run_screen

    with pytest.raises(ParameterError, match="stage1"):
        run_screen(
            lib,
            structures / "5ZXF_receptor_renumbered.pdb",
            structures / "5ZXF_nutlin3a.mol2",
            tmp_path / "o",
            stage1="xp",
        )
