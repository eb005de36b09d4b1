"""The expression language of p53lab models.

Rate laws, rules, event triggers and observables are strings in a small, safe subset of Python
syntax: numbers, identifiers, ``+ - * / **``, comparisons, ``and or not``, ``x if c else y`` and a
fixed set of functions (:data:`FUNCTIONS`). They are parsed with :mod:`ast`, checked against a
whitelist and turned into NumPy code; nothing a user writes is ever passed to ``eval`` as such.

The same tree converts to MathML for SBML export (:func:`to_mathml`), so every construct here has
an SBML counterpart. Written by hand because no maintained library translates between a safe
Python expression subset, NumPy code and MathML (sympy can parse, but it evaluates and rewrites
expressions and cannot represent SBML's ``delay``).
"""

from __future__ import annotations

import ast
import functools
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

from ..errors import ModelError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "Expr",
    "parse_expr",
]

# name -> (min args, max args or None for variadic)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "exp": (1, 1),
    "log": (1, 1),  # natural logarithm
    "log10": (1, 1),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "arcsin": (1, 1),
    "arccos": (1, 1),
    "arctan": (1, 1),
    "sinh": (1, 1),
    "cosh": (1, 1),
    "tanh": (1, 1),
    "pow": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "piecewise": (1, None),  # piecewise(v1, c1, v2, c2, ..., [otherwise]) as SBML
    "delay": (2, 2),  # delay(x, tau): value of x at time - tau
    "hill": (3, 3),  # hill(x, K, n) = x**n / (K**n + x**n)
    "rem": (2, 2),
    "quotient": (2, 2),
}

# Reserved symbols with a fixed value or meaning.
CONSTANTS = {
    "time": None,
    "pi": 3.141592653589793,
    "exponentiale": 2.718281828459045,
    "avogadro": 6.02214076e23,
    "inf": float("inf"),
}

_KW_PREFIX = "__kw_"
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _escape_keywords(text: str) -> str:
    """Rename identifiers that are Python keywords (SBML allows ``lambda`` or ``in`` as ids)."""
    allowed = {"and", "or", "not", "if", "else", "True", "False"}
    if not any(keyword.iskeyword(w) for w in re.findall(r"[A-Za-z_]\w*", text)):
        return text
    out = []
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError) as exc:
        raise ModelError(f"Cannot parse expression {text!r}: {exc}.") from None
    for tok in toks:
        if (
            tok.type == tokenize.NAME
            and keyword.iskeyword(tok.string)
            and tok.string not in allowed
        ):
            out.append((tokenize.NAME, _KW_PREFIX + tok.string))
        else:
            out.append((tok.type, tok.string))
    return tokenize.untokenize(out).strip()


def unescape(name: str) -> str:
    return name[len(_KW_PREFIX) :] if name.startswith(_KW_PREFIX) else name


@dataclass(frozen=True)
class Expr:
    """A parsed, validated expression: its source text, tree and the symbols it reads."""

    text: str
    tree: ast.expr
    symbols: frozenset[str]
    calls: frozenset[str]

    @property
    def has_delay(self) -> bool:
        return "delay" in self.calls


class _Checker(ast.NodeVisitor):
    def __init__(self, text: str):
        self.text = text
        self.symbols: set[str] = set()
        self.calls: set[str] = set()

    def fail(self, what: str) -> None:
        raise ModelError(
            f"Expression {self.text!r}: {what} is not allowed. Use numbers, names, + - * / **, "
            f"comparisons, and/or/not, 'a if c else b' and the functions {sorted(FUNCTIONS)}."
        )

    def generic_visit(self, node: ast.AST) -> None:
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.UnaryOp,
            ast.BoolOp,
            ast.Compare,
            ast.IfExp,
            ast.Call,
            ast.Name,
            ast.Constant,
            ast.Load,
            ast.USub,
            ast.UAdd,
            ast.Not,
            ast.And,
            ast.Or,
            *_BINOPS,
            *_CMPOPS,
        )
        if not isinstance(node, allowed):
            self.fail(type(node).__name__)
        super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, int | float | bool):
            self.fail(f"the constant {node.value!r}")

    def visit_Name(self, node: ast.Name) -> None:
        name = unescape(node.id)
        if name in FUNCTIONS:
            self.fail(f"the function name {name!r} used as a value")
        if name not in CONSTANTS or name == "time":
            self.symbols.add(name)

    def visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            fname = getattr(node.func, "id", ast.unparse(node.func))
            self.fail(f"the function {fname!r}")
        if node.keywords:
            self.fail("a keyword argument")
        lo, hi = FUNCTIONS[node.func.id]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = str(lo) if hi == lo else f"{lo} to {hi if hi else 'any number of'}"
            raise ModelError(
                f"Expression {self.text!r}: {node.func.id}() takes {want} arguments, got {n}."
            )
        self.calls.add(node.func.id)
        for a in node.args:
            self.visit(a)


