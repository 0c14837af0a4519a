"""The consolidated report's request form (the dashboard's filters, a saved filter, a start date, a format)
and the form that saves the dashboard's current filter under a name."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from ..models import SavedFilter, User
from ..selectors.dashboard import DashboardFilters
from ..selectors.portfolio import ConsolidatedScope
from .dashboard import DashboardFilterForm, dashboard_filter_form, describe_filters, filter_choices

# The trend looks back this far by default, and at most this far.
DEFAULT_SINCE_DAYS = 180
MAX_SINCE_YEARS = 10
FILTER_NAMES = ("team", "environment", "risk", "owner", "tag")


class ConsolidatedReportForm(DashboardFilterForm):
    saved_filter = forms.ChoiceField(
        required=False,
        label="Saved filter",
        help_text="Uses that filter instead of the fields above.",
    )
    since = forms.DateField(
        required=False,
        label="Trend since",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Default: {DEFAULT_SINCE_DAYS} days ago.",
    )
    format = forms.ChoiceField(
        choices=[("pdf", "PDF"), ("xlsx", "Excel workbook")], initial="pdf", required=False
    )

    def __init__(self, *args: Any, requester: User, saved_filters: list[SavedFilter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = requester
        self.saved = {str(saved.pk): saved for saved in saved_filters}
        self.saved_check: DashboardFilterForm | None = None
        choices = [("", "None")] + [(key, saved.name) for key, saved in self.saved.items()]
        self.fields["saved_filter"].choices = choices  # type: ignore[attr-defined]

    def clean_since(self) -> date:
        today = timezone.localdate()
        since = self.cleaned_data.get("since") or today - timedelta(days=DEFAULT_SINCE_DAYS)
        if since >= today:
            raise forms.ValidationError("Choose a date before today: the trend runs from it to now.")
        if since < today.replace(year=today.year - MAX_SINCE_YEARS):
            raise forms.ValidationError(f"The trend can look back at most {MAX_SINCE_YEARS} years.")
        return since

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or "pdf"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        saved = self.saved.get(data.get("saved_filter") or "")
        if saved is not None:
            # The saved filter's values go through the same checks as typed ones: a team the person can no
            # longer see, or a value that is no longer valid, is an error, never silently widened.
            check = dashboard_filter_form(self.user, saved.filters)
            if not check.is_valid():
                problems = "; ".join(
                    f"{name}: {' '.join(str(error) for error in errors)}"
                    for name, errors in check.errors.items()
                )
                raise forms.ValidationError(
                    f"The saved filter “{saved.name}” no longer applies ({problems})."
                )
            self.saved_check = check
        return data

    def scope(self) -> ConsolidatedScope:
        """The valid form as a report scope, with a label in words."""
        saved = self.saved.get(self.cleaned_data.get("saved_filter") or "")
        form = self.saved_check if saved is not None and self.saved_check is not None else self
        filters = DashboardFilters(**{name: form.cleaned_data.get(name) or "" for name in FILTER_NAMES})
        words = describe_filters(form)
        if saved is not None:
            label = f"Saved filter “{saved.name}”" + (f": {words}" if words else "")
        else:
            label = words[:1].upper() + words[1:] if words else "All workloads"
        return ConsolidatedScope(filters=filters, since=self.cleaned_data["since"], label=label)


def consolidated_report_form(user: User, data: Any = None) -> ConsolidatedReportForm:
    saved = list(SavedFilter.objects.filter(user=user).order_by("name"))
    return ConsolidatedReportForm(data, requester=user, saved_filters=saved, **filter_choices(user))


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name this filter")
