"""Reads of workload profiles: the priorities a profile gives, as a SQL expression for lists that rank by them
(plan, dashboard) and as a table for the review's question list."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from questionnaire.profiles import PRIORITY_LABEL, PROFILE_QUESTIONS

from ..models import ProfilePriority, Review, Workload, WorkloadProfile


def item_priority(workload_ref: str = "workload_id", lens_ref: str = "lens_id", code_ref: str = "bp_code"):
    """The profile priority (2 high, 1 elevated, 0 none) of an improvement item, as an annotation: lists put
    it first in their ORDER BY, ahead of risk."""
    found = ProfilePriority.objects.filter(
        workload_id=OuterRef(workload_ref),
        lens_id=OuterRef(lens_ref),
        kind=ProfilePriority.Kind.PRACTICE,
        code=OuterRef(code_ref),
    ).values("priority")[:1]
    return Coalesce(Subquery(found, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class QuestionPriority:
    priority: int
    label: str
    reasons: tuple[str, ...]


def question_priorities(review: Review) -> dict[str, QuestionPriority]:
    """Question code -> its priority for the review's workload and lens. One query."""
    return {
        code: QuestionPriority(priority, PRIORITY_LABEL[priority], tuple(reasons))
        for code, priority, reasons in ProfilePriority.objects.filter(
            workload_id=review.workload_id, lens_id=review.lens_id, kind=ProfilePriority.Kind.QUESTION
        ).values_list("code", "priority", "reasons")
    }


@dataclass(frozen=True)
class ProfileLine:
    key: str
    text: str
    answer: bool | None


def profile_lines(workload: Workload) -> list[ProfileLine]:
    """Each profile question with the workload's answer (None: not answered). One query."""
    profile = WorkloadProfile.objects.filter(workload=workload).first()
    answers = profile.answers if profile is not None else {}
    return [ProfileLine(q.key, q.text, answers.get(q.key)) for q in PROFILE_QUESTIONS]
