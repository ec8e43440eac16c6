"""Formula KPIs: parse, validate and evaluate expressions over KPI codes (pure, no Django).

Grammar (left-associative, unary minus binds tighter than ``* /``)::

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary)*
    unary   := '-'* primary
    primary := NUMBER | CODE | '(' expr ')' | 'prev' '(' CODE ')'
             | ('min' | 'max') '(' expr ',' expr ')' | 'abs' '(' expr ')'
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import NamedTuple, NoReturn

import numpy as np
import pandas as pd

FUNCTIONS: dict[str, int] = {"prev": 1, "min": 2, "max": 2, "abs": 1}  # name -> arity
CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_TOKEN_RE = re.compile(
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/(),])|(?P<ws>\s+)"
)
_MAX_NESTING = 64  # parentheses and function calls (the parser recurses on them)
_MAX_DEPTH = 256  # tree depth (keeps recursive evaluation far from the recursion limit)


class FormulaError(ValueError):
    """message names the problem; .position is the 0-based character offset or None."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Num:  # numeric literal
    value: float


@dataclass(frozen=True)
class Ref:  # current-period value of a KPI code
    code: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Prev:  # previous-period value: prev(code)
    code: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:  # unary minus: op is always '-'
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:  # op is one of + - * /
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:  # min(a, b), max(a, b) or abs(x)
    name: str
    args: tuple[Node, ...]


Node = Num | Ref | Prev | Unary | Binary | Call


@dataclass(frozen=True)
class Formula:
    """A parsed formula with the codes it references."""

    text: str
    tree: Node
    refs: frozenset[str]  # codes referenced directly in the current period
    prev_refs: frozenset[str]  # codes referenced through prev()


