"""Compile a :class:`~p53lab.model.Model` into NumPy functions, once per model structure.

The generated right-hand side reads the state from ``y`` and every constant (parameters,
compartment sizes, boundary species) from ``p``, so a model whose parameter values change
(``with_params``) reuses the same compiled code. Assignment rules and reaction rates are
computed in dependency order; ``delay(x, tau)`` becomes a call into the run's history.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedSBMLError
from ..model._expr import CONSTANTS, parse_expr, to_python
from ..model._model import Model
from ._symjac import jacobian_source

__all__ = ["CompiledEvent", "CompiledModel", "compile_model"]


def _reduce(fn):
    return lambda *a: functools.reduce(fn, a)


def _pw(*args):
    """SBML piecewise(v1, c1, v2, c2, ..., otherwise): the first true condition wins."""
    if len(args) % 2:
        out = args[-1]
        pairs = args[:-1]
    else:
        out = np.nan
        pairs = args
    for i in range(len(pairs) - 2, -1, -2):
        out = np.where(pairs[i + 1], pairs[i], out)
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def _hill(x, k, n):
    xn = np.power(np.maximum(x, 0.0), n)
    return xn / (np.power(k, n) + xn)


def _dhill(x, k, n):
    """d hill(x, k, n) / dx; 0 where x < 0 (hill clips x at 0), the right derivative at 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        xs = np.maximum(x, 0.0)
        kn = np.power(k, n)
        d = n * kn * np.power(xs, n - 1.0) / (kn + np.power(xs, n)) ** 2
        at0 = np.where(n == 1, 1.0 / k, np.where(n > 1, 0.0, np.inf))
        return np.where(x > 0, d, np.where(x == 0, at0, 0.0))


_RUNTIME: dict[str, object] = {
    "_np": np,
    "_exp": np.exp,
    "_log": np.log,
    "_log10": np.log10,
    "_sqrt": np.sqrt,
    "_abs": np.abs,
    "_floor": np.floor,
    "_ceil": np.ceil,
    "_sin": np.sin,
    "_cos": np.cos,
    "_tan": np.tan,
    "_arcsin": np.arcsin,
    "_arccos": np.arccos,
    "_arctan": np.arctan,
    "_sinh": np.sinh,
    "_cosh": np.cosh,
    "_tanh": np.tanh,
    "_pow": np.power,
    "_min": _reduce(np.minimum),
    "_max": _reduce(np.maximum),
    "_rem": np.fmod,
    "_quotient": lambda a, b: np.trunc(a / b),
    "_and": lambda *a: np.logical_and.reduce(a),
    "_or": lambda *a: np.logical_or.reduce(a),
    "_not": np.logical_not,
    "_pw": _pw,
    "_hill": _hill,
    "_dhill": _dhill,
}


@dataclass(frozen=True)
class CompiledEvent:
    id: str
    trigger: Callable  # (t, y, p, hist) -> bool
    root: Callable  # (t, y, p, hist) -> float, crosses 0 upwards when the trigger turns true
    delay: Callable | None
    priority: Callable | None
    assign: Callable  # (t, y, p, hist) -> tuple of values
    targets: tuple[tuple[str, int], ...]  # ("y"|"p", index) per assignment
    persistent: bool
    initial_value: bool
    use_values_from_trigger_time: bool


@dataclass(frozen=True)
class CompiledModel:
    """Generated functions and the index maps between names and the ``y``/``p`` vectors."""

    state_ids: tuple[str, ...]
    param_ids: tuple[str, ...]
    output_ids: tuple[str, ...]  # everything :attr:`outputs` returns, in order
    rhs: Callable  # (t, y, p, hist) -> dy
    rhs_into: Callable  # (t, y, p, hist, out) -> out; y, p may have a members axis
    jac_pattern: tuple[tuple[int, ...], ...]  # per state, the states its derivative reads
    rhs_uses_time: bool
    outputs: Callable  # (t, y, p, hist) -> sequence of values, one per output id
    initial: Callable  # (y, p) -> (y, p): initial assignments and rules applied
    events: tuple[CompiledEvent, ...]
    delayed: tuple[Callable, ...]  # expressions evaluated on past states
    delay_taus: tuple[Callable, ...]  # (t, y, p) -> tau, to bound method-of-steps segments
    amount_scale: tuple[tuple[int, int], ...]  # (state index, param index of its compartment)
    source: str
    # (t, y, p, hist, out, V, pos) -> V: the right-hand side into out and, from the same rules
    # and rates, the analytic Jacobian's pattern entries (row by row) into V at positions pos;
    # None where a derivative is not generated (see ._symjac)
    jac_into: Callable | None = None

    @property
    def has_delays(self) -> bool:
        return bool(self.delayed)

    def index(self, name: str) -> tuple[str, int]:
        if name in self._state_index:
            return "y", self._state_index[name]
        if name in self._param_index:
            return "p", self._param_index[name]
        raise ModelError(f"{name!r} is neither a state variable nor a parameter of the model.")

    @functools.cached_property
    def _state_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.state_ids)}

    @functools.cached_property
    def _param_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.param_ids)}


