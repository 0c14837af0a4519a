"""Milestones: immutable, hashed snapshots of a review, and the comparison of any two snapshots.

A snapshot is plain JSON (answers per question, risks, improvement items, lens version, workload name) so it
still reads the same after the catalogue moves on. Its SHA-256 is taken over a canonical form (sorted keys,
compact separators, UTF-8), so the stored hash verifies whatever order the database returns the keys in.
The "now" side of a comparison is built from the current state by the same function.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from questionnaire.models import BestPractice, LensVersion
from questionnaire.rating import Risk

from ..audit import audit_record
from ..integrity.keys import fingerprint, fingerprint_matches
from ..models import Answer, ImprovementItem, Milestone, Review, User, Workload
from ..risk import RiskCounts
from ..selectors.evidence_files import evidence_file_lines

SNAPSHOT_FORMAT = "reviewapp-milestone/1"
MAX_MILESTONES_PER_WORKLOAD = 100
NAME_MAX_LENGTH = 100


def canonical_json(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def snapshot_fingerprint(snapshot: dict[str, Any]) -> dict[str, str]:
    """The keyed fingerprint fields of a new milestone: the HMAC with the audit key, and that key's id."""
    key_id, digest = fingerprint(canonical_json(snapshot))
    return {"fingerprint": digest, "fingerprint_key_id": key_id}


def catalogue_practices(version: LensVersion) -> dict[int, list[dict[str, str]]]:
    """Best practices per question id, as snapshots list them (one query)."""
    practices: dict[int, list[dict[str, str]]] = {}
    for bp in (
        BestPractice.objects.filter(question__lens_version_id=version.pk)
        .order_by("question__order", "order")
        .values("question_id", "code", "title", "level")
    ):
        practices.setdefault(bp["question_id"], []).append(
            {"code": bp["code"], "title": bp["title"], "level": bp["level"]}
        )
    return practices


def snapshot_from_rows(
    review: Review,
    answers: Iterable[Answer],
    items: Iterable[ImprovementItem],
    practices: dict[int, list[dict[str, str]]],
    name: str,
    created_at: datetime,
) -> dict[str, Any]:
    """The snapshot of already loaded rows, without a query (seed_demo builds thousands this way).

    `answers` in question order with their questions loaded; `items` with their owners loaded.
    """
    version = review.lens_version
    questions = [
        {
            "code": answer.question.code,
            "title": answer.question.title,
            "area": answer.question.area,
            "risk": str(answer.risk),
            "is_applicable": answer.is_applicable,
            "reason": answer.reason,
            "none_of_these": answer.none_of_these,
            "selected": list(answer.selected),
            "not_applicable": dict(answer.choices_not_applicable),
            "notes": answer.notes,
            "best_practices": [dict(bp) for bp in practices.get(answer.question_id, [])],
        }
        for answer in answers
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "name": name,
        "created_at": created_at.isoformat(),
        "workload": {"id": str(review.workload_id), "name": review.workload.name},
        "review": str(review.pk),
        "lens": {
            "slug": review.lens.slug,
            "name": version.name,
            "version": version.number,
            "label": version.label,
        },
        "counts": RiskCounts.of(Risk(str(question["risk"])) for question in questions).as_dict(),
        "questions": questions,
        "items": [
            {
                "bp_code": item.bp_code,
                "status": str(item.status),
                "is_active": item.is_active,
                "owner": item.owner.get_username() if item.owner else None,
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "ticket_url": item.ticket_url,
                "notes": item.notes,
                "acceptance_justification": item.acceptance_justification,
                "acceptance_expires_on": item.acceptance_expires_on.isoformat()
                if item.acceptance_expires_on
                else None,
            }
            for item in sorted(items, key=lambda item: item.bp_code)
        ],
    }


def review_snapshot(review: Review, *, name: str, created_at: datetime | None = None) -> dict[str, Any]:
    """The review as it stands: what a milestone freezes, and the "now" of a comparison. Three queries."""
    answers = Answer.objects.filter(review=review).select_related("question").order_by("question__order")
    items = ImprovementItem.objects.filter(
        workload_id=review.workload_id, lens_id=review.lens_id
    ).select_related("owner")
    return snapshot_from_rows(
        review,
        answers,
        items,
        catalogue_practices(review.lens_version),
        name,
        created_at or timezone.now(),
    )


def _clean_name(workload: Workload, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(
            {"name": ["Give the milestone a name, such as the date or the release it marks."]}
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"Milestone names are limited to {NAME_MAX_LENGTH} characters."]})
    if Milestone.objects.filter(workload=workload, name__iexact=name).exists():
        raise ValidationError({"name": [f"{workload.name} already has a milestone called {name!r}."]})
    return name


