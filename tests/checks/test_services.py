from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from moto import mock_aws

from checks import execution, services, tasks
from checks.models import AwsTarget, EvidenceRun, EvidenceSchedule, EvidenceTask, Finding, RunState, TaskState
from checks.registry import work_units
from reviewapp.lib.queue import QueueUnavailable
from reviewapp.models import AuditEvent

from .factories import finished_run, target_for

ROLE = "arn:aws:iam::{}:role/WellArchitectedEvidence"


def add_target(workload, owner, account_id="111122223333", regions=("eu-west-1",)):
    return services.target_create(
        workload=workload,
        actor=owner,
        account_id=account_id,
        role_arn=ROLE.format(account_id),
        regions=regions,
    )


# --- Targets ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_connects_an_account_with_a_generated_external_id(workload, owner):
    target = add_target(workload, owner, regions=["eu-west-1", "us-east-1", "eu-west-1"])
    assert target.regions == ["eu-west-1", "us-east-1"]
    assert target.external_id.startswith("wa-") and len(target.external_id) == 35
    other = add_target(workload, owner, account_id="444455556666")
    assert other.external_id != target.external_id
    event = AuditEvent.objects.get(action="aws_target.create", object_id=str(target.pk))
    assert event.after["account_id"] == "111122223333" and "external_id" not in event.after


@pytest.mark.django_db
@pytest.mark.parametrize(
    "account_id, role_arn, regions, field, message",
    [
        ("1234", ROLE.format("1234"), ["eu-west-1"], "account_id", "exactly 12 digits"),
        (
            "111122223333",
            "arn:aws:iam::111122223333:user/bob",
            ["eu-west-1"],
            "role_arn",
            "Enter an IAM role ARN",
        ),
        (
            "111122223333",
            ROLE.format("999988887777"),
            ["eu-west-1"],
            "role_arn",
            "in the account this target connects",
        ),
        ("111122223333", ROLE.format("111122223333"), [], "regions", "at least one region"),
        ("111122223333", ROLE.format("111122223333"), ["mars-north-1x"], "regions", "Not an AWS region"),
    ],
)
def test_it_rejects_a_malformed_target(workload, owner, account_id, role_arn, regions, field, message):
    with pytest.raises(ValidationError) as caught:
        services.target_create(
            workload=workload, actor=owner, account_id=account_id, role_arn=role_arn, regions=regions
        )
    assert message in " ".join(caught.value.message_dict[field])
    assert not AwsTarget.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_same_account_twice(workload, owner):
    add_target(workload, owner)
    with pytest.raises(ValidationError) as caught:
        add_target(workload, owner)
    assert "already connected" in caught.value.message_dict["account_id"][0]


@pytest.mark.django_db
def test_removing_a_target_is_audited_and_refused_while_a_run_is_active(workload, owner):
    target = add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    with pytest.raises(ValidationError, match="collection is running"):
        services.target_delete(target=target, actor=owner)
    services.run_cancel(run=run, actor=owner)
    services.target_delete(target=target, actor=owner)
    assert not AwsTarget.objects.exists()
    assert AuditEvent.objects.filter(action="aws_target.delete").count() == 1


@pytest.mark.django_db
def test_a_schedule_change_is_audited(workload, owner):
    services.schedule_set(workload=workload, actor=owner, frequency="DAILY")
    services.schedule_set(workload=workload, actor=owner, frequency="DAILY")
    assert EvidenceSchedule.objects.get(workload=workload).frequency == "DAILY"
    [event] = AuditEvent.objects.filter(action="evidence_schedule.set")
    assert (event.before, event.after) == ({"frequency": "NONE"}, {"frequency": "DAILY"})
    with pytest.raises(ValidationError):
        services.schedule_set(workload=workload, actor=owner, frequency="HOURLY")


# --- Starting runs ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_has_one_task_per_account_region_and_group(workload, owner):
    add_target(workload, owner, regions=["eu-west-1", "us-east-1"])
    add_target(workload, owner, account_id="444455556666", regions=["eu-west-1"])
    run = services.run_start(workload=workload, actor=owner)
    expected = len(work_units(["eu-west-1", "us-east-1"])) + len(work_units(["eu-west-1"]))
    assert run.state == RunState.QUEUED and run.total_tasks == expected == run.tasks.count()
    assert set(run.tasks.values_list("account_id", flat=True)) == {"111122223333", "444455556666"}
    assert AuditEvent.objects.get(action="evidence_run.start").after["tasks"] == expected


