"""Rules for the workload fields the Well-Architected Tool also enforces: account ids, tags, regions, links.

Two layers share these rules: the web form parses what people type (text areas) into lists and dicts, and the
services check the lists and dicts themselves, so the API and scripts cannot store what the form would refuse.
Every message names the offending value, so a person can find it in a long list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from .aws_regions import REGION_NAMES

MAX_ACCOUNT_IDS = 100
MAX_TAGS = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256

_ACCOUNT_ID = re.compile(r"\d{12}")
_ACCOUNT_SEPARATORS = re.compile(r"[\s,;]+")

INDUSTRIES: tuple[str, ...] = (
    "Agriculture",
    "Automotive",
    "Defence",
    "Education",
    "Energy and utilities",
    "Financial services",
    "Gaming",
    "Government and public sector",
    "Healthcare",
    "Hospitality and travel",
    "Insurance",
    "Life sciences",
    "Manufacturing",
    "Media and entertainment",
    "Mining and resources",
    "Non-profit",
    "Professional services",
    "Real estate and construction",
    "Retail and wholesale",
    "Software and internet",
    "Telecommunications",
    "Transportation and logistics",
    "Other",
)


def _quote(value: str, limit: int = 40) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"“{shown}”"


# --- Account ids ---


def account_id_problems(account_ids: Iterable[str]) -> list[str]:
    """Messages for ids that are not 12 digits, for duplicates, and for too many ids."""
    ids = list(account_ids)
    problems = [
        f"{_quote(str(value))} is not an AWS account ID: an account ID is exactly 12 digits."
        for value in ids
        if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value)
    ]
    if len(set(map(str, ids))) != len(ids):
        problems.append("Each AWS account ID may appear only once.")
    if len(ids) > MAX_ACCOUNT_IDS:
        problems.append(
            f"A workload can list at most {MAX_ACCOUNT_IDS} AWS account IDs (you have {len(ids)})."
        )
    return problems


def parse_account_ids(text: str) -> list[str]:
    """One id per line or comma separated; duplicates dropped (first one kept), order kept."""
    values = [value for value in _ACCOUNT_SEPARATORS.split(text.strip()) if value]
    # Dashes are how the console shows ids (1234-5678-9012); accept that form too.
    values = [
        value.replace("-", "") if re.fullmatch(r"\d{4}-\d{4}-\d{4}", value) else value for value in values
    ]
    unique = list(dict.fromkeys(values))
    problems = account_id_problems(unique)
    if problems:
        raise ValidationError(problems)
    return unique


def format_account_ids(account_ids: Iterable[str]) -> str:
    return "\n".join(account_ids)


# --- Tags ---


def tag_problems(tags: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key.strip()) <= TAG_KEY_MAX:
            problems.append(f"Tag key {_quote(str(key))} must be 1 to {TAG_KEY_MAX} characters.")
        if not isinstance(value, str) or len(value) > TAG_VALUE_MAX:
            problems.append(f"The value of tag {_quote(str(key))} is longer than {TAG_VALUE_MAX} characters.")
    if len(tags) > MAX_TAGS:
        problems.append(f"A workload can have at most {MAX_TAGS} tags (you have {len(tags)}).")
    return problems


def parse_tags(text: str) -> dict[str, str]:
    """`key=value`, one per line; blank lines are ignored, the value may be empty, a key may not repeat."""
    tags: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            problems.append(f"Line {number}: {_quote(line)} is not key=value.")
        elif not key:
            problems.append(f"Line {number}: {_quote(line)} has no key before the “=”.")
        elif len(key) > TAG_KEY_MAX:
            problems.append(f"Line {number}: the key {_quote(key)} is longer than {TAG_KEY_MAX} characters.")
        elif len(value) > TAG_VALUE_MAX:
            problems.append(
                f"Line {number}: the value of {_quote(key)} is longer than {TAG_VALUE_MAX} characters "
                f"({len(value)})."
            )
        elif key in tags:
            problems.append(
                f"Line {number}: the key {_quote(key)} is already used on line {first_line[key]}."
            )
        else:
            tags[key] = value
            first_line[key] = number
    if len(tags) > MAX_TAGS:
        problems.append(f"A workload can have at most {MAX_TAGS} tags (you have {len(tags)}).")
    if problems:
        raise ValidationError(problems)
    return tags


def format_tags(tags: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in tags.items())


# --- Regions, locations and links ---


def region_problems(regions: Iterable[str]) -> list[str]:
    return [f"{_quote(str(code))} is not an AWS Region code." for code in regions if code not in REGION_NAMES]


def is_web_link(url: str) -> bool:
    """Only http(s) links: a diagram link is shown to other people, so no javascript:, data: or file: URLs."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def workload_field_problems(values: Mapping[str, object]) -> dict[str, list[str]]:
    """Per-field messages for a workload's complete set of values (what the services check before saving)."""
    errors: dict[str, list[str]] = {}
    regions = values.get("aws_regions") or []
    if not isinstance(regions, list):
        errors["aws_regions"] = ["AWS Regions must be a list of Region codes."]
    elif problems := region_problems(regions):
        errors["aws_regions"] = problems
    if not regions and not str(values.get("other_locations") or "").strip():
        errors.setdefault("aws_regions", []).append(
            "Choose at least one AWS Region or enter another location."
        )
    accounts = values.get("account_ids") or []
    if not isinstance(accounts, list):
        errors["account_ids"] = ["AWS account IDs must be a list."]
    elif problems := account_id_problems(accounts):
        errors["account_ids"] = problems
    tags = values.get("tags") or {}
    if not isinstance(tags, dict):
        errors["tags"] = ["Tags must be key/value pairs."]
    elif problems := tag_problems(tags):
        errors["tags"] = problems
    url = str(values.get("architecture_url") or "")
    if url and not is_web_link(url):
        errors["architecture_url"] = [
            "The architecture diagram link must start with https:// or http://, with a host name after it."
        ]
    return errors
