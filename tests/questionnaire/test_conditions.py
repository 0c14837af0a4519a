from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from questionnaire.conditions import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Condition,
    ConditionError,
    Default,
    Not,
    Or,
    Ref,
    parse_condition,
)

# A small pool of ids, so generated conditions share ids and evaluation results vary.
CHOICE_IDS = ["a", "b", "c", "sec_01_2", "SEC1-x", "q1_no", "0"]

choice_ids = st.sampled_from(CHOICE_IDS)
any_choice_id = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True).filter(lambda text: text != "default")


def expressions(ids: st.SearchStrategy[str] = choice_ids) -> st.SearchStrategy[Condition]:
    return st.recursive(
        ids.map(Ref),
        lambda children: st.one_of(
            children.map(Not),
            st.lists(children, min_size=2, max_size=4).map(lambda operands: And(tuple(operands))),
            st.lists(children, min_size=2, max_size=4).map(lambda operands: Or(tuple(operands))),
        ),
        max_leaves=20,
    )


conditions = st.one_of(st.just(Default()), expressions(st.one_of(choice_ids, any_choice_id)))

spaces = st.sampled_from(["", " ", "  ", "\t", "\n"])


@st.composite
def condition_texts(draw: st.DrawFn) -> tuple[str, str]:
    """Condition text straight from the grammar, paired with the same expression in Python syntax.

    Pieces are glued as text, without extra parentheses, so operator precedence is exercised for real;
    Python's `not` / `and` / `or` bind in the same order as `!` / `&&` / `||`.
    """

    def glue(pieces: list[tuple[str, str]], operator: str, python_operator: str) -> tuple[str, str]:
        around = draw(spaces)
        return (
            f"{around}{operator}{around}".join(text for text, _ in pieces),
            f" {python_operator} ".join(python for _, python in pieces),
        )

    atoms = choice_ids.map(lambda choice_id: (choice_id, f"v[{choice_id!r}]"))
    return draw(
        st.recursive(
            atoms,
            lambda children: st.one_of(
                children.map(lambda piece: (f"!{piece[0]}", f"not {piece[1]}")),
                children.map(lambda piece: (f"( {piece[0]} )", f"({piece[1]})")),
                st.lists(children, min_size=2, max_size=3).map(lambda pieces: glue(pieces, "&&", "and")),
                st.lists(children, min_size=2, max_size=3).map(lambda pieces: glue(pieces, "||", "or")),
            ),
            max_leaves=12,
        )
    )


def python_truth(python_expression: str, true_ids: frozenset[str]) -> bool:
    # The expression is built by the test from fixed ids and keywords only; it is the reference oracle.
    truth = {choice_id: choice_id in true_ids for choice_id in CHOICE_IDS}
    return eval(python_expression, {"__builtins__": {}}, {"v": truth})  # noqa: S307


# -- properties ----------------------------------------------------------------------------------------


@given(conditions)
def test_printed_condition_parses_back_to_the_same_tree(condition: Condition) -> None:
    assert parse_condition(str(condition)) == condition


@given(condition_texts())
def test_printing_a_parsed_condition_is_stable(pair: tuple[str, str]) -> None:
    text, _ = pair
    canonical = str(parse_condition(text))
    assert str(parse_condition(canonical)) == canonical


@given(condition_texts(), st.frozensets(choice_ids))
def test_evaluation_matches_python_boolean_logic(pair: tuple[str, str], true_ids: frozenset[str]) -> None:
    text, python_expression = pair
    assert parse_condition(text).evaluate(true_ids) is python_truth(python_expression, true_ids)


@given(conditions, st.frozensets(st.one_of(choice_ids, any_choice_id)))
def test_evaluation_survives_printing(condition: Condition, true_ids: frozenset[str]) -> None:
    assert parse_condition(str(condition)).evaluate(true_ids) == condition.evaluate(true_ids)


@given(condition_texts())
def test_choice_ids_are_exactly_the_ids_written(pair: tuple[str, str]) -> None:
    text, python_expression = pair
    written = {choice_id for choice_id in CHOICE_IDS if f"v[{choice_id!r}]" in python_expression}
    assert parse_condition(text).choice_ids() == written


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="ab_-!()&| \tdefault", max_size=60),
        st.lists(st.sampled_from(["a", "!", "(", ")", "&&", "||", "&", "|", " ", "default"])).map("".join),
    ),
    st.one_of(st.none(), st.just(["a", "b"])),
)
def test_any_text_either_parses_or_raises_condition_error(text: str, known_ids: list[str] | None) -> None:
    try:
        condition = parse_condition(text, known_ids)
    except ConditionError as error:
        assert str(error)
        assert error.position is None or 0 <= error.position <= len(text)
    else:
        assert parse_condition(str(condition)) == condition


