"""Evidence imports: how many scanner findings per second an import reads, checks, maps and stores.

A Prowler OCSF file of N findings (default 20,000; realistic fields, about 2 KB each) is generated in memory
with checks.imports.samples, never committed, and imported through the same service the page, the API and
the command use, into a throwaway workload connected to the file's account. The workload and everything it
owns is deleted afterwards.

Inside the benchmark suite it is the "imports" section; on its own, against whatever DATABASE_URL names
(migrated, lens loaded):

    DATABASE_URL=postgres://.../mydb python -m bench.imports --findings 20000 --runs 3
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from .figures import Figure

ACCOUNT = "123456789012"
# A realistic spread: most Prowler checks pass, some fail, a few need a person, a few are muted.
STATUSES = ["PASS"] * 6 + ["FAIL"] * 3 + ["MANUAL"]


def scan(findings: int) -> bytes:
    from checks.imports import mapping
    from checks.imports.samples import Sample, ocsf_file
    from checks.models import FindingSource

    check_ids = [*sorted(mapping.table(FindingSource.PROWLER)), "custom_check_nobody_mapped"]
    seen = datetime.now(UTC) - timedelta(hours=2)
    regions = ["eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2"]
    samples = [
        Sample(
            check_id=check_ids[i % len(check_ids)],
            status=STATUSES[i % len(STATUSES)],
            account_id=ACCOUNT,
            region=regions[i % len(regions)],
            resource=f"arn:aws:s3:::bench-bucket-{i:06d}",
            muted=i % 97 == 0,
            seen=seen,
        )
        for i in range(findings)
    ]
    return ocsf_file(samples)


def measure(findings: int = 20_000, runs: int = 3) -> Figure:
    from checks.imports.service import Upload, evidence_import_create
    from checks.models import AwsTarget
    from reviewapp.models import Team, Workload

    content = scan(findings)
    team = Team.objects.create(name=f"bench-imports-{uuid.uuid4().hex[:8]}")
    workload = Workload.objects.create(
        team=team, name="bench imports", description="", environment="PRODUCTION", review_owner="bench"
    )
    AwsTarget.objects.create(
        workload=workload,
        account_id=ACCOUNT,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/Bench",
        regions=["eu-west-1"],
    )
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            result = evidence_import_create(
                workload=workload,
                actor=None,
                upload=Upload(io.BytesIO(content), "bench.ocsf.json", len(content)),
            )
            times.append(time.perf_counter() - started)
            assert result.total == findings, result.total
    finally:
        workload.delete()
        team.delete()
    return Figure.of(
        f"evidence import, Prowler OCSF file of {findings:,} findings",
        times,
        extra={
            "file_mb": round(len(content) / 1024 / 1024, 1),
            "runs_s": [round(t, 2) for t in times],
            "findings_per_second": round(findings / statistics.median(times)),
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewapp.settings")
    import django

    django.setup()
    figure = measure(args.findings, args.runs)
    print(
        f"{figure.name}: {figure.extra['file_mb']} MB, median {figure.median_ms / 1000:.2f} s "
        f"(runs {figure.extra['runs_s']}), {figure.extra['findings_per_second']:,} findings per second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
