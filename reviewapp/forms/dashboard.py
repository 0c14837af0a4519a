"""The filters of the security lead's dashboard."""

from __future__ import annotations

from typing import Any

from django import forms

from questionnaire.rating import Risk

from ..models import Environment, User
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

    def __init__(self, *args: Any, teams: list[tuple[Any, str]], owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "team").choices = [("", "Any team"), *((str(pk), name) for pk, name in teams)]
        choice_field(self, "owner").choices = owner_choices(owners, "Anyone")

    def filters(self) -> DashboardFilters:
        if not self.is_bound or not self.is_valid():
            return DashboardFilters()
        return DashboardFilters(
            **{name: self.cleaned_data[name] for name in ("team", "environment", "risk", "owner")}
        )
