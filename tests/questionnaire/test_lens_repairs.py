"""Real-world lens shapes (see lens_shapes.py): what imports, what is repaired, and the warning for each."""

from __future__ import annotations

import json

import pytest

from questionnaire.catalogue import lens_version_doc, lens_version_store
from questionnaire.conditions import parse_condition
from questionnaire.lensformat import (
    LensFormatError,
    export_custom_lens,
    lens_preview,
    parse_custom_lens,
    read_custom_lens,
)
from questionnaire.lensformat.repair import implied_default, repair_url
from questionnaire.models import BestPractice, Question

from .lens_shapes import NAN, as_text, complete_lens, published_lens, unicode_lens, wide_lens

Q = "$.pillars[0].questions"


def warnings_of(data: dict) -> dict[str, str]:
    return {warning.path: warning.message for warning in read_custom_lens(as_text(data)).warnings}


def questions_by_id(data: dict) -> dict:
    return {question.code: question for question in parse_custom_lens(as_text(data)).questions()}


def test_a_published_lens_with_every_known_problem_imports_with_a_warning_for_each():
    read = read_custom_lens(as_text(published_lens()))

    assert [str(warning) for warning in read.warnings] == [
        f"{Q}[0].choices[0].helpfulResource.url: surrounding whitespace removed",
        f"{Q}[1].title: is NaN, not text; the question is skipped",
        f"{Q}[2].description: is NaN, not text; left out",
        f"{Q}[3].riskRules: has no 'default' rule; an answer no rule covers is rated HIGH_RISK "
        "(the most severe risk no rule names; see docs/lenses.md)",
        f"{Q}[4].choices[0].helpfulResource.url: written as a browser sends it: "
        "'https://example.com/data%20guide.html'",
        f"{Q}[4].choices[1].helpfulResource.url: written as a browser sends it: 'https://docs.aws.amazon.com/glue/'",
        f"{Q}[4].choices[2].helpfulResource.url: written as a browser sends it: 'https://example.com/catalog'",
        f"{Q}[4].choices[3].helpfulResource.url: written as a browser sends it: "
        "'https://xn--bcher-kva.example/%C3%BCber%20uns'",
        f"{Q}[4].choices[4].helpfulResource.url: 'javascript:alert(1)' is not an http:// or https:// link; "
        "the link is left out",
    ]
    assert [question.code for question in read.doc.questions()] == [
        "trailing_space",
        "nan_description",
        "no_default",
        "browser_urls",
    ]


def test_trailing_spaces_are_trimmed_from_links():
    practice = questions_by_id(published_lens())["trailing_space"].best_practices[0]

    assert practice.doc_url == "https://docs.aws.amazon.com/kms/latest/developerguide/overview.html"


def test_a_nan_description_leaves_the_question_without_one():
    assert questions_by_id(published_lens())["nan_description"].description == ""


@pytest.mark.parametrize(
    ("value", "warning"),
    [(NAN, "is NaN, not text"), (None, "is missing"), ("   ", "is empty")],
    ids=["nan", "missing", "blank"],
)
def test_a_question_without_a_usable_title_is_skipped(value, warning):
    data = published_lens()
    data["pillars"][0]["questions"][0]["title"] = value

    assert warnings_of(data)[f"{Q}[0].title"] == f"{warning}; the question is skipped"
    assert "trailing_space" not in questions_by_id(data)


def test_a_pillar_whose_questions_are_all_skipped_is_left_out():
    data = published_lens()
    data["pillars"].append(json.loads(json.dumps(data["pillars"][0])))
    extra = data["pillars"][1]
    extra["id"] = "empty_pillar"
    extra["questions"] = [{**extra["questions"][1], "id": "nan_title_two"}]

    read = read_custom_lens(as_text(data))

    assert [pillar.code for pillar in read.doc.pillars] == ["data_pillar"]
    assert (
        str(read.warnings[-1])
        == "$.pillars[1]: every question of this pillar was skipped; the pillar is left out"
    )


def test_a_lens_whose_every_question_is_skipped_is_refused():
    data = published_lens()
    for item in data["pillars"][0]["questions"]:
        item["title"] = NAN

    with pytest.raises(LensFormatError, match="no question is left to import"):
        parse_custom_lens(as_text(data))


