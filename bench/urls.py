"""The benchmark's URLconf: the app's own routes plus two bare views that exist only while benchmarking.

The bare views go through every middleware (session, authentication, CSRF, MFA, security headers, access
log) like any page, and do nothing else, so "x bare" in the results is what a page adds to Django itself.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    # request.user is touched so the session and user are loaded, as on every authenticated page.
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


def bare_page(request: HttpRequest) -> HttpResponse:
    """base.html with nothing in it: what the layout alone costs."""
    return render(request, "base.html", {})


urlpatterns = [
    path("__bench__/bare/", bare, name="bench_bare"),
    path("__bench__/bare-page/", bare_page, name="bench_bare_page"),
    path("", include("reviewapp.urls")),
]
