"""Answer saves per second with concurrent clients against gunicorn, as in production.

gunicorn serves the app on a free loopback port; each client thread signs in through the real sign-in form as
a different contributor, opens a question of a review of its own team, and saves it over and over as htmx
does, alternating two states so every save is a real change (answer, risk, improvement item, audit entries).
Clients never share an answer, so a conflict or an error is a fault of the server, counted as such.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.urls import reverse

from reviewapp.models import Answer, User

from .figures import Figure
from .pages import BenchError, pick_toggle

ROOT = Path(__file__).resolve().parent.parent
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
_BASE_VERSION = re.compile(r'name="base_version" id="base-version" value="(\d+)"')
# A successful htmx save swaps in the version it stored as the form's new base version.
_SAVED_VERSION = re.compile(r'class="save-ok".*?id="base-version" value="(\d+)"', re.DOTALL)
TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn on 127.0.0.1 with `workers` sync workers, logging to bench/gunicorn.log."""

    def __init__(self, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "bench" / "gunicorn.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        command = [
            sys.executable, "-m", "gunicorn", "reviewapp.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "60",
        ]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise BenchError(f"gunicorn did not answer /healthz within 60 s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        # Plain HTTP on loopback: cookies marked Secure would never come back from the client.
        SECURE_COOKIES="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="0",
    )
    return env


class NoChange(Exception):
    """The state sent is the one stored: not a save, not an error."""


@dataclass
class ClientResult:
    saves: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class SavingClient:
    """One browser-like client: a cookie jar, the CSRF token, and the answer it keeps saving."""

    def __init__(self, base: str, username: str, password: str, answer: Answer, code: str) -> None:
        self.base = base
        self.username = username
        self.password = password
        self.url = reverse(
            "review_question", kwargs={"review_id": answer.review_id, "question_code": answer.question.code}
        )
        selected = set(answer.selected)
        self.states = [sorted(selected ^ {code}), sorted(selected)]
        self.notes = answer.notes
        self.choices_na = dict(answer.choices_not_applicable)
        self.jar = http.cookiejar.CookieJar()
        # Only our loopback URLs are opened; the scheme is always http.
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))  # noqa: S310
        self.csrf = ""
        self.version = 0

    def _open(self, path: str, data: dict | list | None = None, headers: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return response.read().decode()

    def sign_in(self) -> None:
        page = self._open(reverse("login"))
        token = _CSRF_INPUT.search(page)
        if token is None:
            raise BenchError("the sign-in page has no CSRF token")
        data = {
            "username": self.username,
            "password": self.password,
            "csrfmiddlewaretoken": token[1],
            "next": self.url,
        }
        page = self._open(reverse("login"), data)
        version, header = _BASE_VERSION.search(page), _CSRF_HEADER.search(page)
        if version is None or header is None:
            raise BenchError(f"{self.username} could not sign in and open {self.url}")
        self.version, self.csrf = int(version[1]), html.unescape(header[1])

    def save(self, turn: int) -> None:
        data: list[tuple[str, str]] = [("base_version", str(self.version)), ("notes", self.notes)]
        data += [("selected", code) for code in self.states[turn % 2]]
        data += [(f"na_{code}", why) for code, why in self.choices_na.items()]
        page = self._open(self.url, data, {"HX-Request": "true", "X-CSRFToken": self.csrf})
        saved = _SAVED_VERSION.search(page)
        if saved is not None and int(saved[1]) == self.version:
            raise NoChange()  # after signing in again the server already held this state
        if saved is None or int(saved[1]) != self.version + 1:
            raise BenchError(f"save of version {self.version + 1} was refused: {page[:200]!r}")
        self.version += 1

    def run(self, stop_at: float, result: ClientResult) -> None:
        turn = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                self.save(turn)
            except NoChange:
                pass
            except (BenchError, urllib.error.URLError, OSError) as exc:
                result.errors += 1
                result.problems.append(str(exc)[:200])
                # Start again from what the server holds now, as a person reloading the page would.
                try:
                    self.sign_in()
                except (BenchError, urllib.error.URLError, OSError) as again:
                    result.problems.append(f"signing in again: {str(again)[:160]}")
                    time.sleep(0.1)
            else:
                result.saves += 1
                result.latencies.append(time.perf_counter() - started)
            turn += 1


def saving_clients(count: int) -> list[tuple[str, Answer, str]]:
    """`count` contributors, each with an answer of a different review of their own team."""
    chosen: list[tuple[str, Answer, str]] = []
    users = User.objects.filter(memberships__role="CONTRIBUTOR").order_by("username").distinct()
    for user in users:
        membership = user.memberships.first()
        answers = Answer.objects.filter(review__workload__team_id=membership.team_id).exclude(
            review_id__in=[answer.review_id for _, answer, _ in chosen]
        )
        first = answers.select_related("review").first()
        if first is None:
            continue
        answer, code = pick_toggle(first.review)
        chosen.append((user.username, answer, code))
        if len(chosen) == count:
            return chosen
    raise BenchError(f"only {len(chosen)} contributors with a review to save; {count} clients were asked for")


def saves_per_second(
    *, database_url: str, password: str, workers: int, clients: int, duration: float
) -> Figure:
    plans = saving_clients(clients)
    with Gunicorn(workers, gunicorn_env(database_url)) as server:
        savers = [
            SavingClient(server.base, username, password, answer, code) for username, answer, code in plans
        ]
        for saver in savers:
            saver.sign_in()
        results = [ClientResult() for _ in savers]
        stop_at = time.monotonic() + duration
        started = time.perf_counter()
        threads = [
            threading.Thread(target=saver.run, args=(stop_at, result), name=f"bench-client-{n}")
            for n, (saver, result) in enumerate(zip(savers, results, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    saves = sum(result.saves for result in results)
    errors = sum(result.errors for result in results)
    latencies = [latency for result in results for latency in result.latencies] or [0.0]
    problems = [problem for result in results for problem in result.problems][:5]
    return Figure.of(
        "answer saves against gunicorn (per save, under load)",
        latencies,
        extra={
            "saves_per_second": round(saves / elapsed, 1),
            "saves": saves,
            "errors": errors,
            "clients": clients,
            "gunicorn_workers": workers,
            "duration_s": round(elapsed, 1),
            **({"first_errors": problems} if problems else {}),
        },
    )
