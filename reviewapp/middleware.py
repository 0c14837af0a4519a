"""Per-request context: a request id (taken from a trusted proxy or made here) and the client IP for the audit."""

from __future__ import annotations

import re
import uuid

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from .lib.request_context import RequestContext, request_context
from .models import MfaDevice
from .services.identity import mfa_required_for

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a proxy's id only if it is harmless to log; otherwise make our own.
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # For log records Django writes after this middleware has left the request's context (4xx/5xx).
        vars(request)["request_id"] = request_id
        token = request_context.set(
            RequestContext(ip=request.META.get("REMOTE_ADDR") or None, request_id=request_id)
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


# No inline script or style anywhere: every page loads its CSS and JS from our static files. data: images are
# for the QR code of the authenticator enrolment page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The app needs none of these browser features; denying them limits what injected content could do.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: CSP, Permissions-Policy, CORP, and no caching of
    pages that depend on who is signed in. A view may set its own value first (setdefault keeps it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Pages that vary with the session show a map of weaknesses: no shared or disk cache may keep them.
        if "Cache-Control" not in headers and "cookie" in headers.get("Vary", "").lower():
            headers["Cache-Control"] = "no-store"
        return response


# Sign-in pages and sign-out stay usable while the second factor is missing; everything else waits for it.
_ENROLMENT_ALLOWED = frozenset({"mfa_enrol", "logout", "login", "login_mfa"})


class MfaEnforcementMiddleware:
    """Users whose organisation role requires a second factor (MFA_REQUIRED_ROLES) and who have no
    authenticator yet are sent to enrol one; API calls in such a session get 403. Also sends the admin site's
    own sign-in form to ours, so it cannot skip the second factor and throttling."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name == "admin:login":
            if request.user.is_authenticated:
                if request.user.is_staff:
                    return None  # the admin sends signed-in staff on to its index
                # Signed in but not staff: our sign-in page would only send them back here.
                raise PermissionDenied("The administration site is for staff accounts.")
            return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))
        # Public pages (sign-in, health checks) need no check. API views opt out of the login redirect too,
        # and check their own credentials: a browser session reaching them is held to the same rule.
        is_api = getattr(view_func, "cls", None) is not None
        if not getattr(view_func, "login_required", True) and not is_api:
            return None
        user = request.user
        if not user.is_authenticated or not mfa_required_for(user):
            return None
        if match is not None and match.url_name in _ENROLMENT_ALLOWED and not match.namespace:
            return None
        if MfaDevice.objects.filter(user=user).exists():
            return None
        message = "Your role requires two-step sign-in: set up an authenticator app first."
        if is_api or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message}, status=403)
        return redirect_to_login(request.get_full_path(), login_url=reverse("mfa_enrol"))
