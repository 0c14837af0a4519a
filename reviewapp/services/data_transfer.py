"""Export the review domain to one JSON document and import it into another installation.

This is the portable copy of the data (for moving between installations or keeping an archive an auditor can
read); pg_dump remains the backup (docs/operations.md). What travels: users (never their password hashes, MFA
secrets or API tokens) and their single sign-on links, teams, memberships, workloads, reviews, answers,
improvement items, milestones and the audit trail. Primary keys are kept, so the audit trail's hash chain,
which covers actor ids, still verifies after an import. The lens catalogue is referenced by lens slug and
content hash, not copied: load the same lenses (manage.py load_lens / import_lens) before importing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.utils import timezone

from questionnaire.models import Lens, LensVersion, Question

from ..audit import audit_record
from ..identity.models import ExternalIdentity
from ..models import (
    Answer,
    AuditEvent,
    ImprovementItem,
    Membership,
    Milestone,
    ProfilePriority,
    Review,
    ReviewTemplate,
    ReviewTemplateVersion,
    RiskAcceptance,
    Team,
    TemplateUse,
    User,
    Workload,
    WorkloadProfile,
    WorkloadShare,
)

FORMAT = "wa-security-reviews-data"
FORMAT_VERSION = 1

# Users travel with an explicit list of fields: anything added to User later (a credential, say) stays home
# unless someone decides it should travel.
USER_FIELDS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "org_role",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
)


@dataclass(frozen=True)
class Table:
    key: str
    model: type[models.Model]
    # Attribute names to export; None means every concrete field.
    only: tuple[str, ...] | None = None

    def fields(self) -> list[models.Field]:
        concrete = [
            field for field in self.model._meta.concrete_fields if not getattr(field, "generated", False)
        ]
        if self.only is None:
            return concrete
        return [field for field in concrete if field.attname in self.only]


# In dependency order: a table only refers to tables above it (and to the lens catalogue).
TABLES = (
    Table("users", User, USER_FIELDS),
    # Single sign-on matches people by (issuer, subject) only: without these links, imported users could not
    # sign in through the same identity provider.
    Table("external_identities", ExternalIdentity),
    Table("teams", Team),
    Table("memberships", Membership),
    Table("workloads", Workload),
    # Who else may see or change a workload: without them the other teams would silently lose access.
    Table("workload_shares", WorkloadShare),
    Table("reviews", Review),
    Table("answers", Answer),
    Table("improvement_items", ImprovementItem),
    # Who asked, who approved and why: the history an auditor reads must travel with the items.
    Table("risk_acceptances", RiskAcceptance),
    Table("milestones", Milestone),
    Table("review_templates", ReviewTemplate),
    Table("review_template_versions", ReviewTemplateVersion),
    Table("template_uses", TemplateUse),
    Table("workload_profiles", WorkloadProfile),
    # Derived from the profiles, but kept: the plan ranks by them, and recomputing needs the rules in force.
    Table("profile_priorities", ProfilePriority),
    Table("audit_events", AuditEvent),
)

# Models of this app that stay behind, and why. A model in neither TABLES nor this list fails
# tests/reviewapp/test_data_export.py, so every new model gets a decision.
NOT_EXPORTED = {
    "ApiToken": "credentials: a token is only good where it was issued",
    "MfaDevice": "credentials: TOTP seeds, encrypted with this installation's key",
    "RecoveryCode": "credentials",
    "UserSession": "the sign-in sessions of this installation",
    "LoginAttempt": "the sign-in throttling state of this installation",
    "ReminderLog": "which reminder e-mails this installation has sent",
    "AcceptanceReminder": "which acceptance expiry e-mails this installation has sent",
    "ReportJob": "rendered report files: derived from the data, made again on request",
    "SavedFilter": "a person's dashboard shortcuts, naming this installation's team and user ids",
    "JiraConnection": "credentials: a Jira API token, encrypted with this installation's key",
    "JiraLink": "sync state with a Jira site this installation's token reaches; the issues keep their item "
    "labels, so connecting again finds them",
    "AuditCheckpoint": "signed heads of this installation's chain; the target signs its own from the next "
    "checkpoint on (it needs the same AUDIT_HMAC_KEY for the imported entries to verify)",
    "EvidenceFile": "files in this installation's storage: rows without their bytes would point at nothing; their "
    "names and SHA-256 travel in the milestones' snapshots and in the audit trail",
    "WaToolLink": "a link to a workload in an AWS account, reached through this installation's connected roles",
}


class ExportEncoder(json.JSONEncoder):
    """Full-precision timestamps: audit hashes cover `at` to the microsecond (DjangoJSONEncoder cuts it)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date):
            return o.isoformat()
        if isinstance(o, UUID | Decimal):
            return str(o)
        return super().default(o)


