"""A review's round trip with the AWS Well-Architected Tool: link or create the workload there, preview and
import its answers, and export ours after a dry run the person confirms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from checks.models import AwsTarget

from ..access import Action, get_review_for_user, may
from ..forms.common import choice_field
from ..models import Review, WaToolLink
from ..wellarchitected import (
    MILESTONE_NAME_MAX,
    ExportPlanChanged,
    LensVersionMismatch,
    WaToolError,
    export_plan,
    lens_upgrade,
    wa_create,
    wa_export,
    wa_import,
    wa_link,
)
from . import AuthenticatedRequest

ACTIONS = ("link", "create", "preview", "import", "plan", "export", "upgrade")


class WaToolForm(forms.Form):
    workload_arn = forms.CharField(
        label="Workload in the Well-Architected Tool",
        required=False,
        max_length=200,
        help_text="Its ARN, e.g. arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef"
        "0123456789abcdef, or its 32-character id with the account and region below.",
    )
    account_id = forms.ChoiceField(label="AWS account", required=False, choices=())
    region = forms.CharField(label="Region", required=False, max_length=32, help_text="e.g. eu-west-1")
    milestone_name = forms.CharField(
        label="Save a milestone there (optional)", required=False, max_length=MILESTONE_NAME_MAX
    )
    plan_digest = forms.RegexField(r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS], widget=forms.HiddenInput)

    def __init__(self, *args, accounts: list[AwsTarget], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "account_id").choices = [("", "Choose a connected account")] + [
            (target.account_id, str(target)) for target in accounts
        ]


def _run(request: AuthenticatedRequest, review: Review, form: WaToolForm) -> dict:
    """Carry out the form's action; what the page shows about it."""
    data = form.cleaned_data
    action, arn = data["action"], data["workload_arn"]
    if action == "link":
        wa_link(
            review=review,
            actor=request.user,
            workload_ref=arn,
            account_id=data["account_id"],
            region=data["region"].strip(),
        )
        return {"linked": True}
    if action == "create":
        wa_create(
            review=review, actor=request.user, account_id=data["account_id"], region=data["region"].strip()
        )
        return {"created": True}
    if action in ("preview", "import"):
        return {
            "report": wa_import(
                review=review, actor=request.user, workload_arn=arn, dry_run=action == "preview"
            )
        }
    if action == "plan":
        return {"plan": export_plan(review=review, workload_arn=arn, milestone_name=data["milestone_name"])}
    if action == "upgrade":
        return {
            "upgraded_to": lens_upgrade(
                review=review, actor=request.user, milestone_name=data["milestone_name"]
            )
        }
    report = wa_export(
        review=review,
        actor=request.user,
        confirm=data["plan_digest"],
        workload_arn=arn,
        milestone_name=data["milestone_name"],
    )
    return {"exported": report}


@require_http_methods(["GET", "POST"])
def review_wa_tool(request: AuthenticatedRequest, review_id) -> HttpResponse:
    posting = request.method == "POST"
    review = get_review_for_user(request.user, review_id, Action.EDIT if posting else Action.VIEW)
    accounts = list(AwsTarget.objects.filter(workload_id=review.workload_id).order_by("account_id"))
    form = WaToolForm(request.POST if posting else None, accounts=accounts)
    outcome: dict = {}
    status = 200
    if posting and form.is_valid():
        try:
            outcome = _run(request, review, form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            status = 400
        except LensVersionMismatch as exc:
            outcome = {"mismatch": exc}
            status = 409
        except ExportPlanChanged as exc:
            form.add_error(None, str(exc))
            status = 409
        except WaToolError as exc:
            form.add_error(None, str(exc))
            status = 502
    elif posting:
        status = 400
    context = {
        "review": review,
        "workload": review.workload,
        "form": form,
        "link": WaToolLink.objects.filter(review=review).select_related("linked_by").first(),
        "action": form.cleaned_data.get("action", "")
        if form.is_bound and hasattr(form, "cleaned_data")
        else "",
        "can_edit": may(request.user, review, Action.EDIT),
        "accounts": accounts,
        **outcome,
    }
    return render(request, "watool/review.html", context, status=status)


urlpatterns = [
    path("<uuid:review_id>/wa-tool/", review_wa_tool, name="review_wa_tool"),
]
