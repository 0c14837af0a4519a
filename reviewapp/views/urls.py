"""Web routes. Each area keeps its own `urlpatterns` next to its views, so areas never edit a shared list."""

from django.urls import include, path

from . import home

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("reviewapp.views.accounts")),
    path("", include("reviewapp.views.ops")),
    path("teams/", include("reviewapp.views.teams")),
    path("workloads/", include("reviewapp.views.workloads")),
    path("workloads/", include("reviewapp.views.sharing")),
    path("reviews/", include("reviewapp.views.reviews")),
    path("reviews/", include("reviewapp.views.watool")),
    path("reviews/", include("reviewapp.views.evidence_files")),
    path("", include("reviewapp.views.lenses")),
    path("", include("reviewapp.views.plan")),
    path("", include("reviewapp.views.reports")),
    path("", include("reviewapp.views.portfolio")),
    path("", include("reviewapp.views.jira")),
    path("", include("reviewapp.views.templates")),
    path("", include("reviewapp.views.profiles")),
    path("dashboard/", include("reviewapp.views.dashboard")),
    path("", include("checks.urls")),
    path("api/", include("reviewapp.api.urls")),
    path("tokens/", include("reviewapp.views.tokens")),
]
