"""SBML import and export through python-libsbml.

:func:`read_sbml` turns an SBML Level 2 or 3 (core) file into a frozen :class:`~p53lab.model.Model`;
:func:`write_sbml` writes any model as SBML Level 3 Version 2 core. Math is translated by walking
libSBML's ``ASTNode`` tree into p53lab's expression language (never through formula strings, whose
``log`` is ambiguous), and back with :func:`p53lab.model._expr.to_mathml`.

Semantics follow the SBML specification: a species symbol means its concentration unless the
species has only substance units (then its amount); kinetic laws are in substance per time; a
rate rule on a species changes the quantity its symbol means. Constructs p53lab does not simulate
(algebraic rules, compartments that change size, ``rateOf``, ``factorial``, variable
stoichiometry, fast reactions, conversion factors, required SBML packages) raise
:class:`~p53lab.errors.UnsupportedSBMLError` naming the element, never a silently wrong model.

:func:`sbml_default_selection` reproduces the species libRoadRunner reports by default, so that
``p53lab sbml simulate`` writes the columns a libRoadRunner user expects.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import libsbml

from ..errors import ModelError, ParameterError, SBMLError, UnsupportedSBMLError
from ..model._expr import CONSTANTS, FUNCTIONS, parse_expr, to_mathml
from ..model._model import (
    Compartment,
    Event,
    EventAssignment,
    InitialAssignment,
    Model,
    Observable,
    Parameter,
    Reaction,
    Rule,
    Species,
)

__all__ = [
    "read_sbml",
    "sbml_default_selection",
    "sbml_ids",
    "sbml_info",
    "simulate_sbml",
    "simulate_sbml_ensemble",
    "write_sbml",
]

_BAD_SEVERITY = (libsbml.LIBSBML_SEV_ERROR, libsbml.LIBSBML_SEV_FATAL)
# Model ids that would clash with names our expression language reserves; such SBML ids get a
# trailing underscore and the mapping is kept in ``Model.meta['sbml_renamed']``.
_RESERVED = set(CONSTANTS) | set(FUNCTIONS) | {"True", "False"}
_META_RENAMED = "sbml_renamed"

# Time units we recognise, as multiples of one second.
_TIME_NAMES = {1.0: "s", 60.0: "min", 3600.0: "h", 86400.0: "d"}
_TIME_UNITDEFS = {
    "s": ("second", 1.0),
    "min": ("minute", 60.0),
    "h": ("hour", 3600.0),
    "d": ("day", 86400.0),
}
# Concentration units as mol/L.
_CONC_NAMES = {1.0: "M", 1e-3: "mM", 1e-6: "µM", 1e-9: "nM", 1e-12: "pM"}
_CONC_SCALES = {"M": 0, "mM": -3, "µM": -6, "uM": -6, "nM": -9, "pM": -12}
_SUBSTANCE_IDS = {0: "mole", -3: "mmol", -6: "umol", -9: "nmol", -12: "pmol"}

# Keys of the ``<p>Key: value</p>`` lines p53lab writes into SBML notes and reads back.
_NOTE_KEYS = ("Source", "Estimated", "Description", "Units", "Kind", "Motif")


# ================================================================================================
# Reading


def read_sbml(source: str | Path) -> Model:
    """Read an SBML file (a path, or a string holding the XML itself) into a :class:`Model`.

    Raises :class:`SBMLError` naming the file, the line and libSBML's message when the file
    cannot be read, and :class:`UnsupportedSBMLError` naming the element for constructs p53lab
    does not simulate. SBML ids are kept; only ids that clash with names reserved by p53lab's
    expression language (``time``, ``exp``, ``pi``, ...) get a trailing underscore.
    """
    text, label = _load(source)
    reader = libsbml.SBMLReader()
    doc = reader.readSBMLFromString(text) if text is not None else reader.readSBMLFromFile(label)
    _raise_read_errors(doc, label)
    if doc.getModel() is None:
        raise SBMLError(f"{label}: the SBML document has no <model> element.")
    return _Reader(doc, label).model()


def _load(source: str | Path) -> tuple[str | None, str]:
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source, "<SBML string>"
    if not isinstance(source, str | Path):
        raise ParameterError(
            f"read_sbml needs a path or an SBML string. Got {type(source).__name__} instead."
        )
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    return None, str(path)


def _raise_read_errors(doc: libsbml.SBMLDocument, label: str) -> None:
    bad = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() in _BAD_SEVERITY
    ]
    if not bad:
        return
    first = bad[0]
    msg = " ".join(first.getMessage().split()).rstrip(".")
    more = f" ({len(bad) - 1} more error(s) follow)" if len(bad) > 1 else ""
    if first.getErrorId() == libsbml.XMLFileUnreadable:
        raise SBMLError(f"{label}: the file cannot be read ({msg}).")
    hint = (
        "Check that the file is complete (a truncated download gives this error)."
        if first.getCategory() == libsbml.LIBSBML_CAT_XML
        else "Check the file against the SBML specification (or validate it at sbml.org)."
    )
    raise SBMLError(f"{label}, line {first.getLine()}: {msg}{more}. {hint}")


def _unsupported(what: str, where: str, reason: str) -> UnsupportedSBMLError:
    return UnsupportedSBMLError(f"{what} {where} is not supported: {reason}")


class _Reader:
    """Converts one libSBML document into a :class:`Model`."""

    def __init__(self, doc: libsbml.SBMLDocument, label: str):
        self.doc = doc
        self.label = label
        self._check_packages()
        self._convert()
        self.m: libsbml.Model = doc.getModel()
        self.level = doc.getLevel()
        m = self.m
        ids = (
            [c.getId() for c in m.getListOfCompartments()]
            + [s.getId() for s in m.getListOfSpecies()]
            + [p.getId() for p in m.getListOfParameters()]
            + [r.getId() for r in m.getListOfReactions()]
        )
        taken = set(ids)
        self.rename: dict[str, str] = {}
        for sid in ids:
            if sid in _RESERVED or sid.startswith("__kw_"):
                new = sid + "_"
                while new in taken:
                    new += "_"
                taken.add(new)
                self.rename[sid] = new
        # species references with an id (L3): their symbol means the stoichiometry
        self.sref_value: dict[str, float] = {}
        self.rule_targets = {r.getVariable() for r in m.getListOfRules() if not r.isAlgebraic()}
        self.ia_targets = {ia.getSymbol() for ia in m.getListOfInitialAssignments()}
        self.event_targets = {
            ea.getVariable() for ev in m.getListOfEvents() for ea in ev.getListOfEventAssignments()
        }

    # ------------------------------------------------------------------ document level
    def _check_packages(self) -> None:
        if self.doc.getLevel() < 3:
            return
        ns = self.doc.getNamespaces()
        core = libsbml.SBMLNamespaces.getSBMLNamespaceURI(
            self.doc.getLevel(), self.doc.getVersion()
        )
        declared = {ns.getURI(i) for i in range(ns.getLength())} - {core}
        for i in range(self.doc.getNumPlugins()):
            plugin = self.doc.getPlugin(i)
            name = plugin.getPackageName()
            if plugin.getURI() in declared and self.doc.getPackageRequired(name):
                raise _unsupported(
                    f"The SBML package {name!r}",
                    "(required by this document)",
                    "p53lab reads SBML core only.",
                )

    def _convert(self) -> None:
        m = self.doc.getModel()
        if m is None:
            return
        if m.getNumFunctionDefinitions():
            self._run_converter("expandFunctionDefinitions", "expand the function definitions")
        if any(
            r.isSetKineticLaw()
            and (r.getKineticLaw().getNumParameters() or r.getKineticLaw().getNumLocalParameters())
            for r in m.getListOfReactions()
        ):
            self._run_converter("promoteLocalParameters", "promote the local parameters")

    def _run_converter(self, option: str, what: str) -> None:
        props = libsbml.ConversionProperties()
        props.addOption(option, True)
        n_before = self.doc.getNumErrors()
        rc = self.doc.convert(props)
        if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
            errs = [
                self.doc.getError(i)
                for i in range(n_before, self.doc.getNumErrors())
                if self.doc.getError(i).getSeverity() in _BAD_SEVERITY
            ]
            detail = " ".join(errs[0].getMessage().split()) if errs else f"libSBML code {rc}"
            raise SBMLError(f"{self.label}: libSBML could not {what}: {detail}")

    # ------------------------------------------------------------------ the model
    def model(self) -> Model:
        m = self.m
        rn = self.rename
        self._check_rules()
        compartments = self._compartments()
        species, extra_ias = self._species({c.id: c for c in compartments})
        parameters, observables = self._parameters()
        reactions = self._reactions()
        assignment_rules, rate_rules = [], []
        observable_ids = {o.id for o in observables}
        obs_expr: dict[str, str] = {}
        for rule in m.getListOfRules():
            var = rule.getVariable()
            kind = "assignmentRule" if rule.isAssignment() else "rateRule"
            expr = self.math(rule, f"the {_KIND_WORDS[kind]} for {var!r} (SBML element {kind})")
            target = rn.get(var, var)
            if target in observable_ids:
                obs_expr[target] = expr
            elif rule.isAssignment():
                assignment_rules.append(Rule(target, expr))
            else:
                rate_rules.append(Rule(target, expr))
        observables = [replace(o, expr=obs_expr[o.id]) for o in observables if o.id in obs_expr]
        ias = []
        for ia in m.getListOfInitialAssignments():
            sym = ia.getSymbol()
            if sym in self.sref_value:
                continue  # folded into the stoichiometry
            where = f"the initial assignment for {sym!r} (SBML element initialAssignment)"
            ias.append(InitialAssignment(rn.get(sym, sym), self.math(ia, where)))
        have = {ia.variable for ia in ias}
        ias += [ia for ia in extra_ias if ia.variable not in have]
        events = self._events()
        time_units, conc_units = self._units()
        meta = {
            "source": "sbml",
            "sbml_file": self.label,
            "sbml_level": f"{self.level}.{self.doc.getVersion()}",
        }
        if rn:
            meta[_META_RENAMED] = json.dumps(rn, sort_keys=True)
        species = [replace(s, units=conc_units if not s.amount else "") for s in species]
        try:
            return Model(
                id=_model_id(m.getId() or Path(self.label).stem),
                name=m.getName() or m.getId(),
                compartments=tuple(compartments),
                species=tuple(species),
                parameters=tuple(parameters),
                reactions=tuple(reactions),
                assignment_rules=tuple(assignment_rules),
                rate_rules=tuple(rate_rules),
                initial_assignments=tuple(ias),
                events=tuple(events),
                observables=tuple(observables),
                time_units=time_units,
                conc_units=conc_units,
                notes=_notes_fields(m).get("Description", _notes_text(m))[:500],
                meta=tuple(sorted(meta.items())),
            )
        except ModelError as exc:
            raise SBMLError(f"{self.label}: the model is inconsistent: {exc}") from None

    def _check_rules(self) -> None:
        m = self.m
        compartments = {c.getId() for c in m.getListOfCompartments()}
        for rule in m.getListOfRules():
            if rule.isAlgebraic():
                names = _names(rule.getMath())
                cands = [n for n in names if self._is_variable(n)] or names
                who = ", ".join(repr(n) for n in cands) or "an unknown variable"
                raise _unsupported(
                    f"Algebraic rule for {who}",
                    "(SBML element algebraicRule)",
                    "p53lab integrates ordinary differential equations only; rewrite the "
                    "constraint as an assignment rule or a rate rule.",
                )
            var = rule.getVariable()
            kind = "assignmentRule" if rule.isAssignment() else "rateRule"
            if var in compartments:
                raise _unsupported(
                    f"The {_KIND_WORDS[kind]} for compartment {var!r}",
                    f"(SBML element {kind})",
                    "p53lab simulates compartments of constant size only.",
                )
        for ev in m.getListOfEvents():
            for ea in ev.getListOfEventAssignments():
                if ea.getVariable() in compartments:
                    raise _unsupported(
                        f"The event assignment to compartment {ea.getVariable()!r} in event "
                        f"{ev.getId()!r}",
                        "(SBML element eventAssignment)",
                        "p53lab simulates compartments of constant size only.",
                    )

    def _is_variable(self, name: str) -> bool:
        m = self.m
        for getter in (m.getSpecies, m.getParameter, m.getCompartment):
            obj = getter(name)
            if obj is not None:
                return not obj.getConstant() and name not in self.rule_targets
        return False

    def _read_elsewhere(self, pid: str) -> set[str]:
        """Names read by any math other than the assignment rule of ``pid``."""
        m = self.m
        nodes = [r.getMath() for r in m.getListOfRules() if r.getVariable() != pid]
        nodes += [ia.getMath() for ia in m.getListOfInitialAssignments()]
        nodes += [
            r.getKineticLaw().getMath() for r in m.getListOfReactions() if r.isSetKineticLaw()
        ]
        for ev in m.getListOfEvents():
            nodes += [ev.getTrigger().getMath() if ev.isSetTrigger() else None]
            nodes += [ev.getDelay().getMath() if ev.isSetDelay() else None]
            nodes += [ev.getPriority().getMath() if ev.isSetPriority() else None]
            nodes += [ea.getMath() for ea in ev.getListOfEventAssignments()]
        return {n for node in nodes for n in _names(node)}

    # ------------------------------------------------------------------ parts
    def _compartments(self) -> list[Compartment]:
        out = []
        for c in self.m.getListOfCompartments():
            cid = c.getId()
            if c.isSetSize():
                size = c.getSize()
            elif cid in self.ia_targets:
                size = 1.0  # placeholder; the initial assignment sets it
            elif self.level < 3:
                size = 1.0  # the Level 2 default
            else:
                raise SBMLError(
                    f"{self.label}: compartment {cid!r} has no size and no initial "
                    "assignment; give it a size."
                )
            if c.isSetSpatialDimensions() or self.level < 3:
                dims = (
                    float(c.getSpatialDimensionsAsDouble())
                    if self.level >= 3
                    else float(c.getSpatialDimensions())
                )
            else:
                dims = 3.0
            constant = c.getConstant() if (c.isSetConstant() or self.level < 3) else True
            out.append(
                Compartment(
                    self.rename.get(cid, cid),
                    size=float(size),
                    constant=bool(constant),
                    units=c.getUnits(),
                    spatial_dimensions=dims,
                )
            )
        return out

    def _species(
        self, comps: Mapping[str, Compartment]
    ) -> tuple[list[Species], list[InitialAssignment]]:
        m, rn = self.m, self.rename
        if self.level >= 3 and m.isSetConversionFactor():
            raise _unsupported(
                f"The conversion factor {m.getConversionFactor()!r}",
                "of the model (SBML attribute conversionFactor)",
                "give the species' quantities in the model's units instead.",
            )
        out, extra = [], []
        for s in m.getListOfSpecies():
            sid = s.getId()
            if self.level >= 3 and s.isSetConversionFactor():
                raise _unsupported(
                    f"The conversion factor of species {sid!r}",
                    "(SBML attribute conversionFactor)",
                    "give the species' quantities in the model's units instead.",
                )
            comp_id = rn.get(s.getCompartment(), s.getCompartment())
            comp = comps.get(comp_id)
            if comp is None:
                raise SBMLError(
                    f"{self.label}: species {sid!r} is in the unknown compartment "
                    f"{s.getCompartment()!r}."
                )
            amount_only = bool(s.getHasOnlySubstanceUnits())
            size_later = s.getCompartment() in self.ia_targets
            if s.isSetInitialConcentration():
                value = s.getInitialConcentration()
                if amount_only:
                    if size_later:
                        extra.append(InitialAssignment(rn.get(sid, sid), f"{value!r} * {comp_id}"))
                    value = value * comp.size
            elif s.isSetInitialAmount():
                value = s.getInitialAmount()
                if not amount_only:
                    if size_later:
                        extra.append(InitialAssignment(rn.get(sid, sid), f"{value!r} / {comp_id}"))
                    value = value / comp.size if comp.size else math.nan
            elif sid in self.ia_targets or sid in self.rule_targets:
                value = 0.0  # placeholder; a rule or initial assignment gives the value
            else:
                raise SBMLError(
                    f"{self.label}: species {sid!r} has no initial amount or "
                    "concentration and no rule or initial assignment; give it one."
                )
            constant = s.getConstant() if (s.isSetConstant() or self.level < 3) else False
            name = s.getName() if s.isSetName() and s.getName() != sid else ""
            out.append(
                Species(
                    rn.get(sid, sid),
                    initial=float(value),
                    compartment=comp_id,
                    name=name,
                    boundary=bool(s.getBoundaryCondition()),
                    constant=bool(constant),
                    amount=amount_only,
                    description=_notes_fields(s).get("Description", ""),
                )
            )
        return out, extra

    def _parameters(self) -> tuple[list[Parameter], list[Observable]]:
        params, observables = [], []
        assigned = {r.getVariable() for r in self.m.getListOfRules() if r.isAssignment()}
        for p in self.m.getListOfParameters():
            pid = p.getId()
            fields = _notes_fields(p)
            if p.isSetValue():
                value = p.getValue()
            elif pid in self.ia_targets or pid in assigned:
                value = 0.0  # placeholder; the rule or initial assignment gives the value
            else:
                raise SBMLError(
                    f"{self.label}: parameter {pid!r} has no value and no "
                    "assignment rule or initial assignment; give it a value."
                )
            new_id = self.rename.get(pid, pid)
            if (
                fields.get("Kind") == "observable"
                and pid in assigned
                and pid not in self._read_elsewhere(pid)
            ):
                observables.append(
                    Observable(
                        new_id,
                        "0",
                        units=fields.get("Units", ""),
                        description=fields.get("Description", ""),
                    )
                )
                continue
            description = fields.get("Description")
            if description is None and not fields:
                parts = [p.getName()] if p.isSetName() and p.getName() != pid else []
                text = _notes_text(p)
                if text:
                    parts.append(text)
                description = ": ".join(parts)[:300]
            description = description or ""
            if math.isnan(value):
                raise SBMLError(f"{self.label}: parameter {pid!r} has the value NaN.")
            constant = p.getConstant() if (p.isSetConstant() or self.level < 3) else True
            params.append(
                Parameter(
                    new_id,
                    float(value),
                    units=fields.get("Units", p.getUnits()),
                    source=fields.get("Source", ""),
                    estimated=fields.get("Estimated", "").lower() in ("yes", "true"),
                    description=description,
                    constant=bool(constant),
                )
            )
        return params, observables

    def _stoichiometry(self, r: libsbml.Reaction, sr: libsbml.SpeciesReference) -> float:
        where = (
            f"species reference to {sr.getSpecies()!r} in reaction {r.getId()!r} "
            "(SBML element speciesReference)"
        )
        if self.level < 3 and sr.isSetStoichiometryMath():
            raise _unsupported(
                "The stoichiometryMath of the",
                where,
                "p53lab supports constant stoichiometries only.",
            )
        value = sr.getStoichiometry() if sr.isSetStoichiometry() or self.level < 3 else 1.0
        if self.level >= 3 and sr.isSetId():
            srid = sr.getId()
            if srid in self.rule_targets or srid in self.event_targets:
                raise _unsupported(
                    f"A stoichiometry changed by a rule or event ({srid!r}) of the",
                    where,
                    "p53lab supports constant stoichiometries only.",
                )
            ia = self.m.getInitialAssignmentBySymbol(srid)
            if ia is not None:
                node = ia.getMath()
                if node is None or not node.isNumber():
                    raise _unsupported(
                        f"A stoichiometry set by an initial assignment ({srid!r}) of the",
                        where,
                        "p53lab supports numeric stoichiometries only.",
                    )
                value = _number(node)
            self.sref_value[srid] = float(value)
        if not math.isfinite(value):
            raise SBMLError(f"{self.label}: the {where} has the stoichiometry {value}.")
        return float(value)

    def _reactions(self) -> list[Reaction]:
        out = []
        rn = self.rename
        for r in self.m.getListOfReactions():
            rid = r.getId()
            if r.isSetFast() and r.getFast():
                raise _unsupported(
                    f"The fast reaction {rid!r}",
                    "(SBML attribute fast='true')",
                    "p53lab has no rapid-equilibrium solver; set fast='false'.",
                )
            reactants = tuple(
                (rn.get(sr.getSpecies(), sr.getSpecies()), self._stoichiometry(r, sr))
                for sr in r.getListOfReactants()
            )
            products = tuple(
                (rn.get(sr.getSpecies(), sr.getSpecies()), self._stoichiometry(r, sr))
                for sr in r.getListOfProducts()
            )
            modifiers = tuple(
                rn.get(x.getSpecies(), x.getSpecies()) for x in r.getListOfModifiers()
            )
            out.append((r, reactants, products, modifiers))
        reactions = []
        for r, reactants, products, modifiers in out:
            rid = r.getId()
            kl = r.getKineticLaw() if r.isSetKineticLaw() else None
            if kl is None or kl.getMath() is None:
                rate = "0"  # a reaction without a kinetic law does not proceed
            else:
                rate = self.math(
                    kl, f"the kinetic law of reaction {rid!r} (SBML element kineticLaw)"
                )
            reactions.append(
                Reaction(
                    rn.get(rid, rid),
                    rate,
                    reactants=reactants,
                    products=products,
                    modifiers=modifiers,
                    name=r.getName() if r.getName() != rid else "",
                    motif=_notes_fields(r).get("Motif", ""),
                )
            )
        return reactions

    def _events(self) -> list[Event]:
        events = []
        rn = self.rename
        for i, ev in enumerate(self.m.getListOfEvents()):
            eid = ev.getId() or f"event_{i + 1}"
            where = f"event {eid!r}"
            trig = ev.getTrigger()
            if trig is None or trig.getMath() is None:
                raise SBMLError(f"{self.label}: {where} has no trigger.")
            trigger = self.math(trig, f"the trigger of {where} (SBML element trigger)")
            delay = None
            if ev.isSetDelay() and ev.getDelay().getMath() is not None:
                delay = self.math(ev.getDelay(), f"the delay of {where} (SBML element delay)")
            priority = None
            if self.level >= 3 and ev.isSetPriority() and ev.getPriority().getMath() is not None:
                priority = self.math(
                    ev.getPriority(), f"the priority of {where} (SBML element priority)"
                )
            assigns = []
            for ea in ev.getListOfEventAssignments():
                var = ea.getVariable()
                if var in self.sref_value:
                    raise _unsupported(
                        f"The event assignment to the stoichiometry {var!r} in",
                        f"{where} (SBML element eventAssignment)",
                        "p53lab supports constant stoichiometries only.",
                    )
                if ea.getMath() is None:
                    continue
                expr = self.math(
                    ea, f"the assignment to {var!r} in {where} (SBML element eventAssignment)"
                )
                assigns.append(EventAssignment(rn.get(var, var), expr))
            persistent = trig.getPersistent() if trig.isSetPersistent() else True
            initial_value = trig.getInitialValue() if trig.isSetInitialValue() else True
            uvftt = (
                ev.getUseValuesFromTriggerTime()
                if ev.isSetUseValuesFromTriggerTime() or self.level < 3
                else True
            )
            events.append(
                Event(
                    eid,
                    trigger,
                    tuple(assigns),
                    delay=delay,
                    priority=priority,
                    persistent=bool(persistent),
                    initial_value=bool(initial_value),
                    use_values_from_trigger_time=bool(uvftt),
                )
            )
        return events

    # ------------------------------------------------------------------ units
    def _units(self) -> tuple[str, str]:
        m = self.m
        if self.level >= 3:
            tu = m.getTimeUnits() if m.isSetTimeUnits() else ""
            su = m.getSubstanceUnits() if m.isSetSubstanceUnits() else ""
            vu = m.getVolumeUnits() if m.isSetVolumeUnits() else ""
        else:
            tu = "time" if m.getUnitDefinition("time") is not None else "second"
            su = "substance" if m.getUnitDefinition("substance") is not None else "mole"
            vu = "volume" if m.getUnitDefinition("volume") is not None else "litre"
        t = self._unit_factor(tu, "second")
        time_units = (
            _TIME_NAMES.get(_round_factor(t), "model time units") if t else "model time units"
        )
        sub = self._unit_factor(su, "mole")
        vol = self._unit_factor(vu, "litre")
        conc_units = "model concentration units"
        if sub and vol:
            conc_units = _CONC_NAMES.get(_round_factor(sub / vol), conc_units)
        return time_units, conc_units

    def _unit_factor(self, ref: str, kind: str) -> float | None:
        """The size of unit ``ref`` in ``kind`` (second, mole, litre), or None if it is not one."""
        if not ref:
            return None
        if ref == kind:
            return 1.0
        ud = self.m.getUnitDefinition(ref)
        if ud is None or ud.getNumUnits() != 1:
            return None
        u = ud.getUnit(0)
        factor = u.getMultiplier() * 10.0 ** u.getScale()
        name = libsbml.UnitKind_toString(u.getKind())
        if name == kind and u.getExponentAsDouble() == 1:
            return factor
        if kind == "litre" and name == "metre" and u.getExponentAsDouble() == 3:
            return 1000.0 * factor**3
        return None

    # ------------------------------------------------------------------ math
    def math(self, obj, where: str) -> str:
        node = obj.getMath()
        if node is None:
            raise SBMLError(f"{self.label}: {where} has no math.")
        return _Translator(self.rename, self.sref_value, where).text(node)


_KIND_WORDS = {"assignmentRule": "assignment rule", "rateRule": "rate rule"}


def _short(err: libsbml.SBMLError) -> str:
    """libSBML's short message and the specific last line of its long one."""
    lines = [x.strip() for x in err.getMessage().splitlines() if x.strip()]
    return f"{err.getShortMessage().rstrip('.')}: {lines[-1] if lines else ''}"


