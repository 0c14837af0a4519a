"""Personal API tokens: list your own, create one (its secret is shown once), revoke one."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import get_token_for_user, teams_visible_to
from ..lib.display import with_display
from ..models import ApiToken, Team
from ..services.identity import mfa_required_for
from ..services.tokens import NAME_MAX_LENGTH, api_token_create, api_token_revoke, token_is_usable
from . import AuthenticatedRequest

DEFAULT_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Where the token is used, e.g. “Deploy pipeline” or “Jira sync”.",
    )
    days = forms.IntegerField(label="Expires after (days)", min_value=1, initial=DEFAULT_DAYS)
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="The token can read but never change anything."
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Only these teams",
        help_text="Leave empty for every team you can see; pick some to keep the token to their workloads.",
    )
    second_factor = forms.CharField(
        required=False,
        label="Code from your authenticator",
        max_length=32,
        help_text="Your role requires two-step sign-in, so a new token needs a fresh code.",
    )

    def __init__(self, *args, **kwargs):
        user = kwargs.pop("user")
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = teams_visible_to(user).order_by("name")
        if not mfa_required_for(user):
            del self.fields["second_factor"]
        else:
            self.fields["second_factor"].widget.attrs.update(
                {"autocomplete": "one-time-code", "inputmode": "numeric"}
            )
        # The limit is a setting, so it is applied per form rather than frozen at import time.
        max_days = settings.API_TOKEN_MAX_DAYS
        days = self.fields["days"]
        days.max_value = max_days
        days.validators.append(MaxValueValidator(max_days))
        days.widget.attrs["max"] = max_days
        days.help_text = f"At most {max_days} days. Create a new token before this one expires."
        days.initial = min(DEFAULT_DAYS, max_days)


@require_GET
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))
    for token in tokens:
        with_display(token, usable=token_is_usable(token, now))
    return render(request, "tokens/list.html", {"tokens": tokens, "now": now})


@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
                read_only=form.cleaned_data["read_only"],
                teams=list(form.cleaned_data["teams"]),
                second_factor=form.cleaned_data.get("second_factor") or "",
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error("days" if field == "expires_at" else field, error)
        else:
            # Rendered, not redirected: the secret must not travel through the session or a URL.
            return render(request, "tokens/created.html", {"token": token, "secret": secret})
    return render(request, "tokens/form.html", {"form": form})


@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: UUID) -> HttpResponse:
    token = get_token_for_user(request.user, token_id)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"The token “{token.name}” is revoked; it can no longer be used.")
    return redirect("token_list")


urlpatterns = [
    path("", token_list, name="token_list"),
    path("new/", token_create, name="token_create"),
    path("<uuid:token_id>/revoke/", token_revoke, name="token_revoke"),
]
