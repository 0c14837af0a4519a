from django.http import HttpResponse
from django.shortcuts import redirect

from . import AuthenticatedRequest


def home(request: AuthenticatedRequest) -> HttpResponse:
    return redirect("workload_list")
