"""Tests of the catalog: lookups, provenance of every value, published numbers, validation."""

from __future__ import annotations

import csv
import dataclasses
import math
import pickle
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from p53lab import catalog
from p53lab.catalog import CellLine, Compound, DegraderParams, Potency, Value
from p53lab.catalog._catalog import (
    load_cell_lines_file,
    load_compounds_file,
    normalize_name,
)
from p53lab.errors import CatalogError, FileFormatError

REFERENCE_SMILES = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "compounds"
    / "mdm2_clinical_smiles.csv"
)


def _values(record: object, prefix: str = "") -> list[tuple[str, Value]]:
    """Every Value inside a record (walking nested dataclasses), with its field path."""
    out: list[tuple[str, Value]] = []
    for f in dataclasses.fields(record):
        v = getattr(record, f.name)
        if isinstance(v, Value):
            out.append((prefix + f.name, v))
        elif isinstance(v, DegraderParams):
            out.extend(_values(v, prefix + f.name + "."))
    return out


def _potency(c: Compound, assay: str, cell_line: str) -> Potency:
    rows = [p for p in c.potency if p.assay == assay and p.cell_line == cell_line]
    assert len(rows) >= 1, f"{c.name}: no {assay!r} in {cell_line!r}"
    return rows[0]


# ---------------------------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("kt-253", "KT-253"),
        ("KT253", "KT-253"),
        ("seldegamadlin", "KT-253"),
        ("milademetan", "milademetan"),
        ("DS-3032", "milademetan"),
        ("ds-3032b", "milademetan"),
        ("nutlin-3a", "nutlin-3a"),
        ("Nutlin3a", "nutlin-3a"),
        ("nutlin-3b", "nutlin-3b"),
        ("AMG 232", "navtemadlin"),
        ("AMG-232", "navtemadlin"),
        ("navtemadlin", "navtemadlin"),
        ("RG7388", "idasanutlin"),
        ("hdm201", "siremadlin"),
        ("APG-115", "alrizomadlin"),
        ("BI 907828", "brigimadlin"),
        ("MI-773", "SAR405838"),
        ("JNJ-26854165", "serdemetan"),
        ("md_4251", "MD-4251"),
    ],
)
def test_compound_alias_lookup(query: str, name: str) -> None:
    assert catalog.compound(query).name == name


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("RS4;11", "RS4;11"),
        ("rs411", "RS4;11"),
        ("MV4-11", "MV-4-11"),
        ("molm13", "MOLM-13"),
        ("SJSA1", "SJSA-1"),
        ("hct-116", "HCT116"),
        ("HCT116 p53-/-", "HCT116 TP53-/-"),
        ("MCF-7", "MCF7"),
        ("mda-mb-435", "MDA-MB-435"),
        ("SW 480", "SW480"),
    ],
)
def test_cell_line_alias_lookup(query: str, name: str) -> None:
    assert catalog.cell_line(query).name == name


def test_unknown_compound_names_close_matches_and_the_list_command() -> None:
    with pytest.raises(CatalogError) as err:
        catalog.compound("milademetn")
    msg = str(err.value)
    assert "'milademetn'" in msg
    assert "'milademetan'" in msg  # the suggestion
    assert "p53lab catalog compounds" in msg
    assert isinstance(err.value, KeyError)  # callers may catch the built-in


def test_racemic_nutlin3_is_not_silently_mapped_to_an_enantiomer() -> None:
    with pytest.raises(CatalogError, match="nutlin-3a"):
        catalog.compound("nutlin-3")


def test_unknown_cell_line_error_pickles() -> None:
    with pytest.raises(CatalogError) as err:
        catalog.cell_line("HeLa-X")
    again = pickle.loads(pickle.dumps(err.value))
    assert str(again) == str(err.value)


def _scramble(draw, text: str) -> str:
    out = []
    for ch in text:
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(["-", " ", "_"])))
        out.append(ch.upper() if draw(st.booleans()) else ch.lower())
    return "".join(out)


_COMPOUND_ALIASES = [(a, c.name) for c in catalog.compounds() for a in (c.name, *c.aliases)]
_CELL_ALIASES = [(a, c.name) for c in catalog.cell_lines() for a in (c.name, *c.aliases)]


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_lookup_ignores_case_and_separators(data) -> None:
    alias, name = data.draw(st.sampled_from(_COMPOUND_ALIASES))
    assert catalog.compound(_scramble(data.draw, alias)).name == name
    alias, name = data.draw(st.sampled_from(_CELL_ALIASES))
    assert catalog.cell_line(_scramble(data.draw, alias)).name == name


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------