def _round_factor(x: float) -> float:
    return float(f"{x:.12g}")


def _model_id(raw: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", raw or "")
    return ident or "sbml_model"


def _names(node: libsbml.ASTNode | None) -> list[str]:
    out: list[str] = []
    if node is None:
        return out
    if node.getType() == libsbml.AST_NAME and node.getName() not in out:
        out.append(node.getName())
    for i in range(node.getNumChildren()):
        for n in _names(node.getChild(i)):
            if n not in out:
                out.append(n)
    return out


def _notes_string(obj) -> str:
    return obj.getNotesString() if obj.isSetNotes() else ""


def _notes_text(obj) -> str:
    raw = _notes_string(obj)
    if not raw:
        return ""
    text = re.sub(r"<[^>]+>", " ", raw)
    return " ".join(html.unescape(text).split())


def _notes_fields(obj) -> dict[str, str]:
    """``<p>Key: value</p>`` lines that p53lab writes into notes."""
    raw = _notes_string(obj)
    out = {}
    keys = "|".join(_NOTE_KEYS)
    for key, value in re.findall(rf"<p[^>]*>\s*({keys}):\s*(.*?)\s*</p>", raw, flags=re.S):
        out[key] = html.unescape(value)
    return out


def _number(node: libsbml.ASTNode) -> float:
    t = node.getType()
    if t == libsbml.AST_INTEGER:
        return float(node.getInteger())
    if t == libsbml.AST_RATIONAL:
        return node.getNumerator() / node.getDenominator()
    return float(node.getReal())


# ------------------------------------------------------------------------------------------------
# MathML (libSBML AST) -> p53lab expression text

# Python operator precedence, lowest to highest.
_P_OR, _P_AND, _P_NOT, _P_CMP, _P_ADD, _P_MUL, _P_NEG, _P_POW, _P_ATOM = range(1, 10)

_SIMPLE_FUNCS = {
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_EXP: "exp",
    libsbml.AST_FUNCTION_LN: "log",
    libsbml.AST_FUNCTION_FLOOR: "floor",
    libsbml.AST_FUNCTION_CEILING: "ceil",
    libsbml.AST_FUNCTION_SIN: "sin",
    libsbml.AST_FUNCTION_COS: "cos",
    libsbml.AST_FUNCTION_TAN: "tan",
    libsbml.AST_FUNCTION_ARCSIN: "arcsin",
    libsbml.AST_FUNCTION_ARCCOS: "arccos",
    libsbml.AST_FUNCTION_ARCTAN: "arctan",
    libsbml.AST_FUNCTION_SINH: "sinh",
    libsbml.AST_FUNCTION_COSH: "cosh",
    libsbml.AST_FUNCTION_TANH: "tanh",
    libsbml.AST_FUNCTION_MIN: "min",
    libsbml.AST_FUNCTION_MAX: "max",
    libsbml.AST_FUNCTION_REM: "rem",
    libsbml.AST_FUNCTION_QUOTIENT: "quotient",
    libsbml.AST_FUNCTION_DELAY: "delay",
    libsbml.AST_FUNCTION_PIECEWISE: "piecewise",
}
# Functions our language lacks, written with the ones it has ({0} is the argument).
_DERIVED_FUNCS = {
    libsbml.AST_FUNCTION_SEC: "1 / cos({0})",
    libsbml.AST_FUNCTION_CSC: "1 / sin({0})",
    libsbml.AST_FUNCTION_COT: "1 / tan({0})",
    libsbml.AST_FUNCTION_SECH: "1 / cosh({0})",
    libsbml.AST_FUNCTION_CSCH: "1 / sinh({0})",
    libsbml.AST_FUNCTION_COTH: "1 / tanh({0})",
    libsbml.AST_FUNCTION_ARCSEC: "arccos(1 / {0})",
    libsbml.AST_FUNCTION_ARCCSC: "arcsin(1 / {0})",
    libsbml.AST_FUNCTION_ARCCOT: "arctan(1 / {0})",
    libsbml.AST_FUNCTION_ARCSINH: "log({0} + sqrt({0} ** 2 + 1))",
    libsbml.AST_FUNCTION_ARCCOSH: "log({0} + sqrt({0} ** 2 - 1))",
    libsbml.AST_FUNCTION_ARCTANH: "0.5 * log((1 + {0}) / (1 - {0}))",
    libsbml.AST_FUNCTION_ARCSECH: "log((1 + sqrt(1 - {0} ** 2)) / {0})",
    libsbml.AST_FUNCTION_ARCCSCH: "log(1 / {0} + sqrt(1 / {0} ** 2 + 1))",
    libsbml.AST_FUNCTION_ARCCOTH: "0.5 * log(({0} + 1) / ({0} - 1))",
}
_RELATIONS = {
    libsbml.AST_RELATIONAL_EQ: "==",
    libsbml.AST_RELATIONAL_NEQ: "!=",
    libsbml.AST_RELATIONAL_LT: "<",
    libsbml.AST_RELATIONAL_LEQ: "<=",
    libsbml.AST_RELATIONAL_GT: ">",
    libsbml.AST_RELATIONAL_GEQ: ">=",
}


class _Translator:
    """Walks a libSBML ``ASTNode`` and writes p53lab expression text with minimal parentheses."""

    def __init__(self, rename: Mapping[str, str], sref_value: Mapping[str, float], where: str):
        self.rename = rename
        self.sref_value = sref_value
        self.where = where

    def text(self, node: libsbml.ASTNode) -> str:
        return self.tr(node)[0]

    def fail(self, what: str, reason: str) -> UnsupportedSBMLError:
        return _unsupported(what, f"in {self.where}", reason)

    def wrap(self, node: libsbml.ASTNode, min_prec: int) -> str:
        """The text of ``node``, parenthesised unless its precedence is at least ``min_prec``."""
        s, p = self.tr(node)
        return s if p >= min_prec else f"({s})"

    def kids(self, node: libsbml.ASTNode) -> list[libsbml.ASTNode]:
        return [node.getChild(i) for i in range(node.getNumChildren())]

    def tr(self, node: libsbml.ASTNode) -> tuple[str, int]:
        t = node.getType()
        kids = self.kids(node)
        # ---- numbers and constants
        if t == libsbml.AST_INTEGER:
            v = node.getInteger()
            return str(v), (_P_ATOM if v >= 0 else _P_NEG)
        if t in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            if t == libsbml.AST_RATIONAL:
                num, den = node.getNumerator(), node.getDenominator()
                return f"{num} / {den}", _P_MUL
            v = float(node.getReal())
            if math.isnan(v):
                return "(inf - inf)", _P_ATOM
            if math.isinf(v):
                return ("inf", _P_ATOM) if v > 0 else ("-inf", _P_NEG)
            text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
            return text, (_P_ATOM if v >= 0 else _P_NEG)
        if t == libsbml.AST_CONSTANT_PI:
            return "pi", _P_ATOM
        if t == libsbml.AST_CONSTANT_E:
            return "exponentiale", _P_ATOM
        if t == libsbml.AST_CONSTANT_TRUE:
            return "True", _P_ATOM
        if t == libsbml.AST_CONSTANT_FALSE:
            return "False", _P_ATOM
        if t == libsbml.AST_NAME_TIME:
            return "time", _P_ATOM
        if t == libsbml.AST_NAME_AVOGADRO:
            return "avogadro", _P_ATOM
        if t == libsbml.AST_NAME:
            name = node.getName()
            if name in self.sref_value:
                return repr(self.sref_value[name]), _P_ATOM
            return self.rename.get(name, name), _P_ATOM
        # ---- arithmetic
        if t == libsbml.AST_PLUS:
            return self._nary(kids, " + ", _P_ADD, "0")
        if t == libsbml.AST_TIMES:
            return self._nary(kids, " * ", _P_MUL, "1")
        if t == libsbml.AST_MINUS:
            if len(kids) == 1:
                return f"-{self.wrap(kids[0], _P_NEG + 1)}", _P_NEG
            if not kids:
                raise self.fail("A minus without arguments", "the math is malformed.")
            return self._nary(kids, " - ", _P_ADD, "0")
        if t == libsbml.AST_DIVIDE:
            if len(kids) != 2:
                raise self.fail("A divide without two arguments", "the math is malformed.")
            return self._nary(kids, " / ", _P_MUL, "1")
        if t in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            if len(kids) != 2:
                raise self.fail("A power without two arguments", "the math is malformed.")
            return f"{self.wrap(kids[0], _P_ATOM)} ** {self.wrap(kids[1], _P_POW)}", _P_POW
        if t == libsbml.AST_FUNCTION_ROOT:
            if len(kids) == 1:
                return f"sqrt({self.text(kids[0])})", _P_ATOM
            degree, x = kids
            if degree.isNumber() and _number(degree) == 2:
                return f"sqrt({self.text(x)})", _P_ATOM
            return f"{self.wrap(x, _P_ATOM)} ** (1 / {self.wrap(degree, _P_MUL + 1)})", _P_POW
        if t == libsbml.AST_FUNCTION_LOG:
            if len(kids) == 1:
                return f"log10({self.text(kids[0])})", _P_ATOM
            base, x = kids
            if base.isNumber() and _number(base) == 10:
                return f"log10({self.text(x)})", _P_ATOM
            return f"log({self.text(x)}) / log({self.text(base)})", _P_MUL
        # ---- logic and relations
        if t in _RELATIONS:
            if len(kids) < 2:
                return "True", _P_ATOM
            op = f" {_RELATIONS[t]} "
            if len(kids) > 2 and t == libsbml.AST_RELATIONAL_NEQ:
                # MathML neq is binary; treat extra arguments pairwise like the others
                pairs = [
                    f"{self.wrap(a, _P_CMP + 1)} != {self.wrap(b, _P_CMP + 1)}"
                    for a, b in itertools.pairwise(kids)
                ]
                return " and ".join(pairs), _P_AND
            return op.join(self.wrap(k, _P_CMP + 1) for k in kids), _P_CMP
        if t == libsbml.AST_LOGICAL_AND:
            return self._nary(kids, " and ", _P_AND, "True")
        if t == libsbml.AST_LOGICAL_OR:
            return self._nary(kids, " or ", _P_OR, "False")
        if t == libsbml.AST_LOGICAL_NOT:
            if len(kids) != 1:
                raise self.fail("A not without one argument", "the math is malformed.")
            return f"not {self.wrap(kids[0], _P_NOT)}", _P_NOT
        if t == libsbml.AST_LOGICAL_XOR:
            if not kids:
                return "False", _P_ATOM
            s = self.wrap(kids[0], _P_CMP + 1)
            for k in kids[1:]:
                s = f"({s}) != ({self.text(k)})"
            return s, _P_CMP
        if t == libsbml.AST_LOGICAL_IMPLIES:
            a, b = kids
            return f"not {self.wrap(a, _P_NOT)} or {self.wrap(b, _P_OR + 1)}", _P_OR
        # ---- functions
        if t in _SIMPLE_FUNCS:
            name = _SIMPLE_FUNCS[t]
            if t == libsbml.AST_FUNCTION_PIECEWISE and not kids:
                return "(inf - inf)", _P_ATOM
            return f"{name}({', '.join(self.text(k) for k in kids)})", _P_ATOM
        if t in _DERIVED_FUNCS:
            if len(kids) != 1:
                raise self.fail(
                    f"The function {node.getName()!r} without one argument",
                    "the math is malformed.",
                )
            arg = f"({self.text(kids[0])})"
            return _DERIVED_FUNCS[t].format(arg), _P_MUL
        if t == libsbml.AST_FUNCTION_FACTORIAL:
            raise self.fail(
                "The factorial function",
                "p53lab's expressions have no factorial; replace it by a product or a parameter.",
            )
        if t == libsbml.AST_FUNCTION_RATE_OF:
            raise self.fail(
                "The rateOf function",
                "p53lab cannot read rates of change inside math; write the rate "
                "out as an expression.",
            )
        if t == libsbml.AST_FUNCTION:
            raise self.fail(
                f"The call to the undefined function {node.getName()!r}",
                "define it as an SBML functionDefinition.",
            )
        if t == libsbml.AST_LAMBDA:
            raise self.fail("A lambda expression", "lambdas belong in function definitions.")
        label = node.getName() or libsbml.ASTNode(t).getName() or f"AST type {t}"
        raise self.fail(
            f"The MathML construct {label!r}",
            "it is outside SBML core math that p53lab translates.",
        )

    def _nary(self, kids: list[libsbml.ASTNode], op: str, prec: int, empty: str) -> tuple[str, int]:
        if not kids:
            return empty, _P_ATOM
        if len(kids) == 1:
            return self.tr(kids[0])
        parts = [self.wrap(kids[0], prec)] + [self.wrap(k, prec + 1) for k in kids[1:]]
        return op.join(parts), prec


def sbml_ids(model: Model) -> dict[str, str]:
    """Model id -> SBML id for the ids :func:`read_sbml` had to rename (usually empty)."""
    raw = dict(model.meta).get(_META_RENAMED)
    return {new: old for old, new in json.loads(raw).items()} if raw else {}


# ================================================================================================
# Writing


def write_sbml(model: Model, path: str | Path | None = None) -> str:
    """Export ``model`` as SBML Level 3 Version 2 core; return the XML (and write it to ``path``).

    Parameters keep their values; a parameter's source, estimated flag, unit and description go
    into its ``<notes>`` as ``<p>Key: value</p>`` lines, which :func:`read_sbml` reads back.
    Observables become non-constant parameters defined by assignment rules. Models in hours get
    an ``hour`` time unit; models in nM get nmol substance and litre volume.
    """
    if not isinstance(model, Model):
        raise ParameterError(f"write_sbml needs a Model. Got {type(model).__name__} instead.")
    doc = _Writer(model).document()
    xml = libsbml.writeSBMLToString(doc)
    if path is not None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(xml, encoding="utf-8")
    return xml


class _Writer:
    def __init__(self, model: Model):
        self.model = model
        self.doc = libsbml.SBMLDocument(3, 2)
        self.back = sbml_ids(model)  # ids renamed on import go back to their SBML spelling
        self.species_ids = set(model.species_ids)

    def sid(self, name: str) -> str:
        sid = self.back.get(name, name)
        if not libsbml.SyntaxChecker.isValidSBMLSId(sid):
            raise ModelError(
                f"The id {sid!r} of model {self.model.id!r} is not a valid SBML id "
                "(letters, digits and '_', not starting with a digit)."
            )
        return sid

    def ok(self, rc: int, what: str) -> None:
        if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise ModelError(
                f"SBML export of model {self.model.id!r} failed at {what}: "
                f"{libsbml.OperationReturnValue_toString(rc)}."
            )

    def math(self, expr: str) -> libsbml.ASTNode:
        text = to_mathml(parse_expr(expr))
        if self.back:
            for new, old in self.back.items():
                text = text.replace(f"<ci> {new} </ci>", f"<ci> {old} </ci>")
        node = libsbml.readMathMLFromString(text)
        if node is None:
            raise ModelError(
                f"SBML export of model {self.model.id!r}: libSBML cannot read the "
                f"MathML of {expr!r}."
            )
        return node

    def notes(self, obj, fields: Iterable[tuple[str, str]]) -> None:
        lines = [f"<p>{k}: {html.escape(str(v), quote=False)}</p>" for k, v in fields if v]
        if lines:
            body = f'<body xmlns="http://www.w3.org/1999/xhtml">{"".join(lines)}</body>'
            self.ok(obj.setNotes(body), f"the notes of {obj.getId()!r}")

    def document(self) -> libsbml.SBMLDocument:
        mod = self.model
        m = self.doc.createModel()
        model_id = mod.id if libsbml.SyntaxChecker.isValidSBMLSId(mod.id) else f"model_{mod.id}"
        self.ok(m.setId(model_id), "the model id")
        if mod.name:
            m.setName(mod.name)
        if mod.notes:
            self.notes(m, [("Description", mod.notes)])
        self._units(m)
        assigned = {r.variable for r in mod.assignment_rules}
        rate_ruled = {r.variable for r in mod.rate_rules}
        event_targets = {a.variable for ev in mod.events for a in ev.assignments}
        in_reactions = {s for r in mod.reactions for s, _ in r.reactants + r.products}

        for c in mod.compartments:
            comp = m.createCompartment()
            self.ok(comp.setId(self.sid(c.id)), f"compartment {c.id!r}")
            comp.setSize(float(c.size))
            comp.setConstant(True)
            comp.setSpatialDimensions(float(c.spatial_dimensions))
        for s in mod.species:
            sp = m.createSpecies()
            self.ok(sp.setId(self.sid(s.id)), f"species {s.id!r}")
            if s.name:
                sp.setName(s.name)
            sp.setCompartment(self.sid(s.compartment))
            if s.amount:
                sp.setInitialAmount(float(s.initial))
            else:
                sp.setInitialConcentration(float(s.initial))
            sp.setHasOnlySubstanceUnits(bool(s.amount))
            ruled = s.id in assigned or s.id in rate_ruled
            # SBML: a species that rules set, or that is constant, must be a boundary species
            # to appear in reactions; p53lab ignores reaction terms for such species as well.
            boundary = s.boundary or (s.id in in_reactions and (ruled or s.constant))
            sp.setBoundaryCondition(bool(boundary))
            sp.setConstant(bool(s.constant) and not ruled and s.id not in event_targets)
            self.notes(sp, [("Description", s.description)])
        for p in mod.parameters:
            par = m.createParameter()
            self.ok(par.setId(self.sid(p.id)), f"parameter {p.id!r}")
            par.setValue(float(p.value))
            varying = p.id in assigned or p.id in rate_ruled or p.id in event_targets
            par.setConstant(bool(p.constant) and not varying)
            self.notes(
                par,
                [
                    ("Source", p.source),
                    ("Estimated", "yes" if p.estimated else ""),
                    ("Units", p.units),
                    ("Description", p.description),
                ],
            )
        for o in mod.observables:
            par = m.createParameter()
            self.ok(par.setId(self.sid(o.id)), f"observable {o.id!r}")
            par.setConstant(False)
            self.notes(
                par, [("Kind", "observable"), ("Units", o.units), ("Description", o.description)]
            )
        for ia in mod.initial_assignments:
            x = m.createInitialAssignment()
            self.ok(x.setSymbol(self.sid(ia.variable)), f"initial assignment {ia.variable!r}")
            self.ok(x.setMath(self.math(ia.expr)), f"initial assignment {ia.variable!r}")
        for r in mod.assignment_rules:
            x = m.createAssignmentRule()
            self.ok(x.setVariable(self.sid(r.variable)), f"assignment rule {r.variable!r}")
            self.ok(x.setMath(self.math(r.expr)), f"assignment rule {r.variable!r}")
        for o in mod.observables:
            x = m.createAssignmentRule()
            self.ok(x.setVariable(self.sid(o.id)), f"observable {o.id!r}")
            self.ok(x.setMath(self.math(o.expr)), f"observable {o.id!r}")
        for r in mod.rate_rules:
            x = m.createRateRule()
            self.ok(x.setVariable(self.sid(r.variable)), f"rate rule {r.variable!r}")
            self.ok(x.setMath(self.math(r.expr)), f"rate rule {r.variable!r}")
        for r in mod.reactions:
            self._reaction(m, r)
        for ev in mod.events:
            self._event(m, ev)
        self._check()
        return self.doc

    def _units(self, m: libsbml.Model) -> None:
        mod = self.model
        if mod.time_units in _TIME_UNITDEFS:
            uid, seconds = _TIME_UNITDEFS[mod.time_units]
            if uid != "second":
                ud = m.createUnitDefinition()
                ud.setId(uid)
                u = ud.createUnit()
                u.setKind(libsbml.UNIT_KIND_SECOND)
                u.setExponent(1.0)
                u.setScale(0)
                u.setMultiplier(seconds)
            m.setTimeUnits(uid)
        if mod.conc_units in _CONC_SCALES:
            scale = _CONC_SCALES[mod.conc_units]
            uid = _SUBSTANCE_IDS[scale]
            if uid != "mole":
                ud = m.createUnitDefinition()
                ud.setId(uid)
                u = ud.createUnit()
                u.setKind(libsbml.UNIT_KIND_MOLE)
                u.setExponent(1.0)
                u.setScale(scale)
                u.setMultiplier(1.0)
            m.setSubstanceUnits(uid)
            m.setExtentUnits(uid)
            m.setVolumeUnits("litre")

    def _reaction(self, m: libsbml.Model, r: Reaction) -> None:
        x = m.createReaction()
        self.ok(x.setId(self.sid(r.id)), f"reaction {r.id!r}")
        if r.name:
            x.setName(r.name)
        x.setReversible(False)
        for sid, coef in r.reactants:
            sr = x.createReactant()
            sr.setSpecies(self.sid(sid))
            sr.setStoichiometry(float(coef))
            sr.setConstant(True)
        for sid, coef in r.products:
            sr = x.createProduct()
            sr.setSpecies(self.sid(sid))
            sr.setStoichiometry(float(coef))
            sr.setConstant(True)
        # SBML wants every species the rate reads declared on the reaction
        named = {s for s, _ in r.reactants + r.products}
        read = [s for s in sorted(parse_expr(r.rate).symbols) if s in self.species_ids]
        for sid in dict.fromkeys([*r.modifiers, *read]):
            if sid in named:
                continue
            named.add(sid)
            mr = x.createModifier()
            mr.setSpecies(self.sid(sid))
        kl = x.createKineticLaw()
        self.ok(kl.setMath(self.math(r.rate)), f"the rate of reaction {r.id!r}")
        self.notes(x, [("Motif", r.motif)])

    def _event(self, m: libsbml.Model, ev: Event) -> None:
        x = m.createEvent()
        if ev.id:
            self.ok(x.setId(self.sid(ev.id)), f"event {ev.id!r}")
        x.setUseValuesFromTriggerTime(bool(ev.use_values_from_trigger_time))
        trig = x.createTrigger()
        trig.setPersistent(bool(ev.persistent))
        trig.setInitialValue(bool(ev.initial_value))
        self.ok(trig.setMath(self.math(ev.trigger)), f"the trigger of event {ev.id!r}")
        if ev.delay:
            self.ok(x.createDelay().setMath(self.math(ev.delay)), f"the delay of {ev.id!r}")
        if ev.priority:
            self.ok(
                x.createPriority().setMath(self.math(ev.priority)), f"the priority of {ev.id!r}"
            )
        for a in ev.assignments:
            ea = x.createEventAssignment()
            self.ok(ea.setVariable(self.sid(a.variable)), f"event {ev.id!r}")
            self.ok(ea.setMath(self.math(a.expr)), f"event {ev.id!r}")

    def _check(self) -> None:
        """libSBML's structural checks (units and modelling practice are advice, not errors)."""
        doc = self.doc
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
        doc.checkConsistency()
        bad = [
            doc.getError(i)
            for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() in _BAD_SEVERITY
        ]
        if bad:
            msgs = "; ".join(_short(e) for e in bad[:3])
            raise ModelError(f"SBML export of model {self.model.id!r} is not valid SBML: {msgs}")
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, True)


