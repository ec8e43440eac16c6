"""Tests for kpis.formula: pure functions, no database, no Django."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis.formula import (
    Binary,
    Call,
    Formula,
    FormulaError,
    Node,
    Num,
    Prev,
    Ref,
    Unary,
    evaluate,
    evaluation_order,
    parse,
    validate,
)

NAN = math.nan
KNOWN = {"a", "b", "c", "revenue", "cost"}


def run(text: str, current: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.Series:
    return evaluate(
        parse(text), current=current, previous=previous if previous is not None else current
    )


def const(text: str) -> float:
    return float(run(text, pd.DataFrame(index=[0])).iloc[0])


def assert_series(result: pd.Series, expected: list[float]) -> None:
    np.testing.assert_allclose(result.to_numpy(), np.array(expected, dtype=float), equal_nan=True)


# --- parsing and arithmetic ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1+2*3", 7),
        ("(1+2)*3", 9),
        ("2-3-4", -5),
        ("8/4/2", 1),
        ("2*3-4/2", 4),
        ("-2*3", -6),
        ("2*-3", -6),
        ("--4", 4),
        ("-(1+2)", -3),
        ("1 - -1", 2),
        ("12", 12),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000),
        ("2.5E-1", 0.25),
        ("  ( 1 +\t2 )\n* 3 ", 9),
        ("min(3, 2)", 2),
        ("max(3, 2)", 3),
        ("abs(-2.5)", 2.5),
        ("abs(2)", 2),
        ("min(1, max(-5, 6)) + abs(1 - 4)", 4),
    ],
)
def test_constant_formulas(text: str, expected: float) -> None:
    assert const(text) == pytest.approx(expected)


def test_tree_shape_precedence_and_associativity() -> None:
    assert parse("2-3-4").tree == Binary("-", Binary("-", Num(2.0), Num(3.0)), Num(4.0))
    assert parse("1+2*3").tree == Binary("+", Num(1.0), Binary("*", Num(2.0), Num(3.0)))
    assert parse("-2*3").tree == Binary("*", Unary("-", Num(2.0)), Num(3.0))
    assert parse("--x").tree == Unary("-", Unary("-", Ref("x")))
    assert parse("min(a, prev(b))").tree == Call("min", (Ref("a"), Prev("b")))


def test_refs_and_prev_refs() -> None:
    formula = parse("100 * (revenue / prev(revenue) - 1)")
    assert isinstance(formula, Formula)
    assert formula.text == "100 * (revenue / prev(revenue) - 1)"
    assert formula.refs == frozenset({"revenue"})
    assert formula.prev_refs == frozenset({"revenue"})
    other = parse("prev(a) + b * abs(c_2)")
    assert other.refs == {"b", "c_2"} and other.prev_refs == {"a"}
    assert parse("1 + 2").refs == frozenset() == parse("1 + 2").prev_refs
    assert hash(formula) == hash(parse("100 * (revenue / prev(revenue) - 1)"))


def test_positions_recorded_on_refs() -> None:
    tree = parse("a + prev(bb)").tree
    assert isinstance(tree, Binary)
    assert (tree.left.pos, tree.right.pos) == (0, 9)  # type: ignore[union-attr]


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "empty formula"),
        ("   ", 0, "empty formula"),
        ("1 + * 2", 4, "unexpected '*' at position 4"),
        ("1 +", 3, "unexpected end of formula at position 3"),
        ("(1 + 2", 6, "expected ')' to close '(' at position 0"),
        ("((a)", 4, "expected ')' to close '(' at position 0"),
        ("1 + 2)", 5, "unmatched ')' at position 5"),
        ("()", 1, "unexpected ')' at position 1"),
        ("a b", 2, "unexpected 'b' at position 2, expected an operator or end of formula"),
        ("1 2", 2, "unexpected number 2 at position 2"),
        ("2x", 1, "unexpected 'x' at position 1"),
        ("1, 2", 1, "unexpected ',' at position 1"),
        ("a % 2", 2, "unexpected character '%' at position 2"),
        ("prev(1+x)", 5, "prev() argument must be a plain KPI code"),
        ("prev(x+1)", 5, "prev() argument must be a plain KPI code"),
        ("prev(min(a, b))", 5, "prev() argument must be a plain KPI code"),
        ("prev()", 5, "prev() argument must be a plain KPI code"),
        ("prev(a", 6, "expected ')' to close '(' at position 4"),
        ("foo(x)", 0, "unknown function 'foo' at position 0"),
        ("a + sqrt(4)", 4, "unknown function 'sqrt' at position 4"),
        ("min(a)", 0, "min() expects 2 arguments, got 1"),
        ("1 + max(a, b, c)", 4, "max() expects 2 arguments, got 3"),
        ("abs(a, b)", 0, "abs() expects 1 argument, got 2"),
        ("abs()", 0, "abs() expects 1 argument, got 0"),
        ("min(a b)", 6, "expected ',' or ')'"),
        ("min + 1", 0, "'min' is a reserved function name"),
        ("prev", 0, "'prev' is a reserved function name"),
        ("Revenue", 0, "invalid KPI code 'Revenue'"),
        ("1e999", 0, "out of range"),
    ],
)
def test_syntax_errors_name_problem_and_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert fragment in str(info.value)
    assert info.value.position == position
    if position and "empty" not in fragment:
        assert f"at position {position}" in str(info.value)


def test_formula_error_is_value_error() -> None:
    error = FormulaError("boom")
    assert isinstance(error, ValueError)
    assert error.position is None and str(error) == "boom"


def test_deep_nesting_is_a_formula_error_not_a_crash() -> None:
    for text in ["(" * 5000 + "1" + ")" * 5000, "-" * 5000 + "1", "+".join(["1"] * 5000)]:
        with pytest.raises(FormulaError, match="nested too deeply"):
            parse(text)
    assert const("(" * 30 + "1" + ")" * 30) == 1
    assert const("-" * 100 + "1") == 1
    assert const(" + ".join(["1"] * 200)) == 200


# --- evaluation --------------------------------------------------------------------------------


def test_revenue_growth_aligns_previous_on_partner_id() -> None:
    current = pd.DataFrame({"revenue": [110.0, 50.0, 80.0, 10.0]}, index=[1, 2, 3, 4])
    previous = pd.DataFrame({"revenue": [100.0, 40.0, 999.0]}, index=[4, 1, 9])  # other order
    result = run("100 * (revenue / prev(revenue) - 1)", current, previous)
    assert list(result.index) == [1, 2, 3, 4]
    assert result.dtype == float
    assert_series(result, [175.0, NAN, NAN, -90.0])


def test_string_index_and_missing_columns() -> None:
    current = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["p1", "p2"], name="partner"))
    previous = pd.DataFrame({"b": [5.0]}, index=["p2"])
    assert list(run("a + 1", current, previous).index) == ["p1", "p2"]
    assert_series(run("a + zz", current, previous), [NAN, NAN])  # absent column -> missing
    assert_series(run("prev(a) + a", current, previous), [NAN, NAN])
    assert_series(run("a + prev(b)", current, previous), [NAN, 7.0])


def test_missing_inputs_propagate_and_functions_do_not_skip_nan() -> None:
    current = pd.DataFrame({"a": [1.0, NAN, 3.0], "b": [NAN, 2.0, -4.0]})
    assert_series(run("a + b", current), [NAN, NAN, -1.0])
    assert_series(run("min(a, b)", current), [NAN, NAN, -4.0])
    assert_series(run("max(a, b)", current), [NAN, NAN, 3.0])
    assert_series(run("abs(b)", current), [NAN, 2.0, 4.0])
    assert_series(run("a * 0", current), [0.0, NAN, 0.0])


def test_division_by_zero_and_overflow_are_missing() -> None:
    current = pd.DataFrame({"a": [1.0, -1.0, 0.0, 6.0, 1e200], "b": [0.0, -0.0, 0.0, 3.0, 1e200]})
    assert_series(run("a / b", current), [NAN, NAN, NAN, 2.0, 1.0])
    assert_series(run("a / (b - b)", current), [NAN] * 5)
    assert_series(run("a * b", current), [0.0, 0.0, 0.0, 18.0, NAN])  # 1e400 -> inf -> NaN
    assert_series(run("a * b - a * b", current), [0.0, 0.0, 0.0, 0.0, NAN])
    assert not np.isinf(run("a / b", current)).any()


def test_infinite_and_nullable_inputs_count_as_missing() -> None:
    current = pd.DataFrame({"a": pd.array([1.5, None, 3.0], dtype="Float64")})
    current["b"] = [np.inf, 1.0, -np.inf]
    assert_series(run("a + 1", current), [2.5, NAN, 4.0])
    assert_series(run("b * 0", current), [NAN, 0.0, NAN])


def test_empty_frame_gives_empty_series() -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype=float)})
    result = run("a / prev(a)", empty, pd.DataFrame({"a": [1.0]}, index=[7]))
    assert result.empty and result.dtype == float


def test_large_frame_vectorised() -> None:
    rng = np.random.default_rng(0)
    size = 200_000
    current = pd.DataFrame({"a": rng.normal(size=size), "b": rng.integers(0, 3, size)})
    result = run("a / b + abs(a)", current)
    b = current["b"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(b == 0, np.nan, current["a"].to_numpy() / b + np.abs(current["a"]))
    np.testing.assert_allclose(result.to_numpy(), expected, equal_nan=True)


# --- validation and ordering -------------------------------------------------------------------


def test_validate_ok_returns_formula() -> None:
    formula = validate("revenue - cost", code="margin", known_codes=KNOWN, formulas={})
    assert formula.refs == {"revenue", "cost"}


def test_validate_unknown_code_names_it_with_position() -> None:
    with pytest.raises(FormulaError, match=r"unknown KPI code 'x' at position 4") as info:
        validate("a + x * zz", code="f", known_codes=KNOWN, formulas={})
    assert info.value.position == 4
    with pytest.raises(FormulaError, match=r"unknown KPI code 'old' at position 15"):
        validate("revenue / prev(old)", code="g", known_codes=KNOWN, formulas={})


def test_validate_propagates_syntax_errors() -> None:
    with pytest.raises(FormulaError, match="unexpected"):
        validate("a +", code="f", known_codes=KNOWN, formulas={})


@pytest.mark.parametrize(
    ("code", "text", "formulas", "message"),
    [
        ("a", "a + 1", {}, "cycle: a -> a"),
        ("f", "revenue + f", {}, "cycle: f -> f"),
        ("a", "b * 2", {"b": "a + 1"}, "cycle: a -> b -> a"),
        ("a", "b", {"b": "c", "c": "revenue + a"}, "cycle: a -> b -> c -> a"),
        ("a", "revenue + b", {"b": "prev(a) + c", "c": "a"}, "cycle: a -> b -> c -> a"),
        ("a", "b", {"b": "c", "c": "b"}, "cycle: b -> c -> b"),  # reachable existing cycle
    ],
)
def test_validate_detects_cycles(code: str, text: str, formulas: dict, message: str) -> None:
    known = KNOWN | set(formulas) | {"f"}
    with pytest.raises(FormulaError) as info:
        validate(text, code=code, known_codes=known, formulas=formulas)
    assert str(info.value) == message
    assert info.value.position is None


@pytest.mark.parametrize(
    ("code", "text", "formulas"),
    [
        ("growth", "revenue / prev(revenue)", {}),
        ("a", "prev(a)", {}),
        ("a", "prev(a) + 1", {}),
        ("a", "prev(b)", {"b": "a * 2"}),
        ("a", "b", {"b": "prev(a)"}),
        ("a", "b + c", {"b": "c", "c": "revenue"}),  # diamond, no cycle
        ("a", "1", {"a": "b", "b": "a"}),  # stale text of `a` is replaced by the new one
        ("a", "revenue", {"broken": "1 +"}),  # unreachable formulas are not parsed
    ],
)
def test_validate_accepts_prev_and_acyclic(code: str, text: str, formulas: dict) -> None:
    known = KNOWN | set(formulas)
    assert validate(text, code=code, known_codes=known, formulas=formulas).text == text


def test_validate_reports_broken_reachable_formula() -> None:
    with pytest.raises(FormulaError, match="formula of KPI 'b' is invalid"):
        validate("b", code="a", known_codes={"a", "b"}, formulas={"b": "1 +"})


def test_evaluation_order_dependencies_first() -> None:
    formulas = {"c": "a + b", "a": "revenue * 2", "b": "a / 3", "d": "prev(c) + cost"}
    assert evaluation_order(formulas) == ["a", "b", "c", "d"]
    assert evaluation_order(dict(reversed(formulas.items()))) == ["a", "b", "c", "d"]


def test_evaluation_order_sorted_tie_break_and_prev_is_no_edge() -> None:
    assert evaluation_order({"z": "1", "y": "revenue", "x": "z + y"}) == ["y", "z", "x"]
    assert evaluation_order({"b": "prev(a)", "a": "prev(b)"}) == ["a", "b"]
    assert evaluation_order({"a": "prev(a)"}) == ["a"]
    assert evaluation_order({}) == []


@pytest.mark.parametrize(
    ("formulas", "message"),
    [
        ({"a": "a"}, "cycle: a -> a"),
        ({"a": "b", "b": "a", "c": "1"}, "cycle: a -> b -> a"),
        ({"x": "1", "c": "a + x", "a": "b", "b": "c"}, "cycle: a -> b -> c -> a"),
    ],
)
def test_evaluation_order_rejects_cycles(formulas: dict, message: str) -> None:
    with pytest.raises(FormulaError) as info:
        evaluation_order(formulas)
    assert str(info.value) == message


def test_evaluation_order_names_invalid_formula() -> None:
    with pytest.raises(FormulaError, match="formula of KPI 'b' is invalid: unexpected"):
        evaluation_order({"a": "1", "b": "(1"})


# --- property tests against a per-row reference evaluator --------------------------------------


def reference(node: Node, row: dict[str, float], prev_row: dict[str, float]) -> float | None:
    """Plain-Python evaluation of one row; None means missing."""

    def clean(value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) else None

    def go(n: Node) -> float | None:
        if isinstance(n, Num):
            return n.value
        if isinstance(n, Ref):
            return clean(row.get(n.code))
        if isinstance(n, Prev):
            return clean(prev_row.get(n.code))
        if isinstance(n, Unary):
            value = go(n.operand)
            return None if value is None else -value
        if isinstance(n, Binary):
            left, right = go(n.left), go(n.right)
            if left is None or right is None or (n.op == "/" and right == 0):
                return None
            ops = {"+": left + right, "-": left - right, "*": left * right}
            return clean(left / right if n.op == "/" else ops[n.op])
        assert isinstance(n, Call)
        args = [go(arg) for arg in n.args]
        if any(arg is None for arg in args):
            return None
        return clean({"min": min, "max": max, "abs": abs}[n.name](*args))

    return go(node)


VALUES = st.one_of(
    st.just(NAN),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e300, -1e300, math.inf]),
    st.floats(min_value=-1e6, max_value=1e6),
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    ids = draw(st.lists(st.integers(0, 12), unique=True, max_size=8))
    columns = sorted(draw(st.sets(st.sampled_from(["a", "b", "c"]))))
    data = {col: [draw(VALUES) for _ in ids] for col in columns}
    return pd.DataFrame(data, index=pd.Index(ids, dtype="int64"), columns=columns, dtype=float)


def check_against_reference(
    formula: Formula, current: pd.DataFrame, previous: pd.DataFrame
) -> None:
    result = evaluate(formula, current=current, previous=previous)
    assert list(result.index) == list(current.index)
    for partner, got in result.items():
        row = current.loc[partner].to_dict()
        prev_row = previous.loc[partner].to_dict() if partner in previous.index else {}
        expected = reference(formula.tree, row, prev_row)
        if expected is None:
            assert math.isnan(got), (formula.text, partner, row, prev_row, got)
        else:
            assert got == pytest.approx(expected, rel=1e-12), (formula.text, row, prev_row)


FIXED_FORMULAS = [
    "100 * (a / prev(a) - 1)",
    "min(a, b) - max(prev(b), c) / 2",
    "abs(a - b) / (c + prev(c))",
    "-a * -b + --c",
    "a / b / c",
    "max(abs(a), min(b, 1e3)) * 1e300",
]


@pytest.mark.slow
@pytest.mark.parametrize("text", FIXED_FORMULAS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(current=frames(), previous=frames())
def test_evaluate_matches_row_by_row_reference(
    text: str, current: pd.DataFrame, previous: pd.DataFrame
) -> None:
    check_against_reference(parse(text), current, previous)


def render(node: Node) -> str:
    """Fully parenthesised text whose parse gives back ``node``."""
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, Ref):
        return node.code
    if isinstance(node, Prev):
        return f"prev( {node.code} )"
    if isinstance(node, Unary):
        return f"-{render(node.operand)}"
    if isinstance(node, Binary):
        return f"({render(node.left)} {node.op} {render(node.right)})"
    return f"{node.name}({', '.join(render(arg) for arg in node.args)})"


CODES = st.sampled_from(["a", "b", "c"])
TREES = st.recursive(
    st.one_of(
        st.builds(Num, st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 1e3, 1e300])),
        st.builds(Ref, CODES),
        st.builds(Prev, CODES),
    ),
    lambda sub: st.one_of(
        st.builds(Unary, st.just("-"), sub),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(Call, st.sampled_from(["min", "max"]), st.tuples(sub, sub)),
        st.builds(Call, st.just("abs"), st.tuples(sub)),
    ),
    max_leaves=10,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=TREES, current=frames(), previous=frames())
def test_random_trees_round_trip_and_match_reference(
    tree: Node, current: pd.DataFrame, previous: pd.DataFrame
) -> None:
    formula = parse(render(tree))
    assert formula.tree == tree
    check_against_reference(formula, current, previous)
