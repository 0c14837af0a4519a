from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from questionnaire.conditions import parse_condition
from questionnaire.rating import (
    ChoiceSpec,
    Level,
    QuestionSpec,
    Risk,
    RiskRuleSpec,
    level_rules,
    none_of_these_id,
)
from reviewapp.risk import (
    LEVEL_ORDER,
    RISK_ORDER,
    AnswerState,
    RiskCounts,
    answer_state,
    level_sort_key,
    missing_choices,
    question_risk,
    risk_sort_key,
    worst,
)

CHOICE_CODES = [f"sec_01_{number}" for number in range(1, 8)]
# Codes that are not choices of the generated questions: answers may carry stale or foreign ids.
STRAY_CODES = ["sec_99_1", "sec_01_no"]
RATED = {Risk.NONE: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}


@st.composite
def questions(draw: st.DrawFn) -> QuestionSpec:
    codes = draw(st.lists(st.sampled_from(CHOICE_CODES), unique=True, max_size=len(CHOICE_CODES)))
    levels = st.sampled_from([Level.HIGH, Level.MEDIUM, Level.LOW, None])
    return QuestionSpec("sec_01", tuple(ChoiceSpec(code, draw(levels)) for code in codes))


@st.composite
def rated_answers(draw: st.DrawFn, question: QuestionSpec) -> AnswerState:
    """An answered, applicable answer; "None of these" comes with no selection, as the UI enforces."""
    codes = [choice.code for choice in question.choices] + STRAY_CODES
    none_of_these = draw(st.booleans())
    selected = frozenset() if none_of_these else draw(st.frozensets(st.sampled_from(codes)))
    return AnswerState(
        answered=True,
        none_of_these=none_of_these,
        selected=selected,
        choices_not_applicable=draw(st.frozensets(st.sampled_from(codes))),
    )


@st.composite
def questions_and_answers(draw: st.DrawFn) -> tuple[QuestionSpec, AnswerState]:
    question = draw(questions())
    return question, draw(rated_answers(question))


any_answers = st.builds(
    AnswerState,
    answered=st.booleans(),
    question_not_applicable=st.booleans(),
    none_of_these=st.booleans(),
    selected=st.frozensets(st.sampled_from(CHOICE_CODES + STRAY_CODES)),
    choices_not_applicable=st.frozensets(st.sampled_from(CHOICE_CODES + STRAY_CODES)),
)
risk_lists = st.lists(st.sampled_from(list(Risk)))


def with_rules(question: QuestionSpec, *rules: tuple[str, Risk]) -> QuestionSpec:
    return dataclasses.replace(
        question, rules=tuple(RiskRuleSpec(parse_condition(text), risk) for text, risk in rules)
    )


# -- properties of the level rule ----------------------------------------------------------------------


@given(questions_and_answers(), st.sampled_from(CHOICE_CODES + STRAY_CODES))
def test_selecting_another_choice_never_raises_risk(
    case: tuple[QuestionSpec, AnswerState], code: str
) -> None:
    question, answer = case
    more = dataclasses.replace(answer, selected=answer.selected | {code})
    assert RATED[question_risk(question, more)] <= RATED[question_risk(question, answer)]


@given(questions_and_answers(), st.sampled_from(CHOICE_CODES + STRAY_CODES))
def test_marking_a_choice_not_applicable_never_raises_risk(
    case: tuple[QuestionSpec, AnswerState], code: str
) -> None:
    question, answer = case
    more = dataclasses.replace(answer, choices_not_applicable=answer.choices_not_applicable | {code})
    assert RATED[question_risk(question, more)] <= RATED[question_risk(question, answer)]


@given(questions(), any_answers)
def test_none_of_these_makes_an_applicable_answered_question_high(
    question: QuestionSpec, answer: AnswerState
) -> None:
    answer = dataclasses.replace(answer, answered=True, question_not_applicable=False, none_of_these=True)
    assert question_risk(question, answer) is Risk.HIGH
    # A selection left over from before "None of these" was ticked does not establish anything.
    assert missing_choices(question, answer) == tuple(
        choice for choice in question.choices if choice.code not in answer.choices_not_applicable
    )


