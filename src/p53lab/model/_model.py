"""A model is frozen data: species, parameters, reactions, rules, events and observables.

Changing a model gives a new object (:meth:`Model.with_params`, :meth:`Model.with_initial`).
Models are built from motifs (:mod:`p53lab.model.motifs`), each returning :class:`Components`,
or imported from SBML (:func:`p53lab.io.sbml.read_sbml`). Units are the model's own: for the
models p53lab builds, concentrations in nM and time in hours.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace

import pandas as pd

from ..errors import ModelError
from ._expr import CONSTANTS, parse_expr

__all__ = [
    "Compartment",
    "Components",
    "Event",
    "EventAssignment",
    "InitialAssignment",
    "Model",
    "Observable",
    "Parameter",
    "Reaction",
    "Rule",
    "Species",
]


@dataclass(frozen=True)
class Species:
    """A chemical species. ``initial`` is a concentration (or an amount if ``amount``)."""

    id: str
    initial: float = 0.0
    compartment: str = "cell"
    name: str = ""
    boundary: bool = False  # not changed by reactions (SBML boundaryCondition)
    constant: bool = False
    amount: bool = False  # SBML hasOnlySubstanceUnits: the symbol means an amount
    units: str = "nM"
    description: str = ""


@dataclass(frozen=True)
class Parameter:
    """A named constant with its unit and literature source (or the word *estimated*)."""

    id: str
    value: float
    units: str = ""
    source: str = ""
    estimated: bool = False
    description: str = ""
    constant: bool = True


@dataclass(frozen=True)
class Compartment:
    id: str
    size: float = 1.0
    constant: bool = True
    units: str = ""
    spatial_dimensions: float = 3.0


@dataclass(frozen=True)
class Reaction:
    """A reaction; ``rate`` is in substance per time (concentration per time for unit volume)."""

    id: str
    rate: str
    reactants: tuple[tuple[str, float], ...] = ()
    products: tuple[tuple[str, float], ...] = ()
    modifiers: tuple[str, ...] = ()
    name: str = ""
    motif: str = ""


@dataclass(frozen=True)
class Rule:
    """An assignment rule (``variable = expr`` at all times) or rate rule (``d variable/dt``)."""

    variable: str
    expr: str


@dataclass(frozen=True)
class InitialAssignment:
    variable: str
    expr: str


@dataclass(frozen=True)
class EventAssignment:
    variable: str
    expr: str


@dataclass(frozen=True)
class Event:
    """An SBML-style event: when ``trigger`` turns true, after ``delay``, apply ``assignments``."""

    id: str
    trigger: str
    assignments: tuple[EventAssignment, ...]
    delay: str | None = None
    priority: str | None = None
    persistent: bool = True
    initial_value: bool = True
    use_values_from_trigger_time: bool = True


@dataclass(frozen=True)
class Observable:
    """A named output computed from the state (e.g. total p53 over all its complexes)."""

    id: str
    expr: str
    units: str = "nM"
    description: str = ""


_GROUPS = (
    "compartments",
    "species",
    "parameters",
    "reactions",
    "assignment_rules",
    "rate_rules",
    "initial_assignments",
    "events",
    "observables",
)


@dataclass(frozen=True)
class Components:
    """What a motif returns: pieces to merge into a model."""

    compartments: tuple[Compartment, ...] = ()
    species: tuple[Species, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    assignment_rules: tuple[Rule, ...] = ()
    rate_rules: tuple[Rule, ...] = ()
    initial_assignments: tuple[InitialAssignment, ...] = ()
    events: tuple[Event, ...] = ()
    observables: tuple[Observable, ...] = ()

    def __add__(self, other: Components) -> Components:
        return Components(**{g: getattr(self, g) + getattr(other, g) for g in _GROUPS})


def _key(item) -> str:
    return item.variable if isinstance(item, Rule | InitialAssignment) else item.id


def _merge(items: Iterable, what: str) -> tuple:
    """Merge items by id; identical duplicates collapse, conflicting ones are an error."""
    out: dict[str, object] = {}
    for it in items:
        k = _key(it)
        if k in out and out[k] != it:
            raise ModelError(f"Two different definitions of {what} {k!r}: {out[k]!r} and {it!r}.")
        out.setdefault(k, it)
    return tuple(out.values())


@dataclass(frozen=True)
class Model:
    """A frozen reaction-network model. Build one with :meth:`Model.build` or read SBML."""

    id: str
    name: str = ""
    compartments: tuple[Compartment, ...] = ()
    species: tuple[Species, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    assignment_rules: tuple[Rule, ...] = ()
    rate_rules: tuple[Rule, ...] = ()
    initial_assignments: tuple[InitialAssignment, ...] = ()
    events: tuple[Event, ...] = ()
    observables: tuple[Observable, ...] = ()
    time_units: str = "h"
    conc_units: str = "nM"
    notes: str = ""
    meta: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    # ---------------------------------------------------------------- construction
    @classmethod
    def build(
        cls,
        id: str,
        *parts: Components,
        name: str = "",
        notes: str = "",
        meta: Mapping[str, str] | None = None,
        **kw,
    ) -> Model:
        """Assemble a model from motif components; identical duplicates merge."""
        total = Components()
        for p in parts:
            total = total + p
        groups = {g: _merge(getattr(total, g), g.rstrip("s").replace("_", " ")) for g in _GROUPS}
        if not groups["compartments"]:
            groups["compartments"] = (Compartment("cell", 1.0),)
        return cls(
            id=id,
            name=name or id,
            notes=notes,
            meta=tuple(sorted((meta or {}).items())),
            **groups,
            **kw,
        )

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        if not self.id or not str(self.id).replace("_", "a").isalnum():
            raise ModelError(f"A model id must be letters, digits and '_'. Got {self.id!r}.")
        ids: dict[str, str] = {}
        for kind, items in (
            ("compartment", self.compartments),
            ("species", self.species),
            ("parameter", self.parameters),
            ("reaction", self.reactions),
            ("observable", self.observables),
        ):
            for it in items:
                if it.id in ids:
                    raise ModelError(f"The id {it.id!r} is used by a {ids[it.id]} and a {kind}.")
                if it.id in CONSTANTS:
                    raise ModelError(f"The id {it.id!r} is reserved; rename the {kind}.")
                ids[it.id] = kind
        for p in self.parameters:
            if not isinstance(p.value, int | float) or math.isnan(p.value):
                raise ModelError(f"Parameter {p.id!r} has the value {p.value!r}; give a number.")
        comp_ids = {c.id for c in self.compartments}
        for s in self.species:
            if s.compartment not in comp_ids:
                raise ModelError(
                    f"Species {s.id!r} is in the unknown compartment {s.compartment!r}."
                )
        species_ids = {s.id for s in self.species}
        known = set(ids) - {r.id for r in self.reactions} | {"time"}
        # reaction ids may be read in SBML math (they mean the reaction rate)
        readable = known | {r.id for r in self.reactions}
        for r in self.reactions:
            for sid, _ in r.reactants + r.products:
                if sid not in species_ids:
                    raise ModelError(f"Reaction {r.id!r} uses the unknown species {sid!r}.")
            self._check_expr(r.rate, f"the rate of reaction {r.id!r}", readable)
        for kind, rules in (
            ("assignment rule", self.assignment_rules),
            ("rate rule", self.rate_rules),
            ("initial assignment", self.initial_assignments),
        ):
            seen = set()
            for rule in rules:
                if rule.variable not in known or rule.variable == "time":
                    raise ModelError(f"The {kind} for {rule.variable!r} targets an unknown id.")
                if rule.variable in seen:
                    raise ModelError(f"Two {kind}s target {rule.variable!r}.")
                seen.add(rule.variable)
                self._check_expr(rule.expr, f"the {kind} for {rule.variable!r}", readable)
        both = {r.variable for r in self.assignment_rules} & {r.variable for r in self.rate_rules}
        if both:
            raise ModelError(f"{sorted(both)} have both an assignment rule and a rate rule.")
        for ev in self.events:
            self._check_expr(ev.trigger, f"the trigger of event {ev.id!r}", readable)
            for a in ev.assignments:
                if a.variable not in known:
                    raise ModelError(f"Event {ev.id!r} assigns the unknown id {a.variable!r}.")
                self._check_expr(a.expr, f"event {ev.id!r}", readable)
        for ob in self.observables:
            self._check_expr(ob.expr, f"observable {ob.id!r}", readable)

    @staticmethod
    def _check_expr(text: str, where: str, known: set[str]) -> None:
        try:
            e = parse_expr(text)
        except ModelError as exc:
            raise ModelError(f"In {where}: {exc}") from None
        unknown = e.symbols - known
        if unknown:
            raise ModelError(f"In {where}: unknown symbol(s) {sorted(unknown)} in {text!r}.")

    # ---------------------------------------------------------------- look-up
    @property
    def species_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.species)

    @property
    def parameter_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parameters)

    def parameter(self, pid: str) -> Parameter:
        for p in self.parameters:
            if p.id == pid:
                return p
        raise ModelError(
            f"Model {self.id!r} has no parameter {pid!r}.{_did_you_mean(pid, self.parameter_ids)}"
        )

    def species_by_id(self, sid: str) -> Species:
        for s in self.species:
            if s.id == sid:
                return s
        raise ModelError(
            f"Model {self.id!r} has no species {sid!r}.{_did_you_mean(sid, self.species_ids)}"
        )

    def value(self, pid: str) -> float:
        return float(self.parameter(pid).value)

    @property
    def has_delays(self) -> bool:
        texts = [r.rate for r in self.reactions] + [r.expr for r in self.assignment_rules]
        texts += [r.expr for r in self.rate_rules]
        return any(parse_expr(t).has_delay for t in texts)

    # ---------------------------------------------------------------- changes (new objects)
    def with_params(self, values: Mapping[str, float] | None = None, **kw: float) -> Model:
        """A copy with parameter (or compartment size or species initial) values changed.

        Names that are species set the initial concentration; compartments set the size.
        Unknown names are an error naming the closest ids.
        """
        changes = {**(values or {}), **kw}
        if not changes:
            return self
        params = {p.id: p for p in self.parameters}
        species = {s.id: s for s in self.species}
        comps = {c.id: c for c in self.compartments}
        for k, v in changes.items():
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise ModelError(f"The value for {k!r} must be a number. Got {v!r}.") from None
            if math.isnan(v):
                raise ModelError(f"The value for {k!r} is NaN; give a number.")
            if k in params:
                params[k] = replace(params[k], value=v)
            elif k in species:
                species[k] = replace(species[k], initial=v)
            elif k in comps:
                comps[k] = replace(comps[k], size=v)
            else:
                known = list(params) + list(species) + list(comps)
                raise ModelError(
                    f"Model {self.id!r} has no parameter, species or compartment "
                    f"{k!r}.{_did_you_mean(k, known)}"
                )
        return replace(
            self,
            parameters=tuple(params.values()),
            species=tuple(species.values()),
            compartments=tuple(comps.values()),
        )

    def with_initial(self, values: Mapping[str, float] | None = None, **kw: float) -> Model:
        """A copy with species initial values changed (alias of :meth:`with_params` for species)."""
        changes = {**(values or {}), **kw}
        bad = [k for k in changes if k not in self.species_ids]
        if bad:
            raise ModelError(
                f"Model {self.id!r} has no species {bad[0]!r}."
                f"{_did_you_mean(bad[0], self.species_ids)}"
            )
        return self.with_params(changes)

    def with_components(self, *parts: Components, id: str | None = None) -> Model:
        """A copy with more components merged in (motifs added to an existing model)."""
        base = Components(**{g: getattr(self, g) for g in _GROUPS})
        return Model.build(
            id or self.id,
            base,
            *parts,
            name=self.name,
            notes=self.notes,
            meta=dict(self.meta),
            time_units=self.time_units,
            conc_units=self.conc_units,
        )

    # ---------------------------------------------------------------- description
    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping) -> Model:
        kinds = {
            "compartments": Compartment,
            "species": Species,
            "parameters": Parameter,
            "reactions": Reaction,
            "assignment_rules": Rule,
            "rate_rules": Rule,
            "initial_assignments": InitialAssignment,
            "observables": Observable,
        }
        kw = dict(d)
        for g, k in kinds.items():
            kw[g] = tuple(k(**_tuples(x)) for x in d.get(g, ()))
        kw["events"] = tuple(
            Event(**{**e, "assignments": tuple(EventAssignment(**a) for a in e["assignments"])})
            for e in d.get("events", ())
        )
        kw["meta"] = tuple(tuple(m) for m in d.get("meta", ()))
        return cls(**kw)

    def fingerprint(self, structure_only: bool = False) -> str:
        """A SHA-256 of the model; ``structure_only`` leaves out parameter and initial values."""
        d = self.to_dict()
        d.pop("meta", None)
        if structure_only:
            d["parameters"] = [{"id": p["id"], "constant": p["constant"]} for p in d["parameters"]]
            d["species"] = [{k: v for k, v in s.items() if k != "initial"} for s in d["species"]]
            d["compartments"] = [
                {k: v for k, v in c.items() if k != "size"} for c in d["compartments"]
            ]
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()

    def parameter_table(self) -> pd.DataFrame:
        """Every parameter with value, unit, source and whether it is estimated."""
        return pd.DataFrame(
            [asdict(p) for p in self.parameters],
            columns=["id", "value", "units", "source", "estimated", "description", "constant"],
        )

    def __repr__(self) -> str:
        return (
            f"Model({self.id!r}: {len(self.species)} species, {len(self.reactions)} reactions, "
            f"{len(self.parameters)} parameters, {len(self.events)} events)"
        )


def _plain(x):
    if isinstance(x, tuple):
        return [_plain(v) for v in x]
    if hasattr(x, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in asdict(x).items()}
    return x


def _tuples(d: Mapping) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, list):
            out[k] = tuple(tuple(x) if isinstance(x, list) else x for x in v)
        else:
            out[k] = v
    return out


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