# ================================================================================================
# Selection, simulation and summaries


def sbml_default_selection(model: Model) -> list[str]:
    """The species libRoadRunner lists in its default time-course selection, in its order.

    libRoadRunner (2.x) lists the non-boundary species that no rule defines, in document order;
    then the non-boundary species that a rule (assignment or rate) defines, in document order;
    then the boundary species that have rate rules, in the order of the rate rules. Boundary
    species without rate rules are left out. Checked against ``RoadRunner.timeCourseSelections``
    in the tests.
    """
    ruled = {r.variable for r in model.assignment_rules} | {r.variable for r in model.rate_rules}
    floating = [s for s in model.species if not s.boundary]
    first = [s.id for s in floating if s.id not in ruled]
    second = [s.id for s in floating if s.id in ruled]
    boundary = {s.id for s in model.species if s.boundary}
    third = [r.variable for r in model.rate_rules if r.variable in boundary]
    return first + second + third


def _selection_outputs(model: Model) -> tuple[list[str], list[str]]:
    """The default selection, and the outputs to simulate for it: the selection plus the
    compartments of its species in substance units (to turn amounts into concentrations)."""
    selection = sbml_default_selection(model)
    species = {s.id: s for s in model.species}
    comps = [species[s].compartment for s in selection if species[s].amount]
    return selection, list(dict.fromkeys(selection + comps))


