"""The analytic Jacobian of a compiled model, generated as NumPy code (the batch engine's).

Forward-mode differentiation of the expression trees, written by hand: the model language is a
small whitelist (:mod:`p53lab.model._expr`), and the project has no computer-algebra dependency
(sympy rewrites expressions and cannot represent SBML's ``delay``; it would also add seconds of
import to every ensemble command). Each assignment rule and reaction rate ``v`` gets, for every
state ``k`` it can depend on, a line ``_d<j>_<k> = ∂v/∂y_k`` that reads the derivatives of the
rules and rates before it (chain rule through the dependency order). A Jacobian entry is then
the stoichiometric sum of the rates' derivatives, divided by the compartment size for
concentration species, exactly as the right-hand side sums the rates.

Anything the differentiator does not handle (``delay``, ``rem``/``quotient`` or ``hill`` with a
state-dependent second or third argument) makes :func:`jacobian_source` return ``None``, and the
batch engine keeps its forward-difference Jacobian. A derivative is never guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence

from ..model._expr import CONSTANTS, tree_to_python, unescape

__all__ = ["jacobian_source"]

_LN10 = "2.302585092994046"


class _Unsupported(Exception):
    """The expression has a construct whose derivative is not generated."""


# ------------------------------------------------------------------ code algebra on strings
# None stands for a structural zero; "1.0" for a unit derivative.
def _add(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return f"({a} + {b})"


def _neg(a: str | None) -> str | None:
    return None if a is None else f"(-{a})"


def _mul(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    if a == "1.0":
        return b
    if b == "1.0":
        return a
    return f"({a} * {b})"


def _div(a: str | None, b: str) -> str | None:
    return None if a is None else f"({a} / {b})"


class _Diff:
    """∂(expression)/∂y_k as code, reading earlier rules' and rates' derivatives by name."""

    def __init__(
        self,
        name_of: Callable[[str], str],
        state_index: Mapping[str, int],
        derived: Mapping[tuple[str, int], str],
        text: str,
    ):
        self.name_of = name_of
        self.state_index = state_index
        self.derived = derived  # (symbol, k) -> name of its derivative variable
        self.text = text

    def code(self, node: ast.expr) -> str:
        return tree_to_python(node, self.name_of, None, self.text)

    def d(self, node: ast.expr, k: int) -> str | None:
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Name):
            name = unescape(node.id)
            if name in CONSTANTS:  # pi, e, inf, ... and time (J holds state derivatives)
                return None
            if name in self.state_index:
                return "1.0" if self.state_index[name] == k else None
            return self.derived.get((name, k))  # a rule or rate; None: a constant
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return None
            da = self.d(node.operand, k)
            return _neg(da) if isinstance(node.op, ast.USub) else da
        if isinstance(node, ast.Compare | ast.BoolOp):
            return None  # booleans: piecewise conditions, derivative zero almost everywhere
        if isinstance(node, ast.BinOp):
            return self._binop(node, k)
        if isinstance(node, ast.IfExp):
            db, do = self.d(node.body, k), self.d(node.orelse, k)
            if db is None and do is None:
                return None
            return f"_pw({db or '0.0'}, {self.code(node.test)}, {do or '0.0'})"
        if isinstance(node, ast.Call):
            return self._call(node, k)
        raise _Unsupported(ast.dump(node))

    def _binop(self, node: ast.BinOp, k: int) -> str | None:
        dl, dr = self.d(node.left, k), self.d(node.right, k)
        if dl is None and dr is None:
            return None
        op = node.op
        if isinstance(op, ast.Add):
            return _add(dl, dr)
        if isinstance(op, ast.Sub):
            return _add(dl, _neg(dr))
        L, R = self.code(node.left), self.code(node.right)
        if isinstance(op, ast.Mult):
            return _add(_mul(dl, R), _mul(L, dr))
        if isinstance(op, ast.Div):
            if dr is None:
                return _div(dl, R)
            return f"(({dl or '0.0'}) * {R} - {L} * {dr}) / ({R} * {R})"
        if isinstance(op, ast.Pow):
            return self._pow(L, R, dl, dr)
        raise _Unsupported(ast.dump(node))

    @staticmethod
    def _pow(L: str, R: str, dl: str | None, dr: str | None) -> str | None:
        if dr is None:
            return _mul(f"({R} * _pow({L}, {R} - 1.0))", dl)
        return f"(_pow({L}, {R}) * ({dr} * _log({L}) + {R} * ({dl or '0.0'}) / {L}))"

    def _call(self, node: ast.Call, k: int) -> str | None:
        f = node.func.id
        args = node.args
        if f == "delay":
            raise _Unsupported("delay")
        if f == "piecewise":
            vals = args[0::2] if len(args) % 2 == 0 else [*args[0:-1:2], args[-1]]
            dv = [self.d(v, k) for v in vals]
            if all(x is None for x in dv):
                return None
            parts = []
            for i in range(0, len(args) - 1, 2):
                parts += [dv[i // 2] or "0.0", self.code(args[i + 1])]
            if len(args) % 2:
                parts.append(dv[-1] or "0.0")
            return f"_pw({', '.join(parts)})"
        if f in ("min", "max"):
            cur, dcur = self.code(args[0]), self.d(args[0], k)
            cmp = "<=" if f == "min" else ">="
            for a in args[1:]:
                ca, da = self.code(a), self.d(a, k)
                if dcur is not None or da is not None:
                    dcur = f"_pw({dcur or '0.0'}, ({cur} {cmp} {ca}), {da or '0.0'})"
                cur = f"_{f}({cur}, {ca})"
            return dcur
        if f == "hill":
            x, kk, n = args
            if self.d(kk, k) is not None or self.d(n, k) is not None:
                raise _Unsupported("hill with a state-dependent K or n")
            dx = self.d(x, k)
            return _mul(f"_dhill({self.code(x)}, {self.code(kk)}, {self.code(n)})", dx)
        if f == "pow":
            dl, dr = self.d(args[0], k), self.d(args[1], k)
            if dl is None and dr is None:
                return None
            return self._pow(self.code(args[0]), self.code(args[1]), dl, dr)
        da = [self.d(a, k) for a in args]
        if all(x is None for x in da):
            return None
        if f in ("floor", "ceil"):
            return None  # piecewise constant
        if len(args) != 1:
            raise _Unsupported(f)  # rem, quotient with a state-dependent argument
        a, d = self.code(args[0]), da[0]
        outer = {
            "exp": f"_exp({a})",
            "sqrt": f"(0.5 / _sqrt({a}))",
            "abs": f"_np.sign({a})",
            "sin": f"_cos({a})",
            "cos": f"(-_sin({a}))",
            "tan": f"(1.0 / _cos({a}) ** 2)",
            "arcsin": f"(1.0 / _sqrt(1.0 - {a} ** 2))",
            "arccos": f"(-1.0 / _sqrt(1.0 - {a} ** 2))",
            "arctan": f"(1.0 / (1.0 + {a} ** 2))",
            "sinh": f"_cosh({a})",
            "cosh": f"_sinh({a})",
            "tanh": f"(1.0 - _tanh({a}) ** 2)",
            "log": f"(1.0 / {a})",
            "log10": f"(1.0 / ({a} * {_LN10}))",
        }.get(f)
        if outer is None:
            raise _Unsupported(f)
        return _mul(outer, d)


def jacobian_source(
    *,
    order: Sequence[str],
    trees: Mapping[str, tuple[ast.expr, str]],
    symbol_of_key: Mapping[str, str],
    dep_states: Mapping[str, set[int]],
    state_ids: Sequence[str],
    pattern: Sequence[Sequence[int]],
    contributions: Mapping[str, Sequence[tuple[float, str]]],
    rate_rules: Mapping[str, tuple[ast.expr, str]],
    volume_of: Mapping[str, str],
    name_of: Callable[[str], str],
) -> list[str] | None:
    """Lines of ``_jac_into``'s body after the rules and rates, or None where a derivative is
    not generated.

    ``order``: rule and rate keys in dependency order; ``trees[key]``: (parsed tree, text);
    ``symbol_of_key[key]``: the model symbol the key defines (a rule variable or reaction id);
    ``contributions[sid]``: (signed stoichiometry, reaction id) terms of its derivative;
    ``rate_rules[sid]``: a rate rule's (tree, text); ``volume_of[sid]``: the compartment code a
    concentration species' derivative is divided by. The lines write ``_V[_pos[e]]`` for the
    pattern's entries in order (row by row).
    """
    sidx = {s: i for i, s in enumerate(state_ids)}
    derived: dict[tuple[str, int], str] = {}
    lines: list[str] = []
    try:
        for j, key in enumerate(order):
            tree, text = trees[key]
            diff = _Diff(name_of, sidx, derived, text)
            sym = symbol_of_key[key]
            for k in sorted(dep_states[key]):
                c = diff.d(tree, k)
                if c is not None:
                    var = f"_d{j}_{k}"
                    lines.append(f"{var} = {c}")
                    derived[(sym, k)] = var
        e = 0
        for i, sid in enumerate(state_ids):
            for k in pattern[i]:
                if sid in rate_rules:
                    tree, text = rate_rules[sid]
                    c = _Diff(name_of, sidx, derived, text).d(tree, k)
                else:
                    c = None
                    for coef, rid in contributions.get(sid, ()):
                        dr = derived.get((rid, k))
                        if dr is not None:
                            c = _add(c, f"{coef!r} * {dr}")
                    if c is not None and sid in volume_of:
                        c = f"({c}) / {volume_of[sid]}"
                lines.append(f"_V[_pos[{e}]] = {c or '0.0'}")
                e += 1
    except _Unsupported:
        return None
    return lines
