"""The team's Jira connection form, and linking an existing issue to an item."""

from __future__ import annotations

from typing import Any

from django import forms

from ..jira.models import JiraConnection
from ..jira.services import MAPPING_SOURCES, format_field_mapping, parse_field_mapping

LEVELS = [("HIGH", "High"), ("MEDIUM", "Medium"), ("LOW", "Low")]


class JiraConnectionForm(forms.Form):
    site_url = forms.URLField(
        max_length=500, label="Jira site address", assume_scheme="https",
        help_text="Such as https://example.atlassian.net or your Data Center's base address.",
    )  # fmt: skip
    deployment = forms.ChoiceField(choices=JiraConnection.Deployment.choices, widget=forms.RadioSelect)
    email = forms.EmailField(required=False, label="Account e-mail (Jira Cloud)")
    token = forms.CharField(
        required=False,
        max_length=1000,
        label="API token (Cloud) or personal access token (Data Center)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    project_key = forms.CharField(max_length=32, label="Project key")
    issue_type = forms.CharField(max_length=100, initial="Task")
    field_mapping = forms.CharField(
        required=False,
        label="Field mapping",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "due_date=duedate\nlevel=priority"}),
        help_text=f"One source=field per line. Sources: {', '.join(MAPPING_SOURCES)}. Fields: duedate, priority, "
        "labels or customfield_NNNNN.",
    )

    def __init__(self, *args: Any, connection: JiraConnection | None = None, **kwargs: Any) -> None:
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "site_url": connection.site_url,
                "deployment": connection.deployment,
                "email": connection.email,
                "project_key": connection.project_key,
                "issue_type": connection.issue_type,
                "field_mapping": format_field_mapping(connection.field_mapping),
            }
        super().__init__(*args, **kwargs)
        self.connection = connection
        if connection is not None:
            self.fields["token"].help_text = "A token is stored and never shown. Leave empty to keep it."

    def clean_field_mapping(self) -> dict[str, str]:
        try:
            return parse_field_mapping(self.cleaned_data.get("field_mapping") or "")
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


class JiraLinkForm(forms.Form):
    issue_key = forms.CharField(max_length=64, label="Issue key")


class JiraLevelForm(forms.Form):
    level = forms.ChoiceField(choices=LEVELS)
