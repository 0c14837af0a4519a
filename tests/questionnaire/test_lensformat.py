from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaire import lensformat
from questionnaire.catalogue import (
    LENS_DIR,
    BestPracticeDoc,
    LensDoc,
    PillarDoc,
    QuestionDoc,
    lens_version_doc,
    read_own_lens_file,
)
from questionnaire.conditions import parse_condition
from questionnaire.lensformat import (
    MAX_FILE_CHARS,
    LensExportError,
    LensFormatError,
    Problem,
    custom_lens_problems,
    export_custom_lens,
    parse_custom_lens,
    read_custom_lens,
)
from questionnaire.models import Lens
from questionnaire.rating import ChoiceSpec, Level, QuestionSpec, Risk, RiskRuleSpec
from reviewapp.risk import AnswerState, question_risk

BACKUPS = "$.pillars[0].questions[0]"
ACCESS = "$.pillars[0].questions[1]"
CHOICE = f"{BACKUPS}.choices[0]"
RULE = f"{ACCESS}.riskRules[0]"


def choice(choice_id: str, title: str) -> dict:
    return {
        "id": choice_id,
        "title": title,
        "helpfulResource": {
            "displayText": f"Why {title.lower()} matters",
            "url": f"https://example.com/{choice_id}",
        },
        "improvementPlan": {"displayText": f"Start with: {title.lower()}"},
    }