@transaction.atomic
def milestone_create(*, review: Review, actor: User | None, name: str) -> Milestone:
    """Freeze the review as a named milestone of its workload (at most 100; names unique ignoring case)."""
    # Lock the workload so two saves cannot both pass the limit and name checks.
    workload = Workload.objects.select_for_update().get(pk=review.workload_id)
    count = Milestone.objects.filter(workload=workload).count()
    if count >= MAX_MILESTONES_PER_WORKLOAD:
        raise ValidationError(
            {
                "name": [
                    f"{workload.name} already has {MAX_MILESTONES_PER_WORKLOAD} milestones, the most a "
                    "workload may keep. Milestones are never deleted, so no more can be saved."
                ]
            }
        )
    name = _clean_name(workload, name)
    created_at = timezone.now()
    snapshot = review_snapshot(review, name=name, created_at=created_at)
    # The files attached as evidence at this moment, by name and SHA-256: the hash of the milestone covers
    # them, so a file swapped or removed later shows against the milestone.
    snapshot["evidence_files"] = evidence_file_lines(review)
    milestone = Milestone(
        workload=workload,
        review=review,
        lens_version_id=review.lens_version_id,
        name=name,
        snapshot=snapshot,
        sha256=snapshot_sha256(snapshot),
        **snapshot_fingerprint(snapshot),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            milestone.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": [f"{workload.name} already has a milestone called {name!r}."]}
        ) from exc
    audit_record(
        actor=actor,
        action="milestone.create",
        obj=milestone,
        workload_id=workload.pk,
        after={
            "name": name,
            "sha256": milestone.sha256,
            "lens_version": review.lens_version.number,
            "counts": snapshot["counts"],
        },
    )
    return milestone


def milestone_verify(milestone: Milestone) -> bool:
    """True when the stored snapshot still hashes to the stored SHA-256 and keyed fingerprint, and belongs to this
    row. A milestone from before fingerprints were keyed has only its SHA-256 to show."""
    snapshot = milestone.snapshot
    if not isinstance(snapshot, dict):
        return False
    belongs = snapshot.get("name") == milestone.name and snapshot.get("workload", {}).get("id") == str(
        milestone.workload_id
    )
    if not belongs or not hmac.compare_digest(snapshot_sha256(snapshot), milestone.sha256):
        return False
    if not milestone.fingerprint_key_id:
        return not milestone.fingerprint
    return fingerprint_matches(canonical_json(snapshot), milestone.fingerprint_key_id, milestone.fingerprint)


# --- Comparing two snapshots --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeRef:
    code: str
    title: str
    level: str = ""


@dataclass
class QuestionChange:
    code: str
    title: str
    risk_before: str | None  # None: the question is not in that snapshot's lens version
    risk_after: str | None
    adopted: list[PracticeRef] = field(default_factory=list)
    dropped: list[PracticeRef] = field(default_factory=list)

    @property
    def risk_changed(self) -> bool:
        return self.risk_before != self.risk_after

    @property
    def changed(self) -> bool:
        return self.risk_changed or bool(self.adopted or self.dropped)


@dataclass(frozen=True)
class ItemChange:
    bp_code: str
    title: str
    status_before: str | None
    status_after: str | None


@dataclass
class Comparison:
    before_name: str
    after_name: str
    counts_before: RiskCounts
    counts_after: RiskCounts
    questions: list[QuestionChange]
    items_closed: list[ItemChange]
    items_opened: list[ItemChange]

    @property
    def changed_questions(self) -> list[QuestionChange]:
        return [question for question in self.questions if question.changed]


def _on_plan(item: dict[str, Any] | None) -> bool:
    """An item with work left or an accepted risk: on the plan and not done."""
    return bool(item and item["is_active"] and item["status"] != "DONE")


def compare_snapshots(before: dict[str, Any], after: dict[str, Any]) -> Comparison:
    """Per question the risk change and the best practices adopted and dropped; items closed and opened.

    Questions and best practices are matched by code, so snapshots on different lens versions compare too.
    """
    titles: dict[str, PracticeRef] = {}
    for snapshot in (before, after):  # the later title wins when a lens upgrade renamed a practice
        for question in snapshot["questions"]:
            for bp in question["best_practices"]:
                titles[bp["code"]] = PracticeRef(bp["code"], bp["title"], bp.get("level", ""))
    old = {question["code"]: question for question in before["questions"]}
    new = {question["code"]: question for question in after["questions"]}
    order = [question["code"] for question in after["questions"]] + [
        question["code"] for question in before["questions"] if question["code"] not in new
    ]
    questions = []
    for code in order:
        a, b = old.get(code), new.get(code)
        selected_before = set(a["selected"]) if a else set()
        selected_after = set(b["selected"]) if b else set()
        questions.append(
            QuestionChange(
                code=code,
                title=(b or a or {}).get("title", code),
                risk_before=a["risk"] if a else None,
                risk_after=b["risk"] if b else None,
                adopted=[titles.get(c, PracticeRef(c, c)) for c in sorted(selected_after - selected_before)],
                dropped=[titles.get(c, PracticeRef(c, c)) for c in sorted(selected_before - selected_after)],
            )
        )
    items_before = {item["bp_code"]: item for item in before["items"]}
    items_after = {item["bp_code"]: item for item in after["items"]}
    closed, opened = [], []
    for code in sorted(set(items_before) | set(items_after)):
        a, b = items_before.get(code), items_after.get(code)
        change = ItemChange(
            bp_code=code,
            title=titles.get(code, PracticeRef(code, code)).title,
            status_before=a["status"] if a else None,
            status_after=b["status"] if b else None,
        )
        if _on_plan(a) and not _on_plan(b):
            closed.append(change)
        elif _on_plan(b) and not _on_plan(a):
            opened.append(change)
    return Comparison(
        before_name=before["name"],
        after_name=after["name"],
        counts_before=RiskCounts(**before["counts"]),
        counts_after=RiskCounts(**after["counts"]),
        questions=questions,
        items_closed=closed,
        items_opened=opened,
    )


__all__ = [
    "MAX_MILESTONES_PER_WORKLOAD",
    "Comparison",
    "compare_snapshots",
    "milestone_create",
    "milestone_verify",
    "review_snapshot",
    "snapshot_fingerprint",
    "snapshot_sha256",
]
