"""Server time and query count of pages, measured in-process with Django's test client.

Each page is timed in alternation with the bare view (bench/urls.py), request for request, so both see the
same machine load and the ratio holds even on a busy machine. The time is the whole Django request: every
middleware, the view, the template and the response, without a network or a browser. Query counts come from
one more request under CaptureQueriesContext, kept apart because capturing slows the queries down.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.models import Answer, Review, User

from .figures import Figure

BARE_URL = "/__bench__/bare/"

Request = Callable[[], HttpResponse]


class BenchError(Exception):
    """A request did not do what the benchmark measures: the figures would be meaningless."""


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _expect(response: HttpResponse, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what} answered {response.status_code}, expected {status}")


@dataclass
class Paired:
    page: list[float]
    bare: list[float]
    queries: int

    @property
    def ratio(self) -> float:
        page = Figure.of("", self.page).median_ms
        bare = Figure.of("", self.bare).median_ms
        return round(page / bare, 2)


def measure(
    client: Client,
    request: Request,
    *,
    requests: int,
    warmup: int,
    status: int = 200,
    budget_s: float = 45.0,
    minimum: int = 30,
) -> Paired:
    """Time `request` `requests` times, each right after one request to the bare view by the same client.

    A slow page stops early once `budget_s` seconds went into it and `minimum` requests were timed, so one
    slow page cannot stretch `make bench` past its time budget; the figure says how many requests it took.
    """

    def bare() -> HttpResponse:
        return client.get(BARE_URL)

    warm_until = time.monotonic() + budget_s / 5
    for done in range(warmup):
        if done >= 3 and time.monotonic() > warm_until:
            break
        _expect(bare(), 200, "the bare view")
        _expect(request(), status, "the page")
    gc.collect()
    page_times, bare_times = [], []
    deadline = time.monotonic() + budget_s
    for _ in range(requests):
        if len(page_times) >= minimum and time.monotonic() > deadline:
            break
        for target, times, expected in ((bare, bare_times, 200), (request, page_times, status)):
            started = time.perf_counter()
            response = target()
            times.append(time.perf_counter() - started)
            _expect(response, expected, "the bare view" if target is bare else "the page")
    with CaptureQueriesContext(connection) as captured:
        _expect(request(), status, "the page")
    return Paired(page=page_times, bare=bare_times, queries=len(captured))


def page_figure(name: str, paired: Paired, **extra: object) -> Figure:
    extra = {"requests": len(paired.page), **extra}
    return Figure.of(name, paired.page, queries=paired.queries, ratio_to_bare=paired.ratio, extra=extra)


def bare_figure(name: str, runs: list[Paired], queries: int) -> Figure:
    """The bare view over every request made next to a page."""
    samples = [sample for run in runs for sample in run.bare]
    return Figure.of(name, samples, queries=queries, ratio_to_bare=1.0, extra={"requests": len(samples)})


def bare_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        _expect(client.get(BARE_URL), 200, "the bare view")
    return len(captured)


class AnswerToggler:
    """An htmx save of one answer that alternates between two states, so every save is a real change.

    The states differ by one best practice: each save changes the answer, its risk where the level says so,
    one improvement item (resolved, then reopened) and writes their audit entries, as a person's click does.
    """

    def __init__(self, client: Client, answer: Answer, code: str) -> None:
        self.client = client
        self.answer = answer
        self.url = reverse(
            "review_question", kwargs={"review_id": answer.review_id, "question_code": answer.question.code}
        )
        self.version = answer.version
        base = set(answer.selected)
        self.states = [sorted(base | {code}), sorted(base - {code})]
        if self.states[0] == sorted(base):
            self.states.reverse()  # start with the state that differs from what is stored
        self.turn = 0

    def __call__(self) -> HttpResponse:
        data: dict[str, object] = {
            "base_version": str(self.version),
            "selected": self.states[self.turn % 2],
            "notes": self.answer.notes,
        }
        data.update({f"na_{code}": why for code, why in self.answer.choices_not_applicable.items()})
        response = self.client.post(self.url, data, HTTP_HX_REQUEST="true")
        # The save answers with the version it stored (app.js reads the same header).
        saved = response.headers.get("X-Answer-Saved", "")
        if response.status_code != 200 or saved != str(self.version + 1):
            raise BenchError(
                f"an answer save was not saved as version {self.version + 1}: {response.content[:300]!r}"
            )
        self.version += 1
        self.turn += 1
        return response


def pick_toggle(review: Review) -> tuple[Answer, str]:
    """An applicable answer on `review` and a HIGH-level best practice of it to tick and untick."""
    answers = Answer.objects.filter(review=review, is_applicable=True).select_related("question")
    for answer in answers.order_by("question__order"):
        for bp in answer.question.best_practices.order_by("order"):
            # Both states stay answered: something else remains selected without this practice.
            if (
                bp.level == "HIGH"
                and bp.code not in answer.choices_not_applicable
                and not answer.none_of_these
                and set(answer.selected) - {bp.code}
            ):
                return answer, bp.code
    raise BenchError(f"review {review.pk} has no answer with a best practice to toggle")


def page_request(client: Client, url: str) -> Request:
    return lambda: client.get(url)