def test_browser_valid_links_are_written_as_the_browser_sends_them():
    practices = questions_by_id(published_lens())["browser_urls"].best_practices

    assert [practice.doc_url for practice in practices] == [
        "https://example.com/data%20guide.html",
        "https://docs.aws.amazon.com/glue/",
        "https://example.com/catalog",
        "https://xn--bcher-kva.example/%C3%BCber%20uns",
        "",
    ]
    # The choice whose link was unusable keeps its text.
    assert practices[4].description == "x"


def test_valid_links_are_kept_exactly_as_written():
    for url in ("https://example.com/a?b=c#d", "http://localhost:8000/x", "https://bücher.example/p"):
        assert repair_url(url).url == url and repair_url(url).note == ""


@pytest.mark.parametrize(
    ("named", "implied"),
    [
        ({"NONE", "MEDIUM"}, "HIGH"),
        ({"NONE"}, "HIGH"),
        (set(), "HIGH"),
        ({"HIGH"}, "MEDIUM"),
        ({"HIGH", "NONE"}, "MEDIUM"),
        ({"HIGH", "MEDIUM"}, "NONE"),
        ({"HIGH", "MEDIUM", "NONE"}, "HIGH"),
    ],
)
def test_the_implied_default_is_the_most_severe_risk_no_rule_names(named, implied):
    assert implied_default(named) == implied


def test_a_question_without_a_default_rule_is_rated_by_the_implied_one():
    rules = questions_by_id(published_lens())["no_default"].risk_rules

    assert [(rule.condition, rule.risk) for rule in rules] == [
        ("bk_daily && bk_tested", "NONE"),
        ("bk_daily", "MEDIUM"),
        ("default", "HIGH"),
    ]


def test_a_question_without_any_rule_gets_a_default_and_a_warning():
    data = published_lens()
    del data["pillars"][0]["questions"][0]["riskRules"]

    assert warnings_of(data)[f"{Q}[0].riskRules"].startswith(
        "is missing; an answer no rule covers is rated HIGH_RISK"
    )
    assert [(r.condition, r.risk) for r in questions_by_id(data)["trailing_space"].risk_rules] == [
        ("default", "HIGH")
    ]


def test_rules_after_default_are_left_out_with_a_warning():
    data = published_lens()
    data["pillars"][0]["questions"][0]["riskRules"].reverse()

    assert warnings_of(data)[f"{Q}[0].riskRules[1]"] == (
        "comes after the 'default' rule, so it can never apply; left out"
    )
    assert [r.condition for r in questions_by_id(data)["trailing_space"].risk_rules] == ["default"]


def test_an_implied_default_that_repeats_a_risk_is_not_exported():
    data = published_lens()
    data["pillars"][0]["questions"][3]["riskRules"].append({"condition": "!bk_daily", "risk": "HIGH_RISK"})
    doc = parse_custom_lens(as_text(data))
    assert [r.condition for r in doc.questions()[2].risk_rules][-1] == "default"

    exported = export_custom_lens(doc)["pillars"][0]["questions"][2]["riskRules"]

    assert [rule["condition"] for rule in exported] == ["bk_daily && bk_tested", "bk_daily", "!bk_daily"]


def test_whitespace_around_ids_and_titles_is_trimmed_with_a_warning():
    data = published_lens()
    data["pillars"][0]["questions"][0]["id"] = " trailing_space "
    data["pillars"][0]["questions"][0]["title"] = "How do you encrypt data at rest?\n"

    warnings = warnings_of(data)

    assert warnings[f"{Q}[0].id"] == warnings[f"{Q}[0].title"] == "surrounding whitespace removed"
    assert questions_by_id(data)["trailing_space"].title == "How do you encrypt data at rest?"


def test_a_choice_without_a_title_shows_its_id():
    data = published_lens()
    data["pillars"][0]["questions"][0]["choices"][1]["title"] = NAN

    assert (
        warnings_of(data)[f"{Q}[0].choices[1].title"]
        == "is NaN, not text; the choice id is shown as its title"
    )
    assert questions_by_id(data)["trailing_space"].best_practices[1].title == "enc_rotate"


