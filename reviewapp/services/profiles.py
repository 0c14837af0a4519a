"""A workload's profile: saved once per workload, audited, and turned into stored priorities (ProfilePriority)
for every lens that carries profile rules, so the review, the plan and the dashboard rank in SQL."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from questionnaire.models import BestPractice, LensVersion
from questionnaire.profiles import PROFILE_KEYS, parse_rules, priorities

from ..audit import audit_record
from ..models import ProfilePriority, User, Workload, WorkloadProfile


def _answers_clean(raw: Any) -> dict[str, bool]:
    if not isinstance(raw, dict):
        raise ValidationError("The profile must be an object of yes/no answers.")
    unknown = sorted(set(raw) - PROFILE_KEYS)
    if unknown:
        raise ValidationError(
            f"{', '.join(unknown)} is not a profile question (they are: {', '.join(sorted(PROFILE_KEYS))})."
        )
    not_yes_no = sorted(
        key for key, value in raw.items() if value is not None and not isinstance(value, bool)
    )
    if not_yes_no:
        raise ValidationError(f"Answer {', '.join(not_yes_no)} with true, false or null (not known).")
    return {key: value for key, value in raw.items() if value is not None}


def priorities_refresh(workload: Workload) -> int:
    """Recompute the workload's stored priorities from its profile and the current rules of every lens that has
    some; returns how many questions and practices are prioritised."""
    profile = WorkloadProfile.objects.filter(workload=workload).first()
    answers = profile.answers if profile is not None else {}
    ProfilePriority.objects.filter(workload=workload).delete()
    rows: list[ProfilePriority] = []
    newest: dict[int, LensVersion] = {}
    for version in LensVersion.objects.exclude(profile_rules=[]).order_by("lens_id", "number"):
        newest[version.lens_id] = version
    for version in newest.values():
        catalogue: dict[str, list[str]] = {}
        for question_code, code in BestPractice.objects.filter(question__lens_version=version).values_list(
            "question__code", "code"
        ):
            catalogue.setdefault(question_code, []).append(code)
        by_question, by_practice = priorities(parse_rules(version.profile_rules), answers, catalogue)
        for kind, table in (
            (ProfilePriority.Kind.QUESTION, by_question),
            (ProfilePriority.Kind.PRACTICE, by_practice),
        ):
            rows.extend(
                ProfilePriority(
                    workload=workload,
                    lens_id=version.lens_id,
                    kind=kind,
                    code=code,
                    priority=found.priority,
                    reasons=found.reasons,
                )
                for code, found in table.items()
            )
    ProfilePriority.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def profile_update(*, workload: Workload, actor: User, answers: Any) -> WorkloadProfile:
    """Save the workload's answers to the profile questions (a missing or null answer is "not known")."""
    cleaned = _answers_clean(answers)
    profile, created = WorkloadProfile.objects.select_for_update().get_or_create(workload=workload)
    before = None if created else dict(profile.answers)
    profile.answers = cleaned
    profile.updated_by = actor
    profile.save()
    prioritised = priorities_refresh(workload)
    audit_record(
        actor=actor,
        action="profile.update",
        obj=profile,
        object_repr=f"profile of {workload.name}",
        workload_id=workload.pk,
        before=before,
        after={**cleaned, "prioritised": prioritised},
    )
    return profile
