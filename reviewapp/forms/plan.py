"""Forms of the improvement plan: they parse input and show errors; services/plan.py writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings

from questionnaire.rating import Level

from ..acceptance.services import latest_expiry, max_days
from ..models import ImprovementItem, ItemStatus, User
from ..selectors.plan import PlanFilters
from ..services.plan import TEXT_MAX_LENGTH, TICKET_URL_MAX_LENGTH
from .common import choice_field, owner_choices

LEVEL_CHOICES = [("", "Any level"), *((level.value, level.value.title()) for level in Level)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **attrs: Any) -> None:
        super().__init__(format="%Y-%m-%d", attrs=attrs)


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ItemStatus.choices])
    level = forms.ChoiceField(required=False, choices=LEVEL_CHOICES, label="Best-practice risk")
    owner = forms.ChoiceField(required=False)
    closed = forms.BooleanField(required=False, label="Include closed items")

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = [
            ("", "Anyone"),
            ("none", "Nobody yet"),
            *((str(user.pk), user.display_name()) for user in members),
        ]

    def filters(self) -> PlanFilters:
        if not self.is_bound or not self.is_valid():
            return PlanFilters()
        data = self.cleaned_data
        return PlanFilters(
            status=data["status"], level=data["level"], owner=data["owner"], include_closed=data["closed"]
        )


class ItemForm(forms.Form):
    """How an item is tracked. Accepting a risk has its own form (AcceptRiskForm)."""

    status = forms.ChoiceField(choices=[])
    owner = forms.ChoiceField(required=False)
    due_date = forms.DateField(required=False, widget=DateInput(), label="Due date")
    ticket_url = forms.CharField(
        required=False,
        max_length=TICKET_URL_MAX_LENGTH,
        label="Ticket link",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    notes = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "data-maxlength": TEXT_MAX_LENGTH}),
    )
    # The item's version when the form was shown: a save on top of someone else's newer one is a conflict.
    version = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput(),
        error_messages={"required": "This form is out of date: reload the item and edit it again."},
    )

    def __init__(self, *args: Any, item: ImprovementItem, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.members = {str(user.pk): user for user in members}
        statuses = [ItemStatus.OPEN, ItemStatus.IN_PROGRESS]
        # Keeping an accepted risk is possible here; starting one needs a request and its approval.
        if item.status in (ItemStatus.RISK_ACCEPTED, ItemStatus.DONE):
            statuses.append(ItemStatus(item.status))
        choice_field(self, "status").choices = [(status.value, status.label) for status in statuses]
        choice_field(self, "owner").choices = owner_choices(members, "Nobody")
        prefix = f"item-{item.pk}"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"{prefix}-{name}")
        self.fields["notes"].widget.attrs["data-counter"] = f"{prefix}-notes-count"

    @staticmethod
    def initial_for(item: ImprovementItem) -> dict[str, Any]:
        return {
            "status": item.status,
            "owner": str(item.owner_id) if item.owner_id else "",
            "due_date": item.due_date,
            "ticket_url": item.ticket_url,
            "notes": item.notes,
            "version": item.version,
        }

    def clean_owner(self) -> User | None:
        value = self.cleaned_data["owner"]
        return self.members.get(value) if value else None

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {key: data[key] for key in ("status", "owner", "due_date", "ticket_url", "notes")}
        if data["status"] == ItemStatus.RISK_ACCEPTED:
            fields["acceptance_justification"] = self.item.acceptance_justification
            fields["acceptance_expires_on"] = self.item.acceptance_expires_on
        return fields


class AcceptRiskForm(forms.Form):
    """A request to accept the risk of an item; someone else approves it (DecisionForm)."""

    justification = forms.CharField(
        label="Why may this risk be accepted?",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 4, "data-maxlength": TEXT_MAX_LENGTH, "data-counter": "why-count"}
        ),
        error_messages={"required": "Explain why this risk may be accepted."},
        help_text="The business reason, who agreed, and why fixing it now is not reasonable.",
    )
    compensating_controls = forms.CharField(
        label="Compensating controls",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What limits the risk meanwhile (monitoring, network isolation, manual reviews).",
    )
    expires_on = forms.DateField(
        label="Acceptance expires on",
        widget=DateInput(),
        error_messages={"required": "Choose the date the acceptance expires."},
    )

    def __init__(self, *args: Any, today: date, level: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = latest_expiry(level, today)
        self.fields["justification"].widget.attrs["minlength"] = settings.RISK_ACCEPTANCE_MIN_JUSTIFICATION
        field = self.fields["expires_on"]
        field.widget.attrs.update({"min": today.isoformat(), "max": latest.isoformat()})
        field.help_text = (
            f"The item reopens on this date. A {level.lower()} risk may be accepted for at most "
            f"{max_days(level)} days (no later than {latest.isoformat()})."
        )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why, in a sentence: it stays in the item's history."},
    )
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Why does the acceptance end now?",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the acceptance ends: it stays in the item's history."},
    )


class BulkForm(forms.Form):
    """Assign an owner and/or set a due date on the ticked items."""

    KEEP = "keep"
    NOBODY = "none"

    owner = forms.ChoiceField(required=False, label="Owner")
    due_date = forms.DateField(required=False, widget=DateInput(id="bulk-due"), label="Due date")
    clear_due_date = forms.BooleanField(required=False, label="Remove the due date")

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(user.pk): user for user in members}
        choice_field(self, "owner").choices = [
            (self.KEEP, "Leave as is"),
            (self.NOBODY, "Nobody (unassign)"),
            *((str(user.pk), user.display_name()) for user in members),
        ]
        self.fields["owner"].widget.attrs["id"] = "bulk-owner"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("due_date") and data.get("clear_due_date"):
            self.add_error("clear_due_date", "Either set a due date or remove it, not both.")
        return data

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for items_bulk_update: only what the user chose to change."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        owner = data.get("owner") or self.KEEP
        if owner == self.NOBODY:
            changes["owner"] = None
        elif owner != self.KEEP:
            changes["owner"] = self.members[owner]
        if data.get("clear_due_date"):
            changes["due_date"] = None
        elif data.get("due_date"):
            changes["due_date"] = data["due_date"]
        return changes