def _concentrations(model: Model, selection: list[str], res):
    """The selection's columns of a single or an ensemble result (outputs on the last axis),
    amounts divided by their compartment's size."""
    import numpy as np

    species = {s.id: s for s in model.species}
    values = np.array(res.values[..., : len(selection)])
    for j, sid in enumerate(selection):
        if species[sid].amount:
            values[..., j] /= res[species[sid].compartment]
    return values


def _sbml_names(model: Model, ids: list[str]) -> tuple[str, ...]:
    back = sbml_ids(model)
    return tuple(back.get(s, s) for s in ids)


def simulate_sbml(
    model: Model,
    *,
    t_end: float,
    points: int,
    method: str = "LSODA",
    rtol: float = 1e-6,
    atol: float = 1e-12,
):
    """Simulate the :func:`sbml_default_selection` as concentrations, libRoadRunner-style.

    ``points`` output rows from 0 to ``t_end`` inclusive (``RoadRunner.simulate(0, t_end,
    points)``), in the model's own time unit. Species with only substance units are divided by
    their compartment's size. Columns carry the SBML ids.
    """
    from ..simulate import SimulationResult, simulate

    selection, outputs = _selection_outputs(model)
    res = simulate(
        model, t_end=t_end, points=points, outputs=outputs, method=method, rtol=rtol, atol=atol
    )
    return SimulationResult(
        times=res.times,
        columns=_sbml_names(model, selection),
        values=_concentrations(model, selection, res),
        status=res.status,
        message=res.message,
        provenance=res.provenance,
        time_units=res.time_units,
    )