def _toposort(nodes: dict[str, set[str]], what: str) -> list[str]:
    order, state = [], {}

    def visit(n: str, stack: list[str]) -> None:
        st = state.get(n)
        if st == 2:
            return
        if st == 1:
            cycle = " -> ".join([*stack[stack.index(n) :], n])
            raise ModelError(
                f"The {what} depend on each other in a loop: {cycle}. "
                "Algebraic loops are not supported; break the loop with a rate rule."
            )
        state[n] = 1
        for d in sorted(nodes[n]):
            if d in nodes:
                visit(d, [*stack, n])
        state[n] = 2
        order.append(n)

    for n in nodes:
        visit(n, [])
    return order


def compile_model(model: Model) -> CompiledModel:
    """Compile ``model``; the result is cached by the model's structure."""
    return _compile_cached(model.fingerprint(structure_only=True), _Holder(model))


class _Holder:
    """Carries the model into the cache without making it part of the key."""

    def __init__(self, model: Model):
        self.model = model

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True


@functools.lru_cache(maxsize=256)
def _compile_cached(_key: str, holder: _Holder) -> CompiledModel:
    return _compile(holder.model)


def _compile(m: Model) -> CompiledModel:
    assigned = {r.variable for r in m.assignment_rules}
    rate_ruled = {r.variable for r in m.rate_rules}
    for c in m.compartments:
        if c.id in rate_ruled or c.id in assigned:
            raise UnsupportedSBMLError(
                f"Compartment {c.id!r} changes size over time (a rule targets it); p53lab "
                "simulates constant compartments only."
            )
    changed_by_reaction = set()
    for r in m.reactions:
        changed_by_reaction.update(s for s, _ in r.reactants + r.products)
    # State: species changed by reactions or rate rules, parameters with rate rules.
    state_ids: list[str] = []
    for s in m.species:
        if s.id in assigned:
            continue
        if s.id in rate_ruled or (
            not s.constant and not s.boundary and s.id in changed_by_reaction
        ):
            state_ids.append(s.id)
        elif not s.constant and not s.boundary and s.id not in changed_by_reaction:
            # a floating species no reaction touches: still a state (constant in time)
            state_ids.append(s.id)
    state_ids += [p.id for p in m.parameters if p.id in rate_ruled]
    state_set = set(state_ids)
    param_ids = [c.id for c in m.compartments if c.id not in assigned]
    param_ids += [s.id for s in m.species if s.id not in state_set and s.id not in assigned]
    param_ids += [p.id for p in m.parameters if p.id not in state_set and p.id not in assigned]
    sidx = {s: i for i, s in enumerate(state_ids)}
    pidx = {s: i for i, s in enumerate(param_ids)}
    rxn_ids = {r.id for r in m.reactions}
    species = {s.id: s for s in m.species}

    def name_of(sym: str) -> str:
        if sym == "time":
            return "t"
        if sym in sidx:
            return f"y[{sidx[sym]}]"
        if sym in pidx:
            return f"p[{pidx[sym]}]"
        if sym in assigned:
            return f"_a_{sym}"
        if sym in rxn_ids:
            return f"_r_{sym}"
        raise ModelError(f"Unknown symbol {sym!r}.")

    # Delayed expressions are collected while translating.
    delayed_src: list[tuple[str, str]] = []  # (x code, tau code)

    def delay_of(node: ast.Call) -> str:
        x, tau = node.args
        xs = to_python(ast.unparse(x), name_of, delay_of)
        ts = to_python(ast.unparse(tau), name_of, delay_of)
        delayed_src.append((xs, ts))
        k = len(delayed_src) - 1
        return f"_hist({k}, t - ({ts}))"

    def py(text: str) -> str:
        return to_python(parse_expr(text), name_of, delay_of)

    # Rules and reaction rates in dependency order.
    nodes: dict[str, set[str]] = {}
    code_of: dict[str, str] = {}
    trees: dict[str, tuple[ast.expr, str]] = {}  # key -> (parsed tree, text): the Jacobian
    symbol_of_key: dict[str, str] = {}
    for r in m.assignment_rules:
        nodes[r.variable] = set(parse_expr(r.expr).symbols)
        code_of[r.variable] = f"_a_{r.variable} = {py(r.expr)}"
        trees[r.variable] = (parse_expr(r.expr).tree, r.expr)
        symbol_of_key[r.variable] = r.variable
    for r in m.reactions:
        key = f"__rxn__{r.id}"
        deps = set(parse_expr(r.rate).symbols)
        nodes[key] = {d if d not in rxn_ids else f"__rxn__{d}" for d in deps}
        code_of[key] = f"_r_{r.id} = {py(r.rate)}"
        trees[key] = (parse_expr(r.rate).tree, r.rate)
        symbol_of_key[key] = r.id
    for k, deps in nodes.items():
        nodes[k] = {d if d not in rxn_ids else f"__rxn__{d}" for d in deps}
    order = _toposort(nodes, "assignment rules and rates")
    body = [code_of[k] for k in order]

    # Derivatives.
    terms: dict[str, list[str]] = {s: [] for s in state_ids}
    contributions: dict[str, list[tuple[float, str]]] = {s: [] for s in state_ids}
    for r in m.reactions:
        for sid, coef in r.reactants:
            if sid in terms and sid not in rate_ruled:
                terms[sid].append(f"- {float(coef)!r} * _r_{r.id}")
                contributions[sid].append((-float(coef), r.id))
        for sid, coef in r.products:
            if sid in terms and sid not in rate_ruled:
                terms[sid].append(f"+ {float(coef)!r} * _r_{r.id}")
                contributions[sid].append((float(coef), r.id))
    for rr in m.rate_rules:
        if rr.variable in terms:
            terms[rr.variable] = [f"+ ({py(rr.expr)})"]
    amount_scale = []
    deriv = []
    volume_of: dict[str, str] = {}
    for sid in state_ids:
        expr = " ".join(terms[sid]) if terms[sid] else "+ 0.0"
        sp = species.get(sid)
        if sp is not None and sid not in rate_ruled and not sp.amount:
            # reaction rates are substance/time; a concentration changes by rate / volume
            expr = f"({expr}) / {name_of(sp.compartment)}"
            volume_of[sid] = name_of(sp.compartment)
        deriv.append(f"({expr})")
        if sp is not None and sp.amount:
            amount_scale.append((sidx[sid], pidx.get(sp.compartment, -1)))

    lines = ["def _rhs(t, y, p, _hist):", *(f"    {b}" for b in body)]
    lines.append(
        f"    return _np.array([{', '.join(deriv)}], dtype=float)"
        if deriv
        else "    return _np.zeros(0)"
    )
    # The same derivatives written row by row into ``_out``: with ``y`` (states x members) and
    # ``p`` (parameters x members) every expression works on whole rows (the batch engine).
    lines += ["", "def _rhs_into(t, y, p, _hist, _out):", *(f"    {b}" for b in body)]
    lines += [f"    _out[{i}] = {d}" for i, d in enumerate(deriv)] or ["    pass"]
    lines.append("    return _out")

    # Which states each derivative can depend on (through rules and rates): the Jacobian's
    # sparsity pattern, and whether the derivatives read the time.
    sym_of = {
        k: set(parse_expr(r.expr).symbols) for k, r in ((r.variable, r) for r in m.assignment_rules)
    }
    sym_of |= {f"__rxn__{r.id}": set(parse_expr(r.rate).symbols) for r in m.reactions}
    dep_states: dict[str, set[int]] = {}
    dep_time: dict[str, bool] = {}

    def _deps(symbols: set[str]) -> tuple[set[int], bool]:
        st, tm = set(), False
        for sym in symbols:
            key = f"__rxn__{sym}" if sym in rxn_ids else sym
            if sym == "time":
                tm = True
            elif sym in sidx:
                st.add(sidx[sym])
            elif key in dep_states:
                st |= dep_states[key]
                tm = tm or dep_time[key]
        return st, tm

    for key in order:
        dep_states[key], dep_time[key] = _deps(sym_of[key])
    pattern, uses_time = [], False
    rate_rule_expr = {rr.variable: rr.expr for rr in m.rate_rules}
    for sid in state_ids:
        if sid in rate_rule_expr:
            st, tm = _deps(set(parse_expr(rate_rule_expr[sid]).symbols))
        else:
            st, tm = set(), False
            for r in m.reactions:
                if any(x == sid for x, _ in r.reactants + r.products):
                    key = f"__rxn__{r.id}"
                    st |= dep_states[key]
                    tm = tm or dep_time[key]
        pattern.append(tuple(sorted(st)))
        uses_time = uses_time or tm

    # The analytic Jacobian (the batch engine's; None: it keeps forward differences).
    jac_lines = (
        None
        if delayed_src
        else jacobian_source(
            order=order,
            trees=trees,
            symbol_of_key=symbol_of_key,
            dep_states=dep_states,
            state_ids=state_ids,
            pattern=pattern,
            contributions=contributions,
            rate_rules={
                rr.variable: (parse_expr(rr.expr).tree, rr.expr)
                for rr in m.rate_rules
                if rr.variable in sidx
            },
            volume_of=volume_of,
            name_of=name_of,
        )
    )
    if jac_lines is not None:
        lines += [
            "",
            "def _jac_into(t, y, p, _hist, _out, _V, _pos):",
            *(f"    {b}" for b in body),
            *(f"    _out[{i}] = {d}" for i, d in enumerate(deriv)),
            *(f"    {b}" for b in jac_lines),
            "    return _V",
        ]

    # Outputs: state, rule targets, observables, reaction rates and parameters by name.
    output_ids = [
        *state_ids,
        *[r.variable for r in m.assignment_rules],
        *[o.id for o in m.observables],
        *param_ids,
    ]
    out_codes = [name_of(s) for s in state_ids]
    out_codes += [f"_a_{r.variable}" for r in m.assignment_rules]
    obs_lines = [f"    _o_{o.id} = {py(o.expr)}" for o in m.observables]
    out_codes += [f"_o_{o.id}" for o in m.observables]
    out_codes += [name_of(s) for s in param_ids]
    lines += [
        "",
        "def _outputs(t, y, p, _hist):",
        *(f"    {b}" for b in body),
        *obs_lines,
        f"    return ({', '.join(out_codes)}{',' if len(out_codes) == 1 else ''})",
    ]

    # Initial assignments (evaluated once, in dependency order, with the rules).
    ia_nodes = {ia.variable: set(parse_expr(ia.expr).symbols) for ia in m.initial_assignments}
    ia_order = _toposort({**{k: v for k, v in ia_nodes.items()}}, "initial assignments")
    init_lines = ["def _initial(y, p):", "    t = 0.0", "    _hist = None"]
    for var in ia_order:
        ia = next(x for x in m.initial_assignments if x.variable == var)
        # rules may be needed by the assignment: compute all rules that do not need a delay
        init_lines += [f"    {b}" for b in body if "_hist(" not in b]
        if var in sidx:
            init_lines.append(f"    y[{sidx[var]}] = {py(ia.expr)}")
        elif var in pidx:
            init_lines.append(f"    p[{pidx[var]}] = {py(ia.expr)}")
    init_lines.append("    return y, p")
    lines += ["", *init_lines]

    # Events.
    ev_specs = []
    for k, ev in enumerate(m.events):
        trig = parse_expr(ev.trigger)
        lines += [
            "",
            f"def _trig_{k}(t, y, p, _hist):",
            *(f"    {b}" for b in body),
            f"    return bool({py(ev.trigger)})",
        ]
        root = _root_code(trig.tree, lambda s: py(s))
        if root is None:
            root = f"(1.0 if {py(ev.trigger)} else -1.0)"
        lines += [
            "",
            f"def _root_{k}(t, y, p, _hist):",
            *(f"    {b}" for b in body),
            f"    return float({root})",
        ]
        vals = [py(a.expr) for a in ev.assignments]
        lines += [
            "",
            f"def _assign_{k}(t, y, p, _hist):",
            *(f"    {b}" for b in body),
            f"    return ({', '.join(vals)}{',' if len(vals) == 1 else ''})",
        ]
        if ev.delay:
            lines += [
                "",
                f"def _edelay_{k}(t, y, p, _hist):",
                *(f"    {b}" for b in body),
                f"    return float({py(ev.delay)})",
            ]
        if ev.priority:
            lines += [
                "",
                f"def _eprio_{k}(t, y, p, _hist):",
                *(f"    {b}" for b in body),
                f"    return float({py(ev.priority)})",
            ]
        targets = []
        for a in ev.assignments:
            if a.variable in sidx:
                targets.append(("y", sidx[a.variable]))
            elif a.variable in pidx:
                targets.append(("p", pidx[a.variable]))
            else:
                raise UnsupportedSBMLError(
                    f"Event {ev.id!r} assigns {a.variable!r}, which an assignment rule defines; "
                    "such an assignment has no effect and is not supported."
                )
        ev_specs.append((k, ev, tuple(targets)))

    # Delayed expressions: evaluated on a past state, each its own function.
    for k, (xs, ts) in enumerate(delayed_src):
        lines += [
            "",
            f"def _dx_{k}(t, y, p, _hist):",
            *(f"    {b}" for b in body if "_hist(" not in b),
            f"    return {xs}",
        ]
        lines += [
            "",
            f"def _dtau_{k}(t, y, p, _hist):",
            *(f"    {b}" for b in body if "_hist(" not in b),
            f"    return {ts}",
        ]

    source = "\n".join(lines) + "\n"
    ns: dict[str, object] = dict(_RUNTIME)
    try:
        exec(compile(source, f"<p53lab model {m.id}>", "exec"), ns)
    except (SyntaxError, RecursionError) as exc:  # pragma: no cover - a bug in the generator
        raise ModelError(f"Could not compile model {m.id!r}: {exc}") from None
    events = tuple(
        CompiledEvent(
            id=ev.id,
            trigger=ns[f"_trig_{k}"],
            root=ns[f"_root_{k}"],
            delay=ns.get(f"_edelay_{k}") if ev.delay else None,
            priority=ns.get(f"_eprio_{k}") if ev.priority else None,
            assign=ns[f"_assign_{k}"],
            targets=targets,
            persistent=ev.persistent,
            initial_value=ev.initial_value,
            use_values_from_trigger_time=ev.use_values_from_trigger_time,
        )
        for k, ev, targets in ev_specs
    )
    return CompiledModel(
        state_ids=tuple(state_ids),
        param_ids=tuple(param_ids),
        output_ids=tuple(output_ids),
        rhs=ns["_rhs"],
        rhs_into=ns["_rhs_into"],
        jac_pattern=tuple(pattern),
        rhs_uses_time=uses_time,
        outputs=ns["_outputs"],
        initial=ns["_initial"],
        events=events,
        delayed=tuple(ns[f"_dx_{k}"] for k in range(len(delayed_src))),
        delay_taus=tuple(ns[f"_dtau_{k}"] for k in range(len(delayed_src))),
        amount_scale=tuple(amount_scale),
        source=source,
        jac_into=ns.get("_jac_into"),
    )