@functools.lru_cache(maxsize=65536)
def parse_expr(text: str) -> Expr:
    """Parse and validate an expression string; raise :class:`ModelError` if it is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"An expression must be a non-empty string. Got {text!r} instead.")
    src = _escape_keywords(text.strip())
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ModelError(f"Cannot parse expression {text!r}: {exc.msg}.") from None
    checker = _Checker(text)
    checker.visit(tree)
    symbols = frozenset(checker.symbols - {"time"}) | (
        frozenset({"time"}) if "time" in checker.symbols else frozenset()
    )
    return Expr(text=text.strip(), tree=tree.body, symbols=symbols, calls=frozenset(checker.calls))


# --------------------------------------------------------------------------------------------
# Code generation (NumPy)


def to_python(expr: Expr | str, name_of, delay_of=None) -> str:
    """Python/NumPy source for ``expr``.

    ``name_of(symbol)`` returns the code that reads a model symbol. ``delay_of(node)`` returns
    the code for a ``delay(x, tau)`` call (the simulator supplies history look-up); without it a
    delay is an error.
    """
    e = parse_expr(expr) if isinstance(expr, str) else expr
    return _py(e.tree, name_of, delay_of, e.text)


def tree_to_python(node: ast.expr, name_of, delay_of=None, text: str = "") -> str:
    """Python/NumPy source for one node of a parsed expression's tree (``text``: the whole
    expression, for messages)."""
    return _py(node, name_of, delay_of, text)


def _num(v: float) -> str:
    """Python source for a number; ``repr`` of infinity ('inf') is not a Python name."""
    return repr(v) if v == v and abs(v) != float("inf") else f"float({str(v)!r})"


def _py(node: ast.expr, name_of, delay_of, text: str) -> str:
    def r(n: ast.expr) -> str:
        return _py(n, name_of, delay_of, text)

    if isinstance(node, ast.Constant):
        return _num(float(node.value))
    if isinstance(node, ast.Name):
        name = unescape(node.id)
        if name in CONSTANTS and name != "time":
            return _num(CONSTANTS[name])
        return name_of(name)
    if isinstance(node, ast.BinOp):
        return f"({r(node.left)} {_BINOPS[type(node.op)]} {r(node.right)})"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return f"_not({r(node.operand)})"
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{r(node.operand)})"
    if isinstance(node, ast.BoolOp):
        fn = "_and" if isinstance(node.op, ast.And) else "_or"
        return f"{fn}({', '.join(r(v) for v in node.values)})"
    if isinstance(node, ast.Compare):
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(f"({r(left)} {_CMPOPS[type(op)]} {r(right)})")
            left = right
        return parts[0] if len(parts) == 1 else f"_and({', '.join(parts)})"
    if isinstance(node, ast.IfExp):
        return f"_pw({r(node.body)}, {r(node.test)}, {r(node.orelse)})"
    if isinstance(node, ast.Call):
        f = node.func.id
        args = [r(a) for a in node.args]
        if f == "delay":
            if delay_of is None:
                raise ModelError(f"Expression {text!r}: delay() is not allowed here.")
            return delay_of(node)
        if f == "piecewise":
            return f"_pw({', '.join(args)})"
        if f == "hill":
            x, k, n = args
            return f"_hill({x}, {k}, {n})"
        return f"_{f}({', '.join(args)})"
    raise ModelError(f"Expression {text!r}: cannot translate {ast.dump(node)}.")


# --------------------------------------------------------------------------------------------
# MathML (for SBML export)

_MATHML_FUNCS = {
    "exp": "exp",
    "log": "ln",
    "sqrt": "root",
    "abs": "abs",
    "floor": "floor",
    "ceil": "ceiling",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "arcsin",
    "arccos": "arccos",
    "arctan": "arctan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "pow": "power",
    "min": "min",
    "max": "max",
    "rem": "rem",
    "quotient": "quotient",
}
_MATHML_BIN = {
    ast.Add: "plus",
    ast.Sub: "minus",
    ast.Mult: "times",
    ast.Div: "divide",
    ast.Pow: "power",
}
_MATHML_CMP = {
    ast.Lt: "lt",
    ast.LtE: "leq",
    ast.Gt: "gt",
    ast.GtE: "geq",
    ast.Eq: "eq",
    ast.NotEq: "neq",
}


def to_mathml(expr: Expr | str) -> str:
    """A MathML ``<math>`` document for ``expr`` (SBML Level 3 conventions)."""
    e = parse_expr(expr) if isinstance(expr, str) else expr
    body = _ml(e.tree)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def _cn(v: float) -> str:
    if isinstance(v, bool):
        return "<true/>" if v else "<false/>"
    if float(v).is_integer() and abs(v) < 1e15:
        return f'<cn type="integer"> {int(v)} </cn>'
    return f"<cn> {float(v)!r} </cn>"


def _ml(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return _cn(node.value)
    if isinstance(node, ast.Name):
        name = unescape(node.id)
        if name == "time":
            return '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">time</csymbol>'
        if name == "pi":
            return "<pi/>"
        if name == "exponentiale":
            return "<exponentiale/>"
        if name == "inf":
            return "<infinity/>"
        if name == "avogadro":
            return '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/avogadro">avogadro</csymbol>'
        return f"<ci> {name} </ci>"
    if isinstance(node, ast.BinOp):
        return f"<apply><{_MATHML_BIN[type(node.op)]}/>{_ml(node.left)}{_ml(node.right)}</apply>"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return f"<apply><not/>{_ml(node.operand)}</apply>"
        if isinstance(node.op, ast.USub):
            return f"<apply><minus/>{_ml(node.operand)}</apply>"
        return _ml(node.operand)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return f"<apply><{op}/>{''.join(_ml(v) for v in node.values)}</apply>"
    if isinstance(node, ast.Compare):
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(f"<apply><{_MATHML_CMP[type(op)]}/>{_ml(left)}{_ml(right)}</apply>")
            left = right
        return parts[0] if len(parts) == 1 else f"<apply><and/>{''.join(parts)}</apply>"
    if isinstance(node, ast.IfExp):
        return (
            f"<piecewise><piece>{_ml(node.body)}{_ml(node.test)}</piece>"
            f"<otherwise>{_ml(node.orelse)}</otherwise></piecewise>"
        )
    if isinstance(node, ast.Call):
        f, args = node.func.id, node.args
        if f == "piecewise":
            pieces = "".join(
                f"<piece>{_ml(args[i])}{_ml(args[i + 1])}</piece>"
                for i in range(0, len(args) - 1, 2)
            )
            other = f"<otherwise>{_ml(args[-1])}</otherwise>" if len(args) % 2 else ""
            return f"<piecewise>{pieces}{other}</piecewise>"
        if f == "delay":
            return (
                '<apply><csymbol encoding="text" '
                'definitionURL="http://www.sbml.org/sbml/symbols/delay">delay</csymbol>'
                f"{_ml(args[0])}{_ml(args[1])}</apply>"
            )
        if f == "hill":
            x, k, n = (_ml(a) for a in args)
            xn = f"<apply><power/>{x}{n}</apply>"
            kn = f"<apply><power/>{k}{n}</apply>"
            return f"<apply><divide/>{xn}<apply><plus/>{kn}{xn}</apply></apply>"
        if f == "log10":
            base = '<logbase><cn type="integer"> 10 </cn></logbase>'
            return f"<apply><log/>{base}{_ml(args[0])}</apply>"
        return f"<apply><{_MATHML_FUNCS[f]}/>{''.join(_ml(a) for a in args)}</apply>"
    raise ModelError(f"Cannot write {ast.dump(node)} as MathML.")
