"""A review with something in every section of a report, shared by tests/reviewapp/test_reports_*.py."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from pypdf import PdfReader

from reviewapp.models import Answer, ImprovementItem
from reviewapp.services import answer_record, item_update
from tests.acceptances import approved

QUESTIONS = [f"SEC{number}" for number in range(1, 12)]


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


def fill_review(review, user) -> None:
    """Every kind of answer: practices in place and missing, "None of these", a question and a practice that
    do not apply, notes, one question left unanswered; items owned, overdue, and one risk accepted."""
    record(
        review, user, "SEC1", selected=["SEC01-BP01", "SEC01-BP02"], notes="Landing zone with SCPs.\nTwo OUs."
    )
    record(review, user, "SEC2", none_of_these=True, notes="Long-lived IAM users everywhere.")
    record(
        review,
        user,
        "SEC3",
        selected=["SEC03-BP01", "SEC03-BP02"],
        choices_not_applicable={"SEC03-BP09": "OUT_OF_SCOPE"},
    )
    record(review, user, "SEC4", selected=["SEC04-BP01", "SEC04-BP02", "SEC04-BP03", "SEC04-BP04"])
    record(
        review, user, "SEC5", is_applicable=False, reason="ARCHITECTURE_CONSTRAINTS", notes="Serverless only."
    )
    record(review, user, "SEC6", selected=["SEC06-BP01"])
    record(review, user, "SEC7", selected=["SEC07-BP01", "SEC07-BP02"])
    record(review, user, "SEC8", selected=["SEC08-BP01", "SEC08-BP02", "SEC08-BP03"])
    record(review, user, "SEC9", selected=["SEC09-BP01"])
    record(review, user, "SEC10", selected=["SEC10-BP01"])
    # SEC11 stays unanswered.
    today = timezone.localdate()
    items = ImprovementItem.objects.select_related("workload").filter(workload=review.workload)
    item_update(
        item=items.get(bp_code="SEC02-BP01"),
        actor=user,
        status="IN_PROGRESS",
        owner=user,
        due_date=today - timedelta(days=3),
        ticket_url="https://tickets.example.test/SEC-1",
        notes="Rolling out IAM Identity Center.",
    )
    approved(
        items.get(bp_code="SEC06-BP05"),
        user,
        days=90,
        why="Compensating control: the platform team patches weekly.",
    )


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Extracted text with each run of whitespace as one space: phrases survive the layout's line wrapping."""
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return flat(" ".join(pdf_pages(pdf)))
