"""WA Tool choice ids as data: the AWS doc page slug is a separate fact, and a practice may carry aliases."""

from __future__ import annotations

import copy
import json

import pytest

from questionnaire.catalogue import LENS_DIR, lens_version_store, own_lens_doc
from questionnaire.models import BestPractice, Lens

pytestmark = pytest.mark.django_db


def builtin_data() -> dict:
    return json.loads((LENS_DIR / "security-pillar.json").read_text(encoding="utf-8"))


def practice_data(data: dict, code: str) -> dict:
    return next(bp for q in data["pillars"][0]["questions"] for bp in q["best_practices"] if bp["id"] == code)


def test_sec05_bp04_knows_both_tool_ids_and_links_to_its_doc_page():
    practice = BestPractice.objects.get(
        code="SEC05-BP04", question__lens_version__lens__slug="wellarchitected-security"
    )
    assert practice.choice_id == "sec_network_auto_protect"
    assert practice.choice_aliases == ["sec_network_protection_auto_protect"]
    assert practice.doc_url.endswith("/framework/sec_network_auto_protect.html")


def test_the_doc_link_comes_from_the_doc_slug_not_the_choice_id():
    data = builtin_data()
    practice_data(data, "SEC05-BP04")["choice_id"] = "sec_network_protection_auto_protect"

    doc = own_lens_doc(data)

    practice = next(bp for q in doc.questions() for bp in q.best_practices if bp.code == "SEC05-BP04")
    assert practice.choice_id == "sec_network_protection_auto_protect"
    assert practice.doc_url.endswith("/sec_network_auto_protect.html")


def test_aliases_are_mapping_data_not_content():
    data = builtin_data()
    without = copy.deepcopy(data)
    del practice_data(without, "SEC05-BP04")["choice_aliases"]

    assert own_lens_doc(data).content_sha256() == own_lens_doc(without).content_sha256()


def test_a_learned_alias_reaches_the_version_reviews_already_pin():
    lens = Lens.objects.get(slug="wellarchitected-security")
    versions = lens.versions.count()
    data = builtin_data()
    practice_data(data, "SEC01-BP01")["choice_aliases"] = ["sec_securely_operate_multi_accounts_v0"]

    version, created = lens_version_store(own_lens_doc(data))

    assert not created and lens.versions.count() == versions
    stored = BestPractice.objects.get(question__lens_version=version, code="SEC01-BP01")
    assert stored.choice_aliases == ["sec_securely_operate_multi_accounts_v0"]
    assert version.tool_lens_versions == ["2023-10-03", "2024-06-27"]