def lens_data() -> dict:
    """A small valid custom lens: two questions, one with a 'None of these' choice named as AWS's example."""
    return {
        "schemaVersion": "2021-11-01",
        "name": "Team Platform Policy",
        "description": "Our own platform rules, reviewed next to the Security pillar.",
        "_version": "2024.2",
        "pillars": [
            {
                "id": "platform",
                "name": "Platform",
                "questions": [
                    {
                        "id": "backups",
                        "title": "How do you back up data?",
                        "description": "Backups that are never restored are a hope, not a plan.",
                        "helpfulResource": {
                            "displayText": "Backup policy",
                            "url": "https://example.com/backups",
                        },
                        "choices": [
                            choice("bk_daily", "Daily backups"),
                            choice("bk_tested", "Restores are tested"),
                            {"id": "option_no", "title": "None of these"},
                        ],
                        "riskRules": [
                            {"condition": "bk_daily && bk_tested", "risk": "NO_RISK"},
                            {"condition": "bk_daily&&!option_no", "risk": "MEDIUM_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    },
                    {
                        "id": "access",
                        "title": "How do people reach production?",
                        "choices": [
                            choice("aaa", "Through SSO only"),
                            choice("bbb", "Break-glass is audited"),
                        ],
                        "riskRules": [
                            {"condition": "aaa && bbb", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    },
                ],
            }
        ],
    }


def problems_in(data: object, **kwargs: str) -> list[Problem]:
    text = data if isinstance(data, str) else json.dumps(data)
    try:
        parse_custom_lens(text, **kwargs)
    except LensFormatError as exc:
        return exc.problems
    return []


def question(data: dict, index: int = 0) -> dict:
    return data["pillars"][0]["questions"][index]


def choice_of(data: dict, question_index: int = 0, index: int = 0) -> dict:
    return question(data, question_index)["choices"][index]


@cache
def builtin_doc() -> LensDoc:
    return read_own_lens_file(LENS_DIR / "security-pillar.json")


@cache
def builtin_export_text() -> str:
    return json.dumps(export_custom_lens(builtin_doc()))


# --- import: the happy path -------------------------------------------------------------------------------


def test_a_valid_file_becomes_a_custom_lens_rated_by_rules():
    doc = parse_custom_lens(json.dumps(lens_data()))

    assert (doc.slug, doc.name, doc.label, doc.kind, doc.risk_model) == (
        "team-platform-policy",
        "Team Platform Policy",
        "2024.2",
        Lens.Kind.CUSTOM,
        "RULES",
    )
    backups = doc.pillars[0].questions[0]
    assert (backups.code, backups.wa_id, backups.helpful_url) == (
        "backups",
        "backups",
        "https://example.com/backups",
    )
    daily = backups.best_practices[0]
    assert daily == BestPracticeDoc(
        code="bk_daily",
        choice_id="bk_daily",
        title="Daily backups",
        level="",
        description="Why daily backups matters",
        improvement="Start with: daily backups",
        doc_url="https://example.com/bk_daily",
        improvement_url="",
    )
    assert [(rule.condition, rule.risk) for rule in backups.risk_rules] == [
        ("bk_daily && bk_tested", "NONE"),
        ("bk_daily && !backups_no", "MEDIUM"),
        ("default", "HIGH"),
    ]


def test_the_none_of_these_choice_is_not_stored_as_a_best_practice():
    doc = parse_custom_lens(json.dumps(lens_data()))

    assert [bp.code for bp in doc.pillars[0].questions[0].best_practices] == ["bk_daily", "bk_tested"]


def test_the_slug_can_be_given_and_the_label_defaults_to_one():
    data = lens_data()
    del data["_version"]

    doc = parse_custom_lens(json.dumps(data), slug="platform-policy")

    assert (doc.slug, doc.label) == ("platform-policy", "1")


def test_the_same_choice_id_may_appear_in_two_questions():
    data = lens_data()
    choice_of(data, 1, 0)["id"] = "bk_daily"
    question(data, 1)["riskRules"][0]["condition"] = "bk_daily && bbb"

    assert problems_in(data) == []


# --- import: every kind of problem, at its exact path -----------------------------------------------------


ROOT: tuple = ()
PILLAR = ("pillars", 0)
Q0 = (*PILLAR, "questions", 0)
Q1 = (*PILLAR, "questions", 1)
C0 = (*Q0, "choices", 0)


def node(data: dict, keys: tuple) -> dict:
    for key in keys:
        data = data[key]
    return data


def _set(keys: tuple, key: str, value: object) -> Callable[[dict], None]:
    return lambda data: node(data, keys).__setitem__(key, value)


def _drop(keys: tuple, key: str) -> Callable[[dict], None]:
    return lambda data: node(data, keys).pop(key)


def _rule(index: int) -> tuple:
    return (*Q1, "riskRules", index)


def _add_pillars(count: int) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        for number in range(count):
            extra = json.loads(json.dumps(data["pillars"][0]))
            extra["id"] = f"extra_{number}"
            for item in extra["questions"]:
                item["id"] = f"{item['id']}_{number}"
            data["pillars"].append(extra)

    return mutate


def _add_questions(count: int) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        for number in range(count):
            extra = json.loads(json.dumps(question(data, 1)))
            extra["id"] = f"access_{number}"
            data["pillars"][0]["questions"].append(extra)

    return mutate


def _add_choices(count: int) -> Callable[[dict], None]:
    return lambda data: question(data, 1)["choices"].extend(
        choice(f"extra_{n}", f"Extra {n}") for n in range(count)
    )


def _additional(entries: list) -> Callable[[dict], None]:
    return _set(C0, "additionalResources", entries)


def _duplicate_question(data: dict) -> None:
    second = json.loads(json.dumps(data["pillars"][0]))
    second["id"] = "platform_two"
    second["questions"] = [second["questions"][1]]
    data["pillars"].append(second)


CASES = [
    ("schema missing", _drop(ROOT, "schemaVersion"), "$.schemaVersion", "is required"),
    ("schema wrong", _set(ROOT, "schemaVersion", "2020-01-01"), "$.schemaVersion", "must be '2021-11-01'"),
    ("name missing", _drop(ROOT, "name"), "$.name", "is required"),
    ("name not a string", _set(ROOT, "name", 42), "$.name", "must be a string"),
    ("name null", _set(ROOT, "name", None), "$.name", "must be a string"),
    ("name empty", _set(ROOT, "name", "  "), "$.name", "must not be empty"),
    ("name too long", _set(ROOT, "name", "n" * 129), "$.name", "129 characters; the limit is 128"),
    ("description too long", _set(ROOT, "description", "d" * 2049), "$.description", "the limit is 2048"),
    ("version not a string", _set(ROOT, "_version", 3), "$._version", "must be a string"),
    ("pillars not a list", _set(ROOT, "pillars", {}), "$.pillars", "must be a list"),
    ("pillars empty", _set(ROOT, "pillars", []), "$.pillars", "must not be empty"),
    ("pillar not an object", lambda d: d["pillars"].append("x"), "$.pillars[1]", "must be an object"),
    ("pillar id too short", _set(PILLAR, "id", "pl"), "$.pillars[0].id", "must be 3-64 letters"),
    ("pillar id with a hyphen", _set(PILLAR, "id", "plat-form"), "$.pillars[0].id", "must be 3-64 letters"),
    ("pillar id too long", _set(PILLAR, "id", "p" * 65), "$.pillars[0].id", "the limit is 64"),
    ("questions missing", _drop(PILLAR, "questions"), "$.pillars[0].questions", "is required"),
    ("too many questions", _add_questions(19), "$.pillars[0].questions", "21 entries; the limit is 20"),
    ("question id duplicated", _set(Q1, "id", "backups"), f"{ACCESS}.id", "duplicate question id 'backups'"),
    (
        "question id duplicated across pillars",
        _duplicate_question,
        "$.pillars[1].questions[0].id",
        "duplicate",
    ),
    ("question title too long", _set(Q0, "title", "t" * 129), f"{BACKUPS}.title", "the limit is 128"),
    ("question description too long", _set(Q0, "description", "d" * 2049), f"{BACKUPS}.description", "2048"),
    (
        "choices missing",
        lambda d: (
            node(d, Q1).pop("choices")
            and node(d, Q1).update(riskRules=[{"condition": "default", "risk": "NO_RISK"}])
        ),
        f"{ACCESS}.choices",
        "is required",
    ),
    ("too many choices", _add_choices(14), f"{ACCESS}.choices", "16 entries; the limit is 15"),
    (
        "choice id duplicated",
        lambda d: node(d, Q0)["choices"].append(choice("bk_daily", "Again")),
        f"{BACKUPS}.choices[3].id",
        "duplicate choice id 'bk_daily' (first at $.pillars[0].questions[0].choices[0].id)",
    ),
    (
        "choice id reserved",
        lambda d: node(d, Q0)["choices"].append(choice("default", "Default")),
        f"{BACKUPS}.choices[3].id",
        "reserved",
    ),
    ("choice title too long", _set(C0, "title", "t" * 129), f"{CHOICE}.title", "the limit is 128"),
    ("improvement plan missing", _drop(C0, "improvementPlan"), f"{CHOICE}.improvementPlan", "required"),
    (
        "improvement plan text empty",
        _set(C0, "improvementPlan", {"displayText": ""}),
        f"{CHOICE}.improvementPlan.displayText",
        "must not be empty",
    ),
    (
        "choice helpful text too long",
        lambda d: node(d, C0)["helpfulResource"].update(displayText="h" * 2049),
        f"{CHOICE}.helpfulResource.displayText",
        "the limit is 2048",
    ),
    (
        "additional resource type unknown",
        _additional([{"type": "VIDEO", "content": [{"displayText": "x"}]}]),
        f"{CHOICE}.additionalResources[0].type",
        "must be HELPFUL_RESOURCE or IMPROVEMENT_PLAN",
    ),
    (
        "too many additional resources of one type",
        _additional([{"type": "HELPFUL_RESOURCE", "content": [{"displayText": f"r{n}"} for n in range(6)]}]),
        f"{CHOICE}.additionalResources[0].content[5]",
        "at most 5",
    ),
    (
        "two none-of-these choices",
        lambda d: node(d, Q0)["choices"].append({"id": "other_no", "title": "Nothing"}),
        f"{BACKUPS}.choices[3].id",
        "only one 'None of these' choice",
    ),
    ("risk unknown", _set(_rule(0), "risk", "LOW_RISK"), f"{RULE}.risk", "must be HIGH_RISK, MEDIUM"),
    (
        "risk repeated",
        _set(_rule(0), "risk", "HIGH_RISK"),
        f"{ACCESS}.riskRules[1].risk",
        "one rule per risk level",
    ),
    ("condition missing", _drop(_rule(0), "condition"), f"{RULE}.condition", "is required"),
    ("condition junk", _set(_rule(0), "condition", "aaa &&"), f"{RULE}.condition", "unexpected end"),
    (
        "condition single ampersand",
        _set(_rule(0), "condition", "aaa & bbb"),
        f"{RULE}.condition",
        "unexpected '&' at position 4",
    ),
    (
        "condition names an unknown choice",
        _set(_rule(0), "condition", "aaa && ccc"),
        f"{RULE}.condition",
        "unknown choice id 'ccc'",
    ),
    (
        "condition names a none-of-these choice the question lacks",
        _set(_rule(0), "condition", "!access_no"),
        f"{RULE}.condition",
        "unknown choice id 'access_no'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message"), [pytest.param(m, p, msg, id=name) for name, m, p, msg in CASES]
)
def test_each_problem_is_reported_once_at_its_json_path(mutate, path, message):
    data = lens_data()
    mutate(data)

    problems = problems_in(data)

    assert len(problems) == 1, problems
    assert problems[0].path == path
    assert message in problems[0].message


def test_every_problem_in_a_file_is_reported_together_in_document_order():
    data = lens_data()
    data["schemaVersion"] = "1.0"
    node(data, C0)["title"] = "t" * 129
    node(data, Q0)["riskRules"][0]["condition"] = "bk_daily ||"
    node(data, _rule(0))["risk"] = "SEVERE"

    problems = problems_in(data)

    assert [problem.path for problem in problems] == [
        "$.schemaVersion",
        f"{BACKUPS}.choices[0].title",
        f"{BACKUPS}.riskRules[0].condition",
        f"{ACCESS}.riskRules[0].risk",
    ]
    assert str(LensFormatError(problems)).splitlines()[0].startswith("$.schemaVersion: must be '2021-11-01'")


def test_more_than_three_rules_are_refused_as_they_must_repeat_a_risk():
    data = lens_data()
    node(data, Q1)["riskRules"][1:1] = [
        {"condition": "aaa", "risk": "MEDIUM_RISK"},
        {"condition": "bbb", "risk": "HIGH_RISK"},
    ]

    assert problems_in(data) == [
        Problem(f"{ACCESS}.riskRules", "has 4 entries; the limit is 3"),
        Problem(
            f"{ACCESS}.riskRules[3].risk",
            f"one rule per risk level: HIGH_RISK is already at {ACCESS}.riskRules[2]",
        ),
    ]


def test_a_json_array_is_not_a_lens():
    assert problems_in("[]") == [Problem("$", "must be a JSON object, not []")]


def test_invalid_json_is_reported_with_line_and_column():
    text = '{\n  "name": "x",\n  "pillars": [1, 2,]\n}'

    [problem] = problems_in(text)

    assert problem.path == "$"
    assert problem.message.startswith("invalid JSON:")
    assert "(line 3, column 20)" in problem.message


def test_deeply_nested_json_is_a_problem_not_a_crash():
    [problem] = problems_in("[" * 200_000 + "]" * 200_000)

    assert problem.message == "invalid JSON: nested too deeply"


def test_a_bad_explicit_slug_is_a_problem():
    assert problems_in(lens_data(), slug="no spaces/please") == [
        Problem("slug", "must be 1-100 letters, digits, hyphens or underscores")
    ]


def test_a_name_without_slug_characters_gets_a_slug_from_its_hash_with_a_warning():
    data = lens_data()
    data["name"] = "***"

    read = read_custom_lens(json.dumps(data))

    assert read.doc.slug.startswith("lens-") and len(read.doc.slug) == 13
    assert [str(warning) for warning in read.warnings] == [
        f"$.name: has no letters or digits a slug can use; imported as {read.doc.slug!r}"
    ]
    assert parse_custom_lens(json.dumps(data), slug="stars").slug == "stars"


def test_a_file_over_500000_characters_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(lensformat.reader.json, "loads", lambda text: pytest.fail("parsed an oversized file"))
    text = json.dumps(lens_data()).ljust(MAX_FILE_CHARS + 1)

    assert problems_in(text) == [Problem("$", "the file is longer than the limit of 500,000 characters")]


def test_a_file_of_exactly_500000_characters_is_accepted():
    text = json.dumps(lens_data()).ljust(MAX_FILE_CHARS)

    assert parse_custom_lens(text).name == "Team Platform Policy"


junk = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="ab_!&|() \tdefault", max_size=40),
    st.sampled_from(
        ["__import__('os').system('id')", "aaa; bbb", "aaa and bbb", "a" * 3000, "(" * 80 + "aaa"]
    ),
)


@settings(deadline=None, max_examples=300)
@given(condition=junk)
def test_junk_conditions_are_rejected_safely_or_parsed_exactly(condition):
    data = lens_data()
    node(data, _rule(0))["condition"] = condition

    try:
        doc = parse_custom_lens(json.dumps(data))
    except LensFormatError as exc:
        assert {problem.path for problem in exc.problems} == {f"{ACCESS}.riskRules[0].condition"}
        return
    stored = doc.pillars[0].questions[1].risk_rules[0].condition
    assert parse_condition(stored) == parse_condition(condition, known_ids={"aaa", "bbb"})


# --- export -----------------------------------------------------------------------------------------------


def test_the_builtin_lens_exports_as_a_valid_custom_lens():
    exported = json.loads(builtin_export_text())

    assert custom_lens_problems(exported) == []
    doc = parse_custom_lens(builtin_export_text(), slug="security-as-custom")
    assert len(doc.questions()) == 11
    assert sum(len(q.best_practices) for q in doc.questions()) == 63


def test_export_keeps_our_text_and_links_within_the_format_limits():
    exported = json.loads(builtin_export_text())
    questions = exported["pillars"][0]["questions"]
    first = questions[0]["choices"][0]
    source = builtin_doc().pillars[0].questions[0].best_practices[0]

    assert first["id"] == source.choice_id
    assert first["helpfulResource"]["url"] == source.doc_url
    assert first["helpfulResource"]["displayText"].startswith(source.guidance)
    assert first["improvementPlan"] == {"displayText": source.improvement}
    assert questions[0]["choices"][-1] == {"id": "SEC1_no", "title": "None of these"}
    # SEC11's title is longer than the 128 characters a custom lens allows: it is shortened, never invalid.
    assert len(builtin_doc().pillars[0].questions[10].title) > 128
    assert len(questions[10]["title"]) <= 128 and questions[10]["title"].endswith("…")


def test_export_is_deterministic():
    assert json.dumps(export_custom_lens(builtin_doc())) == builtin_export_text()


def test_import_of_an_export_exports_identically():
    first = json.loads(builtin_export_text())

    again = export_custom_lens(parse_custom_lens(builtin_export_text(), slug="security-as-custom"))

    assert again == first


def test_a_custom_lens_round_trips_after_its_first_import():
    first = export_custom_lens(parse_custom_lens(json.dumps(lens_data())))

    second = export_custom_lens(parse_custom_lens(json.dumps(first)))

    assert second == first
    assert first["pillars"][0]["questions"][0]["riskRules"][1]["condition"] == "bk_daily && !backups_no"


@pytest.mark.django_db
def test_the_stored_builtin_version_exports_like_its_file():
    version = Lens.objects.get(slug="wellarchitected-security").current_version()

    assert json.dumps(export_custom_lens(lens_version_doc(version))) == builtin_export_text()


def test_a_lens_that_cannot_fit_the_format_is_not_exported():
    practices = [
        BestPracticeDoc(code=f"bp{n:02}", choice_id=f"bp_{n:02}", title="x", level="HIGH") for n in range(15)
    ]
    doc = LensDoc(
        slug="wide",
        name="Wide",
        label="1",
        kind="BUILTIN",
        risk_model="LEVELS",
        pillars=[
            PillarDoc(
                "wide",
                "Wide",
                [QuestionDoc(code="WIDE1", wa_id="wide", title="Too many?", best_practices=practices)],
            )
        ],
    )

    with pytest.raises(LensExportError, match="16 entries; the limit is 15"):
        export_custom_lens(doc)


def _answers(choice_ids: list[str]) -> st.SearchStrategy[AnswerState]:
    subsets = st.frozensets(st.sampled_from(choice_ids))
    return st.builds(
        AnswerState,
        answered=st.booleans(),
        question_not_applicable=st.booleans(),
        none_of_these=st.booleans(),
        selected=subsets,
        choices_not_applicable=subsets,
    )


@pytest.mark.parametrize("index", [0, 2, 8, 10], ids=["SEC1", "SEC3", "SEC9", "SEC11"])
@settings(deadline=None, max_examples=200)
@given(data=st.data())
def test_exported_rules_rate_every_answer_like_the_level_rule(index, data):
    builtin = builtin_doc().questions()[index]
    imported = parse_custom_lens(builtin_export_text(), slug="security-as-custom").questions()[index]
    by_level = QuestionSpec(
        code=builtin.code,
        choices=tuple(ChoiceSpec(bp.choice_id, Level(bp.level)) for bp in builtin.best_practices),
    )
    by_rules = QuestionSpec(
        code=imported.code,
        choices=tuple(ChoiceSpec(bp.code, None) for bp in imported.best_practices),
        rules=tuple(RiskRuleSpec(parse_condition(r.condition), Risk(r.risk)) for r in imported.risk_rules),
    )
    answer = data.draw(_answers([choice.code for choice in by_level.choices]))

    assert question_risk(by_rules, answer) == question_risk(by_level, answer)