# --- Export -------------------------------------------------------------------------------------------------


def _catalogue_refs() -> tuple[dict[int, str], dict[int, dict], dict[int, dict]]:
    lenses = dict(Lens.objects.values_list("id", "slug"))
    versions = {
        pk: {"lens": lenses[lens_id], "content_sha256": sha}
        for pk, lens_id, sha in LensVersion.objects.values_list("id", "lens_id", "content_sha256")
    }
    questions = {
        pk: {**versions[version_id], "code": code}
        for pk, version_id, code in Question.objects.values_list("id", "lens_version_id", "code")
    }
    return lenses, versions, questions


def data_export(*, actor_label: str = "manage.py export_data") -> dict[str, Any]:
    """The whole review domain as one JSON-ready document (recorded in the audit trail as `data.export`)."""
    with transaction.atomic():
        audit_record(actor=None, actor_label=actor_label, action="data.export", object_type="Installation")
        lenses, versions, questions = _catalogue_refs()
        catalogue: dict[type[models.Model], dict[int, Any]] = {
            Lens: lenses,
            LensVersion: versions,
            Question: questions,
        }
        document: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": timezone.now().isoformat(),
        }
        for table in TABLES:
            fields = table.fields()
            refs = {
                f.attname: catalogue[f.related_model]
                for f in fields
                if isinstance(f.related_model, type) and f.related_model in catalogue
            }
            rows = []
            for row in (
                table.model._base_manager.order_by("pk").values(*(f.attname for f in fields)).iterator(2000)
            ):
                for attname, lookup in refs.items():
                    if row[attname] is not None:
                        row[attname] = lookup[row[attname]]
                rows.append(row)
            document[table.key] = rows
    return document


def data_export_json(*, indent: int | None = None, actor_label: str = "manage.py export_data") -> str:
    return json.dumps(
        data_export(actor_label=actor_label), cls=ExportEncoder, indent=indent, ensure_ascii=False
    )


# --- Import -------------------------------------------------------------------------------------------------


def _check_header(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"This is not a data export of this app (expected format {FORMAT!r}).")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ValidationError(
            f"The export has format version {version!r}; this version of the app reads {FORMAT_VERSION}."
        )
    for table in TABLES:
        if not isinstance(document.get(table.key), list):
            raise ValidationError(f"The export has no list of {table.key}.")


class _Catalogue:
    """Maps the export's lens references onto this database's catalogue, collecting what is missing."""

    def __init__(self) -> None:
        self.lenses = {slug: pk for pk, slug in Lens.objects.values_list("id", "slug")}
        self.versions = {
            (slug, sha): pk
            for pk, slug, sha in LensVersion.objects.values_list("id", "lens__slug", "content_sha256")
        }
        self.questions = {
            (slug, sha, code): pk
            for pk, slug, sha, code in Question.objects.values_list(
                "id", "lens_version__lens__slug", "lens_version__content_sha256", "code"
            )
        }
        self.missing: set[str] = set()

    def resolve(self, model: type[models.Model], ref: Any) -> Any:
        if ref is None:
            return None
        try:
            if model is Lens:
                key: Any = ref
                found = self.lenses.get(key)
                label = f"lens {ref!r}"
            elif model is LensVersion:
                key = (ref["lens"], ref["content_sha256"])
                found = self.versions.get(key)
                label = f"lens {ref['lens']!r} version with content hash {ref['content_sha256'][:12]}…"
            else:
                key = (ref["lens"], ref["content_sha256"], ref["code"])
                found = self.questions.get(key)
                label = f"question {ref['code']} of lens {ref['lens']!r} ({ref['content_sha256'][:12]}…)"
        except (TypeError, KeyError) as exc:
            raise ValidationError(f"A lens reference is malformed: {ref!r}.") from exc
        if found is None:
            self.missing.add(label)
        return found