@given(questions_and_answers())
def test_risk_is_the_worst_level_among_missing_choices(case: tuple[QuestionSpec, AnswerState]) -> None:
    question, answer = case
    levels = {choice.level for choice in missing_choices(question, answer)}
    expected = (
        Risk.HIGH
        if answer.none_of_these or Level.HIGH in levels
        else Risk.MEDIUM
        if Level.MEDIUM in levels
        else Risk.NONE
    )
    assert question_risk(question, answer) is expected


@given(questions_and_answers())
def test_missing_choices_are_the_applicable_unselected_ones_in_catalogue_order(
    case: tuple[QuestionSpec, AnswerState],
) -> None:
    question, answer = case
    missing = missing_choices(question, answer)
    assert list(missing) == [choice for choice in question.choices if choice in missing]
    for choice in question.choices:
        applicable = choice.code not in answer.choices_not_applicable
        established = choice.code in answer.selected and not answer.none_of_these
        assert (choice in missing) == (applicable and not established)


@given(questions_and_answers())
def test_level_rules_rate_exactly_like_the_level_rule(case: tuple[QuestionSpec, AnswerState]) -> None:
    question, answer = case
    exported = dataclasses.replace(question, rules=level_rules(question))
    assert question_risk(exported, answer) is question_risk(question, answer)


@given(questions())
def test_level_rules_print_as_parseable_conditions(question: QuestionSpec) -> None:
    known = {choice.code for choice in question.choices} | {none_of_these_id(question.code)}
    for rule in level_rules(question):
        assert parse_condition(str(rule.condition), known_ids=known) == rule.condition


# -- properties shared by both ways of rating ----------------------------------------------------------


@given(questions(), any_answers, st.booleans())
def test_unanswered_and_not_applicable_questions_short_circuit(
    question: QuestionSpec, answer: AnswerState, use_rules: bool
) -> None:
    if use_rules:
        question = with_rules(question, ("default", Risk.HIGH))
    unanswered = dataclasses.replace(answer, answered=False)
    not_applicable = dataclasses.replace(answer, answered=True, question_not_applicable=True)

    assert question_risk(question, None) is Risk.UNANSWERED
    assert question_risk(question, unanswered) is Risk.UNANSWERED
    assert question_risk(question, not_applicable) is Risk.NOT_APPLICABLE
    assert missing_choices(question, None) == ()
    assert missing_choices(question, unanswered) == ()
    assert missing_choices(question, not_applicable) == ()


@given(questions(), any_answers)
def test_an_answered_applicable_question_is_always_rated(question: QuestionSpec, answer: AnswerState) -> None:
    answer = dataclasses.replace(answer, answered=True, question_not_applicable=False)
    assert question_risk(question, answer) in RATED


# -- properties of counting and ordering ---------------------------------------------------------------


@given(risk_lists, risk_lists)
def test_counts_add_up(first: list[Risk], second: list[Risk]) -> None:
    counts = RiskCounts.of(first)
    assert counts.total == len(first)
    assert counts.answered == sum(risk is not Risk.UNANSWERED for risk in first)
    assert counts.applicable == sum(risk is not Risk.NOT_APPLICABLE for risk in first)
    assert RiskCounts.of(first + second) == counts + RiskCounts.of(second)
    assert RiskCounts(**counts.as_dict()) == counts


@given(risk_lists, risk_lists)
def test_worst_of_parts_is_worst_of_whole(first: list[Risk], second: list[Risk]) -> None:
    assert worst(first + second) is worst([worst(first), worst(second)])


@given(risk_lists)
def test_worst_is_one_of_the_risks(risks: list[Risk]) -> None:
    assume(risks)
    assert worst(risks) in risks


# -- examples ------------------------------------------------------------------------------------------