def test_problems_still_refuse_the_file_even_among_repairs():
    data = published_lens()
    data["pillars"][0]["questions"][0]["riskRules"][0]["condition"] = "enc_kms && enc_unknown"
    data["schemaVersion"] = "2020-01-01"

    with pytest.raises(LensFormatError) as error:
        parse_custom_lens(as_text(data))

    assert [str(problem) for problem in error.value.problems] == [
        "$.schemaVersion: must be '2021-11-01', not '2020-01-01'",
        f"{Q}[0].riskRules[0].condition: unknown choice id 'enc_unknown' at position 11",
    ]


def test_unicode_titles_are_kept_and_give_a_slug_from_their_latin_letters():
    doc = parse_custom_lens(as_text(unicode_lens()))

    assert doc.slug == "securite-des-donnees"
    assert doc.pillars[0].name == "Données et sécurité"
    assert [q.title for q in doc.questions()] == [
        "Comment chiffrez-vous les données ? 🔐",
        "データはどのように分類されていますか？",
    ]
    assert doc.questions()[1].best_practices[0].title == "タグで分類"


def test_a_wide_lens_imports_every_pillar_with_one_warning():
    read = read_custom_lens(as_text(wide_lens()))

    assert len(read.doc.pillars) == 22
    assert sum(len(q.best_practices) for q in read.doc.questions()) == 440
    assert [str(w) for w in read.warnings] == [
        "$.pillars: has 22 pillars; the WA Tool takes at most 10, so it would refuse this file, "
        "but every pillar is imported here"
    ]


@pytest.mark.django_db
def test_a_wide_lens_is_stored_whole_and_previewed_with_its_counts():
    read = read_custom_lens(as_text(wide_lens()))

    version, created = lens_version_store(read.doc)

    assert created and version.pillars.count() == 22
    assert BestPractice.objects.filter(question__lens_version=version).count() == 440
    preview = lens_preview(read)
    assert preview["counts"] == {
        "pillars": 22,
        "questions": 88,
        "choices": 440,
        "risk_rules": 264,
        "warnings": 1,
    }
    assert preview["content_sha256"] == version.content_sha256
    assert preview["pillars"][21]["questions"][3]["risk_rules"][1] == {
        "condition": "c_21_3_0 && !q_21_3_no",
        "risk": "MEDIUM_RISK",
    }


@pytest.mark.django_db
def test_every_optional_field_is_stored_and_exported_back():
    read = read_custom_lens(as_text(complete_lens()))
    assert read.warnings == []

    version, _ = lens_version_store(read.doc)

    pillar = version.pillars.get()
    question = Question.objects.get(lens_version=version)
    first = BestPractice.objects.get(question=question, code="full_one")
    assert pillar.notes == "Answer with the platform team present."
    assert (question.helpful_text, question.helpful_url) == ("Why it matters", "https://example.com/why")
    assert first.improvement_url == "https://example.com/improve/one"
    assert first.resources == [
        {"type": "HELPFUL_RESOURCE", "text": "Design guide", "url": "https://example.com/guide"},
        {"type": "HELPFUL_RESOURCE", "text": "Talk recording", "url": "https://example.com/talk"},
        {"type": "IMPROVEMENT_PLAN", "text": "Runbook", "url": "https://example.com/run"},
    ]
    exported = export_custom_lens(lens_version_doc(version))
    source = complete_lens()
    assert exported["pillars"][0]["notes"] == source["pillars"][0]["notes"]
    exported_question = exported["pillars"][0]["questions"][0]
    source_question = source["pillars"][0]["questions"][0]
    assert exported_question["helpfulResource"] == source_question["helpfulResource"]
    assert (
        exported_question["choices"][0]["additionalResources"]
        == (source_question["choices"][0]["additionalResources"])
    )
    assert (
        exported_question["choices"][0]["improvementPlan"] == source_question["choices"][0]["improvementPlan"]
    )
    assert [parse_condition(r["condition"]) for r in exported_question["riskRules"]] == [
        parse_condition(r["condition"]) for r in source_question["riskRules"]
    ]
