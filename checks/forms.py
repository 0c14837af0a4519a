"""Forms of the evidence pages: connecting an account, the schedule, and the findings filters."""

from __future__ import annotations

from django import forms

from reviewapp.forms.common import choice_field
from reviewapp.lib.aws_regions import AWS_REGIONS

from .imports.parsers import FORMATS
from .models import FindingStatus, Schedule

DEFAULT_ROLE_NAME = "WellArchitectedEvidence"


class TargetForm(forms.Form):
    label = forms.CharField(
        max_length=100, required=False, help_text="A name people recognise, e.g. “payments-prod”. Optional."
    )
    account_id = forms.CharField(
        label="AWS account ID", max_length=20, help_text="The 12-digit account to collect from."
    )
    role_arn = forms.CharField(
        label="Role ARN",
        max_length=2048,
        required=False,
        help_text=f"Leave empty to use arn:aws:iam::<account>:role/{DEFAULT_ROLE_NAME}, the role the "
        "CloudFormation template on the next page creates.",
    )
    regions = forms.MultipleChoiceField(
        choices=AWS_REGIONS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Regional checks run in each of these; global checks (IAM, S3, CloudFront...) run once.",
    )

    def clean_account_id(self) -> str:
        value = self.cleaned_data["account_id"].strip().replace("-", "")
        if not value.isdigit() or len(value) != 12:
            raise forms.ValidationError("An AWS account ID is exactly 12 digits.")
        return value

    def service_fields(self) -> dict:
        data = self.cleaned_data
        role_arn = data["role_arn"].strip() or f"arn:aws:iam::{data['account_id']}:role/{DEFAULT_ROLE_NAME}"
        return {
            "account_id": data["account_id"],
            "role_arn": role_arn,
            "regions": data["regions"],
            "label": data["label"],
        }


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(choices=Schedule.choices, label="Collect automatically")


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *FindingStatus.choices])
    check_id = forms.ChoiceField(required=False, label="Check")
    account_id = forms.ChoiceField(required=False, label="Account")
    region = forms.ChoiceField(required=False)

    def __init__(self, *args, choices: dict[str, list[str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "check_id").choices = [("", "Any check"), *((c, c) for c in choices["checks"])]
        choice_field(self, "account_id").choices = [
            ("", "Any account"),
            *((a, a) for a in choices["accounts"]),
        ]
        choice_field(self, "region").choices = [("", "Any region"), *((r, r) for r in choices["regions"])]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class EvidenceImportForm(forms.Form):
    file = forms.FileField(
        label="Scanner output",
        help_text="Prowler's OCSF JSON (json-ocsf) or CSV, or Security Hub CSPM findings in ASFF JSON (what "
        "`aws securityhub get-findings` prints).",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.ocsf.json,application/json,text/csv"}),
    )
    file_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[
            ("", "Recognise it from the content"),
            *((key, label) for key, (label, _) in FORMATS.items()),
        ],
    )
