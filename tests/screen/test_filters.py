"""Library I/O, standardisation, filter profiles and the clinical MDM2 inhibitors."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from p53lab.cli import main
from p53lab.errors import FileFormatError, ParameterError
from p53lab.screen import (
    Record,
    clinical_losses,
    custom_profile,
    descriptors,
    filter_library,
    read_library,
    standardise,
)

# Broken Lipinski/Veber rules of each clinical pocket binder, from the descriptors (RDKit:
# average MW, Wildman-Crippen logP). MW of nutlin-3a C30H30Cl2N4O4 = 581.5 g/mol (PubChem CID
# 11433190), of idasanutlin C31H29Cl2F2N3O4 = 616.5 (CID 53358942).
EXPECTED_LV = {
    "AMG-232": {"mw<=500", "clogp<=5"},
    "APG-115": {"mw<=500", "clogp<=5"},
    "CGM097": {"mw<=500", "clogp<=5"},
    "idasanutlin": {"mw<=500", "clogp<=5"},
    "milademetan": {"mw<=500"},
    "RG7112": {"mw<=500", "clogp<=5"},
    "SAR405838": {"mw<=500", "clogp<=5"},
    "siremadlin": {"mw<=500"},
    "nutlin-3a": {"mw<=500", "clogp<=5"},
    "navtemadlin": {"mw<=500", "clogp<=5"},
    "brigimadlin": {"mw<=500", "clogp<=5"},
    "serdemetan": set(),  # not a pocket binder; passes (DOMAIN §7)
}


def test_lipinski_veber_rejects_clinical_binders_and_ppi_keeps_them(shared_reference):
    df = clinical_losses(shared_reference / "compounds" / "mdm2_clinical_smiles.csv")
    lv = zip(df["name"], df["lipinski-veber"], strict=True)
    got = {n: set(filter(None, r.split("; "))) for n, r in lv}
    assert got == EXPECTED_LV
    assert (df["ppi"] == "").all()  # the beyond-rule-of-5 profile keeps every one
    nut = df.set_index("name").loc["nutlin-3a"]
    assert nut["mw"] == pytest.approx(581.5, abs=0.1)
    idas = df.set_index("name").loc["idasanutlin"]
    assert idas["mw"] == pytest.approx(616.5, abs=0.1)


def test_descriptors_of_aspirin_match_published_values():
    # aspirin: MW 180.16, TPSA 63.6 Å² (PubChem CID 2244), Lipinski HBD 1, HBA (N+O) 4
    std = standardise(Record(1, "aspirin", smiles="CC(=O)Oc1ccccc1C(=O)O"))
    d = descriptors(std.mol)
    assert d["mw"] == pytest.approx(180.16, abs=0.01)
    assert d["tpsa"] == pytest.approx(63.6, abs=0.1)
    assert (d["hbd"], d["hba"]) == (1, 4)


def test_standardise_strips_salts_neutralises_and_canonicalises_tautomers():
    salt = standardise(Record(1, "a", smiles="CC(=O)[O-].[Na+]"))
    assert salt.smiles == "CC(=O)O"
    t1 = standardise(Record(1, "a", smiles="Oc1ccccn1"))  # 2-hydroxypyridine
    t2 = standardise(Record(2, "b", smiles="O=c1cccc[nH]1"))  # 2-pyridone
    assert t1.smiles == t2.smiles
    bad = standardise(Record(3, "x", smiles="C1CC", source="lib.smi"))
    assert bad.status == "invalid" and "lib.smi record 3 (x)" in bad.message


def test_read_formats_stream_and_bad_rows_keep_a_status(tmp_path):
    smi = tmp_path / "lib.smi"
    smi.write_text("SMILES id\nc1ccccc1O phenol\nnot_a_smiles broken\nOc1ccccc1 dup\nCCO\n")
    rows = filter_library(smi, "none").table
    assert list(rows["status"]) == ["pass", "invalid", "duplicate", "pass"]
    assert rows.loc[2, "message"] == "duplicate of phenol"
    assert rows.loc[3, "id"] == "lib-4"
    sdf = tmp_path / "lib.sdf.gz"
    block = "ethanol\n  RDKit          2D\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n"
    atoms = "".join(
        f"    {x:.4f}    0.0000    0.0000 {e}   0  0\n"
        for x, e in ((0, "C"), (1.5, "C"), (3.0, "O"))
    )
    good = block + atoms + "  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n"
    broken = "junk\n\nnonsense\nM  END\n$$$$\n"
    with gzip.open(sdf, "wt") as fh:
        fh.write(good + broken)
    recs = list(read_library(sdf))
    assert [r.id for r in recs] == ["ethanol", "junk"]  # the title line is the id
    out = [standardise(r) for r in recs]
    assert out[0].smiles == "CCO" and out[1].status == "invalid"
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(FileFormatError, match="unknown library format"):
        read_library(tmp_path / "x.txt")


def test_custom_and_pains_profiles(tmp_path):
    prof = custom_profile({"mw": (None, 100)})
    lib = tmp_path / "l.csv"
    # catechol-type PAINS: an ene_five_het / catechol alert (Baell & Holloway 2010)
    lib.write_text("id,smiles\nsmall,CCO\nbig,CCCCCCCCCCCC\ncat,O=C1C(=Cc2ccc(O)c(O)c2)SC(=S)N1\n")
    rep = filter_library(lib, prof)
    assert rep.n_pass == 1 and rep.n_fail_by_rule == {"mw<=100": 2}
    pains = filter_library(lib, "pains")
    assert pains.n_fail_by_rule == {"pains": 1}
    assert pains.table.set_index("id").loc["cat", "message"].startswith("pains:")
    with pytest.raises(ParameterError):
        custom_profile({"weight": (0, 1)})


def test_cli_filter_contract(tmp_path, capsys, decoys):
    out = tmp_path / "f.parquet"
    assert (
        main(
            [
                "screen",
                "filter",
                str(decoys),
                "--profile",
                "lipinski-veber",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["n_in"] == 300
    assert res["n_pass"] + sum(res["n_fail_by_rule"].values()) >= 300 - res["n_duplicate"]
    df = pd.read_parquet(out)
    assert list(df.columns[:4]) == ["id", "smiles", "status", "message"]
    assert {"mw", "clogp", "hbd", "hba", "rotb", "tpsa"} <= set(df.columns)
    assert (df["status"] == "pass").sum() == res["n_pass"]


def test_cli_missing_file_exits_2(tmp_path, capsys):
    assert main(["screen", "filter", str(tmp_path / "nope.smi"), "--json"]) == 2
    assert "nope.smi" in capsys.readouterr().err