@pytest.mark.django_db
def test_tasks_are_queued_by_id_only_after_the_transaction_commits(
    workload, owner, monkeypatch, django_capture_on_commit_callbacks
):
    add_target(workload, owner)
    sent = []
    monkeypatch.setattr(tasks.run_task, "apply_async", lambda args, **kwargs: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.run_start(workload=workload, actor=owner)
    assert sent == []
    callbacks[0]()
    assert sorted(sent) == sorted([task_id] for task_id in run.tasks.values_list("id", flat=True))


@pytest.mark.django_db
def test_it_needs_a_connected_account(workload, owner):
    with pytest.raises(ValidationError, match="Connect an AWS account"):
        services.run_start(workload=workload, actor=owner)


@pytest.mark.django_db
def test_only_one_run_may_be_active_per_workload(workload, owner):
    add_target(workload, owner)
    services.run_start(workload=workload, actor=owner)
    with pytest.raises(services.RunAlreadyActive, match="still queued"):
        services.run_start(workload=workload, actor=owner)
    # The database refuses a second active run even if the check above were skipped.
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceRun.objects.create(workload=workload, state=RunState.RUNNING)


@pytest.mark.django_db
def test_an_unreachable_broker_leaves_no_run_behind(workload, owner, monkeypatch):
    from reviewapp.celery import app

    add_target(workload, owner)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    with pytest.raises(QueueUnavailable, match="task queue is unreachable"):
        services.run_start(workload=workload, actor=owner)
    assert not EvidenceRun.objects.exists()


@pytest.mark.django_db
def test_a_broker_lost_while_publishing_fails_the_run_instead_of_leaving_it_queued(
    workload, owner, monkeypatch, django_capture_on_commit_callbacks
):
    add_target(workload, owner)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_task, "apply_async", refuse)
    with pytest.raises(QueueUnavailable), django_capture_on_commit_callbacks(execute=True):
        services.run_start(workload=workload, actor=owner)
    run = EvidenceRun.objects.get()
    assert run.state == RunState.FAILED and "could not be queued" in run.error
    assert not run.tasks.exclude(state=TaskState.FAILED).exists()


# --- Executing runs under moto ------------------------------------------------------------------------------


@pytest.fixture
def moto(settings, monkeypatch):
    settings.AWS_ENDPOINT_URL = ""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield


def execute_all(run):
    for task_id in run.tasks.order_by("id").values_list("id", flat=True):
        execution.task_execute(task_id)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_run_collects_findings_from_every_account_and_stamps_each_with_its_own(workload, owner, moto):
    import boto3

    add_target(workload, owner, account_id="111111111111")
    add_target(workload, owner, account_id="222222222222")
    # A bucket only in the second account: its findings must carry that account and no other.
    creds = boto3.client("sts").assume_role(RoleArn=ROLE.format("222222222222"), RoleSessionName="seed")[
        "Credentials"
    ]
    boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).create_bucket(Bucket="second-only", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    run = execute_all(services.run_start(workload=workload, actor=owner))
    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.done_tasks, run.percent) == (run.total_tasks, 100)
    assert run.started_at and run.finished_at and run.heartbeat_at
    assert set(Finding.objects.filter(run=run).values_list("account_id", flat=True)) == {
        "111111111111",
        "222222222222",
    }
    for task in run.tasks.all():
        assert set(task.findings.values_list("account_id", flat=True)) == {task.account_id}
    bucket = Finding.objects.filter(run=run, resource_arn="arn:aws:s3:::second-only")
    assert bucket.exists() and set(bucket.values_list("account_id", flat=True)) == {"222222222222"}


@pytest.mark.django_db
def test_a_role_that_cannot_be_assumed_fails_the_run_with_the_reason(workload, owner, moto):
    AwsTarget.objects.create(
        workload=workload,
        account_id="111111111111",
        role_arn=ROLE.format("222222222222"),
        regions=["eu-west-1"],
    )
    run = execute_all(services.run_start(workload=workload, actor=owner))
    assert run.state == RunState.FAILED
    assert "answered from account 222222222222, not 111111111111" in run.error
    assert not Finding.objects.filter(run=run).exists()


@pytest.mark.django_db
def test_error_findings_make_a_run_partial(workload, owner, moto, monkeypatch):
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    from checks.library import identity

    def denied(ctx):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetAccountSummary")

    monkeypatch.setattr(identity.root_mfa, "__code__", denied.__code__)
    run = execute_all(run)
    assert run.state == RunState.PARTIAL
    assert Finding.objects.get(run=run, check_id="iam.root_mfa").status == "ERROR"


@pytest.mark.django_db
def test_a_redelivered_task_runs_again_once_and_replaces_its_findings(workload, owner, moto):
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    task = run.tasks.get(group="identity")
    execution._claim(task.pk)  # a worker took it and died before finishing
    execution.task_execute(task.pk)
    task.refresh_from_db()
    assert (task.state, task.attempts) == (TaskState.SUCCEEDED, 2)
    first = Finding.objects.filter(task=task).count()
    execution.task_execute(task.pk)  # a duplicate delivery of a finished task does nothing
    assert Finding.objects.filter(task=task).count() == first

    other = run.tasks.get(group="org", region="global")
    EvidenceTask.objects.filter(pk=other.pk).update(state=TaskState.RUNNING, attempts=2)
    execution.task_execute(other.pk)
    other.refresh_from_db()
    assert other.state == TaskState.FAILED and "stopped 2 times" in other.error


