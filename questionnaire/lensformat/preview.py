"""What an upload would import, shown before anything is written: pillars, questions, choices, risk rules and
every warning. Plain data, so the browser page and the API show the same thing."""

from __future__ import annotations

from typing import Any

from .reader import LensRead
from .spec import EXPORT_RISK


def lens_preview(read: LensRead) -> dict[str, Any]:
    """The preview of a read lens file; `content_sha256` is what a confirmation names to import exactly it."""
    doc = read.doc
    questions = doc.questions()
    return {
        "slug": doc.slug,
        "name": doc.name,
        "label": doc.label,
        "description": doc.description,
        "content_sha256": doc.content_sha256(),
        "counts": {
            "pillars": len(doc.pillars),
            "questions": len(questions),
            "choices": sum(len(question.best_practices) for question in questions),
            "risk_rules": sum(len(question.risk_rules) for question in questions),
            "warnings": len(read.warnings),
        },
        "pillars": [
            {
                "id": pillar.code,
                "name": pillar.name,
                "questions": [
                    {
                        "id": question.code,
                        "title": question.title,
                        "choices": [
                            {"id": bp.choice_id, "title": bp.title} for bp in question.best_practices
                        ],
                        "risk_rules": [
                            {"condition": rule.condition, "risk": EXPORT_RISK[rule.risk]}
                            for rule in question.risk_rules
                        ],
                    }
                    for question in pillar.questions
                ],
            }
            for pillar in doc.pillars
        ],
        "warnings": [{"path": warning.path, "message": warning.message} for warning in read.warnings],
    }
