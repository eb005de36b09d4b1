"""Property filters as named, documented profiles, and the PAINS substructure filter.

A :class:`Profile` is frozen data: a name, a source and a tuple of :class:`Rule` objects
(descriptor, lower bound, upper bound). :func:`descriptors` computes the six descriptors with
RDKit; :func:`apply_profile` returns, for one molecule, the names of the rules it breaks.

Descriptor definitions (RDKit):

- ``mw`` — average molecular weight, g/mol (``Descriptors.MolWt``).
- ``clogp`` — Wildman–Crippen logP (``Crippen.MolLogP``; Wildman & Crippen 1999).
- ``hbd`` / ``hba`` — Lipinski's own counts: NH + OH groups, and N + O atoms
  (``rdMolDescriptors.CalcNumLipinskiHBD/HBA``; Lipinski et al. 1997, Adv Drug Deliv Rev 23:3).
- ``rotb`` — rotatable bonds, RDKit's strict definition (``CalcNumRotatableBonds``).
- ``tpsa`` — topological polar surface area, Å² (Ertl et al. 2000, ``CalcTPSA``).

Profiles:

- ``lipinski-veber`` — the screening guide's filter exactly as written: MW ≤ 500, cLogP ≤ 5,
  HBD ≤ 5, HBA ≤ 10 (Lipinski 1997) and rotatable bonds ≤ 10, TPSA ≤ 140 Å² (Veber et al.
  2002, J Med Chem 45:2615). Every rule must hold (no "one violation allowed").
- ``ppi`` — beyond the rule of 5, for protein–protein-interaction pockets such as MDM2's:
  MW ≤ 1000, cLogP −2…10, HBD ≤ 6, HBA ≤ 15, TPSA ≤ 250 Å², rotatable bonds ≤ 20 (Doak,
  Over, Giordanetto, Kihlberg 2014, Chem Biol 21:1115, the bRo5 space of oral drugs and
  clinical candidates).
- ``pains`` — no match in RDKit's PAINS A/B/C catalogue (Baell & Holloway 2010, J Med Chem
  53:2719), no property rule.
- ``none`` — everything passes (descriptors are still computed).

Custom thresholds: :func:`custom_profile` builds a profile from ``{descriptor: (lo, hi)}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ParameterError, param_error

__all__ = [
    "DESCRIPTORS",
    "PROFILES",
    "Profile",
    "Rule",
    "apply_profile",
    "custom_profile",
    "descriptors",
    "get_profile",
    "pains_matches",
]

#: Descriptor name -> (unit or "", what it is)
DESCRIPTORS = {
    "mw": ("g/mol", "average molecular weight"),
    "clogp": ("", "Wildman-Crippen logP"),
    "hbd": ("", "Lipinski H-bond donors (NH + OH)"),
    "hba": ("", "Lipinski H-bond acceptors (N + O)"),
    "rotb": ("", "rotatable bonds (strict)"),
    "tpsa": ("Å²", "topological polar surface area"),
}


@dataclass(frozen=True)
class Rule:
    """``lo <= descriptor <= hi``; a bound of ``None`` is open. ``name`` reads like ``mw<=500``."""

    descriptor: str
    lo: float | None = None
    hi: float | None = None

    def __post_init__(self) -> None:
        if self.descriptor not in DESCRIPTORS:
            raise param_error(
                "Rule", "descriptor", f"one of {sorted(DESCRIPTORS)}", self.descriptor
            )
        if self.lo is None and self.hi is None:
            raise ParameterError(f"Rule for {self.descriptor!r} needs a lower or upper bound.")
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ParameterError(
                f"Rule for {self.descriptor!r}: lower bound {self.lo} exceeds "
                f"upper bound {self.hi}."
            )

    @property
    def name(self) -> str:
        if self.lo is None:
            return f"{self.descriptor}<={self.hi:g}"
        if self.hi is None:
            return f"{self.descriptor}>={self.lo:g}"
        return f"{self.lo:g}<={self.descriptor}<={self.hi:g}"

    def passes(self, value: float) -> bool:
        if value != value:  # NaN never passes
            return False
        return (self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)


@dataclass(frozen=True)
class Profile:
    """A named filter: property rules, optionally PAINS, and the source of its thresholds."""

    name: str
    rules: tuple[Rule, ...] = ()
    pains: bool = False
    source: str = ""


PROFILES: dict[str, Profile] = {
    "lipinski-veber": Profile(
        "lipinski-veber",
        (
            Rule("mw", hi=500),
            Rule("clogp", hi=5),
            Rule("hbd", hi=5),
            Rule("hba", hi=10),
            Rule("rotb", hi=10),
            Rule("tpsa", hi=140),
        ),
        source="Lipinski et al. 1997 Adv Drug Deliv Rev 23:3; Veber et al. 2002 J Med Chem 45:2615",
    ),
    "ppi": Profile(
        "ppi",
        (
            Rule("mw", hi=1000),
            Rule("clogp", lo=-2, hi=10),
            Rule("hbd", hi=6),
            Rule("hba", hi=15),
            Rule("tpsa", hi=250),
            Rule("rotb", hi=20),
        ),
        source="Doak et al. 2014 Chem Biol 21:1115 (beyond-rule-of-5 chemical space)",
    ),
    "pains": Profile(
        "pains", (), pains=True, source="Baell & Holloway 2010 J Med Chem 53:2719 (RDKit catalogue)"
    ),
    "none": Profile("none", (), source="no filter"),
}


def get_profile(name: str | Profile) -> Profile:
    """The profile called ``name`` (or ``name`` itself when it is a :class:`Profile`)."""
    if isinstance(name, Profile):
        return name
    if name not in PROFILES:
        raise param_error("screen filter", "profile", f"one of {sorted(PROFILES)}", name)
    return PROFILES[name]


def custom_profile(
    thresholds: Mapping[str, tuple[float | None, float | None]],
    *,
    name: str = "custom",
    pains: bool = False,
) -> Profile:
    """A profile from ``{descriptor: (lo, hi)}`` (``None`` for an open side)."""
    rules = []
    for key, bounds in thresholds.items():
        try:
            lo, hi = bounds
        except (TypeError, ValueError):
            raise param_error("custom_profile", key, "a (lo, hi) pair", bounds) from None
        for b in (lo, hi):
            if b is not None and not math.isfinite(float(b)):
                raise param_error("custom_profile", key, "finite bounds or None", bounds)
        rules.append(
            Rule(key, None if lo is None else float(lo), None if hi is None else float(hi))
        )
    return Profile(name, tuple(rules), pains=pains, source="user thresholds")


def descriptors(mol) -> dict[str, float]:
    """The six filter descriptors of an RDKit molecule (see the module docstring)."""
    from rdkit.Chem import Crippen, Descriptors, rdMolDescriptors

    return {
        "mw": float(Descriptors.MolWt(mol)),
        "clogp": float(Crippen.MolLogP(mol)),
        "hbd": float(rdMolDescriptors.CalcNumLipinskiHBD(mol)),
        "hba": float(rdMolDescriptors.CalcNumLipinskiHBA(mol)),
        "rotb": float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
        "tpsa": float(rdMolDescriptors.CalcTPSA(mol)),
    }


_PAINS = None


def pains_matches(mol) -> list[str]:
    """Names of the PAINS (A, B, C) alerts the molecule matches; empty when clean."""
    global _PAINS
    if _PAINS is None:
        from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

        params = FilterCatalogParams()
        params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
        _PAINS = FilterCatalog(params)
    return [e.GetDescription() for e in _PAINS.GetMatches(mol)]


def apply_profile(profile: Profile, mol, desc: Mapping[str, float] | None = None) -> list[str]:
    """Names of the rules ``mol`` breaks under ``profile`` (``pains:<alert>`` for PAINS hits)."""
    desc = descriptors(mol) if desc is None else desc
    failed = [r.name for r in profile.rules if not r.passes(desc[r.descriptor])]
    if profile.pains:
        failed += [f"pains:{name}" for name in pains_matches(mol)]
    return failed
