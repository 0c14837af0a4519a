"""The share form of a workload's sharing page: which team, which role, until when. services/sharing.py writes."""

from __future__ import annotations

from typing import Any

from django import forms

from ..models import Team, WorkloadShare
from .common import model_choice_field
from .plan import DateInput


class ShareForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label="Choose a team")
    role = forms.ChoiceField(
        choices=WorkloadShare.ShareRole.choices,
        help_text="Viewers read; contributors also answer the review and work the improvement plan. Each "
        "member gets at most their own role in their team.",
    )
    expires_on = forms.DateField(
        widget=DateInput(), label="Shared until", help_text="The last day the team has access."
    )

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "team").queryset = teams