def _all_values() -> list[tuple[str, str, Value]]:
    out = []
    for rec in (*catalog.compounds(), *catalog.cell_lines()):
        out.extend((rec.name, path, v) for path, v in _values(rec))
    return out


def test_every_value_has_a_source() -> None:
    values = _all_values()
    assert len(values) > 100
    for name, path, v in values:
        assert isinstance(v.source, str) and v.source.strip(), f"{name}.{path} has no source"


def test_every_estimated_value_says_so() -> None:
    estimated = [(n, p, v) for n, p, v in _all_values() if v.estimated]
    assert estimated, "the catalog has estimated values (KT-253 ternary parameters at least)"
    for name, path, v in estimated:
        assert "estimat" in (v.source + v.note).lower(), f"{name}.{path} is estimated silently"


def test_numeric_values_are_finite_positive_and_carry_a_unit() -> None:
    for name, path, v in _all_values():
        if isinstance(v.value, float):
            assert math.isfinite(v.value) and v.value > 0, f"{name}.{path}"
            assert v.unit, f"{name}.{path} has no unit"


def test_every_potency_row_is_sourced_and_names_a_known_cell_line() -> None:
    for c in catalog.compounds():
        for p in c.potency:
            assert p.source.strip() and p.qualifier in ("=", "<", ">")
            assert p.value_nM > 0 and math.isfinite(p.value_nM)
            if p.cell_line not in ("cell-free", "unspecified"):
                assert catalog.cell_line(p.cell_line).name == p.cell_line  # canonical


def test_degrader_parameters_are_estimated_and_say_what_they_are_calibrated_to() -> None:
    for name in ("KT-253", "MD-4251"):
        d = catalog.compound(name).degrader
        assert d is not None and d.e3_ligase == "CRBN"
        for v in (d.k_t_nM, d.k_e_nM, d.cooperativity, d.k_ub_per_h):
            assert v.estimated and "calibrated against DC50" in v.note
            assert v.value > 0
        assert d.cooperativity.value >= 1  # positive cooperativity
        assert catalog.compound(name).mdm2_kd_nM.value == d.k_t_nM.value


# ---------------------------------------------------------------------------------------------
# Published numbers come back exactly
# ---------------------------------------------------------------------------------------------


def test_published_degrader_numbers() -> None:
    kt = catalog.compound("KT-253")
    assert kt.is_degrader and not kt.is_smi
    assert kt.degrader.dc50_nM.value == 0.4 and not kt.degrader.dc50_nM.estimated
    assert _potency(kt, "growth IC50", "RS4;11").value_nM == 0.3
    mv = _potency(kt, "growth IC50", "MV-4-11")
    assert (mv.qualifier, mv.value_nM) == ("<", 1.0)
    assert _potency(kt, "p53 stabilisation EC50", "unspecified").value_nM == 0.05
    assert kt.smiles is None
    md = catalog.compound("MD-4251")
    assert md.degrader.dc50_nM.value == 0.2 and md.degrader.dmax_pct.value == 96.0
    assert _potency(md, "MDM2 degradation DC50", "RS4;11").value_nM == 0.2


def test_published_smi_numbers() -> None:
    ds = catalog.compound("DS-3032")
    assert _potency(ds, "p53 stabilisation EC50", "unspecified").value_nM == 81.4
    assert ds.mdm2_kd_nM.value == 5.57
    amg = catalog.compound("AMG 232")
    assert amg.mdm2_kd_nM.value == 0.045 and not amg.mdm2_kd_nM.estimated
    assert _potency(amg, "growth IC50", "SJSA-1").value_nM == 9.1
    apg = catalog.compound("APG-115")
    assert apg.mdm2_kd_nM.value == 1.0 and "upper bound" in apg.mdm2_kd_nM.note
    assert _potency(apg, "MDM2 binding Ki", "cell-free").qualifier == "<"
    assert catalog.compound("idasanutlin").mdm2_kd_nM.value == 6.0
    assert catalog.compound("SAR405838").mdm2_kd_nM.value == 0.88
    assert catalog.compound("CGM097").mdm2_kd_nM.value == 1.3
    n3a = catalog.compound("nutlin-3a")
    assert n3a.mdm2_kd_nM.value == 90.0
    sjsa = sorted(p.value_nM for p in n3a.potency if p.assay == "growth IC50")
    assert sjsa == [250.0, 1000.0]  # guide vs Vassilev 2004, both quoted
    assert n3a.p_gp_substrate.value is True