@pytest.mark.django_db
def test_a_task_out_of_time_is_recorded_as_failed(workload, owner, moto, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    task = run.tasks.get(group="identity")

    def too_slow(item, ctx):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(execution, "run_check", too_slow)
    tasks.run_task(task.pk)
    task.refresh_from_db()
    assert task.state == TaskState.FAILED and "time limit" in task.error
    run.refresh_from_db()
    assert run.done_tasks == 1 and run.state == RunState.RUNNING


# --- Cancelling and reaping ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_stops_the_run_and_discards_late_findings(workload, owner, moto):
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    running = run.tasks.get(group="identity")
    execution._claim(running.pk)
    services.run_cancel(run=run, actor=owner)
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED and run.finished_at and "Cancelled by" in run.error
    assert run.tasks.filter(state=TaskState.QUEUED).count() == 0
    execution.task_finish(running.pk, TaskState.SUCCEEDED, findings=[])
    execute_all(run)
    assert run.state == RunState.CANCELLED
    assert not Finding.objects.filter(run=run).exists()
    assert AuditEvent.objects.filter(action="evidence_run.cancel", actor=owner).exists()
    with pytest.raises(ValidationError, match="already ended"):
        services.run_cancel(run=run, actor=owner)


@pytest.mark.django_db
def test_the_reaper_fails_a_run_whose_worker_went_silent_so_a_new_run_can_start(workload, owner, settings):
    settings.EVIDENCE_HEARTBEAT_TIMEOUT = 600
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    task = run.tasks.first()
    execution._claim(task.pk)
    assert services.runs_reap() == []
    assert services.runs_reap(now=timezone.now() + timedelta(seconds=601)) == [run.pk]
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "Worker lost" in run.error and "10 minutes" in run.error
    assert not run.tasks.exclude(state=TaskState.FAILED).exists()
    assert AuditEvent.objects.get(action="evidence_run.fail").actor_label == "system"
    assert services.run_start(workload=workload, actor=owner).state == RunState.QUEUED


@pytest.mark.django_db
def test_starting_a_run_reaps_the_workloads_stale_run_even_without_beat(workload, owner, settings):
    settings.EVIDENCE_RUN_TIME_LIMIT = 3600
    add_target(workload, owner)
    stale = services.run_start(workload=workload, actor=owner)
    EvidenceRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = services.run_start(workload=workload, actor=owner)
    stale.refresh_from_db()
    assert (stale.state, fresh.state) == (RunState.FAILED, RunState.QUEUED)


@pytest.mark.django_db
def test_the_reaper_fails_a_run_past_its_time_limit(workload, owner, settings):
    settings.EVIDENCE_RUN_TIME_LIMIT = 3600
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    assert services.runs_reap(now=timezone.now() + timedelta(minutes=59)) == []
    assert services.runs_reap(now=timezone.now() + timedelta(minutes=61)) == [run.pk]
    run.refresh_from_db()
    assert run.error == "The collection took longer than the limit of 60 minutes and was stopped."


@pytest.mark.django_db
def test_the_reap_task_calls_the_reaper(workload, owner):
    assert tasks.reap_stale_runs() == 0


# --- Schedules ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scheduled_collections_start_when_due(workload, owner):
    target_for(workload)
    assert services.scheduled_runs_start() == []
    services.schedule_set(workload=workload, actor=owner, frequency="DAILY")
    [run] = services.scheduled_runs_start()
    assert (run.trigger, run.started_by) == ("SCHEDULE", None)
    assert services.scheduled_runs_start() == []  # still active
    services.run_cancel(run=run, actor=owner)
    assert services.scheduled_runs_start() == []  # ran less than a day ago
    assert len(services.scheduled_runs_start(now=timezone.now() + timedelta(hours=24))) == 1


@pytest.mark.django_db
def test_weekly_collections_wait_a_week(workload, owner):
    target_for(workload)
    services.schedule_set(workload=workload, actor=owner, frequency="WEEKLY")
    finished_run(workload, ago=timedelta(days=3))
    assert services.scheduled_runs_start() == []
    assert len(services.scheduled_runs_start(now=timezone.now() + timedelta(days=5))) == 1
    assert tasks.run_scheduled_collections() == 0


@pytest.mark.django_db
def test_a_run_whose_tasks_only_wait_in_the_queue_is_not_taken_for_a_lost_worker(workload, owner, settings):
    settings.EVIDENCE_HEARTBEAT_TIMEOUT = 60
    add_target(workload, owner)
    run = services.run_start(workload=workload, actor=owner)
    task = run.tasks.first()
    execution._claim(task.pk)
    execution.task_finish(task.pk, TaskState.SUCCEEDED)  # the rest wait behind other workloads' tasks
    later = timezone.now() + timedelta(minutes=5)
    assert services.runs_reap(now=later) == []
    execution._claim(run.tasks.filter(state=TaskState.QUEUED).first().pk)  # a worker takes one, then dies
    assert services.runs_reap(now=later) == [run.pk]
