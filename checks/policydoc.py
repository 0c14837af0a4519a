"""Reading IAM policy documents (identity, bucket, function, key policies) the way AWS evaluates them, for the
checks that judge who a policy lets in.

Pure functions over the parsed JSON: no AWS calls, no Django.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

# Condition keys that tie a statement to known callers or networks: with one of them (and no wildcard value) a
# `Principal: *` statement is not open to the world. Lower case: IAM compares key names case-insensitively.
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:userid",
        "kms:calleraccount",
        "s3:dataaccesspointaccount",
    }
)


def document(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """A policy as a dict, whether AWS returned it parsed, as JSON or URL-encoded JSON (IAM does)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    text = raw if raw.lstrip().startswith("{") else unquote(raw)
    return json.loads(text)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, dict)]


def is_public_principal(statement: dict[str, Any]) -> bool:
    """`Principal: "*"` or `{"AWS": "*"}`: any AWS account, authenticated or not."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


def principal_accounts(statement: dict[str, Any]) -> set[str]:
    """The 12-digit accounts named as AWS principals (account ids, root ARNs, role or user ARNs)."""
    principal = statement.get("Principal")
    values = as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    accounts = set()
    for value in values:
        text = str(value)
        if text.isdigit() and len(text) == 12:
            accounts.add(text)
        elif text.startswith("arn:") and len(text.split(":")) > 4 and text.split(":")[4].isdigit():
            accounts.add(text.split(":")[4])
    return accounts


def condition_keys(statement: dict[str, Any]) -> dict[str, list[str]]:
    """{lower-case condition key: its values}, over every operator."""
    keys: dict[str, list[str]] = {}
    for operator_values in (statement.get("Condition") or {}).values():
        if not isinstance(operator_values, dict):
            continue
        for key, values in operator_values.items():
            keys.setdefault(key.lower(), []).extend(str(v) for v in as_list(values))
    return keys


def is_restricted(statement: dict[str, Any]) -> bool:
    """True when a condition limits the statement to known accounts, organisations or networks."""
    for key, values in condition_keys(statement).items():
        if key in RESTRICTING_KEYS and values and not any(value.strip() in ("*", "") for value in values):
            return True
    return False


def public_grants(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The Allow statements anyone may use: a public principal and no restricting condition."""
    return [
        statement
        for statement in statements(policy)
        if statement.get("Effect") == "Allow"
        and is_public_principal(statement)
        and not is_restricted(statement)
    ]


def matches(pattern: str, value: str) -> bool:
    """IAM wildcard matching (`*` and `?`); action names compare case-insensitively."""
    return fnmatchcase(value.lower(), str(pattern).lower())


def grants_everything(statement: dict[str, Any]) -> bool:
    """An Allow of every action on every resource ("Action": "*" or "*:*", "Resource": "*")."""
    if statement.get("Effect") != "Allow" or "NotAction" in statement or "NotResource" in statement:
        return False
    actions = [str(a) for a in as_list(statement.get("Action"))]
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    return any(a in ("*", "*:*") for a in actions) and "*" in resources


def describe_statement(statement: dict[str, Any]) -> str:
    """A short label for messages: the statement id, or its actions."""
    if statement.get("Sid"):
        return f"statement {statement['Sid']}"
    actions = ", ".join(str(a) for a in as_list(statement.get("Action"))[:3]) or "(no actions)"
    return f"the statement allowing {actions}"
