"""The read-only role grants exactly what the checks call.

Every check's passing and failing fixtures run under moto while botocore's event system records each AWS
operation the check performs. Each operation is mapped to the IAM action AWS authorises it with, and the test
proves that (1) the check declares every action it calls, (2) the CloudFormation role template grants every
declared action (AWS's SecurityAudit policy, as shipped in moto, plus the template's own additions), and (3) a
listing that AWS pages is always read through a paginator. A new check that needs a new permission fails here
until the template grants it.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from botocore import paginate, xform_name
from moto import mock_aws
from moto.iam.aws_managed_policies import aws_managed_policies_data

from checks import policydoc
from checks.cloudformation import template_for
from checks.models import AwsTarget
from checks.registry import all_checks, get_check
from reviewapp.models import Workload

from .cases import Case
from .conftest import ACCOUNT, MotoAccount, run
from .test_registry import MODULES

# Operations whose IAM action is not "<signing name>:<operation name>".
ACTION_EXCEPTIONS = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
}
# API Gateway's management API is authorised by HTTP verb on the resource path, not by operation name.
HTTP_VERB_SERVICES = {"apigateway"}

_paginating = contextvars.ContextVar("paginating", default=False)


@dataclass(frozen=True)
class Call:
    service: str
    signing_name: str
    operation: str
    http_method: str
    paginated: bool
    can_paginate: bool
    # The request path, for services IAM authorises by resource path (API Gateway).
    path: str = ""

    @property
    def action(self) -> str:
        if (self.service, self.operation) in ACTION_EXCEPTIONS:
            return ACTION_EXCEPTIONS[(self.service, self.operation)]
        if self.service in HTTP_VERB_SERVICES:
            return f"{self.signing_name}:{self.http_method}"
        return f"{self.signing_name}:{self.operation}"


class RecordingAccount(MotoAccount):
    """Hands out the usual moto clients, each reporting every operation it is asked to make."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self._hooked: list[Any] = []

    def client(self, service: str, region: str | None = None):
        client = super().client(service, *([region] if region else []))
        if client not in self._hooked:
            # before-parameter-build fires for stubbed clients too (a Stubber answers at before-call).
            client.meta.events.register(
                "before-parameter-build", self._record, unique_id="permission-recorder"
            )
            self._hooked.append(client)
        return client

    def _record(self, params: dict, model: Any, **kwargs: Any) -> None:
        service_model = model.service_model
        client = next(c for c in self._hooked if c.meta.service_model is service_model)
        self.calls.append(
            Call(
                service=service_model.service_name,
                signing_name=service_model.signing_name,
                operation=model.name,
                http_method=model.http.get("method", ""),
                paginated=_paginating.get(),
                can_paginate=client.can_paginate(xform_name(model.name)),
                path=re.sub(r"\{[^}]+\}", "id", model.http.get("requestUri", "").split("?")[0]),
            )
        )

    def stop(self) -> None:
        for client in self._hooked:
            client.meta.events.unregister("before-parameter-build", unique_id="permission-recorder")
        self._hooked.clear()


def _cases() -> list[tuple[str, str, Case]]:
    return [
        (check_id, side, case)
        for module in MODULES
        for check_id, case in module.CASES.items()
        for side in ("good", "bad")
    ]


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[Call]]:
    """{check id: the calls it made} over every check's passing and failing fixture."""
    original = paginate.PageIterator._make_request

    def through_paginator(self, current_kwargs):
        token = _paginating.set(True)
        try:
            return original(self, current_kwargs)
        finally:
            _paginating.reset(token)

    paginate.PageIterator._make_request = through_paginator
    calls: dict[str, list[Call]] = defaultdict(list)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            for check_id, side, case in _cases():
                with mock_aws():
                    account = RecordingAccount()
                    getattr(case, side)(account)
                    account.calls.clear()  # the fixture's own calls are not the check's
                    try:
                        run(check_id, account)
                    finally:
                        account.stop()
                    calls[check_id].extend(account.calls)
    finally:
        paginate.PageIterator._make_request = original
    return calls


def _security_audit() -> dict[str, Any]:
    return json.loads(aws_managed_policies_data)["SecurityAudit"]["Document"]


def _template_statements() -> list[dict[str, Any]]:
    """Every Allow statement the role always has: SecurityAudit, then the template's inline policies (the
    optional Well-Architected Tool policy is conditional and grants nothing the checks need)."""
    target = AwsTarget(
        workload=Workload(name="permissions"),
        account_id=ACCOUNT,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/WellArchitectedEvidence",
        regions=["eu-west-1"],
    )
    role = yaml.safe_load(template_for(target))["Resources"]["EvidenceRole"]["Properties"]
    statements = []
    if any("policy/SecurityAudit" in json.dumps(arn) for arn in role["ManagedPolicyArns"]):
        statements += policydoc.statements(_security_audit())
    for policy in role.get("Policies", []):
        if "PolicyDocument" in policy:
            statements += policydoc.statements(policy["PolicyDocument"])
    return [s for s in statements if s.get("Effect") == "Allow"]


