"""qPCR: Livak & Schmittgen 2001 worked example (c-myc vs GAPDH), Pfaffl, undetermined Ct."""

import math

import pandas as pd
import pytest

from p53lab.assays import qpcr
from p53lab.errors import FileFormatError, ParameterError


def test_livak_reference(shared_reference, tmp_path):
    # Livak & Schmittgen 2001, Methods 25:402: ddCt -2.50, fold 5.6, range 5.3-6.0
    t = qpcr.read_ct_table(shared_reference / "qpcr" / "livak_cmyc_gapdh.csv")
    r = qpcr.fit(t, "GAPDH", "control")
    (row,) = r.rows
    assert f"{row['delta_delta_ct']:.2f}" == "-2.50"
    assert f"{row['fold_change']:.1f}" == "5.6"
    assert f"{row['fold_lower']:.1f}" == "5.3"
    assert f"{row['fold_upper']:.1f}" == "6.0"
    assert r.method == "delta-delta-ct"
    assert qpcr.QpcrResult.load(r.save(tmp_path / "q.json")) == r


def _table():
    rows = []
    for grp, shift in (("ctrl", 0.0), ("nutlin", 2.0)):
        for s in range(3):
            name = f"{grp}{s}"
            rows.append((name, grp, "GAPDH", 20.0 + 0.1 * s))
            rows.append((name, grp, "CDKN1A", 28.0 + 0.1 * s - shift))
            rows.append((name, grp, "MDM2", 26.0 + 0.1 * s - shift / 2))
    return pd.DataFrame(rows, columns=["sample", "group", "gene", "ct"])


def test_several_targets_and_pfaffl():
    r = qpcr.fit(_table(), "GAPDH", "ctrl")
    fold = {row["gene"]: row["fold_change"] for row in r.rows}
    assert fold["CDKN1A"] == pytest.approx(4.0)
    assert fold["MDM2"] == pytest.approx(2.0)
    # Pfaffl: ratio = E_t^dCt_t / E_ref^dCt_ref; reference unchanged, so E_t ** 2
    rp = qpcr.fit(_table(), "GAPDH", "ctrl", efficiencies={"CDKN1A": 1.9})
    assert rp.method == "pfaffl"
    assert rp.rows[0]["fold_change"] == pytest.approx(1.9**2)


def test_undetermined_flagged_and_not_estimable():
    t = _table()
    t["ct"] = t["ct"].astype(object)
    t.loc[(t.gene == "MDM2") & (t.group == "nutlin"), "ct"] = ["Undetermined", "41.2", ""]
    r = qpcr.fit(t, "GAPDH", "ctrl")
    assert len(r.flagged) == 3
    mdm2 = next(row for row in r.rows if row["gene"] == "MDM2")
    assert mdm2["status"] == "not_estimable" and math.isnan(mdm2["fold_change"])
    assert r.status == "ok"  # CDKN1A still estimable


def test_bad_input():
    t = _table()
    with pytest.raises(ParameterError, match="Genes present"):
        qpcr.fit(t, "ACTB", "ctrl")
    with pytest.raises(ParameterError, match="Groups present"):
        qpcr.fit(t, "GAPDH", "vehicle")
    t["ct"] = t["ct"].astype(object)
    t.loc[4, "ct"] = "abc"
    with pytest.raises(FileFormatError, match=r"row 6.*'abc'"):
        qpcr.fit(t, "GAPDH", "ctrl")
    with pytest.raises(FileFormatError, match="Available columns"):
        qpcr.fit(t.drop(columns="gene"), "GAPDH", "ctrl")
    with pytest.raises(ParameterError, match="amplification factor"):
        qpcr.fit(_table(), "GAPDH", "ctrl", efficiencies={"MDM2": 95})