def test_inactive_enantiomer_is_about_150_fold_weaker() -> None:
    ratio = (
        catalog.compound("nutlin-3b").mdm2_kd_nM.value
        / catalog.compound("nutlin-3a").mdm2_kd_nM.value
    )
    assert 140 <= ratio <= 160  # Vassilev 2004: ~150-fold


def test_classes() -> None:
    assert catalog.compound("serdemetan").drug_class == "other"
    assert catalog.compound("serdemetan").mdm2_kd_nM is None  # not a pocket binder
    smis = {c.name for c in catalog.compounds() if c.is_smi}
    assert {"nutlin-3a", "idasanutlin", "RG7112", "milademetan", "siremadlin"} <= smis
    assert {c.name for c in catalog.compounds() if c.is_degrader} == {"KT-253", "MD-4251"}


def test_published_cell_line_facts() -> None:
    sjsa = catalog.cell_line("SJSA-1")
    assert sjsa.is_tp53_wild_type and sjsa.mdm2_amplification_fold.value > 1.0
    for name in ("MDA-MB-435", "SW480", "HCT116 TP53-/-"):
        assert not catalog.cell_line(name).is_tp53_wild_type
    assert catalog.cell_line("MDA-MB-435").tp53_mutation == "G266E"
    assert "R273H" in catalog.cell_line("SW480").tp53_mutation
    assert catalog.cell_line("HCT116 TP53-/-").tp53_status.value == "null"
    for name in ("RS4;11", "MV-4-11", "MOLM-13", "SJSA-1", "HCT116", "MCF7"):
        assert catalog.cell_line(name).tp53_status.value == "wild_type"
    assert catalog.cell_line("RS4;11").bcl2_level_fold.value > 1.0  # BCL-2 dependent
    assert catalog.cell_line("MCF7").mdmx_level_fold.value > 1.0  # MDMX high


def test_strategies_by_p53_status() -> None:
    rows = {s.status: s for s in catalog.strategies()}
    assert set(rows) == {"wild-type", "missense mutant", "aggregation mutant", "MDM2 amplified"}
    assert rows["wild-type"].share == "~50 %" and "KT-253" in rows["wild-type"].agents
    assert "ReACp53" in rows["aggregation mutant"].agents


# ---------------------------------------------------------------------------------------------
# SMILES and molecular weights
# ---------------------------------------------------------------------------------------------


def test_smiles_equal_the_reference_file() -> None:
    """Reference: the project's shared list of clinical MDM2 inhibitor SMILES (source column)."""
    if not REFERENCE_SMILES.is_file():
        pytest.skip(f"reference file absent: {REFERENCE_SMILES}")
    by_compound: dict[str, list[dict[str, str]]] = {}
    with REFERENCE_SMILES.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            c = catalog.compound(row["name"])  # every reference row is in the catalog
            by_compound.setdefault(c.name, []).append(row)
    assert len(by_compound) >= 10
    for name, rows in by_compound.items():
        c = catalog.compound(name)
        matches = [r for r in rows if r["smiles"] == c.smiles]
        assert matches, f"{name}: SMILES differs from the reference file"
        assert matches[0]["source_repo"] in c.smiles_source


_WEIGHTS = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "F": 18.998, "S": 32.06, "Cl": 35.45}
_VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "F": 1, "Cl": 1}
_TOKEN = re.compile(r"\[[^\]]+\]|Cl|[CNOSF]|[cnos]|[=#\-()]|\d")


