"""The outbound HTTP client for Jira's REST API (v2, which Cloud and Data Center both serve).

Only what the sync needs: create an issue, read one, search with JQL, list and make transitions, comment, add a
label, and read the caller's own account to test a connection. Standard library only (urllib): no dependency
for six calls.

Safety: only http(s) URLs (plain http only on loopback, for tests and local instances); no redirect to another
host (a redirect would carry the token elsewhere); a timeout on every call; responses read up to a size limit;
the token never appears in a message, an exception or a log line (only method, path and status are logged).
A failure becomes a JiraError with a message a person can act on, whether it can be retried, and how long
Jira asked us to wait (429 Retry-After).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 2 * 1024 * 1024
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class JiraError(Exception):
    """A call to Jira failed. `message` is safe to show; `retryable` says whether trying later may help."""

    def __init__(
        self, message: str, *, kind: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in {"rate_limited", "server", "timeout", "unreachable", "auth", "not_found"}


def site_url_problem(url: str) -> str | None:
    """Why `url` cannot be a Jira site address, or None. Checked when saved and again before every call."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return "Enter the site's address starting with https://, such as https://example.atlassian.net."
    if not parts.hostname:
        return "The address has no host name."
    if parts.username or parts.password:
        return "Leave credentials out of the address: the token goes in its own field."
    if parts.query or parts.fragment:
        return "Enter the site's address only, without ?query or #fragment."
    host = parts.hostname.lower()
    if parts.scheme == "http" and host not in LOOPBACK_NAMES and not host.startswith("127."):
        return "Use https://: the API token must not travel unencrypted (plain http only on this machine)."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
        return "That address cannot be a Jira site."
    return None


@dataclass(frozen=True)
class Credentials:
    deployment: str  # "CLOUD": e-mail + API token (basic); "DATA_CENTER": personal access token (bearer)
    email: str
    token: str

    def header(self) -> str:
        if self.deployment == "CLOUD":
            pair = f"{self.email}:{self.token}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return f"Bearer {self.token}"


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the same scheme, host and port; anything else is refused."""

    max_redirections = 3

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            raise JiraError(
                f"Jira answered with a redirect to {new.scheme}://{new.hostname}; redirects to another host "
                "are not followed. Enter the site's final address.",
                kind="redirect",
                status=code,
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # Built by hand rather than build_opener(), which would also add file:, ftp: and data: handlers.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _SameHostRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def _jira_messages(body: bytes) -> str:
    """Jira's own error text ({"errorMessages": [...], "errors": {field: text}}), or nothing."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(text) for text in data.get("errorMessages") or []]
    parts += [f"{field}: {text}" for field, text in (data.get("errors") or {}).items()]
    return "; ".join(parts)[:500]


