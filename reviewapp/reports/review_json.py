"""A review as JSON in our own versioned format, "wa-security-review/1" (docs/review-json-schema.md).

Export writes the workload's details, the lens it was answered on (slug, version label, content hash), every
answer with its best-practice codes, not-applicable reasons, notes and risk, the improvement items' tracking
state, and (for the current state) a list of the workload's milestones.

Import reads such a document into a NEW workload of a chosen team: all or nothing. It is validated first
(json_reader: every problem with its JSON path); then the workload, the review, each answer and each item's
tracking go through the same services as a person's edits (workload_create, review_start, answer_record,
item_update), so risks, improvement items and the audit trail follow exactly as if typed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from questionnaire.lensformat import Problem

from ..acceptance.services import acceptance_request
from ..audit import audit_record
from ..models import Answer, ImprovementItem, ItemStatus, Milestone, Review, Team, User
from ..services.answers import answer_record, review_start
from ..services.milestones import review_snapshot
from ..services.plan import item_update, owner_problem
from ..services.workloads import WORKLOAD_FIELDS, workload_create
from .json_reader import FORMAT, ReviewDoc, ReviewImportError, parse_review_json, read_review_doc

CONTENT_TYPE = "application/json"


def export_review_json(review: Review, *, milestone: Milestone | None = None) -> dict[str, Any]:
    """The review (or `milestone`'s frozen snapshot of it) as a wa-security-review/1 document."""
    workload = review.workload
    if milestone is not None:
        if milestone.review_id != review.pk:
            raise ValueError(f"milestone {milestone.pk} is not a milestone of review {review.pk}")
        snapshot = milestone.snapshot
        version = milestone.lens_version
    else:
        snapshot = review_snapshot(review, name="")
        version = review.lens_version
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "source": {
            "review_id": str(review.pk),
            "workload_id": str(workload.pk),
            "milestone": {
                "name": milestone.name,
                "created_at": milestone.created_at.isoformat(),
                "sha256": milestone.sha256,
            }
            if milestone is not None
            else None,
        },
        "workload": {key: getattr(workload, key) for key in WORKLOAD_FIELDS}
        | {"name": snapshot["workload"]["name"]},
        "lens": {
            "slug": review.lens.slug,
            "name": version.name,
            "version": version.number,
            "version_label": version.label,
            "content_sha256": version.content_sha256,
        },
        "answers": [
            {
                "question": question["code"],
                "title": question["title"],
                "risk": question["risk"],
                "applicable": question["is_applicable"],
                "reason": question["reason"] or None,
                "none_of_these": question["none_of_these"],
                "selected": list(question["selected"]),
                "not_applicable": dict(question["not_applicable"]),
                "notes": question["notes"],
            }
            for question in snapshot["questions"]
        ],
        "improvement_items": [
            {
                "bp_code": item["bp_code"],
                "status": item["status"],
                "on_plan": item["is_active"],
                "owner": item["owner"],
                "due_date": item["due_date"],
                "ticket_url": item["ticket_url"],
                "notes": item["notes"],
                "acceptance_justification": item["acceptance_justification"],
                "acceptance_expires_on": item["acceptance_expires_on"],
            }
            for item in snapshot["items"]
        ],
    }
    if milestone is None:
        document["milestones"] = [
            {"name": name, "created_at": created_at.isoformat(), "sha256": sha256}
            for name, created_at, sha256 in Milestone.objects.filter(review=review)
            .order_by("created_at")
            .values_list("name", "created_at", "sha256")
        ]
    return document


def review_json_bytes(review: Review, *, milestone: Milestone | None = None) -> bytes:
    return json.dumps(export_review_json(review, milestone=milestone), indent=2, ensure_ascii=False).encode()


@dataclass
class ImportResult:
    review: Review
    answers: int
    items: int
    warnings: list[str] = field(default_factory=list)

    @property
    def workload(self):
        return self.review.workload


def _problems(exc: ValidationError, path: str, fields: dict[str, str] | None = None) -> list[Problem]:
    """A service's ValidationError as problems at `path` (field errors at `path.<field>`)."""
    if not hasattr(exc, "error_dict"):
        return [Problem(path, message) for message in exc.messages]
    problems: list[Problem] = []
    for key, messages in exc.message_dict.items():
        where = path if key == NON_FIELD_ERRORS else f"{path}.{(fields or {}).get(key, key)}"
        problems.extend(Problem(where, message) for message in messages)
    return problems


_ANSWER_FIELDS = {"choices_not_applicable": "not_applicable", "is_applicable": "applicable"}


def _record_answers(doc: ReviewDoc, review: Review, actor: User) -> tuple[int, list[str]]:
    stored = {answer.question_id: answer for answer in Answer.objects.filter(review=review)}
    recorded, warnings = 0, []
    for entry in doc.answers:
        if entry.is_blank:
            continue
        try:
            answer = answer_record(
                review=review,
                question=entry.question,
                actor=actor,
                base_version=stored[entry.question.pk].version,
                selected=entry.selected,
                none_of_these=entry.none_of_these,
                is_applicable=entry.applicable,
                reason=entry.reason,
                choices_not_applicable=entry.not_applicable,
                notes=entry.notes,
            )
        except ValidationError as exc:
            raise ReviewImportError(_problems(exc, entry.path, _ANSWER_FIELDS)) from exc
        recorded += 1
        if doc.same_version and entry.declared_risk and entry.declared_risk != answer.risk:
            warnings.append(
                f"{entry.question.code}: the file said {entry.declared_risk}; the answers give "
                f"{answer.risk}, which is what was recorded."
            )
    return recorded, warnings