def _formula(smiles: str) -> dict[str, int]:
    """Atom counts of a SMILES (organic subset, implicit hydrogens) — enough for the catalog."""
    atoms: list[list] = []  # element, aromatic, bond-order sum, explicit H or None
    prev, stack, bond, rings = None, [], 1, {}
    for t in _TOKEN.findall(smiles):
        if t == "(":
            stack.append(prev)
        elif t == ")":
            prev = stack.pop()
        elif t in "=#-":
            bond = {"=": 2, "#": 3}.get(t, 1)
        elif t.isdigit():
            if t in rings:
                j, b = rings.pop(t)
                atoms[j][2] += max(b, bond)
                atoms[prev][2] += max(b, bond)
            else:
                rings[t] = (prev, bond)
            bond = 1
        else:
            if t.startswith("["):
                m = re.match(r"\[([A-Z][a-z]?|[a-z])@*(H\d?)?\]", t)
                el, h = m.group(1), m.group(2)
                atoms.append([el.capitalize(), el.islower(), 0, int(h[1:] or 1) if h else 0])
            else:
                atoms.append([t if t == "Cl" else t.upper(), t.islower(), 0, None])
            if prev is not None:
                atoms[-1][2] += bond
                atoms[prev][2] += bond
            prev, bond = len(atoms) - 1, 1
    counts: dict[str, int] = {}
    for el, aromatic, bonds, h in atoms:
        if h is None:
            h = max(_VALENCE[el] - bonds - (1 if aromatic else 0), 0)
        counts[el] = counts.get(el, 0) + 1
        counts["H"] = counts.get("H", 0) + h
    return counts


def _hill(counts: dict[str, int]) -> str:
    order = ["C", "H", *sorted(k for k in counts if k not in ("C", "H"))]
    return "".join(f"{e}{counts[e] if counts[e] > 1 else ''}" for e in order if e in counts)


def test_formula_helper_known_answer() -> None:
    # PubChem CID 11433190 (nutlin-3a): C30H30Cl2N4O4, 581.5 g/mol
    counts = _formula(catalog.compound("nutlin-3a").smiles)
    assert _hill(counts) == "C30H30Cl2N4O4"
    assert sum(_WEIGHTS[e] * n for e, n in counts.items()) == pytest.approx(581.5, abs=0.05)


def test_molecular_weights_match_the_smiles() -> None:
    checked = 0
    for c in catalog.compounds():
        if c.smiles is None:
            assert c.mw_g_per_mol is None or c.mw_g_per_mol.estimated
            continue
        counts = _formula(c.smiles)
        assert c.mw_g_per_mol.note.startswith(_hill(counts)), c.name
        mw = sum(_WEIGHTS[e] * n for e, n in counts.items())
        assert c.mw_g_per_mol.value == pytest.approx(mw, abs=0.01), c.name
        checked += 1
    assert checked >= 12


# ---------------------------------------------------------------------------------------------
# Tables and records
# ---------------------------------------------------------------------------------------------


def test_compounds_table() -> None:
    df = catalog.compounds_table()
    assert len(df) == len(catalog.compounds()) and df["name"].is_unique
    for col in ("mdm2_kd_nM", "mdm2_kd_nM_source", "mdm2_kd_nM_estimated", "dc50_nM_source"):
        assert col in df.columns
    row = df.set_index("name").loc["navtemadlin"]
    assert row["mdm2_kd_nM"] == 0.045 and row["mdm2_kd_nM_source"].startswith("Sun 2014")
    assert not row["mdm2_kd_nM_estimated"]
    assert df.set_index("name").loc["KT-253", "k_t_nM_estimated"]


def test_cell_lines_table() -> None:
    df = catalog.cell_lines_table().set_index("name")
    assert len(df) == len(catalog.cell_lines())
    assert df.loc["MDA-MB-435", "tp53_status"] == "missense"
    assert df.loc["SJSA-1", "mdm2_amplification_fold_estimated"]
    assert "doubling_time_h_source" in df.columns


def test_records_are_frozen() -> None:
    c = catalog.compound("KT-253")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.name = "other"
    assert isinstance(catalog.cell_line("MCF7"), CellLine)
    assert hash(c) == hash(catalog.compound("kt253"))


def test_normalize_name() -> None:
    assert normalize_name("KT-253") == normalize_name(" kt_253 ") == "kt253"
    assert normalize_name("RS4;11") == normalize_name("RS4-11") == "rs411"


# ---------------------------------------------------------------------------------------------
# Validation of broken files
# ---------------------------------------------------------------------------------------------


def _valid_compound() -> dict:
    return {
        "name": "testin",
        "aliases": ["TST-1"],
        "drug_class": "smi",
        "mechanism": "Binds MDM2.",
        "chemotype": "test",
        "mdm2_kd_nM": {"value": 1.0, "unit": "nM", "source": "Doe 2020"},
        "potency": [
            {"assay": "growth IC50", "cell_line": "SJSA-1", "value_nM": 10.0, "source": "Doe"}
        ],
        "smiles": None,
        "smiles_source": "none published",
    }


