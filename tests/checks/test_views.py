from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from moto import mock_aws

from checks import services
from checks.models import AwsTarget, EvidenceRun, RunState
from tests.conftest import login

from .factories import finding, finished_run, target_for

INLINE = re.compile(r"\sstyle=|<script(?![^>]*\bsrc=)|\son[a-z]+=", re.I)


def page(client, name, **kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert not INLINE.search(response.content.decode()), "inline script or style breaks the CSP"
    return response


def seeded_run(workload, failing=1, passing=1):
    run = finished_run(workload, ago=timedelta(minutes=30))
    for i in range(failing):
        finding(
            run, "iam.console_users_mfa", "FAIL", ["SEC02-BP01"], arn=f"arn:aws:iam::111122223333:user/u{i}"
        )
    for i in range(passing):
        finding(
            run,
            "s3.bucket_default_encryption",
            "PASS",
            ["SEC08-BP02"],
            arn=f"arn:aws:s3:::bucket-{i}",
            region="us-east-1",
        )
    return run


# --- Evidence home ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_evidence_page_shows_accounts_runs_and_evidence(client, owner, workload):
    target_for(workload)
    seeded_run(workload)
    response = page(login(client, owner), "evidence_home", workload_id=workload.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert "111122223333" in body and "Collect evidence" in body and "Connect an account" in body
    assert "SEC02-BP01" in body and "Evidence contradicts" in body and "Evidence supports" in body


@pytest.mark.django_db
def test_a_viewer_sees_the_evidence_but_cannot_collect_or_connect(client, viewer, workload):
    target_for(workload)
    body = page(login(client, viewer), "evidence_home", workload_id=workload.pk).content.decode()
    assert "Collect evidence" not in body and "Connect an account" not in body and "Save schedule" not in body
    assert client.post(reverse("run_start", kwargs={"workload_id": workload.pk})).status_code == 403
    assert not EvidenceRun.objects.exists()


@pytest.mark.django_db
def test_the_evidence_page_query_count_does_not_grow_with_rows(
    client, owner, workload, django_assert_num_queries
):
    login(client, owner)
    target_for(workload)
    seeded_run(workload)
    client.get(reverse("evidence_home", kwargs={"workload_id": workload.pk}))  # warm the session
    # 11 with the list of imported scanner files.
    with django_assert_num_queries(11) as few:
        client.get(reverse("evidence_home", kwargs={"workload_id": workload.pk}))
    for n in range(3):
        target_for(workload, account_id=f"99998888777{n}")
        seeded_run(workload, failing=5, passing=5)
    for code in ("SEC01-BP02", "SEC04-BP01", "SEC09-BP02"):
        finding(EvidenceRun.objects.order_by("-finished_at").first(), "x.check", "PASS", [code])
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("evidence_home", kwargs={"workload_id": workload.pk}))


# --- Targets ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_owner_connects_an_account_and_gets_its_role_template(client, owner, workload, settings):
    settings.AWS_APP_PRINCIPAL_ARN = "arn:aws:iam::999999999999:role/wa-reviews-worker"
    login(client, owner)
    response = client.post(
        reverse("target_add", kwargs={"workload_id": workload.pk}),
        {
            "account_id": "4444-5555-6666",
            "regions": ["eu-west-1"],
            "label": "prod",
            "external_id": "attacker-chosen",
        },
    )
    target = AwsTarget.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "target_detail", kwargs={"workload_id": workload.pk, "target_id": target.pk}
    )
    assert target.account_id == "444455556666" and target.external_id != "attacker-chosen"
    assert target.role_arn == "arn:aws:iam::444455556666:role/WellArchitectedEvidence"
    detail = page(client, "target_detail", workload_id=workload.pk, target_id=target.pk).content.decode()
    assert target.external_id in detail and "SecurityAudit" in detail

    download = client.get(
        reverse("target_template", kwargs={"workload_id": workload.pk, "target_id": target.pk})
    )
    assert download["Content-Disposition"] == 'attachment; filename="wa-evidence-role-444455556666.yaml"'
    template = yaml.safe_load(download.content)
    assert template["Parameters"]["TrustedPrincipalArn"]["Default"] == settings.AWS_APP_PRINCIPAL_ARN
    assert template["Parameters"]["ExternalId"]["Default"] == target.external_id
    role = template["Resources"]["EvidenceRole"]["Properties"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert statement["Principal"] == {"AWS": {"Ref": "TrustedPrincipalArn"}}
    assert role["ManagedPolicyArns"] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/SecurityAudit"}]
    # WA Tool sync is opt-in: by default the conditional policy resolves to nothing.
    assert template["Parameters"]["AllowWellArchitectedSync"]["Default"] == "false"
    additions, sync = role["Policies"]
    # What the checks call beyond SecurityAudit (tests/checks/test_permissions.py proves the whole list).
    assert additions["PolicyDocument"]["Statement"][0]["Action"] == ["macie2:GetMacieSession"]
    condition, policy, otherwise = sync["Fn::If"]
    assert condition == "WellArchitectedSync" and otherwise == {"Ref": "AWS::NoValue"}
    assert "wellarchitected:UpdateAnswer" in policy["PolicyDocument"]["Statement"][0]["Action"]


@pytest.mark.django_db
def test_bad_account_input_comes_back_with_errors_and_nothing_saved(client, owner, workload):
    login(client, owner)
    response = client.post(
        reverse("target_add", kwargs={"workload_id": workload.pk}),
        {"account_id": "12345678901x", "role_arn": "arn:aws:iam::111122223333:role/x", "regions": []},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "exactly 12 digits" in body and "This field is required" in body
    assert not AwsTarget.objects.exists()


@pytest.mark.django_db
def test_a_role_in_another_account_is_a_form_error(client, owner, workload):
    login(client, owner)
    response = client.post(
        reverse("target_add", kwargs={"workload_id": workload.pk}),
        {
            "account_id": "111122223333",
            "role_arn": "arn:aws:iam::222233334444:role/x",
            "regions": ["eu-west-1"],
        },
    )
    assert response.status_code == 400
    assert "The role must be in the account this target connects." in response.content.decode()


@pytest.mark.django_db
def test_test_connection_reports_the_account_reached(client, owner, workload, settings):
    settings.AWS_ENDPOINT_URL = ""
    target = target_for(workload, account_id="210987654321")
    login(client, owner)
    with mock_aws():
        response = client.post(
            reverse("target_test", kwargs={"workload_id": workload.pk, "target_id": target.pk}), follow=True
        )
    assert (
        "Connected to account 210987654321 as arn:aws:sts::210987654321:assumed-role/WellArchitectedEvidence/"
        in (response.content.decode())
    )


@pytest.mark.django_db
def test_test_connection_reports_the_exact_error(client, owner, workload, settings):
    settings.AWS_ENDPOINT_URL = ""
    target = AwsTarget.objects.create(
        workload=workload,
        account_id="111111111111",
        role_arn="arn:aws:iam::222222222222:role/x",
        regions=["eu-west-1"],
    )
    login(client, owner)
    with mock_aws():
        response = client.post(
            reverse("target_test", kwargs={"workload_id": workload.pk, "target_id": target.pk}), follow=True
        )
    assert "answered from account 222222222222, not 111111111111" in response.content.decode()


@pytest.mark.django_db
def test_a_target_of_another_workload_is_not_found(client, owner, workload, team):
    from reviewapp.services import workload_create

    other = workload_create(
        team=team,
        actor=owner,
        name="Other",
        description="x",
        environment="PRODUCTION",
        review_owner="o",
        aws_regions=["eu-west-1"],
    )
    target = target_for(other)
    login(client, owner)
    url = reverse("target_detail", kwargs={"workload_id": workload.pk, "target_id": target.pk})
    assert client.get(url).status_code == 404


# --- Runs ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_collect_evidence_starts_a_run_and_shows_its_progress(client, owner, workload):
    target_for(workload)
    login(client, owner)
    response = client.post(reverse("run_start", kwargs={"workload_id": workload.pk}))
    run = EvidenceRun.objects.get()
    assert response["Location"] == reverse("run_detail", kwargs={"run_id": run.pk})
    body = page(client, "run_detail", run_id=run.pk).content.decode()
    assert '<progress id="run-progress-bar"' in body and 'hx-trigger="every 2s"' in body
    assert f"0 of {run.total_tasks} tasks done" in body and "Cancel" in body


@pytest.mark.django_db
def test_a_second_collection_while_one_runs_leads_to_the_running_one(client, owner, workload):
    target_for(workload)
    login(client, owner)
    client.post(reverse("run_start", kwargs={"workload_id": workload.pk}))
    response = client.post(reverse("run_start", kwargs={"workload_id": workload.pk}), follow=True)
    assert EvidenceRun.objects.count() == 1
    assert "still queued; wait for it to finish or cancel it" in response.content.decode()


@pytest.mark.django_db
def test_an_unreachable_queue_is_a_message_not_a_server_error(client, owner, workload, monkeypatch):
    from reviewapp.celery import app

    target_for(workload)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    login(client, owner)
    response = client.post(reverse("run_start", kwargs={"workload_id": workload.pk}), follow=True)
    assert response.status_code == 200
    assert "could not be queued because the task queue is unreachable" in response.content.decode()
    assert not EvidenceRun.objects.exists()


@pytest.mark.django_db
def test_collecting_without_accounts_explains_why(client, owner, workload):
    login(client, owner)
    response = client.post(reverse("run_start", kwargs={"workload_id": workload.pk}), follow=True)
    assert "Connect an AWS account to this workload before collecting evidence." in response.content.decode()


@pytest.mark.django_db
def test_the_progress_fragment_polls_while_active_and_reloads_the_page_when_done(client, owner, workload):
    target_for(workload)
    login(client, owner)
    run = services.run_start(workload=workload, actor=owner)
    url = reverse("run_progress", kwargs={"run_id": run.pk})
    active = client.get(url + "?polling=1", HTTP_HX_REQUEST="true")
    assert "hx-get" in active.content.decode() and "HX-Refresh" not in active
    EvidenceRun.objects.filter(pk=run.pk).update(state=RunState.SUCCEEDED, done_tasks=run.total_tasks)
    done = client.get(url + "?polling=1", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "hx-get" not in done.content.decode()


@pytest.mark.django_db
def test_an_editor_cancels_a_run_and_a_viewer_cannot(client, owner, viewer, workload):
    target_for(workload)
    run = services.run_start(workload=workload, actor=owner)
    url = reverse("run_cancel", kwargs={"run_id": run.pk})
    assert login(client, viewer).post(url).status_code == 403
    login(client, owner).post(url)
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED


@pytest.mark.django_db
def test_findings_can_be_filtered(client, owner, workload):
    run = seeded_run(workload, failing=2, passing=3)
    login(client, owner)
    url = reverse("run_detail", kwargs={"run_id": run.pk})
    body = client.get(url, {"status": "FAIL"}).content.decode()
    assert "arn:aws:iam::111122223333:user/u1" in body and "arn:aws:s3:::bucket-0" not in body
    assert "Require each console user to register an MFA device" in body
    body = client.get(url, {"region": "us-east-1"}).content.decode()
    assert "arn:aws:s3:::bucket-2" in body and "user/u0" not in body
    assert client.get(url, {"status": "NONSENSE"}).status_code == 200


@pytest.mark.django_db
def test_the_run_page_query_count_does_not_grow_with_findings(
    client, owner, workload, django_assert_num_queries
):
    run = seeded_run(workload)
    login(client, owner)
    url = reverse("run_detail", kwargs={"run_id": run.pk})
    client.get(url)
    with django_assert_num_queries(9) as few:
        client.get(url)
    for i in range(30):
        finding(
            run,
            f"check.n{i % 4}",
            "FAIL",
            ["SEC05-BP01"],
            account_id=f"1111222233{i % 3:02d}",
            arn=f"arn:aws:x:::{i}",
        )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


# --- Drill-down and coverage --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_drill_down_lists_failing_resources_with_remediation(client, viewer, workload):
    seeded_run(workload, failing=2)
    body = page(
        login(client, viewer), "evidence_bp", workload_id=workload.pk, bp_code="SEC02-BP01"
    ).content.decode()
    assert "Use strong sign-in mechanisms" in body
    assert "arn:aws:iam::111122223333:user/u1" in body
    assert "Require each console user to register an MFA device" in body


@pytest.mark.django_db
def test_an_unknown_best_practice_is_not_found(client, owner, workload):
    login(client, owner)
    assert (
        client.get(
            reverse("evidence_bp", kwargs={"workload_id": workload.pk, "bp_code": "SEC99-BP99"})
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_the_coverage_page_says_what_is_automated_and_what_needs_a_person(client, viewer):
    body = page(login(client, viewer), "evidence_coverage").content.decode()
    assert body.count('<tr class="is-') == 63
    assert "Needs a person" in body and "iam.root_mfa" in body


@pytest.mark.django_db
def test_the_review_page_helper_renders_a_bps_verdict_with_a_link(workload):
    from django.template import Context, Template

    from checks.selectors import evidence_by_bp

    seeded_run(workload)
    template = Template(
        "{% load evidence %}{% bp_evidence evidence 'SEC02-BP01' workload %}|"
        "{% bp_evidence evidence 'SEC11-BP01' workload %}|{{ evidence|for_bp:'SEC08-BP02' }}"
    )
    html = template.render(Context({"evidence": evidence_by_bp(workload), "workload": workload}))
    shown, missing, supported = html.split("|")
    assert "Evidence contradicts" in shown and "1 failed" in shown
    assert reverse("evidence_bp", kwargs={"workload_id": workload.pk, "bp_code": "SEC02-BP01"}) in shown
    assert missing.strip() == "" and "SUPPORTS" in supported
