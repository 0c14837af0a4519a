"""The evidence-file upload form of the question page. services/evidence_files.py checks and writes."""

from __future__ import annotations

from typing import Any

from django import forms

from ..services.evidence_files import DESCRIPTION_MAX_LENGTH
from .common import choice_field
from .plan import DateInput


class EvidenceFileForm(forms.Form):
    bp_code = forms.ChoiceField(label="Best practice", choices=[])
    file = forms.FileField(
        help_text="PDF, PNG, JPEG, TXT, CSV or JSON; the type is read from the content, not the name."
    )
    valid_until = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Valid until",
        help_text="When this evidence goes out of date.",
    )
    description = forms.CharField(required=False, max_length=DESCRIPTION_MAX_LENGTH, label="What it shows")

    def __init__(self, *args: Any, practices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "bp_code").choices = practices
