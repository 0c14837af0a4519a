"""Container health probe: `python reviewapp/lib/probe.py /healthz` exits 0 when the local app answers 200.

Run as a script by the Dockerfile's HEALTHCHECK and docker-compose.yml, so it uses the standard library only
(the image has no curl) and imports nothing of the app. It sends a Host header from ALLOWED_HOSTS, because
Django answers 400 to any other host and the probe must not weaken that check.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0
# Where gunicorn listens in the container (the Dockerfile's CMD and docker-compose.yml bind 0.0.0.0:8000).
PORT = 8000


def host_header(allowed_hosts: str) -> str:
    for host in (part.strip() for part in allowed_hosts.split(",")):
        if host and host != "*":
            # ".example.com" allows example.com and its subdomains.
            return host.lstrip(".")
    # Django's own default when ALLOWED_HOSTS is unset (see settings.py).
    return "localhost"


def probe(path: str, allowed_hosts: str, port: int = PORT) -> int:
    request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
        f"http://127.0.0.1:{port}{path}", headers={"Host": host_header(allowed_hosts)}
    )
    # No proxies: a proxy configured for the app's outbound calls must not see (or answer) the probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{path}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].startswith("/"):
        print("usage: probe.py /healthz", file=sys.stderr)
        return 2
    return probe(argv[1], os.environ.get("ALLOWED_HOSTS", ""))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