def _root_code(node: ast.expr, py: Callable[[str], str]) -> str | None:
    """A continuous function that crosses zero upwards where a relational trigger turns true."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        a, b = ast.unparse(node.left), ast.unparse(node.comparators[0])
        op = node.ops[0]
        if isinstance(op, ast.Gt | ast.GtE):
            return f"({py(a)}) - ({py(b)})"
        if isinstance(op, ast.Lt | ast.LtE):
            return f"({py(b)}) - ({py(a)})"
    return None


def initial_vectors(m: Model, cm: CompiledModel) -> tuple[np.ndarray, np.ndarray]:
    """``y0`` and ``p`` from the model's values, initial assignments applied."""
    values: dict[str, float] = {}
    for c in m.compartments:
        values[c.id] = float(c.size)
    for s in m.species:
        values[s.id] = float(s.initial)
    for p in m.parameters:
        values[p.id] = float(p.value)
    for name in (*cm.state_ids, *cm.param_ids):
        if name in CONSTANTS:
            raise ModelError(f"{name!r} is reserved.")
    y = np.array([values[s] for s in cm.state_ids], dtype=float)
    p = np.array([values[s] for s in cm.param_ids], dtype=float)
    y, p = cm.initial(y, p)
    return np.asarray(y, dtype=float), np.asarray(p, dtype=float)