def granted(action: str, statements: list[dict[str, Any]], resource: str | None = None) -> bool:
    """Some Allow statement covers the action (and, when given, the resource)."""
    return any(
        any(policydoc.matches(pattern, action) for pattern in policydoc.as_list(statement.get("Action")))
        and (
            resource is None
            or any(policydoc.matches(r, resource) for r in policydoc.as_list(statement["Resource"]))
        )
        for statement in statements
    )


def test_every_check_ran_its_fixtures_against_aws(recorded):
    silent = [item.id for item in all_checks() if not recorded.get(item.id)]
    assert not silent, f"these checks made no AWS call under their fixtures: {silent}"


def test_each_check_declares_every_action_it_calls(recorded):
    undeclared = {
        check_id: sorted({call.action for call in calls} - set(get_check(check_id).actions))
        for check_id, calls in recorded.items()
    }
    undeclared = {check_id: actions for check_id, actions in undeclared.items() if actions}
    assert not undeclared, f"declare these in the checks' actions=[...]: {undeclared}"


def test_the_role_template_grants_every_action_the_checks_declare():
    statements = _template_statements()
    missing = sorted({a for item in all_checks() for a in item.actions if not granted(a, statements)})
    assert not missing, f"add these to the role template (checks/cloudformation.py): {missing}"


def test_security_audit_alone_would_not_let_macie_be_checked():
    """Why the template adds its own policy: SecurityAudit lacks macie2:GetMacieSession, so without the
    addition macie.enabled would be ERROR on every real run."""
    assert not granted("macie2:GetMacieSession", policydoc.statements(_security_audit()))
    assert granted("macie2:GetMacieSession", _template_statements())
    assert "macie2:GetMacieSession" in get_check("macie.enabled").actions


def test_a_new_permission_fails_until_the_template_grants_it():
    assert not granted("example-service:ReadSomething", _template_statements())


def test_listings_aws_pages_are_read_through_a_paginator(recorded):
    unpaged = sorted(
        {
            f"{check_id}: {call.service}.{call.operation}"
            for check_id, calls in recorded.items()
            for call in calls
            if call.can_paginate and not call.paginated
        }
    )
    assert not unpaged, f"a single page of these listings would be judged as the whole set: {unpaged}"


def test_actions_map_to_what_iam_authorises():
    assert Call("s3", "s3", "ListBuckets", "GET", True, True).action == "s3:ListAllMyBuckets"
    assert Call("elbv2", "elasticloadbalancing", "DescribeListeners", "POST", True, True).action == (
        "elasticloadbalancing:DescribeListeners"
    )
    assert Call("apigateway", "apigateway", "GetRestApis", "GET", True, True).action == "apigateway:GET"


def test_api_gateway_reads_stay_within_the_paths_security_audit_allows(recorded):
    statements = _template_statements()
    calls = [call for calls in recorded.values() for call in calls if call.service in HTTP_VERB_SERVICES]
    assert calls
    refused = sorted(
        {
            call.path
            for call in calls
            if not granted(call.action, statements, f"arn:aws:apigateway:eu-west-1::{call.path}")
        }
    )
    assert not refused, f"SecurityAudit does not allow GET on: {refused}"


# Calls whose refusal a check may survive because they only sharpen a verdict on resources it listed whole:
# without the organization's account list, roles trusted by unknown accounts become NOT_APPLICABLE.
MAY_BE_REFUSED = {("iam.third_party_roles_external_id", "ListAccounts")}


class RefusingAccount(MotoAccount):
    """Moto clients, except that one operation answers AccessDenied as AWS does for a missing permission."""

    def __init__(self, operation: str) -> None:
        super().__init__()
        self.operation = operation
        self._hooked: list[Any] = []

    def client(self, service: str, region: str | None = None):
        client = super().client(service, *([region] if region else []))
        if client not in self._hooked:
            # First in line, ahead of any Stubber a fixture attached.
            client.meta.events.register_first("before-call", self._refuse, unique_id="refusing-account")
            self._hooked.append(client)
        return client

    def _refuse(self, model: Any, **kwargs: Any) -> Any:
        if model.name != self.operation:
            return None
        from botocore.awsrequest import AWSResponse

        error = {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {model.name}"}}
        return AWSResponse(None, 403, {}, None), error

    def stop(self) -> None:
        for client in self._hooked:
            client.meta.events.unregister("before-call", unique_id="refusing-account")
        self._hooked.clear()


def test_a_refused_call_never_leaves_a_pass(recorded):
    """Every operation a check makes under its passing fixture is refused in turn: the check must then say it
    could not look (ERROR), never PASS on what it saw before or without the refused call."""
    passes = []
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        for module in MODULES:
            for check_id, case in module.CASES.items():
                operations = sorted({call.operation for call in recorded[check_id]})
                with mock_aws():
                    case.good(MotoAccount())
                    for operation in operations:
                        if (check_id, operation) in MAY_BE_REFUSED:
                            continue
                        account = RefusingAccount(operation)
                        try:
                            statuses = {finding.status for finding in run(check_id, account)}
                        finally:
                            account.stop()
                        if "PASS" in statuses or "ERROR" not in statuses:
                            passes.append(f"{check_id} without {operation}: {sorted(statuses)}")
    assert not passes, passes
