"""Custom lenses shaped like the ones AWS teams publish, built here so each real-world problem has a test.

Each builder returns the parsed-JSON form; `as_text` writes it the way those files are written (Python's JSON
writer puts a bare `NaN` where a pandas export had an empty cell).
"""

from __future__ import annotations

import json
import math

NAN = math.nan


def as_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)


def choice(choice_id: str, title: str, **extra) -> dict:
    return {
        "id": choice_id,
        "title": title,
        "helpfulResource": {"displayText": f"About {title}", "url": f"https://example.com/{choice_id}"},
        "improvementPlan": {"displayText": f"Start with {title}"},
        **extra,
    }


def question(question_id: str, title, choices: list[dict], rules: list[dict] | None = None, **extra) -> dict:
    data = {"id": question_id, "title": title, "choices": choices, **extra}
    if rules is not None:
        data["riskRules"] = rules
    return data


def lens(pillars: list[dict], **extra) -> dict:
    return {
        "schemaVersion": "2021-11-01",
        "name": "Serverless Data Controls",
        "description": "Controls for data handled by serverless workloads.",
        "pillars": pillars,
        **extra,
    }


def published_lens() -> dict:
    """Every problem that made published lenses fail here, one per question of one pillar."""
    return lens(
        [
            {
                "id": "data_pillar",
                "name": "Data",
                "questions": [
                    # A trailing space in a helpful-resource URL, as copied from a spreadsheet cell.
                    question(
                        "trailing_space",
                        "How do you encrypt data at rest?",
                        [
                            choice(
                                "enc_kms",
                                "KMS keys per data class",
                                helpfulResource={
                                    "displayText": "Key management",
                                    "url": "https://docs.aws.amazon.com/kms/latest/developerguide/overview.html ",
                                },
                            ),
                            choice("enc_rotate", "Keys rotate yearly"),
                        ],
                        [
                            {"condition": "enc_kms && enc_rotate", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    ),
                    # NaN where the title should be: the question cannot be shown, so it is skipped.
                    question(
                        "nan_title",
                        NAN,
                        [choice("nt_one", "One")],
                        [{"condition": "default", "risk": "HIGH_RISK"}],
                    ),
                    # NaN where the description should be: the question stays, without a description.
                    question(
                        "nan_description",
                        "How do you classify data?",
                        [choice("cls_tags", "Data is tagged by class")],
                        [
                            {"condition": "cls_tags", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "MEDIUM_RISK"},
                        ],
                        description=NAN,
                    ),
                    # Rules without a `default`: medium and no risk are named, so anything else is high.
                    question(
                        "no_default",
                        "How do you back up data?",
                        [choice("bk_daily", "Daily backups"), choice("bk_tested", "Restores tested")],
                        [
                            {"condition": "bk_daily && bk_tested", "risk": "NO_RISK"},
                            {"condition": "bk_daily", "risk": "MEDIUM_RISK"},
                        ],
                    ),
                    # Links a browser opens although they are not valid URLs as written.
                    question(
                        "browser_urls",
                        "Where is your data catalogue?",
                        [
                            choice(
                                "url_space",
                                "A space inside the path",
                                helpfulResource={
                                    "displayText": "x",
                                    "url": "https://example.com/data guide.html",
                                },
                            ),
                            choice(
                                "url_bare",
                                "No scheme",
                                helpfulResource={"displayText": "x", "url": "docs.aws.amazon.com/glue/"},
                            ),
                            choice(
                                "url_backslash",
                                "Backslashes",
                                helpfulResource={"displayText": "x", "url": "https:\\\\example.com\\catalog"},
                            ),
                            choice(
                                "url_unicode",
                                "International domain",
                                helpfulResource={
                                    "displayText": "x",
                                    "url": "https://bücher.example/über uns",
                                },
                            ),
                            choice(
                                "url_script",
                                "Not a web page",
                                helpfulResource={"displayText": "x", "url": "javascript:alert(1)"},
                            ),
                        ],
                        [{"condition": "default", "risk": "HIGH_RISK"}],
                    ),
                ],
            }
        ]
    )


def unicode_lens() -> dict:
    return lens(
        [
            {
                "id": "donnees",
                "name": "Données et sécurité",
                "questions": [
                    question(
                        "chiffrement",
                        "Comment chiffrez-vous les données ? 🔐",
                        [
                            choice("chf_kms", "Clés gérées dans KMS — par équipe"),
                            choice("chf_tls", "TLS partout"),
                        ],
                        [
                            {"condition": "chf_kms && chf_tls", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    ),
                    question(
                        "kanri",
                        "データはどのように分類されていますか？",
                        [choice("kanri_tag", "タグで分類")],
                        [
                            {"condition": "kanri_tag", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "MEDIUM_RISK"},
                        ],
                    ),
                ],
            }
        ],
        name="Sécurité des données — 日本語",
    )


def wide_lens(pillars: int = 22, questions_per_pillar: int = 4, choices_per_question: int = 5) -> dict:
    """More pillars than the tool's ten and hundreds of choices: 22 x 4 x 5 = 440 by default."""
    return lens(
        [
            {
                "id": f"pillar_{p:02}",
                "name": f"Pillar {p}",
                "questions": [
                    question(
                        f"q_{p:02}_{q}",
                        f"Question {q} of pillar {p}?",
                        [choice(f"c_{p:02}_{q}_{c}", f"Choice {c}") for c in range(choices_per_question)]
                        + [{"id": f"q_{p:02}_{q}_no", "title": "None of these"}],
                        [
                            {
                                "condition": " && ".join(
                                    f"c_{p:02}_{q}_{c}" for c in range(choices_per_question)
                                ),
                                "risk": "NO_RISK",
                            },
                            {"condition": f"c_{p:02}_{q}_0 && !q_{p:02}_{q}_no", "risk": "MEDIUM_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    )
                    for q in range(questions_per_pillar)
                ],
            }
            for p in range(pillars)
        ],
        name="Wide Lens",
    )


def complete_lens() -> dict:
    """Every optional field of the format set: helpful resources, improvement plan links, additional resources
    of both types, pillar notes, question descriptions and a version label."""
    return lens(
        [
            {
                "id": "complete",
                "name": "Complete",
                "notes": "Answer with the platform team present.",
                "questions": [
                    question(
                        "full_question",
                        "How is every field used?",
                        [
                            choice(
                                "full_one",
                                "The first practice",
                                improvementPlan={
                                    "displayText": "Adopt the first practice",
                                    "url": "https://example.com/improve/one",
                                },
                                additionalResources=[
                                    {
                                        "type": "HELPFUL_RESOURCE",
                                        "content": [
                                            {
                                                "displayText": "Design guide",
                                                "url": "https://example.com/guide",
                                            },
                                            {
                                                "displayText": "Talk recording",
                                                "url": "https://example.com/talk",
                                            },
                                        ],
                                    },
                                    {
                                        "type": "IMPROVEMENT_PLAN",
                                        "content": [
                                            {"displayText": "Runbook", "url": "https://example.com/run"}
                                        ],
                                    },
                                ],
                            ),
                            choice("full_two", "The second practice"),
                            {"id": "full_question_no", "title": "None of these"},
                        ],
                        [
                            {"condition": "full_one && full_two", "risk": "NO_RISK"},
                            {"condition": "full_one || full_two", "risk": "MEDIUM_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                        description="Each optional field of the schema appears once in this lens.",
                        helpfulResource={"displayText": "Why it matters", "url": "https://example.com/why"},
                    )
                ],
            }
        ],
        _version="2025.3",
        name="Complete Lens",
    )
