"""A workload's profile: a few yes/no business-context questions, answered once, that put the questions and
practices that matter most for the workload first in the review, the plan and the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from ..access import Action, get_workload_for_user, may
from ..models import ProfilePriority
from ..selectors.profiles import profile_lines
from ..services.profiles import profile_update
from . import AuthenticatedRequest

# What each choice of the form means: "" is "not known", which no rule counts as yes.
ANSWERS = {"yes": True, "no": False, "": None}


@require_http_methods(["GET", "POST"])
def workload_profile(request: AuthenticatedRequest, workload_id) -> HttpResponse:
    action = Action.EDIT if request.method == "POST" else Action.VIEW
    workload = get_workload_for_user(request.user, workload_id, action)
    error = ""
    if request.method == "POST":
        answers = {line.key: ANSWERS.get(request.POST.get(line.key, "")) for line in profile_lines(workload)}
        try:
            profile_update(workload=workload, actor=request.user, answers=answers)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, "Profile saved: the review and the plan now put its priorities first.")
            return redirect("workload_profile", workload_id=workload.pk)
    priorities = ProfilePriority.objects.filter(
        workload=workload, kind=ProfilePriority.Kind.QUESTION
    ).order_by("-priority", "code")
    context = {
        "workload": workload,
        "lines": profile_lines(workload),
        "priorities": priorities,
        "can_edit": may(request.user, workload, Action.EDIT),
        "error": error,
    }
    return render(request, "workloads/profile.html", context, status=400 if error else 200)


urlpatterns = [path("workloads/<uuid:workload_id>/profile/", workload_profile, name="workload_profile")]
