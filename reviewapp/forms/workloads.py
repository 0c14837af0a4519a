"""Web forms for workloads and teams: they parse what people type and show errors; services/workloads.py
does the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from ..access import teams_writable_by
from ..lib.aws_regions import AWS_REGIONS
from ..lib.workload_fields import (
    INDUSTRIES,
    MAX_ACCOUNT_IDS,
    MAX_TAGS,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    format_account_ids,
    format_tags,
    parse_account_ids,
    parse_tags,
)
from ..models import Environment, Role, Team, User, Workload
from ..services.workloads import WORKLOAD_FIELDS
from .common import choice_field, find_user, model_choice_field

AT_LEAST_3 = "Use at least 3 characters (the Well-Architected Tool requires them too)."


def _required(message: str, min_length: str = "") -> dict[str, str]:
    return {"required": message, **({"min_length": min_length} if min_length else {})}


INDUSTRY_CHOICES = [("", "—"), *((name, name) for name in INDUSTRIES)]


class WebLinkField(forms.URLField):
    """A link other people will open: http(s) only, never javascript:, data: or ftp:."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class WorkloadForm(forms.Form):
    """Create or edit a workload: the fields of the Well-Architected Tool's "Define workload" page."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        empty_label="Choose a team…",
        error_messages={
            "required": "Choose the team that owns this workload.",
            "invalid_choice": "Choose one of the teams you may add workloads to.",
        },
    )
    name = forms.CharField(
        min_length=3,
        max_length=100,
        error_messages=_required("Give the workload a name.", min_length=AT_LEAST_3),
        help_text="Unique within the team. 3 to 100 characters.",
    )
    description = forms.CharField(
        min_length=3,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required(
            "Describe the workload in a sentence or two.",
            min_length=AT_LEAST_3,
        ),
        help_text="What it does and who uses it. 3 to 250 characters.",
    )
    environment = forms.ChoiceField(
        choices=Environment.choices,
        widget=forms.RadioSelect,
        error_messages=_required("Choose Production or Pre-production."),
    )
    review_owner = forms.CharField(
        min_length=3,
        max_length=255,
        error_messages=_required(
            "Name the person accountable for this review.",
            min_length=AT_LEAST_3,
        ),
        help_text="The name or email address of the person accountable for this review.",
    )
    aws_regions = forms.MultipleChoiceField(
        choices=AWS_REGIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "“%(value)s” is not an AWS Region code."},
        label="AWS Regions",
    )
    other_locations = forms.CharField(
        max_length=250,
        required=False,
        label="Other locations",
        help_text="Data centres, other clouds or on-premises sites. Up to 250 characters.",
    )
    account_ids = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        label="AWS account IDs",
        help_text=(
            f"12-digit account IDs, one per line or separated by commas. Up to {MAX_ACCOUNT_IDS}; "
            "repeated IDs are listed once."
        ),
    )
    architecture_url = WebLinkField(
        max_length=2048,
        required=False,
        assume_scheme="https",
        error_messages={
            "invalid": "Enter a web link that starts with https:// or http://, such as a wiki page."
        },
        label="Architecture diagram",
        help_text="A link to the diagram (http or https).",
    )
    industry = forms.ChoiceField(choices=INDUSTRY_CHOICES, required=False)
    notes = forms.CharField(
        max_length=2084,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-maxlength": "2084", "data-counter": "notes-counter"}),
        help_text="Up to 2,084 characters.",
    )
    tags = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=(
            f"One key=value per line, e.g. cost-centre=1234. Up to {MAX_TAGS} tags; keys up to "
            f"{TAG_KEY_MAX} characters, values up to {TAG_VALUE_MAX}."
        ),
    )

    def __init__(self, *args: Any, user: User, workload: Workload | None = None, **kwargs: Any) -> None:
        self.workload = workload
        if workload is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(workload)
        super().__init__(*args, **kwargs)
        if workload is not None:
            # A workload stays in its team; moving it would move its whole history between teams.
            del self.fields["team"]
        else:
            teams = teams_writable_by(user).order_by("name")
            model_choice_field(self, "team").queryset = teams
            if "team" not in self.initial:
                only = list(teams[:2])
                if len(only) == 1:
                    self.initial["team"] = only[0].pk
        # Keep an industry stored before the list changed (or set through the API) selectable, not lost.
        current = self.initial.get("industry") or ""
        if current and current not in INDUSTRIES:
            choice_field(self, "industry").choices = [*INDUSTRY_CHOICES, (current, current)]

    @staticmethod
    def initial_for(workload: Workload) -> dict[str, Any]:
        return {
            "name": workload.name,
            "description": workload.description,
            "environment": workload.environment,
            "review_owner": workload.review_owner,
            "aws_regions": list(workload.aws_regions),
            "other_locations": workload.other_locations,
            "account_ids": format_account_ids(workload.account_ids),
            "architecture_url": workload.architecture_url,
            "industry": workload.industry,
            "notes": workload.notes,
            "tags": format_tags(workload.tags),
        }

    def clean_account_ids(self) -> list[str]:
        return parse_account_ids(self.cleaned_data["account_ids"])

    def clean_tags(self) -> dict[str, str]:
        return parse_tags(self.cleaned_data["tags"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        regions_ok = "aws_regions" not in self.errors and "other_locations" not in self.errors
        if regions_ok and not cleaned.get("aws_regions") and not cleaned.get("other_locations"):
            self.add_error("aws_regions", "Choose at least one AWS Region or enter another location.")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in WORKLOAD_FIELDS}


class WorkloadFilterForm(forms.Form):
    """The list's search and filters; an unknown value is ignored rather than an error page."""

    RISKS = [
        ("", "Any"),
        ("HIGH", "High risk"),
        ("MEDIUM", "Medium risk"),
        ("NONE", "No risk"),
        ("UNANSWERED", "Not reviewed yet"),
        ("NOT_APPLICABLE", "Not applicable"),
    ]
    SORTS = [
        ("name", "Name"),
        ("risk", "Highest risk"),
        ("updated", "Last changed"),
        ("team", "Team"),
    ]

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, description or tag",
                "autocomplete": "off",
            }
        ),
    )
    team = forms.ChoiceField(required=False)
    environment = forms.ChoiceField(required=False, choices=[("", "Any"), *Environment.choices])
    risk = forms.ChoiceField(required=False, choices=RISKS)
    archived = forms.BooleanField(required=False, label="Show archived")
    sort = forms.ChoiceField(required=False, choices=SORTS)

    def __init__(self, *args: Any, teams: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "team").choices = [("", "All"), *((str(pk), name) for pk, name in teams)]

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a bad value in one does not throw away the others."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None, False)}


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100, error_messages=_required("Give the team a name."))
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(
        max_length=150,
        required=False,
        label="First owner",
        help_text="Username of the person who will manage the team. Leave empty to be the owner yourself.",
    )

    def clean_owner(self) -> User | None:
        username = self.cleaned_data["owner"]
        if not username:
            return None
        user = find_user(username)
        if user is None or not user.is_active:
            raise ValidationError(f"There is no active user called “{username}”.")
        return user


class MemberAddForm(forms.Form):
    username = forms.CharField(
        max_length=150, error_messages=_required("Enter the username of the person to add.")
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        self.team = team
        super().__init__(*args, **kwargs)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"]
        user = find_user(username)
        if user is None:
            raise ValidationError(f"There is no user called “{username}”.")
        if not user.is_active:
            raise ValidationError(f"{user.get_username()}’s account is deactivated.")
        existing = self.team.memberships.filter(user=user).first()
        if existing is not None:
            raise ValidationError(
                f"{user.get_username()} is already a member ({existing.get_role_display()}); "
                "change their role in the list instead."
            )
        return user


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, error_messages={"invalid_choice": "Choose a team role."})