def simulate_sbml_ensemble(
    model: Model,
    params: dict,
    *,
    t_end: float,
    points: int,
    rtol: float = 1e-6,
    atol: float = 1e-12,
    method: str = "auto",
    progress=None,
):
    """An ensemble of an SBML model, reported like :func:`simulate_sbml`.

    ``params`` maps SBML ids to one value per member. Returns an
    :class:`~p53lab.simulate.EnsembleResult` whose columns are the default selection, as
    concentrations, under their SBML ids; ``varied`` is keyed by SBML id too.
    """
    import dataclasses

    from ..simulate import simulate_ensemble

    to_model = {old: new for new, old in sbml_ids(model).items()}
    back = sbml_ids(model)
    selection, outputs = _selection_outputs(model)
    res = simulate_ensemble(
        model,
        {to_model.get(k, k): v for k, v in params.items()},
        t_end=t_end,
        points=points,
        outputs=outputs,
        rtol=rtol,
        atol=atol,
        method=method,
        progress=progress,
    )
    return dataclasses.replace(
        res,
        columns=_sbml_names(model, selection),
        values=_concentrations(model, selection, res),
        varied={back.get(k, k): v for k, v in res.varied.items()},
    )


def sbml_info(model: Model) -> dict:
    """Counts and facts about an imported model, for ``p53lab sbml info``."""
    back = sbml_ids(model)
    texts = [ev.trigger for ev in model.events] + [
        a.expr for ev in model.events for a in ev.assignments
    ]
    has_delays = (
        model.has_delays
        or any(parse_expr(t).has_delay for t in texts)
        or any(ev.delay for ev in model.events)
    )
    return {
        "id": model.id,
        "name": model.name,
        "species": len(model.species),
        "parameters": len(model.parameters),
        "compartments": len(model.compartments),
        "reactions": len(model.reactions),
        "assignment_rules": len(model.assignment_rules),
        "rate_rules": len(model.rate_rules),
        "initial_assignments": len(model.initial_assignments),
        "events": len(model.events),
        "time_units": model.time_units,
        "conc_units": model.conc_units,
        "has_delays": bool(has_delays),
        "default_selection": [back.get(s, s) for s in sbml_default_selection(model)],
        "renamed_ids": {old: new for new, old in back.items()},
    }