@given(conditions)
def test_known_ids_accept_every_id_the_condition_uses(condition: Condition) -> None:
    assert parse_condition(str(condition), known_ids=condition.choice_ids()) == condition


@given(expressions())
def test_an_id_missing_from_known_ids_is_reported(condition: Condition) -> None:
    used = sorted(condition.choice_ids())
    assume(used)
    with pytest.raises(ConditionError, match="unknown choice id"):
        parse_condition(str(condition), known_ids=used[1:])


# -- examples ------------------------------------------------------------------------------------------


def test_it_reads_default_as_the_catch_all() -> None:
    assert parse_condition("default") == Default()
    assert parse_condition("  default\n") == Default()
    assert Default().evaluate(frozenset())


def test_it_binds_not_tighter_than_and_tighter_than_or() -> None:
    assert parse_condition("!a && b || c") == Or((And((Not(Ref("a")), Ref("b"))), Ref("c")))


def test_it_accepts_operators_without_spaces() -> None:
    assert parse_condition("a&&!b||(c)") == parse_condition("a && !b || c")


def test_it_flattens_redundant_parentheses() -> None:
    assert parse_condition("((a && (b && c)))") == And((Ref("a"), Ref("b"), Ref("c")))
    assert str(parse_condition("(a) || ((b || c))")) == "a || b || c"


def test_it_keeps_the_parentheses_that_matter() -> None:
    assert str(parse_condition("(a||b)&&!(c&&d)")) == "(a || b) && !(c && d)"
    assert str(parse_condition("!(!a)")) == "!!a"


def test_it_evaluates_like_an_aws_risk_rule() -> None:
    condition = parse_condition("sec_01_1 && (sec_01_2 || sec_01_3)")
    assert condition.evaluate({"sec_01_1", "sec_01_3"})
    assert not condition.evaluate({"sec_01_2", "sec_01_3"})
    assert condition.choice_ids() == {"sec_01_1", "sec_01_2", "sec_01_3"}


def test_it_treats_default_case_sensitively() -> None:
    assert parse_condition("Default") == Ref("Default")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty condition"),
        ("  \t ", "empty condition"),
        ("a && && b", "unexpected '&&' at position 5"),
        ("a &&", "unexpected end of condition at position 4"),
        ("|| a", "unexpected '||' at position 0"),
        ("a & b", "unexpected '&' at position 2"),
        ("a | b", "unexpected '|' at position 2"),
        ("a b", "unexpected 'b' at position 2"),
        ("a; b", "unexpected ';' at position 1"),
        ("()", "unexpected ')' at position 1"),
        ("(a && b", "unbalanced parenthesis at position 0"),
        ("a && b)", "unbalanced parenthesis at position 6"),
        ("!", "unexpected end of condition at position 1"),
        ("default && a", "'default' must be the whole condition at position 0"),
        ("a || default", "'default' must be the whole condition at position 5"),
        ("__import__('os')", 'unexpected "\'" at position 11'),
    ],
)
def test_it_explains_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as raised:
        parse_condition(text)
    assert str(raised.value) == message


def test_it_names_the_unknown_choice_id_and_where_it_is() -> None:
    with pytest.raises(ConditionError) as raised:
        parse_condition("a && foo", known_ids=["a", "b"])
    assert str(raised.value) == "unknown choice id 'foo' at position 5"
    assert (raised.value.message, raised.value.position) == ("unknown choice id 'foo'", 5)


def test_it_refuses_overlong_conditions() -> None:
    text = " || ".join(["a"] * (MAX_LENGTH // 4 + 1))
    assert len(text) > MAX_LENGTH
    with pytest.raises(ConditionError, match="^condition too long$"):
        parse_condition(text)


def nested(opener: str, times: int) -> str:
    return opener * times + "a" + ")" * (opener.count("(") * times)


@pytest.mark.parametrize("opener", ["(", "!", "!("])
def test_it_refuses_deep_nesting_without_recursion_error(opener: str) -> None:
    levels_per_opener = len(opener)
    assert parse_condition(nested(opener, MAX_DEPTH // levels_per_opener)).choice_ids() == {"a"}

    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition(nested(opener, MAX_DEPTH // levels_per_opener + 1))
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition(nested(opener, 600)[:MAX_LENGTH])


def test_it_refuses_trees_that_could_not_be_printed_back() -> None:
    with pytest.raises(ValueError, match="not a valid choice id"):
        Ref("a b")
    with pytest.raises(ValueError, match="not a valid choice id"):
        Ref("default")
    with pytest.raises(ValueError, match="not a usable operand"):
        And((Default(), Ref("a")))
    with pytest.raises(ValueError, match="at least two operands"):
        Or((Ref("a"),))


def test_it_stores_nested_same_operators_flat() -> None:
    assert And((And((Ref("a"), Ref("b"))), Ref("c"))) == And((Ref("a"), Ref("b"), Ref("c")))