def _track_items(doc: ReviewDoc, review: Review, team: Team, actor: User) -> tuple[int, list[str]]:
    """Carry over how items on the new plan were tracked (status, owner, dates, ticket, notes, acceptance)."""
    items = {
        item.bp_code: item
        for item in ImprovementItem.objects.filter(workload=review.workload, lens=review.lens).select_related(
            "workload"
        )
    }
    owners = {
        user.username: user
        for user in User.objects.filter(username__in={entry.owner for entry in doc.items if entry.owner})
    }
    today = timezone.localdate()
    tracked, warnings = 0, []
    for entry in doc.items:
        item = items.get(entry.bp_code)
        # Items the answers did not put on the plan (adopted, not applicable) are history in the source.
        if item is None or not item.is_active or entry.status == ItemStatus.DONE:
            continue
        status, justification, expires_on = entry.status, entry.justification, entry.expires_on
        if status == ItemStatus.RISK_ACCEPTED and expires_on is not None and expires_on <= today:
            warnings.append(
                f"{entry.bp_code}: the risk acceptance expired on {expires_on.isoformat()}; "
                "the item is imported as open."
            )
            status, justification, expires_on = ItemStatus.OPEN, "", None
        owner = owners.get(entry.owner) if entry.owner else None
        if entry.owner:
            problem = (
                f"no user {entry.owner!r} exists here." if owner is None else owner_problem(owner, team.pk)
            )
            if problem:
                warnings.append(f"{entry.bp_code}: {problem} The item is left unassigned.")
                owner = None
        # An acceptance needs an approver here too: it arrives as a pending request, the item as open.
        accepting = status == ItemStatus.RISK_ACCEPTED
        if accepting:
            status = ItemStatus.OPEN
        if (
            not accepting
            and status == ItemStatus.OPEN
            and not (owner or entry.due_date or entry.ticket_url or entry.notes)
        ):
            continue
        try:
            item = item_update(
                item=item,
                actor=actor,
                status=status,
                owner=owner,
                due_date=entry.due_date,
                ticket_url=entry.ticket_url,
                notes=entry.notes,
            )
        except ValidationError as exc:
            raise ReviewImportError(_problems(exc, entry.path)) from exc
        if accepting:
            warnings.append(_acceptance_requested(item, actor, justification, expires_on))
        tracked += 1
    return tracked, warnings


def _acceptance_requested(
    item: ImprovementItem, actor: User, justification: str, expires_on: date | None
) -> str:
    """Ask again, here, for the acceptance the file records; the warning says what became of it."""
    try:
        acceptance_request(
            item=item,
            actor=actor,
            justification=justification,
            compensating_controls="Imported from another installation's review.",
            expires_on=expires_on,
        )
    except ValidationError as exc:
        reasons = " ".join(message for messages in exc.message_dict.values() for message in messages)
        return (
            f"{item.bp_code}: the accepted risk could not be requested again ({reasons}); the item is open."
        )
    return f"{item.bp_code}: the accepted risk is imported as a request; it applies once approved here."


def import_review_json(data: Any, team: Team, actor: User, *, name: str | None = None) -> ImportResult:
    """Create a new workload in `team` holding the review described by `data` (parsed JSON, str or bytes).

    `name` replaces the workload name from the file (for importing next to the original). Raises
    ReviewImportError with every problem and its JSON path; nothing is written unless everything imports.
    """
    if isinstance(data, str | bytes):
        data = parse_review_json(data)
    doc = read_review_doc(data, team=team, name=name)
    with transaction.atomic():
        try:
            workload = workload_create(team=team, actor=actor, **doc.workload)
        except ValidationError as exc:
            raise ReviewImportError(_problems(exc, "$.workload")) from exc
        review = review_start(workload=workload, actor=actor, lens=doc.lens)
        answers, answer_warnings = _record_answers(doc, review, actor)
        items, item_warnings = _track_items(doc, review, team, actor)
        audit_record(
            actor=actor,
            action="review.import",
            obj=review,
            object_repr=f"{workload.name} (imported)",
            workload_id=workload.pk,
            after={
                "format": FORMAT,
                "source_review": doc.source_review,
                "lens": doc.lens.slug,
                "lens_version": review.lens_version.label,
                "answers": answers,
                "items_tracked": items,
            },
        )
    return ImportResult(
        review=review,
        answers=answers,
        items=items,
        warnings=[*doc.warnings, *answer_warnings, *item_warnings],
    )


__all__ = [
    "CONTENT_TYPE",
    "FORMAT",
    "ImportResult",
    "ReviewImportError",
    "export_review_json",
    "import_review_json",
    "parse_review_json",
    "review_json_bytes",
]
