"""The improvement plan page: order, filters, inline edits (htmx and plain), accepted risks, bulk actions,
exports, and who may do what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reviewapp.models import Answer, AuditEvent, ImprovementItem
from reviewapp.services import answer_record, review_start, workload_create
from tests.conftest import login

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true"}


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


@pytest.fixture
def planned(review, owner):
    """SEC1 with BP01 in place (seven items) and SEC4 answered "none of these" (four items)."""
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    record(review, owner, "SEC4", none_of_these=True)
    return review


def item(review, code) -> ImprovementItem:
    return ImprovementItem.objects.get(workload=review.workload, bp_code=code)


def plan_url(workload) -> str:
    return reverse("workload_plan", kwargs={"workload_id": workload.pk})


def edit_url(target) -> str:
    return reverse("plan_item_edit", kwargs={"workload_id": target.workload_id, "item_id": target.pk})


def accept_url(target) -> str:
    return reverse("plan_item_accept", kwargs={"workload_id": target.workload_id, "item_id": target.pk})


def bulk_url(workload) -> str:
    return reverse("plan_bulk", kwargs={"workload_id": workload.pk})


def edit_data(target, **overrides) -> dict:
    """The edit form as freshly loaded for `target`: its version is the one stored now."""
    version = ImprovementItem.objects.values_list("version", flat=True).get(pk=target.pk)
    fields = {
        "status": "OPEN",
        "owner": "",
        "due_date": "",
        "ticket_url": "",
        "notes": "",
        "version": version,
    }
    return fields | overrides


# --- Reading the plan ---------------------------------------------------------------------------------------


def test_it_lists_items_most_urgent_first(client, owner, planned):
    response = login(client, owner).get(plan_url(planned.workload))
    assert response.status_code == 200
    codes = [row.item.bp_code for row in response.context["rows"]]
    # Both questions are HIGH: HIGH-level practices first, then MEDIUM, then LOW, each in catalogue order.
    assert codes == [
        *("SEC01-BP02", "SEC01-BP03", "SEC01-BP04", "SEC01-BP07", "SEC04-BP01"),
        *("SEC01-BP05", "SEC01-BP06", "SEC04-BP02", "SEC04-BP04"),
        *("SEC01-BP08", "SEC04-BP03"),
    ]
    assert b' style="' not in response.content


def test_its_query_count_does_not_grow_with_the_number_of_items(client, owner, review):
    login(client, owner)
    record(review, owner, "SEC9", selected=["SEC09-BP01", "SEC09-BP02"])
    client.get(plan_url(review.workload))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(plan_url(review.workload)).context["rows"]) == 1
    for code in ("SEC1", "SEC2", "SEC3", "SEC10", "SEC11"):
        record(review, owner, code, none_of_these=True)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(plan_url(review.workload)).context["rows"]) == 40
    assert len(many) == len(few)


def test_it_filters_by_status_level_and_owner(client, owner, contributor, planned):
    ImprovementItem.objects.filter(bp_code="SEC04-BP02").update(status="IN_PROGRESS", owner=contributor)
    login(client, owner)
    url = plan_url(planned.workload)
    assert [r.item.bp_code for r in client.get(url, {"status": "IN_PROGRESS"}).context["rows"]] == [
        "SEC04-BP02"
    ]
    lows = client.get(url, {"level": "LOW"}).context["rows"]
    assert {r.item.bp_code for r in lows} == {"SEC01-BP08", "SEC04-BP03"}
    mine = client.get(url, {"owner": str(contributor.pk)}).context["rows"]
    assert [r.item.bp_code for r in mine] == ["SEC04-BP02"]


def test_viewers_read_the_plan_without_edit_controls(client, viewer, planned):
    response = login(client, viewer).get(plan_url(planned.workload))
    assert response.status_code == 200
    assert b"bulk-form" not in response.content and b"Accept risk" not in response.content


def test_outsiders_get_404(client, outsider, planned):
    assert login(client, outsider).get(plan_url(planned.workload)).status_code == 404


# --- Editing one item ---------------------------------------------------------------------------------------


def test_htmx_edit_swaps_the_row_for_a_form_and_back(client, owner, contributor, planned):
    target = item(planned, "SEC01-BP02")
    login(client, owner)
    form = client.get(edit_url(target), **HTMX)
    assert form.status_code == 200
    assert b"<html" not in form.content and b'hx-post="' in form.content
    due = (TODAY + timedelta(days=14)).isoformat()
    response = client.post(
        edit_url(target),
        edit_data(target, status="IN_PROGRESS", owner=str(contributor.pk), due_date=due),
        **HTMX,
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b"<tr") and b"In progress" in response.content
    target.refresh_from_db()
    assert (target.status, target.owner, target.due_date.isoformat()) == ("IN_PROGRESS", contributor, due)


def test_a_refused_htmx_edit_comes_back_with_its_errors(client, owner, planned):
    target = item(planned, "SEC01-BP02")
    response = login(client, owner).post(
        edit_url(target), edit_data(target, ticket_url="ftp://files.example"), **HTMX
    )
    assert response.status_code == 200
    assert b"https:// link" in response.content and b"<form" in response.content
    target.refresh_from_db()
    assert target.ticket_url == ""


def test_the_plain_form_works_without_javascript(client, owner, planned):
    target = item(planned, "SEC01-BP02")
    login(client, owner)
    page = client.get(edit_url(target))
    assert page.status_code == 200 and b"<html" in page.content
    response = client.post(edit_url(target), edit_data(target, notes="Ticket raised with the platform team."))
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{target.pk}")
    target.refresh_from_db()
    assert target.notes == "Ticket raised with the platform team."
    refused = client.post(edit_url(target), edit_data(target, owner="12345"))
    assert refused.status_code == 400 and b"Select a valid choice" in refused.content


def test_viewers_cannot_edit_and_security_leads_can(client, viewer, lead, planned):
    target = item(planned, "SEC01-BP02")
    assert (
        login(client, viewer).post(edit_url(target), edit_data(target, status="IN_PROGRESS")).status_code
        == 403
    )
    assert (
        login(client, lead).post(edit_url(target), edit_data(target, status="IN_PROGRESS")).status_code == 302
    )
    target.refresh_from_db()
    assert target.status == "IN_PROGRESS"


def test_a_stale_edit_shows_both_versions_and_saves_nothing(client, owner, contributor, planned):
    target = item(planned, "SEC01-BP02")
    stale = edit_data(target, notes="Mine: waiting for the network team.", status="IN_PROGRESS")
    login(client, contributor).post(edit_url(target), edit_data(target, notes="Theirs: done by Friday."))
    response = login(client, owner).post(edit_url(target), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this item" in page
    assert "Theirs: done by Friday." in page and "Mine: waiting for the network team." in page
    target.refresh_from_db()
    assert (target.notes, target.status, target.version) == ("Theirs: done by Friday.", "OPEN", 2)
    # "Keep mine" names the version the person saw on the conflict screen, and then wins.
    response = client.post(edit_url(target), stale | {"keep_mine": "2"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.notes, target.status, target.version) == (
        "Mine: waiting for the network team.",
        "IN_PROGRESS",
        3,
    )


def test_a_stale_inline_edit_offers_take_theirs(client, owner, contributor, planned):
    target = item(planned, "SEC01-BP02")
    stale = edit_data(target, notes="Mine")
    login(client, contributor).post(edit_url(target), edit_data(target, notes="Theirs"))
    response = login(client, owner).post(edit_url(target), stale, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "Take theirs (discard mine)" in page
    assert 'name="keep_mine" value="2"' in page
    # Taking theirs reloads the form with their values and version.
    fresh = client.get(edit_url(target), **HTMX).content.decode()
    assert "Theirs" in fresh and 'name="version" value="2"' in fresh


def test_an_edit_without_its_version_is_refused(client, owner, planned):
    target = item(planned, "SEC01-BP02")
    data = edit_data(target, notes="old form")
    del data["version"]
    response = login(client, owner).post(edit_url(target), data)
    assert response.status_code == 400 and b"out of date" in response.content
    target.refresh_from_db()
    assert target.notes == ""


def test_an_item_of_another_workload_is_not_found(client, owner, team, planned):
    other = workload_create(
        team=team,
        actor=owner,
        name="Other",
        description="Other.",
        environment="PRODUCTION",
        review_owner="x@example.test",
        aws_regions=["eu-west-1"],
    )
    target = item(planned, "SEC01-BP02")
    url = reverse("plan_item_edit", kwargs={"workload_id": other.pk, "item_id": target.pk})
    assert login(client, owner).get(url).status_code == 404


# --- Accepting a risk ---------------------------------------------------------------------------------------


def test_asking_to_accept_a_risk_leaves_the_item_open_until_approved(client, lead, planned):
    target = item(planned, "SEC04-BP02")
    login(client, lead)
    assert client.get(accept_url(target)).status_code == 200
    expires = (TODAY + timedelta(days=90)).isoformat()
    response = client.post(
        accept_url(target),
        {"justification": "WAF rules cover it while the service is rebuilt.", "expires_on": expires},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == "OPEN" and target.acceptances.get().state == "PENDING"


def test_asking_to_accept_a_risk_refuses_a_missing_reason_or_a_far_expiry(client, owner, planned):
    target = item(planned, "SEC04-BP02")
    login(client, owner)
    far = (TODAY + timedelta(days=400)).isoformat()
    response = client.post(accept_url(target), {"justification": "", "expires_on": far})
    assert response.status_code == 400
    assert b"Explain why this risk may be accepted." in response.content
    response = client.post(
        accept_url(target),
        {"justification": "A long enough reason for the medium risk here.", "expires_on": far},
    )
    assert response.status_code == 400 and b"at most 180 days" in response.content
    target.refresh_from_db()
    assert target.status == "OPEN" and not target.acceptances.exists()


# --- Bulk actions -------------------------------------------------------------------------------------------


def test_bulk_assigns_an_owner_and_a_due_date(client, owner, contributor, planned):
    targets = [item(planned, "SEC01-BP02"), item(planned, "SEC04-BP03")]
    due = (TODAY + timedelta(days=30)).isoformat()
    response = login(client, owner).post(
        bulk_url(planned.workload),
        {"items": [str(t.pk) for t in targets], "owner": str(contributor.pk), "due_date": due},
    )
    assert response.status_code == 302
    for target in targets:
        target.refresh_from_db()
        assert (target.owner, target.due_date.isoformat()) == (contributor, due)
    assert AuditEvent.objects.filter(action="item.bulk_update", actor=owner).count() == 2


def test_bulk_respects_permissions(client, viewer, outsider, lead, contributor, planned):
    target = item(planned, "SEC01-BP02")
    data = {"items": [str(target.pk)], "owner": str(contributor.pk)}
    assert login(client, viewer).post(bulk_url(planned.workload), data).status_code == 403
    assert login(client, outsider).post(bulk_url(planned.workload), data).status_code == 404
    target.refresh_from_db()
    assert target.owner is None
    assert login(client, lead).post(bulk_url(planned.workload), data).status_code == 302
    target.refresh_from_db()
    assert target.owner == contributor


def test_bulk_cannot_reach_items_of_another_workload(client, owner, outsider, contributor, planned):
    from reviewapp.models import Team

    elsewhere = Team.objects.get(name="Elsewhere")
    foreign = workload_create(
        team=elsewhere,
        actor=outsider,
        name="Foreign",
        description="Not ours.",
        environment="PRODUCTION",
        review_owner="x@example.test",
        aws_regions=["eu-west-1"],
    )
    foreign_review = review_start(workload=foreign, actor=outsider)
    record(foreign_review, outsider, "SEC1", none_of_these=True)
    theirs = ImprovementItem.objects.filter(workload=foreign).first()
    ours = item(planned, "SEC01-BP02")
    response = login(client, owner).post(
        bulk_url(planned.workload), {"items": [str(ours.pk), str(theirs.pk)], "owner": str(contributor.pk)}
    )
    assert response.status_code == 400 and b"not on this plan" in response.content
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.owner is None and theirs.owner is None


def test_bulk_without_a_choice_or_a_selection_explains_why(client, owner, planned):
    login(client, owner)
    response = client.post(bulk_url(planned.workload), {"items": [str(item(planned, "SEC01-BP02").pk)]})
    assert response.status_code == 400 and b"Choose an owner or a due date" in response.content
    response = client.post(bulk_url(planned.workload), {"owner": "none"})
    assert response.status_code == 400 and b"Select at least one item" in response.content


# --- Exports ------------------------------------------------------------------------------------------------


def export_url(workload, fmt) -> str:
    return reverse("workload_plan_export", kwargs={"workload_id": workload.pk, "fmt": fmt})


@pytest.fixture
def hostile(planned, owner):
    target = item(planned, "SEC01-BP02")
    target.notes = '=HYPERLINK("https://evil.example","click")'
    target.ticket_url = "https://tickets.example/1"
    target.due_date = TODAY
    target.save()
    ImprovementItem.objects.filter(bp_code="SEC01-BP03").update(notes="@SUM(A1:A2)")
    ImprovementItem.objects.filter(bp_code="SEC01-BP04").update(notes="-2+3")
    return planned


def test_the_csv_export_reads_back_in_plan_order_with_formulas_neutralised(client, owner, hostile):
    response = login(client, owner).get(export_url(hostile.workload, "csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Best practice"] for row in rows[:2]] == ["SEC01-BP02", "SEC01-BP03"]
    assert len(rows) == 11
    first = rows[0]
    assert first["Notes"] == '\'=HYPERLINK("https://evil.example","click")'
    assert (first["Workload"], first["Question"], first["Question risk"], first["Due date"]) == (
        "Checkout API",
        "SEC1",
        "HIGH",
        TODAY.isoformat(),
    )
    assert rows[1]["Notes"] == "'@SUM(A1:A2)" and rows[2]["Notes"] == "'-2+3"


def test_the_xlsx_export_opens_and_holds_no_formula(client, owner, hostile):
    response = login(client, owner).get(export_url(hostile.workload, "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert len(rows) == 11
    assert rows[0]["Best practice"] == "SEC01-BP02"
    assert rows[0]["Notes"].startswith("'=")
    assert rows[0]["Due date"].date() == TODAY
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_viewers_may_export_and_unknown_formats_are_404(client, viewer, outsider, planned):
    login(client, viewer)
    assert client.get(export_url(planned.workload, "csv")).status_code == 200
    assert client.get(export_url(planned.workload, "pdf")).status_code == 404
    assert login(client, outsider).get(export_url(planned.workload, "csv")).status_code == 404