def _write(tmp_path: Path, data: dict, name: str = "compounds.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _set(key: str, value: object):
    def edit(entry: dict) -> None:
        target = entry
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value

    return edit


def test_valid_minimal_file_loads(tmp_path: Path) -> None:
    entry = _valid_compound()
    entry["potency"][0]["cell_line"] = "sjsa1"
    (c,) = load_compounds_file(_write(tmp_path, {"compounds": [entry]}), catalog.cell_lines())
    assert c.name == "testin" and c.mdm2_kd_nM == Value(1.0, "nM", "Doe 2020")
    assert c.potency[0].cell_line == "SJSA-1"  # stored under the canonical name


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_set("mdm2_kd_nM.source", ""), "mdm2_kd_nM.source"),
        (lambda e: e["mdm2_kd_nM"].pop("source"), "mdm2_kd_nM"),
        (_set("mdm2_kd_nM.value", float("nan")), "mdm2_kd_nM.value"),
        (_set("mdm2_kd_nM.value", float("inf")), "mdm2_kd_nM.value"),
        (_set("mdm2_kd_nM.value", -3.0), "mdm2_kd_nM.value"),
        (_set("mdm2_kd_nM.value", "ten"), "mdm2_kd_nM.value"),
        (_set("mdm2_kd_nM.unit", ""), "mdm2_kd_nM.unit"),
        (_set("mdm2_kd_nM.sauce", "x"), "mdm2_kd_nM"),
        (_set("mdm2_kd_nM.estimated", True), "mdm2_kd_nM.note"),
        (_set("drug_class", "inhibitor"), "drug_class"),
        (_set("degrader", {"e3_ligase": "CRBN"}), "degrader"),
        (_set("drug_class", "degrader"), "degrader"),
        (
            _set("p_gp_substrate", {"value": "yes", "unit": "", "source": "x"}),
            "p_gp_substrate.value",
        ),
        (lambda e: e["potency"][0].update(cell_line="HeLa"), "potency[0].cell_line"),
        (lambda e: e["potency"][0].update(qualifier="~"), "potency[0].qualifier"),
        (lambda e: e["potency"][0].update(value_nM=0), "potency[0].value_nM"),
        (_set("smiles", "C C"), "smiles"),
        (_set("smiles_souce", "typo"), "(entry)"),
    ],
)
def test_broken_compound_raises_naming_file_entry_and_field(tmp_path, edit, field) -> None:
    entry = _valid_compound()
    edit(entry)
    path = _write(tmp_path, {"compounds": [entry]})
    with pytest.raises(FileFormatError) as err:
        load_compounds_file(path, catalog.cell_lines())
    msg = str(err.value)
    assert str(path) in msg and "'testin'" in msg and repr(field) in msg


def test_alias_claimed_twice_raises(tmp_path: Path) -> None:
    other = _valid_compound() | {"name": "othermab", "aliases": ["tst 1"]}
    path = _write(tmp_path, {"compounds": [_valid_compound(), other]})
    with pytest.raises(FileFormatError, match=r"'othermab', field 'aliases'.*'testin'"):
        load_compounds_file(path)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "compounds.yaml"
    path.write_text("compounds:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"compounds\.yaml: not valid YAML at line \d+"):
        load_compounds_file(path)


def test_broken_cell_line_status_raises(tmp_path: Path) -> None:
    src = catalog.cell_line("HCT116")
    entry = {
        "name": "X1",
        "disease": "test",
        "tp53_status": {"value": "mutant", "unit": "", "source": "s"},
        **{
            f: dataclasses.asdict(getattr(src, f))
            for f in (
                "mdm2_amplification_fold",
                "mdmx_level_fold",
                "bcl2_level_fold",
                "efflux_fold",
            )
        },
    }
    path = _write(tmp_path, {"cell_lines": [entry]}, "cell_lines.yaml")
    with pytest.raises(FileFormatError) as err:
        load_cell_lines_file(path)
    assert str(path) in str(err.value) and "'tp53_status.value'" in str(err.value)
    assert "wild_type" in str(err.value)


def test_packaged_files_validate_through_the_file_loaders() -> None:
    from importlib import resources

    root = resources.files("p53lab.catalog")
    with resources.as_file(root / "cell_lines.yaml") as lines_path:
        lines = load_cell_lines_file(lines_path)
    assert lines == catalog.cell_lines()
    with resources.as_file(root / "compounds.yaml") as comp_path:
        assert load_compounds_file(comp_path, lines) == catalog.compounds()
