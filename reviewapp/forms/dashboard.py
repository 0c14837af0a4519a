"""The filters of the security lead's dashboard."""

from __future__ import annotations

from typing import Any

from django import forms

from questionnaire.rating import Risk

from ..access import teams_visible_to, workloads_visible_to
from ..models import WORK_LEFT, Environment, ImprovementItem, User
from ..selectors.dashboard import NOT_REVIEWED, DashboardFilters
from .common import choice_field, owner_choices

RISK_FILTER_CHOICES = [
    ("", "Any risk"),
    (Risk.HIGH.value, "High risk"),
    (Risk.MEDIUM.value, "Medium risk"),
    (Risk.NONE.value, "No risk"),
    (Risk.UNANSWERED.value, "Review in progress"),
    (NOT_REVIEWED, "Not reviewed"),
]


class DashboardFilterForm(forms.Form):
    team = forms.ChoiceField(required=False)
    environment = forms.ChoiceField(required=False, choices=[("", "Any environment"), *Environment.choices])
    risk = forms.ChoiceField(required=False, choices=RISK_FILTER_CHOICES, label="Highest risk")
    owner = forms.ChoiceField(required=False, label="Items owned by")
    tag = forms.CharField(
        required=False,
        max_length=200,
        label="Tag",
        help_text="key or key=value",
        widget=forms.TextInput(attrs={"placeholder": "key=value"}),
    )

    def __init__(self, *args: Any, teams: list[tuple[Any, str]], owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "team").choices = [("", "Any team"), *((str(pk), name) for pk, name in teams)]
        choice_field(self, "owner").choices = owner_choices(owners, "Anyone")

    def clean_tag(self) -> str:
        tag = self.cleaned_data["tag"].strip()
        if tag.startswith("="):
            raise forms.ValidationError("Name the tag's key before the “=”, as in cost-centre=CC-1234.")
        return tag

    def filters(self) -> DashboardFilters:
        if not self.is_bound or not self.is_valid():
            return DashboardFilters()
        return DashboardFilters(
            **{name: self.cleaned_data[name] for name in ("team", "environment", "risk", "owner", "tag")}
        )


def filter_choices(user: User) -> dict[str, Any]:
    """The filter fields' choices for `user`: the teams they may see, the people owning items they may see."""
    teams = list(teams_visible_to(user).order_by("name").values_list("pk", "name"))
    owners = list(
        User.objects.filter(
            pk__in=ImprovementItem.objects.filter(
                workload__in=workloads_visible_to(user).values("pk"), is_active=True, status__in=WORK_LEFT
            ).values("owner_id")
        ).order_by("first_name", "last_name", "username")
    )
    return {"teams": teams, "owners": owners}


def dashboard_filter_form(user: User, data: Any = None) -> DashboardFilterForm:
    return DashboardFilterForm(data, **filter_choices(user))


def describe_filters(form: DashboardFilterForm) -> str:
    """The valid form's filters in words, for a report's cover and the list of reports."""
    data = form.cleaned_data
    parts = []
    for name in ("team", "environment", "risk", "owner"):
        if data.get(name):
            label = dict(getattr(form.fields[name], "choices", [])).get(data[name], data[name])
            parts.append(f"items owned by {label}" if name == "owner" else str(label))
    if data.get("tag"):
        parts.append(f"tag {data['tag']}")
    return ", ".join(parts)