def _build(table: Table, index: int, row: Any, catalogue: _Catalogue) -> models.Model:
    fields = table.fields()
    expected = {field.attname for field in fields}
    where = f"{table.key}[{index}]"
    if not isinstance(row, dict):
        raise ValidationError(f"{where} is not an object.")
    unknown, absent = set(row) - expected, expected - set(row)
    if unknown or absent:
        detail = "; ".join(
            part
            for part in (
                f"unknown fields {', '.join(sorted(unknown))}" if unknown else "",
                f"missing fields {', '.join(sorted(absent))}" if absent else "",
            )
            if part
        )
        raise ValidationError(f"{where} does not match this version of the app: {detail}.")
    values: dict[str, Any] = {}
    for field in fields:
        raw = row[field.attname]
        if isinstance(field.related_model, type) and field.related_model in (Lens, LensVersion, Question):
            values[field.attname] = catalogue.resolve(field.related_model, raw)
            continue
        try:
            values[field.attname] = (
                raw if raw is None or isinstance(field, models.JSONField) else field.to_python(raw)
            )
        except ValidationError as exc:
            raise ValidationError(f"{where}.{field.attname}: {'; '.join(exc.messages)}") from exc
    instance = table.model(**values)
    if isinstance(instance, User):
        # Password hashes never leave the source: people set a new password (changepassword, password reset).
        instance.password = make_password(None)
    return instance


def _insert(table: Table, objects: list[models.Model]) -> None:
    # A raw insert writes every field as exported, auto_now(_add) times included: bulk_create would stamp "now"
    # and need an UPDATE to put them back, which append-only tables (milestones) refuse.
    fields = table.model._meta.concrete_fields
    for start in range(0, len(objects), 500):
        table.model._base_manager.all()._insert(  # type: ignore[attr-defined]  # private, stable since 1.x
            objects[start : start + 500], fields=fields, raw=True
        )


def database_is_empty() -> bool:
    return not any(table.model._base_manager.exists() for table in TABLES)


def data_import(
    *, document: Any, force: bool = False, actor_label: str = "manage.py import_data"
) -> dict[str, int]:
    """Load an export into this database, all or nothing; returns the number of rows per table.

    Refuses a database that already holds review data unless `force` is given, and never joins two audit
    trails (their hash chains cannot be joined without breaking one), whatever `force` says.
    """
    _check_header(document)
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic():
            if not force and not database_is_empty():
                raise ValidationError(
                    "This database already holds review data. Import into a new database (migrate, then "
                    "load_lens), or pass --force to add to what is there."
                )
            if document["audit_events"] and AuditEvent.objects.exists():
                raise ValidationError(
                    "This database already has an audit trail; another trail cannot be joined to it without "
                    "breaking both hash chains. Import into a new database."
                )
            catalogue = _Catalogue()
            built = {
                table.key: [_build(table, i, row, catalogue) for i, row in enumerate(document[table.key])]
                for table in TABLES
            }
            if catalogue.missing:
                raise ValidationError(
                    "The export refers to lens versions this database does not have (load them with "
                    f"manage.py load_lens or import_lens first): {'; '.join(sorted(catalogue.missing))}."
                )
            for table in TABLES:
                _insert(table, built[table.key])
            # Primary keys were inserted as they were: move PostgreSQL's sequences past them.
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [t.model for t in TABLES]):
                    cursor.execute(statement)
            counts = {key: len(objects) for key, objects in built.items()}
            audit_record(
                actor=None,
                actor_label=actor_label,
                action="data.import",
                object_type="Installation",
                after={"exported_at": document.get("exported_at"), "rows": counts},
            )
    except IntegrityError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(
            f"The export conflicts with data in this database or is inconsistent ({first_line}). Nothing was "
            "imported."
        ) from exc
    return counts