class JiraClient:
    def __init__(self, *, site_url: str, credentials: Credentials, timeout: float | None = None) -> None:
        problem = site_url_problem(site_url)
        if problem:
            raise JiraError(problem, kind="refused")
        self.base = site_url.strip().rstrip("/")
        self.credentials = credentials
        self.timeout = settings.JIRA_TIMEOUT if timeout is None else timeout
        self._opener = _opener()

    def _check_resolved_host(self) -> None:
        """Refuse a host name that resolves to a link-local address (cloud metadata services live there)."""
        host = urlsplit(self.base).hostname or ""
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError as exc:
            raise JiraError(
                f"Could not reach Jira at {self.base}: {exc.strerror or exc}.", kind="unreachable"
            ) from exc
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address.is_link_local or address.is_multicast or address.is_unspecified:
                raise JiraError(f"{host} resolves to an address that cannot be a Jira site.", kind="refused")

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One call; the decoded JSON answer (None when empty). Raises JiraError."""
        url = f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")
        self._check_resolved_host()
        data = json.dumps(body).encode() if body is not None else None
        # The scheme was checked (http/https only) when the client was made, and the opener has no other handler.
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310  # nosec B310
        request.add_header("Authorization", self.credentials.header())
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = response.read(MAX_RESPONSE_BYTES + 1)
                status = response.status
        except urllib.error.HTTPError as exc:
            payload = exc.read(MAX_RESPONSE_BYTES) if exc.fp else b""
            logger.info("jira %s %s answered %s", method, path, exc.code)
            raise self._http_error(exc.code, payload, exc.headers) from None
        except JiraError:
            raise
        except TimeoutError as exc:
            logger.info("jira %s %s timed out", method, path)
            raise JiraError(f"Jira did not answer within {self.timeout:g} seconds.", kind="timeout") from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise JiraError(
                    f"Jira did not answer within {self.timeout:g} seconds.", kind="timeout"
                ) from exc
            detail = getattr(reason, "strerror", None) or str(reason)
            logger.info("jira %s %s unreachable: %s", method, path, detail)
            raise JiraError(f"Could not reach Jira at {self.base}: {detail}.", kind="unreachable") from exc
        except OSError as exc:
            raise JiraError(
                f"Could not reach Jira at {self.base}: {exc.strerror or exc}.", kind="unreachable"
            ) from exc
        if len(payload) > MAX_RESPONSE_BYTES:
            raise JiraError("Jira's answer was larger than expected and was not read.", kind="protocol")
        logger.debug("jira %s %s answered %s", method, path, status)
        if not payload:
            return None
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise JiraError(
                "The site answered with something that is not Jira's JSON; check the site address.",
                kind="protocol",
            ) from exc

    def _http_error(self, status: int, payload: bytes, headers: Any) -> JiraError:
        said = _jira_messages(payload)
        suffix = f" Jira said: {said}" if said else ""
        if status in (401, 403):
            return JiraError(
                f"Jira refused the credentials ({status}). Check the API token and account in the team's Jira "
                f"settings, and that the account may use project issues.{suffix}",
                kind="auth",
                status=status,
            )
        if status == 404:
            return JiraError(
                f"Jira found no such issue or project (404).{suffix}", kind="not_found", status=status
            )
        if status == 429:
            wait = _retry_after(headers.get("Retry-After") if headers else None)
            when = f" for {wait:g} seconds" if wait is not None else ""
            return JiraError(
                f"Jira is limiting requests (429); the sync waits{when} and tries again.",
                kind="rate_limited",
                status=status,
                retry_after=wait,
            )
        if status >= 500:
            return JiraError(
                f"Jira had a server error ({status}); the sync tries again later.{suffix}",
                kind="server",
                status=status,
            )
        return JiraError(f"Jira refused the request ({status}).{suffix}", kind="refused", status=status)

    # --- Jira's documented endpoints ------------------------------------------------------------------------

    def myself(self) -> dict[str, Any]:
        return self.request("GET", "/rest/api/2/myself") or {}

    def project(self, key: str) -> dict[str, Any]:
        return self.request("GET", f"/rest/api/2/project/{quote(key)}") or {}

    def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/rest/api/2/issue", body={"fields": fields}) or {}

    def get_issue(self, key: str) -> dict[str, Any]:
        return (
            self.request("GET", f"/rest/api/2/issue/{quote(key)}", params={"fields": "status,summary"}) or {}
        )

    def search(self, jql: str) -> list[dict[str, Any]]:
        # Cloud retired /search for /search/jql (token paging); Data Center keeps /search.
        path = "/rest/api/2/search/jql" if self.credentials.deployment == "CLOUD" else "/rest/api/2/search"
        answer = self.request("GET", path, params={"jql": jql, "fields": "status,summary", "maxResults": 5})
        return list((answer or {}).get("issues") or [])

    def transitions(self, key: str) -> list[dict[str, Any]]:
        answer = self.request("GET", f"/rest/api/2/issue/{quote(key)}/transitions")
        return list((answer or {}).get("transitions") or [])

    def transition(self, key: str, transition_id: str) -> None:
        self.request(
            "POST", f"/rest/api/2/issue/{quote(key)}/transitions", body={"transition": {"id": transition_id}}
        )

    def add_comment(self, key: str, text: str) -> None:
        self.request("POST", f"/rest/api/2/issue/{quote(key)}/comment", body={"body": text})

    def add_label(self, key: str, label: str) -> None:
        self.request("PUT", f"/rest/api/2/issue/{quote(key)}", body={"update": {"labels": [{"add": label}]}})


def status_of(issue: dict[str, Any]) -> tuple[str, str]:
    """(status name, status category key: "new", "indeterminate" or "done") of an issue as Jira returns it."""
    status = ((issue.get("fields") or {}).get("status")) or {}
    return str(status.get("name") or ""), str((status.get("statusCategory") or {}).get("key") or "")


__all__ = ["Credentials", "JiraClient", "JiraError", "site_url_problem", "status_of"]