class _Token(NamedTuple):
    kind: str  # "num", "name", "end" or the operator character itself
    value: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise FormulaError(f"unexpected character {text[pos]!r} at position {pos}", pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(match.group() if kind == "op" else kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", pos))
    return tokens


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of formula"
    return f"number {token.value}" if token.kind == "num" else repr(token.value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def fail(self, expected: str) -> NoReturn:
        tok = self.tok
        raise FormulaError(
            f"unexpected {_describe(tok)} at position {tok.pos}, expected {expected}", tok.pos
        )

    def close(self, open_tok: _Token, expected: str = "')'") -> None:
        if self.tok.kind != ")":
            self.fail(f"{expected} to close '(' at position {open_tok.pos}")
        self.advance()

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise FormulaError(
                f"formula nested too deeply at position {self.tok.pos}", self.tok.pos
            )
        node = self.term()
        while self.tok.kind in ("+", "-"):
            node = Binary(self.advance().kind, node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.kind in ("*", "/"):
            node = Binary(self.advance().kind, node, self.unary())
        return node

    def unary(self) -> Node:
        minuses = 0
        while self.tok.kind == "-":
            self.advance()
            minuses += 1
        node = self.primary()
        for _ in range(minuses):
            node = Unary("-", node)
        return node

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            value = float(tok.value)
            if not math.isfinite(value):
                raise FormulaError(
                    f"number {tok.value} out of range at position {tok.pos}", tok.pos
                )
            return Num(value)
        if tok.kind == "name":
            self.advance()
            if self.tok.kind == "(":
                return self.call(tok)
            return Ref(self.code(tok), tok.pos)
        if tok.kind == "(":
            self.advance()
            node = self.expr()
            self.close(tok)
            return node
        self.fail("a number, a KPI code, '(' or '-'")

    def code(self, tok: _Token) -> str:
        if tok.value in FUNCTIONS:
            msg = f"'{tok.value}' is a reserved function name, call it as {tok.value}(...)"
            raise FormulaError(f"{msg}, at position {tok.pos}", tok.pos)
        if not CODE_RE.fullmatch(tok.value):
            msg = f"invalid KPI code {tok.value!r} at position {tok.pos}"
            raise FormulaError(f"{msg}: codes match [a-z][a-z0-9_]*", tok.pos)
        return tok.value

    def call(self, name_tok: _Token) -> Node:
        name, pos = name_tok.value, name_tok.pos
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise FormulaError(
                f"unknown function '{name}' at position {pos}, expected {known}", pos
            )
        open_tok = self.advance()
        if name == "prev":
            arg = self.tok
            if arg.kind != "name" or self.tokens[self.i + 1].kind not in (")", "end"):
                msg = f"prev() argument must be a plain KPI code, found {_describe(arg)}"
                raise FormulaError(f"{msg} at position {arg.pos}", arg.pos)
            self.advance()
            self.close(open_tok)
            return Prev(self.code(arg), arg.pos)
        args = [] if self.tok.kind == ")" else [self.expr()]
        while args and self.tok.kind == ",":
            self.advance()
            args.append(self.expr())
        self.close(open_tok, "',' or ')'" if args else "')'")
        arity = FUNCTIONS[name]
        if len(args) != arity:
            expects = f"{arity} argument{'s' if arity > 1 else ''}"
            msg = f"{name}() expects {expects}, got {len(args)}, at position {pos}"
            raise FormulaError(msg, pos)
        return Call(name, tuple(args))


def _walk(tree: Node) -> Iterator[tuple[Node, int]]:
    """Yield every node with its depth (root = 1), without recursion."""
    stack: list[tuple[Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        if isinstance(node, Unary):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, Binary | Call):
            children = (node.left, node.right) if isinstance(node, Binary) else node.args
            stack.extend((child, depth + 1) for child in children)


def parse(text: str) -> Formula:
    """Parse ``text``; raise FormulaError naming the problem and its position."""
    if not text.strip():
        raise FormulaError("empty formula", 0)
    parser = _Parser(text)
    tree = parser.expr()
    tok = parser.tok
    if tok.kind == ")":
        raise FormulaError(f"unmatched ')' at position {tok.pos}", tok.pos)
    if tok.kind != "end":
        parser.fail("an operator or end of formula")
    walked = list(_walk(tree))
    if max(depth for _, depth in walked) > _MAX_DEPTH:
        raise FormulaError(f"formula nested too deeply (more than {_MAX_DEPTH} levels)")
    nodes = [node for node, _ in walked]
    refs = frozenset(n.code for n in nodes if isinstance(n, Ref))
    prev_refs = frozenset(n.code for n in nodes if isinstance(n, Prev))
    return Formula(text=text, tree=tree, refs=refs, prev_refs=prev_refs)


def _parse_other(code: str, text: str) -> Formula:
    try:
        return parse(text)
    except FormulaError as exc:
        raise FormulaError(f"formula of KPI '{code}' is invalid: {exc.message}") from exc


def validate(
    text: str, *, code: str, known_codes: AbstractSet[str], formulas: Mapping[str, str]
) -> Formula:
    """Parse ``text`` as the formula of ``code``; check referenced codes and cycles.

    ``code`` itself counts as known (so ``a = a + 1`` reports the cycle ``a -> a``);
    ``formulas`` maps the other formula KPIs to their text and is parsed only where reachable.
    """
    formula = parse(text)
    used = [n for n, _ in _walk(formula.tree) if isinstance(n, Ref | Prev)]
    for node in sorted(used, key=lambda n: n.pos):
        if node.code != code and node.code not in known_codes:
            raise FormulaError(f"unknown KPI code '{node.code}' at position {node.pos}", node.pos)
    parsed: dict[str, Formula] = {code: formula}
    graph: dict[str, list[str]] = {}  # formula code -> the formula codes it uses
    todo = [code]
    while todo:
        c = todo.pop()
        if c in graph:
            continue
        if c not in parsed:
            parsed[c] = _parse_other(c, formulas[c])
        graph[c] = sorted(r for r in parsed[c].refs if r == code or r in formulas)
        todo.extend(reversed(graph[c]))
    _check_acyclic(graph, first=code)
    return formula


def evaluation_order(formulas: Mapping[str, str]) -> list[str]:
    """Formula codes with current-period dependencies first (sorted tie-break)."""
    graph = {
        c: sorted(r for r in _parse_other(c, t).refs if r in formulas) for c, t in formulas.items()
    }
    sorter = _check_acyclic(graph)
    ready = sorted(sorter.get_ready())
    order: list[str] = []
    while ready:
        order.append(done := heapq.heappop(ready))
        sorter.done(done)
        for code in sorter.get_ready():
            heapq.heappush(ready, code)
    return order


def _check_acyclic(
    graph: Mapping[str, list[str]], first: str | None = None
) -> TopologicalSorter[str]:
    """A prepared sorter of ``graph`` (code -> the codes it uses), or FormulaError naming a
    cycle as ``a -> b -> a`` (a uses b), from ``first`` when it is on the cycle, else from
    the cycle's smallest code."""
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        # graphlib lists each node before the one that uses it ([b, a, b] when a uses b).
        cycle: list[str] = list(reversed(exc.args[1][1:]))
        start = cycle.index(first if first in cycle else min(cycle))
        cycle = cycle[start:] + cycle[:start]
        raise FormulaError("cycle: " + " -> ".join([*cycle, cycle[0]])) from None
    return sorter


_UFUNCS: dict[str, Callable[..., np.ndarray]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply,
    "min": np.minimum, "max": np.maximum, "abs": np.abs,
}  # fmt: skip


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def evaluate(formula: Formula, *, current: pd.DataFrame, previous: pd.DataFrame) -> pd.Series:
    """Vectorised evaluation per partner (row); missing, x/0 and +-inf give NaN."""
    index = current.index
    size = len(index)
    if formula.prev_refs:
        previous = previous.reindex(index=index, columns=sorted(formula.prev_refs))

    def column(frame: pd.DataFrame, code: str) -> np.ndarray:
        if code not in frame.columns:
            return np.full(size, np.nan)
        return _finite(frame[code].to_numpy(dtype=float, na_value=np.nan))

    def run(node: Node) -> np.ndarray:
        match node:
            case Num(value):
                return np.full(size, value)
            case Ref(code):
                return column(current, code)
            case Prev(code):
                return column(previous, code)
            case Unary(_, operand):
                out = -run(operand)
            case Binary("/", left, right):
                divisor = run(right)
                out = np.where(divisor == 0, np.nan, run(left) / divisor)
            case Binary(op, left, right):
                out = _UFUNCS[op](run(left), run(right))
            case Call(name, args):
                out = _UFUNCS[name](*(run(arg) for arg in args))
            case _:
                raise TypeError(f"not a formula node: {node!r}")
        return _finite(out)

    with np.errstate(all="ignore"):
        values = run(formula.tree)
    return pd.Series(values, index=index, dtype=float)
