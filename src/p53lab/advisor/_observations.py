"""The observation file: what the scientist did and saw.

Top-level keys: ``compound`` and ``cell_line`` (catalog names), ``tp53_status``
(``wild_type | mutant | null | unknown``), ``description`` (free text) and ``observations``, a
mapping of the keys in :data:`OBSERVATION_KEYS` (all optional). Values are checked once here;
an error names the file and the key. Keys that are not known are kept and reported as warnings
(never silently ignored).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path

from .._yaml import load_yaml_file
from ..catalog import cell_line as lookup_line
from ..catalog import compound as lookup_compound
from ..errors import CatalogError, FileFormatError, ParameterError

__all__ = ["OBSERVATION_KEYS", "TOP_KEYS", "TP53_STATUSES", "load_observations", "validate"]

TP53_STATUSES = ("wild_type", "mutant", "null", "unknown")

# Upper bounds keep a request from asking for a month-long simulation or absurd doses.
MAX_HOURS = 168.0  # one week: the longest assay of the guides is 96 h
MAX_CONC_NM = 1.0e6  # 1 mM: far above any cell assay of the field (SMIs up to 10 uM)


@dataclass(frozen=True)
class _Key:
    kind: str  # fold | pct | positive | bool | hours | conc
    meaning: str


OBSERVATION_KEYS: dict[str, _Key] = {
    "p53_fold": _Key("fold", "p53 protein, treated / vehicle (Western)"),
    "mdm2_fold": _Key("fold", "MDM2 protein, treated / vehicle (Western)"),
    "p21_fold": _Key("fold", "p21 protein, treated / vehicle (Western)"),
    "apoptosis_pct": _Key("pct", "Annexin V positive cells, % (early + late)"),
    "g1_arrest_pct": _Key("pct", "cells in G1 (PI flow), %"),
    "g2m_arrest_pct": _Key("pct", "cells in G2/M (PI flow), %"),
    "ic50_nM": _Key("positive", "growth IC50 (72 h viability), nM"),
    "ic50_fold_change_over_time": _Key(
        "positive", "IC50 now / IC50 of the same line at the start of treatment"
    ),
    "replicate_cv_pct": _Key("nonneg", "coefficient of variation between replicates, %"),
    "mdm2_basal_fold": _Key("fold", "basal MDM2 protein relative to a responsive wild-type line"),
    "mdmx_fold": _Key("fold", "basal MDMX protein relative to a responsive wild-type line"),
    "bcl2_fold": _Key("fold", "basal Bcl-2 protein relative to a responsive wild-type line"),
    "efflux_inhibitor_reverses": _Key("bool", "an efflux (P-gp) inhibitor restores the response"),
    "hours": _Key("hours", "time of the protein and flow readouts after drug addition, h"),
    "conc_nM": _Key("conc", "drug concentration of those readouts, nM"),
}
TOP_KEYS = ("compound", "cell_line", "tp53_status", "description", "observations")

_RULES = {
    "fold": "a finite number >= 0 (treated / vehicle)",
    "pct": "a percentage in [0, 100]",
    "positive": "a finite number > 0",
    "nonneg": "a finite number >= 0",
    "bool": "true or false",
    "hours": f"a time in (0, {MAX_HOURS:g}] h",
    "conc": f"a concentration in [0, {MAX_CONC_NM:g}] nM",
}


def _bad(label: str, where: str, kind: str, value: object) -> ParameterError:
    return ParameterError(
        f"{label}: the {where!r} value must be {_RULES[kind]}. Got {value!r} instead."
    )


def _check_value(label: str, key: str, kind: str, value: object) -> float | bool:
    where = f"observations.{key}"
    if kind == "bool":
        if not isinstance(value, bool):
            raise _bad(label, where, kind, value)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(label, where, kind, value)
    v = float(value)
    ok = (
        math.isfinite(v)
        and {
            "fold": v >= 0,
            "pct": 0 <= v <= 100,
            "positive": v > 0,
            "nonneg": v >= 0,
            "hours": 0 < v <= MAX_HOURS,
            "conc": 0 <= v <= MAX_CONC_NM,
        }[kind]
    )
    if not ok:
        raise _bad(label, where, kind, value)
    return v


def _unknown(label: str, where: str, key: object, known) -> str:
    near = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" Did you mean {near[0]!r}?" if near else f" Known keys: {', '.join(known)}."
    return f"{label}: unknown key {where}{key!r} is not used.{hint}"


def validate(data: object, label: str = "observations") -> tuple[dict, list[str]]:
    """Check an observation mapping. Returns ``(clean, warnings)``: ``clean`` has the known
    keys only (numbers as float, ``tp53_status`` filled with 'unknown', catalog names resolved
    to their catalog spelling); ``warnings`` names every unknown key. Raises
    :class:`~p53lab.errors.ParameterError` (bad value), :class:`~p53lab.errors.FileFormatError`
    (wrong shape) or :class:`~p53lab.errors.CatalogError` (unknown compound or line), each
    naming ``label`` and the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FileFormatError(
            f"{label}: expected a mapping with keys {', '.join(TOP_KEYS)}; "
            f"got {type(data).__name__}."
        )
    warnings = [_unknown(label, "", k, TOP_KEYS) for k in data if k not in TOP_KEYS]
    clean: dict = {}
    for key in ("compound", "cell_line"):
        name = data.get(key)
        if name is None:
            continue
        if not isinstance(name, str) or not name.strip():
            raise ParameterError(
                f"{label}: the {key!r} value must be a catalog name (text). Got {name!r} "
                "instead. `p53lab catalog` lists the names."
            )
        try:
            entry = lookup_compound(name) if key == "compound" else lookup_line(name)
        except CatalogError as exc:
            raise CatalogError(f"{label}: key {key!r}: {exc}") from None
        clean[key] = entry.name
    status = data.get("tp53_status", "unknown")
    norm = str(status).strip().lower().replace("-", "_").replace(" ", "_")
    norm = {"wildtype": "wild_type", "wt": "wild_type", "missense": "mutant"}.get(norm, norm)
    if not isinstance(status, str) or norm not in TP53_STATUSES:
        raise ParameterError(
            f"{label}: the 'tp53_status' value must be one of {', '.join(TP53_STATUSES)}. "
            f"Got {status!r} instead."
        )
    clean["tp53_status"] = norm
    if data.get("description") is not None:
        clean["description"] = str(data["description"])
    obs = data.get("observations")
    if obs is None:
        obs = {}
    if not isinstance(obs, dict):
        raise FileFormatError(
            f"{label}: 'observations' must be a mapping of readouts (for example "
            f"p53_fold: 3.0); got {type(obs).__name__}."
        )
    clean_obs = {}
    for k, v in obs.items():
        if k not in OBSERVATION_KEYS:
            warnings.append(_unknown(label, "observations.", k, OBSERVATION_KEYS))
            continue
        if v is None:  # an empty field: not observed
            continue
        clean_obs[k] = _check_value(label, k, OBSERVATION_KEYS[k].kind, v)
    clean["observations"] = clean_obs
    return clean, warnings


def load_observations(path: str | Path) -> dict:
    """Read and check an observation YAML file. Returns the mapping as written (unknown keys
    kept, so that :func:`~p53lab.advisor.advise` reports them); every value error names the
    file and the key."""
    data = load_yaml_file(path, "observation file")
    validate(data, str(path))
    return data
