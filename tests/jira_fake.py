"""A fake Jira REST API on loopback, written from Jira's documented v2 endpoints, for the integration's tests.

It serves what the app calls: myself, project, create issue, get issue, search (Cloud's /search/jql and Data
Center's /search, JQL limited to `project = "X" AND labels = "y"`), transitions (list and make), comment, and
edit labels. It checks authentication the way each deployment does (Cloud: basic e-mail:token; Data Center:
bearer personal access token) and can be told to fail: any status with headers (401, 404, 429 + Retry-After,
5xx), a delay longer than the client's timeout, or a redirect. Each test module starts its own server on a
random port (fixture `jira` in tests/reviewapp/conftest_jira.py); `reset()` clears it between tests.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EMAIL = "robot@example.test"
TOKEN = "fake-jira-token-4f9c2a7d1e"
STATUSES = {
    "To Do": "new",
    "In Progress": "indeterminate",
    "Done": "done",
}
TRANSITIONS = [
    {"id": "11", "name": "Back to do", "to": "To Do"},
    {"id": "21", "name": "Start", "to": "In Progress"},
    {"id": "31", "name": "Finish", "to": "Done"},
]
JQL = re.compile(r'^project = "(?P<project>[A-Z0-9_]+)" AND labels = "(?P<label>[^"]+)"$')


@dataclass
class Failure:
    pattern: str
    status: int
    headers: dict[str, str]
    times: int
    delay: float = 0.0


@dataclass
class FakeJira:
    project: str = "SEC"
    deployment: str = "CLOUD"
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counter: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self, deployment: str = "CLOUD") -> None:
        with self.lock:
            self.deployment = deployment
            self.issues.clear()
            self.comments.clear()
            self.requests.clear()
            self.failures.clear()
            self.counter = 0

    def fail(self, pattern: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
             delay: float = 0.0) -> None:  # fmt: skip
        """The next `times` requests whose "METHOD /path" contains `pattern` answer `status`."""
        self.failures.append(Failure(pattern, status, headers or {}, times, delay))

    def add_issue(
        self, summary: str = "Existing", status: str = "To Do", labels: list[str] | None = None
    ) -> str:
        with self.lock:
            self.counter += 1
            key = f"{self.project}-{self.counter}"
            self.issues[key] = {"id": str(10000 + self.counter), "summary": summary, "status": status,
                                "labels": list(labels or []), "fields": {}}  # fmt: skip
        return key

    def set_status(self, key: str, status: str) -> None:
        self.issues[key]["status"] = status

    def created(self) -> list[str]:
        return [path for method, path in self.requests if method == "POST" and path == "/rest/api/2/issue"]

    # --- request handling --------------------------------------------------------------------------------

    def authorised(self, header: str) -> bool:
        if self.deployment == "CLOUD":
            expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        else:
            expected = f"Bearer {TOKEN}"
        return header == expected

    def issue_json(self, key: str) -> dict[str, Any]:
        issue = self.issues[key]
        name = issue["status"]
        return {
            "id": issue["id"],
            "key": key,
            "self": f"/rest/api/2/issue/{issue['id']}",
            "fields": {
                "summary": issue["summary"],
                "labels": issue["labels"],
                "status": {"name": name, "statusCategory": {"key": STATUSES[name]}},
            },
        }

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict]:
        if path == "/rest/api/2/myself" and method == "GET":
            return 200, {"displayName": "Review Robot", "emailAddress": EMAIL}, {}
        if match := re.fullmatch(r"/rest/api/2/project/([A-Z0-9_]+)", path):
            if match[1] != self.project:
                return 404, {"errorMessages": [f"No project could be found with key '{match[1]}'."]}, {}
            return 200, {"key": self.project, "name": "Security"}, {}
        if path == "/rest/api/2/issue" and method == "POST":
            fields = (body or {}).get("fields") or {}
            if (fields.get("project") or {}).get("key") != self.project:
                return 400, {"errorMessages": [], "errors": {"project": "valid project is required"}}, {}
            if (fields.get("issuetype") or {}).get("name") not in ("Task", "Bug"):
                return 400, {"errorMessages": [], "errors": {"issuetype": "Specify a valid issue type"}}, {}
            key = self.add_issue(fields.get("summary", ""), labels=fields.get("labels"))
            self.issues[key]["fields"] = fields
            return 201, {"id": self.issues[key]["id"], "key": key, "self": f"/rest/api/2/issue/{key}"}, {}
        search = "/rest/api/2/search/jql" if self.deployment == "CLOUD" else "/rest/api/2/search"
        if path == search and method == "GET":
            match = JQL.match((query.get("jql") or [""])[0])
            if not match:
                return 400, {"errorMessages": ["The JQL query is not supported by the fake."]}, {}
            found = [self.issue_json(key) for key, issue in self.issues.items()
                     if key.startswith(match["project"] + "-") and match["label"] in issue["labels"]]  # fmt: skip
            return 200, {"issues": found}, {}
        if match := re.fullmatch(r"/rest/api/2/issue/([A-Z0-9_]+-\d+)(/transitions|/comment)?", path):
            key, tail = match[1], match[2]
            if key not in self.issues:
                return (
                    404,
                    {"errorMessages": ["Issue does not exist or you do not have permission to see it."]},
                    {},
                )
            if tail is None and method == "GET":
                return 200, self.issue_json(key), {}
            if tail is None and method == "PUT":
                for change in ((body or {}).get("update") or {}).get("labels") or []:
                    if "add" in change and change["add"] not in self.issues[key]["labels"]:
                        self.issues[key]["labels"].append(change["add"])
                return 204, None, {}
            if tail == "/transitions" and method == "GET":
                return 200, {"transitions": [
                    {"id": t["id"], "name": t["name"],
                     "to": {"name": t["to"], "statusCategory": {"key": STATUSES[t["to"]]}}}
                    for t in TRANSITIONS
                ]}, {}  # fmt: skip
            if tail == "/transitions" and method == "POST":
                wanted = ((body or {}).get("transition") or {}).get("id")
                transition = next((t for t in TRANSITIONS if t["id"] == wanted), None)
                if transition is None:
                    return 400, {"errorMessages": ["Transition id is not valid."]}, {}
                self.issues[key]["status"] = transition["to"]
                return 204, None, {}
            if tail == "/comment" and method == "POST":
                self.comments.setdefault(key, []).append((body or {}).get("body", ""))
                return 201, {"id": "1", "body": (body or {}).get("body", "")}, {}
        return 404, {"errorMessages": [f"No such endpoint in the fake: {method} {path}"]}, {}


def _handler(fake: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.requests.append((method, parts.path))
            signature = f"{method} {parts.path}"
            failure = next((f for f in fake.failures if f.pattern in signature and f.times > 0), None)
            if failure is not None:
                failure.times -= 1
                if failure.delay:
                    time.sleep(failure.delay)
                self._answer(
                    failure.status, {"errorMessages": [f"Injected {failure.status}"]}, failure.headers
                )
                return
            if not fake.authorised(self.headers.get("Authorization", "")):
                self._answer(401, {"errorMessages": ["You are not authenticated."]}, {})
                return
            body = json.loads(raw) if raw else None
            with fake.lock:
                status, payload, headers = fake.handle(method, parts.path, parse_qs(parts.query), body)
            self._answer(status, payload, headers)

        def _answer(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

    return Handler


class FakeJiraServer:
    """The fake on 127.0.0.1 at a random free port, served from a daemon thread."""

    def __init__(self) -> None:
        self.fake = FakeJira()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeJira:
        self.thread.start()
        self.fake.url = self.url  # type: ignore[attr-defined]
        return self.fake

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed): an unreachable Jira."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
