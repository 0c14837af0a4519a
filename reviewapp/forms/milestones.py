"""The form that saves a milestone: its name and, when the workload has several, which review."""

from __future__ import annotations

from typing import Any

from django import forms

from ..models import Review
from .common import choice_field


class MilestoneForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the milestone a name, such as the date or the release it marks."},
        help_text="Unique within the workload, up to 100 characters.",
        widget=forms.TextInput(attrs={"class": "milestone-name"}),
    )
    review = forms.ChoiceField(required=False, label="Review")

    def __init__(self, *args: Any, reviews: list[Review], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reviews = {str(review.pk): review for review in reviews}
        choice_field(self, "review").choices = [
            (key, str(review.lens)) for key, review in self.reviews.items()
        ]

    def clean_review(self) -> Review | None:
        value = self.cleaned_data["review"]
        if not value and len(self.reviews) == 1:
            return next(iter(self.reviews.values()))
        if value not in self.reviews:
            raise forms.ValidationError("Choose the review to save.")
        return self.reviews[value]