QUESTION = QuestionSpec(
    "sec_01",
    (
        ChoiceSpec("sec_01_1", Level.HIGH),
        ChoiceSpec("sec_01_2", Level.MEDIUM),
        ChoiceSpec("sec_01_3", Level.LOW),
    ),
)
ALL_SELECTED = frozenset({"sec_01_1", "sec_01_2", "sec_01_3"})


def answer(*selected: str, not_applicable: tuple[str, ...] = (), none_of_these: bool = False) -> AnswerState:
    return AnswerState(
        answered=True,
        none_of_these=none_of_these,
        selected=frozenset(selected),
        choices_not_applicable=frozenset(not_applicable),
    )


def test_missing_high_bp_makes_question_high() -> None:
    assert question_risk(QUESTION, answer("sec_01_2", "sec_01_3")) is Risk.HIGH


def test_missing_medium_bp_makes_question_medium() -> None:
    assert question_risk(QUESTION, answer("sec_01_1", "sec_01_3")) is Risk.MEDIUM


def test_missing_low_bp_leaves_question_without_risk() -> None:
    assert question_risk(QUESTION, answer("sec_01_1", "sec_01_2")) is Risk.NONE


def test_not_applicable_high_bp_does_not_count_as_missing() -> None:
    state = answer("sec_01_2", not_applicable=("sec_01_1",))
    assert question_risk(QUESTION, state) is Risk.NONE
    assert missing_choices(QUESTION, state) == (ChoiceSpec("sec_01_3", Level.LOW),)


def test_none_of_these_is_high_and_misses_every_applicable_bp() -> None:
    state = answer(none_of_these=True, not_applicable=("sec_01_3",))
    assert question_risk(QUESTION, state) is Risk.HIGH
    assert missing_choices(QUESTION, state) == QUESTION.choices[:2]


def test_none_of_these_is_high_even_without_high_bps() -> None:
    question = QuestionSpec("sec_02", (ChoiceSpec("sec_02_1", Level.LOW),))
    assert question_risk(question, answer(none_of_these=True)) is Risk.HIGH


def test_unknown_selected_ids_are_ignored() -> None:
    assert question_risk(QUESTION, answer("sec_01_2", "sec_01_3", "sec_01_1x")) is Risk.HIGH


def test_it_reports_unanswered_before_looking_at_choices() -> None:
    assert question_risk(QUESTION, None) is Risk.UNANSWERED
    assert question_risk(QUESTION, AnswerState(selected=ALL_SELECTED)) is Risk.UNANSWERED


def stored(**fields: object) -> SimpleNamespace:
    """A stored answer as answer_state reads it: nothing selected, applicable, no per-choice reasons."""
    defaults = {"selected": [], "none_of_these": False, "is_applicable": True, "choices_not_applicable": {}}
    return SimpleNamespace(**(defaults | fields))


CODES = ["sec_01_1", "sec_01_2"]


def test_an_answer_with_every_choice_not_applicable_is_answered() -> None:
    state = answer_state(stored(choices_not_applicable=dict.fromkeys(CODES, "OUT_OF_SCOPE")), CODES)
    assert state.answered and not state.question_not_applicable
    assert (
        question_risk(QuestionSpec("sec_01", tuple(ChoiceSpec(c, Level.HIGH) for c in CODES)), state)
        is Risk.NONE
    )


def test_an_answer_with_only_some_choices_not_applicable_is_not_answered_yet() -> None:
    state = answer_state(stored(choices_not_applicable={"sec_01_1": "OUT_OF_SCOPE"}), CODES)
    assert not state.answered


def test_an_untouched_answer_is_not_answered_and_a_selection_or_none_of_these_is() -> None:
    assert not answer_state(stored(), CODES).answered
    assert answer_state(stored(selected=["sec_01_2"]), CODES).answered
    assert answer_state(stored(none_of_these=True), CODES).answered
    assert answer_state(stored(is_applicable=False), CODES).question_not_applicable


