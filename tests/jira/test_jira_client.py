"""The outbound Jira client: http(s) only, no redirect to another host, a timeout on every call, both ways
of signing in, Retry-After read in both forms, and the token never in a message or a log line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from reviewapp.jira.client import Credentials, JiraClient, JiraError, site_url_problem
from tests.jira_fake import EMAIL, TOKEN, free_port


def client(url: str, deployment: str = "CLOUD", token: str = TOKEN) -> JiraClient:
    return JiraClient(site_url=url, credentials=Credentials(deployment, EMAIL, token), timeout=2)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "starting with https://"),
        ("ftp://jira.example.test", "starting with https://"),
        ("http://jira.example.test", "Use https://"),
        ("https://user:secret@jira.example.test", "Leave credentials out"),
        ("https://169.254.169.254", "cannot be a Jira site"),
        ("https://jira.example.test/?x=1", "without ?query"),
    ],
)
def test_it_refuses_addresses_that_are_not_a_jira_site(url, problem):
    assert problem in site_url_problem(url)
    with pytest.raises(JiraError, match="https|credentials|Jira site|query"):
        client(url)


def test_https_and_loopback_http_are_accepted():
    assert site_url_problem("https://example.atlassian.net") is None
    assert site_url_problem("http://127.0.0.1:8080") is None


def test_cloud_signs_in_with_email_and_token_and_data_center_with_a_bearer_token(jira):
    assert client(jira.url).myself()["displayName"] == "Review Robot"
    jira.reset(deployment="DATA_CENTER")
    assert client(jira.url, "DATA_CENTER").myself()["displayName"] == "Review Robot"
    with pytest.raises(JiraError) as refused:
        client(jira.url, "CLOUD").myself()
    assert refused.value.status == 401 and refused.value.kind == "auth"


def test_a_redirect_to_another_host_is_not_followed(jira):
    jira.fail("/myself", 302, headers={"Location": "https://elsewhere.example.test/rest/api/2/myself"})
    with pytest.raises(JiraError, match="redirects to another host are not followed") as refused:
        client(jira.url).myself()
    assert refused.value.kind == "redirect"
    assert [path for _, path in jira.requests] == ["/rest/api/2/myself"]


def test_a_redirect_on_the_same_host_is_followed(jira):
    jira.fail("GET /rest/api/2/project/OLD", 301, headers={"Location": f"{jira.url}/rest/api/2/project/SEC"})
    assert client(jira.url).project("OLD")["key"] == "SEC"


def test_retry_after_is_read_as_seconds_or_as_a_date(jira):
    jira.fail("/myself", 429, headers={"Retry-After": "42"})
    with pytest.raises(JiraError) as seconds:
        client(jira.url).myself()
    assert seconds.value.retry_after == 42
    later = timezone.now() + timedelta(seconds=120)
    jira.fail("/myself", 429, headers={"Retry-After": http_date(later.timestamp())})
    with pytest.raises(JiraError) as date:
        client(jira.url).myself()
    assert 100 < date.value.retry_after <= 120


def test_a_slow_jira_times_out(jira):
    jira.fail("/myself", 200, delay=3)
    with pytest.raises(JiraError, match="did not answer within 2 seconds") as slow:
        client(jira.url).myself()
    assert slow.value.kind == "timeout" and slow.value.retryable


def test_an_unreachable_host_says_so():
    with pytest.raises(JiraError, match="Could not reach Jira") as unreachable:
        client(f"http://127.0.0.1:{free_port()}").myself()
    assert unreachable.value.kind == "unreachable"


def test_jiras_own_error_text_is_passed_on(jira):
    with pytest.raises(JiraError, match="issuetype: Specify a valid issue type") as refused:
        client(jira.url).create_issue({"project": {"key": "SEC"}, "issuetype": {"name": "Epic saga"}})
    assert refused.value.status == 400 and not refused.value.retryable


def test_the_token_is_never_logged_nor_in_a_message(jira, caplog):
    secret = "token-that-must-never-show-9d8c7b"
    caplog.set_level(logging.DEBUG)
    failures = []
    for setup in (lambda: None, lambda: jira.fail("/myself", 503), lambda: jira.fail("/myself", 429)):
        setup()
        try:
            client(jira.url, token=secret).myself()
        except JiraError as error:
            failures.append(error)
    assert len(failures) == 3
    assert all(secret not in str(error) and secret not in error.message for error in failures)
    assert caplog.records and all(secret not in record.getMessage() for record in caplog.records)
