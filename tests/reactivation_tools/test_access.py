"""The per-practice IAM policy: a practice's system may write its own exports and put its own
events, nothing of another practice's."""

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from reactivation.events import parse_practice_event
from reactivation_tools import cli
from reactivation_tools.access import practice_writer_policy

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/reactivation-practice-events"
POLICY = practice_writer_policy("bright-smile", "imports-bucket", BUS)


def allowed(action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """IAM's answer for this policy alone (wildcards in resources, StringEquals/StringLike)."""
    for statement in POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]  # fmt: skip
        if action not in actions or not fnmatchcase(resource, statement["Resource"]):
            continue
        conditions: dict[str, dict[str, Any]] = statement.get("Condition", {})
        ok = True
        for operator, keys in conditions.items():
            for key, wanted in keys.items():
                values = wanted if isinstance(wanted, list) else [wanted]
                given = (context or {}).get(key)
                if given is None:
                    ok = False
                elif operator == "StringEquals":
                    ok &= given in values
                else:
                    ok &= any(fnmatchcase(given, value) for value in values)
        if ok:
            return True
    return False


def test_the_practice_writes_its_own_exports_and_reads_its_own_results_only() -> None:
    own = "arn:aws:s3:::imports-bucket/incoming/bright-smile/2026-11-24/patients.csv"
    assert allowed("s3:PutObject", own)
    assert not allowed("s3:PutObject", own.replace("bright-smile", "lakeside-dental"))
    assert not allowed("s3:PutObject", own.replace("incoming/", "results/"))
    assert not allowed("s3:PutObject", "arn:aws:s3:::imports-bucket/incoming/bright-smile-2/x")
    assert allowed("s3:GetObject", "arn:aws:s3:::imports-bucket/results/bright-smile/x/summary.txt")
    assert not allowed("s3:GetObject", own)  # the export, once written, is not read back
    assert not allowed("s3:GetObject", "arn:aws:s3:::imports-bucket/results/lakeside-dental/x")
    listing = {"s3:prefix": "results/lakeside-dental/"}
    assert not allowed("s3:ListBucket", "arn:aws:s3:::imports-bucket", listing)
    assert allowed(
        "s3:ListBucket", "arn:aws:s3:::imports-bucket", {"s3:prefix": "results/bright-smile/x"}
    )


def test_the_practice_puts_only_events_with_its_own_source_which_the_function_accepts() -> None:
    own = {
        "events:source": "reactivation.pms.bright-smile",
        "events:detail-type": "Appointment Changed",
    }
    assert allowed("events:PutEvents", BUS, own)
    for source in ("reactivation.pms.lakeside-dental", "reactivation.pms", "aws.s3"):
        assert not allowed("events:PutEvents", BUS, {**own, "events:source": source})
    assert not allowed("events:PutEvents", BUS, {**own, "events:detail-type": "Booking Requested"})
    # what the policy lets it put, the appointments function takes as the practice's own
    body = json.dumps({"source": own["events:source"], "detail-type": "Openings Published",
                       "detail": {"practice_id": "bright-smile", "openings": [
                           {"starts_at": "2026-11-26T09:00:00-05:00"}]}})  # fmt: skip
    assert parse_practice_event(body).detail.practice_id == "bright-smile"


@pytest.mark.parametrize("practice_id", ["*", "bright-*", "../other", "a", "Bright-Smile", ""])
def test_a_practice_id_that_could_widen_the_policy_is_refused(practice_id: str) -> None:
    with pytest.raises(ValueError, match="not a practice id"):
        practice_writer_policy(practice_id, "imports-bucket", BUS)


def test_the_cli_prints_the_policy_or_creates_it_for_the_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from moto import mock_aws

    def client(service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]

    with mock_aws():
        outputs = {"PracticeEventsBusName": "rx-practice-events", "ImportsBucketName": "rx-imports"}
        deployment = cli.Deployment(client, outputs)
        monkeypatch.setattr(cli, "_deployment", lambda args: deployment)
        assert cli.main(["practice", "policy", "bright-smile"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed == practice_writer_policy(
            "bright-smile", "rx-imports",
            "arn:aws:events:us-east-1:123456789012:event-bus/rx-practice-events",
        )  # fmt: skip
        assert (
            cli.main(["practice", "--aws-stack", "rx", "policy", "bright-smile", "--create"]) == 0
        )
        arn = capsys.readouterr().out.strip()
        assert arn == "arn:aws:iam::123456789012:policy/rx-practice-bright-smile"
        assert cli.main(["practice", "policy", "*"]) == 1