def test_it_reports_a_question_that_does_not_apply() -> None:
    state = AnswerState(answered=True, question_not_applicable=True)
    assert question_risk(QUESTION, state) is Risk.NOT_APPLICABLE
    assert missing_choices(QUESTION, state) == ()


CUSTOM = with_rules(
    QuestionSpec("cust_1", (ChoiceSpec("cust_1_a", None), ChoiceSpec("cust_1_b", None))),
    ("cust_1_no || !cust_1_a", Risk.HIGH),
    ("!cust_1_b", Risk.MEDIUM),
    ("default", Risk.NONE),
)


def test_it_applies_the_first_matching_rule() -> None:
    assert question_risk(CUSTOM, answer("cust_1_b")) is Risk.HIGH
    assert question_risk(CUSTOM, answer("cust_1_a")) is Risk.MEDIUM
    assert question_risk(CUSTOM, answer("cust_1_a", "cust_1_b")) is Risk.NONE


def test_it_counts_a_not_applicable_choice_as_satisfied_in_rules() -> None:
    assert question_risk(CUSTOM, answer("cust_1_a", not_applicable=("cust_1_b",))) is Risk.NONE


def test_it_matches_none_of_these_by_its_aws_id() -> None:
    assert none_of_these_id("cust_1") == "cust_1_no"
    assert question_risk(CUSTOM, answer(none_of_these=True)) is Risk.HIGH


def test_it_ignores_a_selected_pseudo_id_that_is_not_a_choice() -> None:
    assert question_risk(CUSTOM, answer("cust_1_a", "cust_1_b", "cust_1_no")) is Risk.NONE


def test_it_rates_none_when_no_rule_matches() -> None:
    question = with_rules(CUSTOM, ("cust_1_a && cust_1_b", Risk.HIGH))
    assert question_risk(question, answer("cust_1_a")) is Risk.NONE


def test_it_exports_the_level_rule_as_aws_style_rules() -> None:
    rendered = [(str(rule.condition), rule.risk) for rule in level_rules(QUESTION)]
    assert rendered == [
        ("sec_01_no || !sec_01_1", Risk.HIGH),
        ("!sec_01_2", Risk.MEDIUM),
        ("default", Risk.NONE),
    ]


def test_it_refuses_a_rule_that_yields_an_unrateable_risk() -> None:
    with pytest.raises(ValueError, match="HIGH, MEDIUM or NONE"):
        RiskRuleSpec(parse_condition("default"), Risk.UNANSWERED)


def test_it_counts_risks_by_kind() -> None:
    counts = RiskCounts.of([Risk.HIGH, Risk.HIGH, Risk.NONE, Risk.UNANSWERED, Risk.NOT_APPLICABLE])
    assert counts == RiskCounts(high=2, none=1, unanswered=1, not_applicable=1)
    assert (counts.total, counts.answered, counts.applicable) == (5, 4, 4)
    assert counts.as_dict() == {"high": 2, "medium": 0, "none": 1, "not_applicable": 1, "unanswered": 1}


def test_worst_prefers_rated_over_unanswered_over_not_applicable() -> None:
    assert worst([Risk.NONE, Risk.MEDIUM, Risk.UNANSWERED]) is Risk.MEDIUM
    assert worst([Risk.UNANSWERED, Risk.NONE]) is Risk.NONE
    assert worst([Risk.NOT_APPLICABLE, Risk.UNANSWERED]) is Risk.UNANSWERED
    assert worst([]) is Risk.NOT_APPLICABLE


def test_it_sorts_improvement_items_most_urgent_first() -> None:
    risks = [Risk.UNANSWERED, Risk.NONE, Risk.HIGH, Risk.NOT_APPLICABLE, Risk.MEDIUM]
    assert sorted(risks, key=risk_sort_key) == list(RISK_ORDER)
    assert sorted([None, Level.LOW, Level.HIGH, Level.MEDIUM], key=level_sort_key) == [*LEVEL_ORDER, None]
