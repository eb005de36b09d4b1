"""Loader and frozen records of the catalog: compounds, cell lines, strategies by p53 status.

The data live in YAML files beside this module (``compounds.yaml``, ``cell_lines.yaml``,
``strategies.yaml``). Every quantity there is a mapping ``{value, unit, source, estimated, note}``
and becomes a :class:`Value`. A source is required for every value: a citation, or, for an
estimated value, what the estimate rests on. Files are read once and validated on load; a broken
file raises :class:`~p53lab.errors.FileFormatError` naming the file, the entry and the field.

Names are matched case-insensitively and ignoring separators (spaces, ``-``, ``_``, ``;``, ``.``,
``,``, ``:`` and Unicode dashes), so ``KT253``, ``kt-253`` and ``KT 253`` are the same compound.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import CatalogError, FileFormatError

DRUG_CLASSES = ("smi", "degrader", "other")
TP53_STATUSES = ("wild_type", "missense", "null")
QUALIFIERS = ("=", "<", ">")
# Potency rows that were not measured in one of the catalog's cell lines say so with these words.
CELL_FREE = "cell-free"
UNSPECIFIED_CELL_LINE = "unspecified"

_SEPARATORS = str.maketrans("", "", " \t-_;.,:\u2010\u2011\u2012\u2013\u2014\u2212")
_LIST_HINT = {
    "compound": "Run `p53lab catalog compounds` to list them.",
    "cell line": "Run `p53lab catalog cell-lines` to list them.",
}


def normalize_name(name: str) -> str:
    """The key under which a name is looked up: casefolded, separators removed.

    >>> normalize_name("KT-253") == normalize_name("kt 253") == "kt253"
    True
    """
    return str(name).casefold().translate(_SEPARATORS)


# ----------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One sourced quantity. ``value`` is a number (float), a bool or a str; ``unit`` is empty
    for non-numeric values. ``estimated`` marks values not taken from a measurement; their
    ``source`` says what the estimate rests on."""

    value: Any
    unit: str
    source: str
    estimated: bool = False
    note: str = ""


@dataclass(frozen=True)
class DegraderParams:
    """Parameters of a heterobifunctional degrader (PROTAC) for the ternary-complex model.

    Binary dissociation constants ``k_t_nM`` (drug·MDM2) and ``k_e_nM`` (drug·E3 ligase),
    cooperativity ``alpha`` (dimensionless), and ``k_ub_per_h``, the rate at which the ternary
    complex MDM2·drug·E3 ubiquitinates MDM2 and sends it to the proteasome. In the dilute limit
    the ternary complex is TBE ≈ α·T·E·b / ((K_T + b)(K_E + b)), b the free drug (Douglass 2013,
    J Am Chem Soc 135:6092). ``dc50_nM`` and ``dmax_pct`` are the published cell readouts, or
    None where none is published.
    """

    k_t_nM: Value
    k_e_nM: Value
    cooperativity: Value
    k_ub_per_h: Value
    e3_ligase: str
    dc50_nM: Value | None
    dmax_pct: Value | None


@dataclass(frozen=True)
class Potency:
    """A published potency in one assay. ``qualifier`` is '<', '>' or '=' (the value is an upper
    bound, a lower bound, or a point value). ``cell_line`` is a catalog cell-line name,
    ``'cell-free'`` for biochemical assays, or ``'unspecified'`` where the source does not say."""

    assay: str
    cell_line: str
    value_nM: float
    source: str
    note: str = ""
    qualifier: str = "="


@dataclass(frozen=True)
class Compound:
    """A drug of the catalog: class, mechanism, affinities, published potencies, status, SMILES."""

    name: str
    aliases: tuple[str, ...]
    drug_class: str
    mechanism: str
    chemotype: str
    mdm2_kd_nM: Value | None
    mdmx_kd_nM: Value | None
    p_gp_substrate: Value | None
    degrader: DegraderParams | None
    potency: tuple[Potency, ...]
    clinical_status: Value | None
    smiles: str | None
    smiles_source: str
    mw_g_per_mol: Value | None

    @property
    def is_degrader(self) -> bool:
        return self.drug_class == "degrader"

    @property
    def is_smi(self) -> bool:
        return self.drug_class == "smi"


@dataclass(frozen=True)
class CellLine:
    """A cell line of the catalog. Fold levels are relative to the generic ``reference`` line
    (1.0 = same as the reference; for MDM2 copy number, 1.0 = not amplified)."""

    name: str
    aliases: tuple[str, ...]
    disease: str
    tp53_status: Value
    tp53_mutation: str | None
    mdm2_amplification_fold: Value
    mdmx_level_fold: Value
    bcl2_level_fold: Value
    efflux_fold: Value
    doubling_time_h: Value | None

    @property
    def is_tp53_wild_type(self) -> bool:
        return self.tp53_status.value == "wild_type"


@dataclass(frozen=True)
class Strategy:
    """A therapeutic approach for tumours of one p53 status (overview guide)."""

    status: str
    share: str
    approach: str
    agents: tuple[str, ...]
    source: str
    note: str = ""


# ----------------------------------------------------------------------------------------------
# Validation helpers
# ----------------------------------------------------------------------------------------------


class _Ctx:
    """Where we are in a file, for messages: file label and entry name."""

    def __init__(self, label: str, entry: str = "") -> None:
        self.label = label
        self.entry = entry

    def error(self, field: str, problem: str) -> FileFormatError:
        where = f"{self.label}: entry {self.entry!r}" if self.entry else self.label
        return FileFormatError(f"{where}, field {field!r}: {problem}")


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _check_keys(
    ctx: _Ctx, field: str, data: Mapping, required: Iterable[str], optional: Iterable[str]
) -> None:
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ctx.error(
            field, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = [k for k in required if k not in data]
    if missing:
        raise ctx.error(field, f"missing key(s) {', '.join(missing)}")


def _text(ctx: _Ctx, field: str, x: object, *, allow_empty: bool = False) -> str:
    if not isinstance(x, str):
        raise ctx.error(field, f"expected text, got {x!r}")
    if not allow_empty and not x.strip():
        raise ctx.error(field, "must not be empty")
    return x.strip()


def _positive(ctx: _Ctx, field: str, x: object) -> float:
    if not _is_number(x):
        raise ctx.error(field, f"expected a number, got {x!r}")
    v = float(x)
    if not math.isfinite(v) or v <= 0:
        raise ctx.error(field, f"must be a finite number > 0, got {x!r}")
    return v


def _value(ctx: _Ctx, field: str, raw: object, kind: str, *, nullable: bool) -> Value | None:
    """Parse one quantity mapping. ``kind`` is 'number', 'bool' or 'text'."""
    if raw is None:
        if nullable:
            return None
        raise ctx.error(field, "is required (a mapping with value, unit and source)")
    if not isinstance(raw, Mapping):
        raise ctx.error(field, f"expected a mapping {{value, unit, source}}, got {raw!r}")
    _check_keys(ctx, field, raw, ("value", "unit", "source"), ("estimated", "note"))
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise ctx.error(f"{field}.source", "a non-empty source is required for every value")
    unit = raw["unit"]
    if unit is None:
        unit = ""
    if not isinstance(unit, str):
        raise ctx.error(f"{field}.unit", f"expected text, got {unit!r}")
    estimated = raw.get("estimated", False)
    if not isinstance(estimated, bool):
        raise ctx.error(f"{field}.estimated", f"expected true or false, got {estimated!r}")
    note = raw.get("note", "") or ""
    if not isinstance(note, str):
        raise ctx.error(f"{field}.note", f"expected text, got {note!r}")
    if estimated and "estimat" not in (source + " " + note).lower():
        raise ctx.error(
            f"{field}.note", "an estimated value must say so (and on what) in its source or note"
        )
    v = raw["value"]
    if kind == "number":
        v = _positive(ctx, f"{field}.value", v)
        if not unit.strip():
            raise ctx.error(f"{field}.unit", "a numeric value needs a unit ('1' if dimensionless)")
    elif kind == "bool":
        if not isinstance(v, bool):
            raise ctx.error(f"{field}.value", f"expected true or false, got {v!r}")
    else:
        v = _text(ctx, f"{field}.value", v)
    return Value(value=v, unit=unit.strip(), source=source.strip(), estimated=estimated, note=note)


def _aliases(ctx: _Ctx, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ctx.error("aliases", f"expected a list of names, got {raw!r}")
    return tuple(_text(ctx, f"aliases[{i}]", a) for i, a in enumerate(raw))


def _index(label: str, kind: str, records: Iterable[Any]) -> dict[str, Any]:
    """Normalised name → record; a key claimed by two entries is an error."""
    index: dict[str, Any] = {}
    for rec in records:
        for alias in (rec.name, *rec.aliases):
            key = normalize_name(alias)
            if not key:
                raise _Ctx(label, rec.name).error("aliases", f"alias {alias!r} is empty")
            other = index.get(key)
            if other is not None and other is not rec:
                raise _Ctx(label, rec.name).error(
                    "aliases",
                    f"alias {alias!r} is also a name or alias of the {kind} {other.name!r}",
                )
            index[key] = rec
    return index


def _read_yaml(text: str, label: str, top_key: str) -> list:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FileFormatError(f"{label}: not valid YAML{where}: {exc}") from None
    if not isinstance(data, Mapping) or top_key not in data:
        raise FileFormatError(f"{label}: expected a mapping with a {top_key!r} list at the top")
    entries = data[top_key]
    if not isinstance(entries, list) or not entries:
        raise FileFormatError(f"{label}, field {top_key!r}: expected a non-empty list of entries")
    return entries


def _entry_name(label: str, i: int, raw: object) -> str:
    if not isinstance(raw, Mapping):
        raise FileFormatError(f"{label}: entry {i + 1} is not a mapping: {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FileFormatError(f"{label}: entry {i + 1}, field 'name': a non-empty name is required")
    return name.strip()


# ----------------------------------------------------------------------------------------------
# Parsers
# ----------------------------------------------------------------------------------------------

_COMPOUND_KEYS = (
    "name",
    "aliases",
    "drug_class",
    "mechanism",
    "chemotype",
    "mdm2_kd_nM",
    "mdmx_kd_nM",
    "p_gp_substrate",
    "degrader",
    "potency",
    "clinical_status",
    "smiles",
    "smiles_source",
    "mw_g_per_mol",
)
_DEGRADER_VALUES = ("k_t_nM", "k_e_nM", "cooperativity", "k_ub_per_h")


def _degrader(ctx: _Ctx, raw: object) -> DegraderParams:
    if not isinstance(raw, Mapping):
        raise ctx.error("degrader", f"expected a mapping of degrader parameters, got {raw!r}")
    _check_keys(ctx, "degrader", raw, (*_DEGRADER_VALUES, "e3_ligase"), ("dc50_nM", "dmax_pct"))
    vals = {
        k: _value(ctx, f"degrader.{k}", raw[k], "number", nullable=False) for k in _DEGRADER_VALUES
    }
    dc50 = _value(ctx, "degrader.dc50_nM", raw.get("dc50_nM"), "number", nullable=True)
    dmax = _value(ctx, "degrader.dmax_pct", raw.get("dmax_pct"), "number", nullable=True)
    if dmax is not None and dmax.value > 100:
        raise ctx.error("degrader.dmax_pct.value", f"must be <= 100 %, got {dmax.value!r}")
    return DegraderParams(
        e3_ligase=_text(ctx, "degrader.e3_ligase", raw["e3_ligase"]),
        dc50_nM=dc50,
        dmax_pct=dmax,
        **vals,
    )


def _potency(ctx: _Ctx, i: int, raw: object, line_names: Mapping[str, str] | None) -> Potency:
    field = f"potency[{i}]"
    if not isinstance(raw, Mapping):
        raise ctx.error(field, f"expected a mapping, got {raw!r}")
    _check_keys(
        ctx, field, raw, ("assay", "cell_line", "value_nM", "source"), ("note", "qualifier")
    )
    cell = _text(ctx, f"{field}.cell_line", raw["cell_line"])
    if line_names is not None and cell not in (CELL_FREE, UNSPECIFIED_CELL_LINE):
        if normalize_name(cell) not in line_names:
            raise ctx.error(
                f"{field}.cell_line",
                f"{cell!r} is not a catalog cell line "
                f"(nor {CELL_FREE!r} or {UNSPECIFIED_CELL_LINE!r})",
            )
        cell = line_names[normalize_name(cell)]  # the canonical name
    qualifier = raw.get("qualifier", "=")
    if qualifier not in QUALIFIERS:
        raise ctx.error(f"{field}.qualifier", f"must be one of {QUALIFIERS}, got {qualifier!r}")
    note = raw.get("note", "") or ""
    return Potency(
        assay=_text(ctx, f"{field}.assay", raw["assay"]),
        cell_line=cell,
        value_nM=_positive(ctx, f"{field}.value_nM", raw["value_nM"]),
        source=_text(ctx, f"{field}.source", raw["source"]),
        note=_text(ctx, f"{field}.note", note, allow_empty=True),
        qualifier=qualifier,
    )


def _compound(label: str, i: int, raw: object, line_names: Mapping[str, str] | None) -> Compound:
    ctx = _Ctx(label, _entry_name(label, i, raw))
    _check_keys(ctx, "(entry)", raw, ("name", "drug_class", "smiles_source"), _COMPOUND_KEYS)
    drug_class = raw["drug_class"]
    if drug_class not in DRUG_CLASSES:
        raise ctx.error("drug_class", f"must be one of {DRUG_CLASSES}, got {drug_class!r}")
    degrader_raw = raw.get("degrader")
    if drug_class == "degrader" and degrader_raw is None:
        raise ctx.error("degrader", "a degrader needs its degrader parameters")
    if drug_class != "degrader" and degrader_raw is not None:
        raise ctx.error("degrader", f"must be null for drug_class {drug_class!r}")
    degrader = _degrader(ctx, degrader_raw) if degrader_raw is not None else None
    mdm2 = _value(ctx, "mdm2_kd_nM", raw.get("mdm2_kd_nM"), "number", nullable=True)
    if degrader is not None and (mdm2 is None or mdm2.value != degrader.k_t_nM.value):
        raise ctx.error("mdm2_kd_nM", "for a degrader it must equal degrader.k_t_nM")
    potency_raw = raw.get("potency") or []
    if not isinstance(potency_raw, list):
        raise ctx.error("potency", f"expected a list, got {potency_raw!r}")
    smiles = raw.get("smiles")
    if smiles is not None:
        smiles = _text(ctx, "smiles", smiles)
        if any(c.isspace() for c in smiles):
            raise ctx.error("smiles", f"a SMILES string has no whitespace, got {smiles!r}")
    return Compound(
        name=ctx.entry,
        aliases=_aliases(ctx, raw.get("aliases")),
        drug_class=drug_class,
        mechanism=_text(ctx, "mechanism", raw.get("mechanism")),
        chemotype=_text(ctx, "chemotype", raw.get("chemotype")),
        mdm2_kd_nM=mdm2,
        mdmx_kd_nM=_value(ctx, "mdmx_kd_nM", raw.get("mdmx_kd_nM"), "number", nullable=True),
        p_gp_substrate=_value(
            ctx, "p_gp_substrate", raw.get("p_gp_substrate"), "bool", nullable=True
        ),
        degrader=degrader,
        potency=tuple(_potency(ctx, j, p, line_names) for j, p in enumerate(potency_raw)),
        clinical_status=_value(
            ctx, "clinical_status", raw.get("clinical_status"), "text", nullable=True
        ),
        smiles=smiles,
        smiles_source=_text(ctx, "smiles_source", raw["smiles_source"]),
        mw_g_per_mol=_value(ctx, "mw_g_per_mol", raw.get("mw_g_per_mol"), "number", nullable=True),
    )


_CELL_LINE_KEYS = (
    "name",
    "aliases",
    "disease",
    "tp53_status",
    "tp53_mutation",
    "mdm2_amplification_fold",
    "mdmx_level_fold",
    "bcl2_level_fold",
    "efflux_fold",
    "doubling_time_h",
)
_FOLD_FIELDS = ("mdm2_amplification_fold", "mdmx_level_fold", "bcl2_level_fold", "efflux_fold")


def _cell_line(label: str, i: int, raw: object) -> CellLine:
    ctx = _Ctx(label, _entry_name(label, i, raw))
    required = ("name", "disease", "tp53_status", *_FOLD_FIELDS)
    _check_keys(ctx, "(entry)", raw, required, _CELL_LINE_KEYS)
    status = _value(ctx, "tp53_status", raw["tp53_status"], "text", nullable=False)
    if status.value not in TP53_STATUSES:
        raise ctx.error(
            "tp53_status.value", f"must be one of {TP53_STATUSES}, got {status.value!r}"
        )
    mutation = raw.get("tp53_mutation")
    if mutation is not None:
        mutation = _text(ctx, "tp53_mutation", mutation)
    if status.value == "missense" and not mutation:
        raise ctx.error("tp53_mutation", "a missense line names its mutation")
    folds = {f: _value(ctx, f, raw[f], "number", nullable=False) for f in _FOLD_FIELDS}
    return CellLine(
        name=ctx.entry,
        aliases=_aliases(ctx, raw.get("aliases")),
        disease=_text(ctx, "disease", raw["disease"]),
        tp53_status=status,
        tp53_mutation=mutation,
        doubling_time_h=_value(
            ctx, "doubling_time_h", raw.get("doubling_time_h"), "number", nullable=True
        ),
        **folds,
    )


def _strategy(label: str, i: int, raw: object) -> Strategy:
    if not isinstance(raw, Mapping):
        raise FileFormatError(f"{label}: entry {i + 1} is not a mapping: {raw!r}")
    ctx = _Ctx(label, str(raw.get("status", f"#{i + 1}")))
    _check_keys(ctx, "(entry)", raw, ("status", "share", "approach", "agents", "source"), ("note",))
    agents = raw["agents"]
    if not isinstance(agents, list) or not agents:
        raise ctx.error("agents", f"expected a non-empty list, got {agents!r}")
    return Strategy(
        status=_text(ctx, "status", raw["status"]),
        share=_text(ctx, "share", raw["share"]),
        approach=_text(ctx, "approach", raw["approach"]),
        agents=tuple(_text(ctx, f"agents[{j}]", a) for j, a in enumerate(agents)),
        source=_text(ctx, "source", raw["source"]),
        note=_text(ctx, "note", raw.get("note", "") or "", allow_empty=True),
    )


def _parse_cell_lines(text: str, label: str) -> tuple[CellLine, ...]:
    lines = tuple(
        _cell_line(label, i, r) for i, r in enumerate(_read_yaml(text, label, "cell_lines"))
    )
    _index(label, "cell line", lines)
    return lines


def _parse_compounds(
    text: str, label: str, line_names: Mapping[str, str] | None = None
) -> tuple[Compound, ...]:
    entries = _read_yaml(text, label, "compounds")
    comps = tuple(_compound(label, i, r, line_names) for i, r in enumerate(entries))
    _index(label, "compound", comps)
    return comps


def _parse_strategies(text: str, label: str) -> tuple[Strategy, ...]:
    return tuple(
        _strategy(label, i, r) for i, r in enumerate(_read_yaml(text, label, "strategies"))
    )


def _read_path(path: str | Path) -> tuple[str, str]:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except OSError as exc:
        raise FileFormatError(f"{p}: cannot read the file ({exc.strerror or exc})") from None


def load_compounds_file(
    path: str | Path, cell_lines: Iterable[CellLine] | None = None
) -> tuple[Compound, ...]:
    """Read and validate a compounds YAML file. With ``cell_lines``, every potency row must name
    one of them (by any alias; the canonical name is stored), 'cell-free' or 'unspecified'."""
    text, label = _read_path(path)
    names = None if cell_lines is None else _line_names(cell_lines)
    return _parse_compounds(text, label, names)


def _line_names(lines: Iterable[CellLine]) -> dict[str, str]:
    return {normalize_name(a): c.name for c in lines for a in (c.name, *c.aliases)}


def load_cell_lines_file(path: str | Path) -> tuple[CellLine, ...]:
    """Read and validate a cell-lines YAML file."""
    return _parse_cell_lines(*_read_path(path))


def load_strategies_file(path: str | Path) -> tuple[Strategy, ...]:
    """Read and validate a strategies YAML file."""
    return _parse_strategies(*_read_path(path))


# ----------------------------------------------------------------------------------------------
# The packaged catalog (read once)
# ----------------------------------------------------------------------------------------------


def _package_text(filename: str) -> str:
    return resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")


@functools.cache
def _cell_lines_loaded() -> tuple[tuple[CellLine, ...], dict[str, CellLine]]:
    lines = _parse_cell_lines(_package_text("cell_lines.yaml"), "cell_lines.yaml")
    return lines, _index("cell_lines.yaml", "cell line", lines)


@functools.cache
def _compounds_loaded() -> tuple[tuple[Compound, ...], dict[str, Compound]]:
    lines, _ = _cell_lines_loaded()
    comps = _parse_compounds(_package_text("compounds.yaml"), "compounds.yaml", _line_names(lines))
    return comps, _index("compounds.yaml", "compound", comps)


@functools.cache
def _strategies_loaded() -> tuple[Strategy, ...]:
    return _parse_strategies(_package_text("strategies.yaml"), "strategies.yaml")


def _lookup(kind: str, name: str, index: Mapping[str, Any], names: Callable[[], list[str]]) -> Any:
    """The record under ``name``; otherwise raise CatalogError naming close matches."""
    key = normalize_name(name)
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.6)
    suggestions: list[str] = []
    for k in close:
        canonical = index[k].name
        if canonical not in suggestions:
            suggestions.append(canonical)
    hint = (
        f" Did you mean {', '.join(repr(s) for s in suggestions)}?"
        if suggestions
        else f" Known {kind}s: {', '.join(names())}."
    )
    raise CatalogError(f"Unknown {kind} {name!r}.{hint} {_LIST_HINT[kind]}")


def compound(name: str) -> Compound:
    """The compound called ``name`` (any alias; case, spaces, '-' and '_' do not matter).

    Raises :class:`~p53lab.errors.CatalogError`, with close matches, for an unknown name.
    """
    comps, index = _compounds_loaded()
    return _lookup("compound", name, index, lambda: [c.name for c in comps])


def cell_line(name: str) -> CellLine:
    """The cell line called ``name`` (any alias; case and separators do not matter)."""
    lines, index = _cell_lines_loaded()
    return _lookup("cell line", name, index, lambda: [c.name for c in lines])


def compounds() -> tuple[Compound, ...]:
    """Every compound, in catalog order."""
    return _compounds_loaded()[0]


def cell_lines() -> tuple[CellLine, ...]:
    """Every cell line, in catalog order."""
    return _cell_lines_loaded()[0]


def strategies() -> tuple[Strategy, ...]:
    """The therapeutic strategies by p53 status."""
    return _strategies_loaded()


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------


def _value_columns(row: dict[str, Any], field: str, v: Value | None) -> None:
    row[field] = None if v is None else v.value
    row[f"{field}_source"] = None if v is None else v.source
    row[f"{field}_estimated"] = None if v is None else v.estimated


def compounds_table() -> pd.DataFrame:
    """One row per compound: value columns plus ``<field>_source`` and ``<field>_estimated``."""
    rows = []
    for c in compounds():
        row: dict[str, Any] = {
            "name": c.name,
            "aliases": "; ".join(c.aliases),
            "drug_class": c.drug_class,
            "mechanism": c.mechanism,
            "chemotype": c.chemotype,
        }
        _value_columns(row, "mdm2_kd_nM", c.mdm2_kd_nM)
        _value_columns(row, "mdmx_kd_nM", c.mdmx_kd_nM)
        _value_columns(row, "p_gp_substrate", c.p_gp_substrate)
        d = c.degrader
        row["e3_ligase"] = None if d is None else d.e3_ligase
        for f in (*_DEGRADER_VALUES, "dc50_nM", "dmax_pct"):
            _value_columns(row, f, None if d is None else getattr(d, f))
        _value_columns(row, "clinical_status", c.clinical_status)
        _value_columns(row, "mw_g_per_mol", c.mw_g_per_mol)
        row["smiles"] = c.smiles
        row["smiles_source"] = c.smiles_source
        row["n_potency"] = len(c.potency)
        rows.append(row)
    return pd.DataFrame(rows)


def cell_lines_table() -> pd.DataFrame:
    """One row per cell line: value columns plus ``<field>_source`` and ``<field>_estimated``."""
    rows = []
    for c in cell_lines():
        row: dict[str, Any] = {
            "name": c.name,
            "aliases": "; ".join(c.aliases),
            "disease": c.disease,
        }
        _value_columns(row, "tp53_status", c.tp53_status)
        row["tp53_mutation"] = c.tp53_mutation
        for f in _FOLD_FIELDS:
            _value_columns(row, f, getattr(c, f))
        _value_columns(row, "doubling_time_h", c.doubling_time_h)
        rows.append(row)
    return pd.DataFrame(rows)
