"""The whole pipe through the local stack over HTTP: schedules, queue, SNS webhook, SES."""

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reactivation.adapters.consent import ConsentRepository
from reactivation_tools.local import demo, invariants, simulation
from reactivation_tools.local.faults import Fault
from reactivation_tools.local.stack import LocalStack
from tests.test_template import granted


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def item_count(stack: LocalStack) -> int:
    table = stack.outputs["PracticeTableName"]
    return int(stack.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])


def test_the_demo_runs_the_slice_and_no_log_line_holds_contact_data(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the scripted week; the simulated weeks that follow it have their own test below
    simulated: list[tuple[datetime, int]] = []

    def simulation_run(
        on: LocalStack, after: datetime, weeks: int, say: Callable[[str], None]
    ) -> dict[str, Path]:
        simulated.append((after, weeks))
        return {}

    monkeypatch.setattr(simulation, "run", simulation_run)  # demo.run calls simulation.run
    lines: list[str] = []
    result = demo.run(stack, say=lines.append)
    # the demo goes on to its simulated weeks from where its week ended (Monday's report)
    assert simulated == [(stack.clock.now(), demo.SIMULATED_WEEKS)]
    assert result.opted_out
    # the scripted practice's texts (the simulated practices' numbers are 312 and 303)
    sent = [(sms.to[-4:], sms.body) for sms in stack.sent_sms() if sms.to.startswith("+1212")]
    bodies = [body for _, body in sent]
    # step 1 to four mobiles, Ana's opt-out confirmed, Fay offered Tuesday's open times, Gus's
    # not-now answered with the date, Fay's pick held (her thanks for it answered by nothing),
    # Dev's no-show rescued, then step 2 to Dev (the next morning's) and Ben only
    assert sorted(to for to, _ in sent[:4]) == ["0101", "0102", "0106", "0107"]  # any order
    # (the later ones are the simulated weeks' follow-ups)
    assert [to for to, _ in sent[4:11]] == [
        "0101", "0106", "0107", "0106", "0104", "0104", "0102"]  # fmt: skip
    assert sent[4][1].startswith("You are unsubscribed from Bright Smile Dental")
    assert sent[5][1].startswith("Bright Smile Dental has 1) Tue ")
    assert " 9:00am 2) Tue " in sent[5][1] and sent[5][1].count(")") == 2
    assert sent[6][1].startswith("No problem. Bright Smile Dental will check back with you")
    assert sent[7][1].startswith("Done! Tue ") and "2:00pm is held for you" in sent[7][1]
    assert sent[8][1].startswith("Hi Dev, it's Bright Smile Dental. We missed you")
    assert sent[10][1].startswith("Ben, pida su cita")
    assert result.report_html.read_text().count("Bright Smile Dental") >= 1
    # the demo's week is the coming one (its report is dated by that week's Monday); the visit
    # booked is still to come, so no "$0 recovered"
    monday = result.start.date() - timedelta(days=result.start.weekday())
    assert any(f"week of {monday:%b} {monday.day}: 1 visit booked (" in line
               and "revenue counts when the visits happen" in line for line in lines)  # fmt: skip
    assert any('"busy this month, try me in March" -> not_now' in line for line in lines)
    assert any('"Thanks!" -> ' in line and "(acknowledgement); answered: nothing" in line
               for line in lines)  # fmt: skip

    # the whole run kept every rule, and each function's role grants what it did
    assert invariants.check(stack.client("dynamodb"), stack.outputs["PracticeTableName"]) == []
    needed = actions_needed(stack)
    assert len(needed) >= 6  # segment, send, inbound, report, ingest, appointments

    logs = "\n".join(p.read_text() for p in (stack.state_dir / "logs").glob("*.log"))
    assert '"message":"send job settled"' in logs and '"correlation_id"' in logs
    patients = demo.demo_patients(stack.clock.now().date())
    secrets = [demo.PRACTICE.sending_number, "eva@example.com"]
    for patient, _ in patients:
        secrets += [patient.mobile or "", (patient.mobile or "")[2:], patient.email or ""]
    for secret in filter(None, secrets):
        assert secret not in logs, secret
    for patient, _ in patients:
        assert not re.search(rf"\b{patient.first_name}\b", logs), patient.first_name
    for body in [*bodies, *(text for _, text in demo.REPLIES if len(text) > 3)]:
        assert body not in logs
        assert body[:40] not in logs


def actions_needed(stack: LocalStack) -> dict[str, set[str]]:
    """The AWS actions each function needed on the way, checked against its role: a policy
    missing one (dynamodb:ConditionCheckItem in a transaction, ses:SendRawEmail for the report's
    attachment) would fail on AWS, where moto does not check."""
    assert stack.request_counts is not None
    needed: dict[str, set[str]] = {}
    for line in stack.request_counts.read_text().splitlines():
        record = json.loads(line)
        needed.setdefault(record["function"], set()).update(record["actions"])
    functions = {spec.name: logical_id for logical_id, spec in stack.functions.items()}
    for name, actions in needed.items():
        logical_id = functions[name]
        assert actions <= granted(logical_id), (logical_id, actions - granted(logical_id))
    return needed


def test_the_demos_simulated_weeks_report_each_practice_in_counts_only(stack: LocalStack) -> None:
    # where the demo's scripted week leaves off: its practice and patients, Monday 07:00
    start = demo.next_tuesday_morning(stack.clock.now())
    demo.seed(stack.client("dynamodb"), stack.outputs["PracticeTableName"], start.date())
    monday = start.date() + timedelta(days=(7 - start.weekday()) % 7 or 7)
    stack.clock.set(datetime.combine(monday, time(7), ZoneInfo(demo.TIMEZONE)).astimezone(UTC))
    lines: list[str] = []
    reports = simulation.run(stack, stack.clock.now(), demo.SIMULATED_WEEKS, lines.append)
    assert sum(line.startswith("   week ") for line in lines) == demo.SIMULATED_WEEKS
    # the rates it prints are the rates it drew: each practice's holdout said aloud, and the
    # opt-outs near the 2% of the texts read it prints (issue #20)
    assert "Lakeside Dental 100 (holdout 35%: never contacted)" in lines[0]
    assert "Harbor Family Dental 40 (holdout 20%: never contacted)" in lines[0]
    (total,) = [line for line in lines if line.startswith("   in all: ")]
    texts, stops = re.match(r"   in all: (\d+) texts read, (\d+) opt-outs?: ", total).groups()  # type: ignore[union-attr]
    assert 0.01 <= int(stops) / int(texts) <= 0.03, total
    assert not any("{" in line or "True" in line or "False" in line for line in lines)

    # a report for each practice, in HTML, text and CSV, counts only; the lift where the
    # holdout group is large enough, "not enough data" where it is not
    assert sorted(reports) == ["bright-smile", "harbor-dental", "lakeside-dental"]
    for path in reports.values():
        html, text = path.read_text(), path.with_suffix(".txt").read_text()
        assert "<script" not in html and "+1312555" not in html + text and "S-0" not in html
        assert path.with_suffix(".csv").read_text().startswith("period,from,to,campaign")
    lakeside = reports["lakeside-dental"].with_suffix(".txt").read_text()
    assert "Without the texts, about" in lakeside and "the texts added about" in lakeside
    harbor = reports["harbor-dental"].with_suffix(".txt").read_text()
    assert "Not enough data yet" in harbor
    assert "Still due: " in harbor  # its small weekly cap held patients for the next week

    # the simulated weeks kept every rule, each function's role grants what it did
    assert invariants.check(stack.client("dynamodb"), stack.outputs["PracticeTableName"]) == []
    assert actions_needed(stack)
    logs = "\n".join(p.read_text() for p in (stack.state_dir / "logs").glob("*.log"))
    for area in ("+1312555", "+1303555", "1312555", "1303555"):  # the simulated patients
        assert area not in logs
    assert '"message":"send job settled"' in logs


def test_a_poison_job_is_parked_with_its_reason_and_its_batch_mates_are_sent(
    stack: LocalStack,
) -> None:
    stack.clock.set(demo.next_tuesday_morning(stack.clock.now()))
    demo.seed(
        stack.client("dynamodb"),
        stack.outputs["PracticeTableName"],
        stack.clock.now().date(),
        patients=2,
    )
    assert stack.fire("WeeklyEnrolment").payload["units"] == 1
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.outputs["SendQueueUrl"], MessageBody='{"job_id": 42}')
    # and SNS fails once for one of the good jobs: it is tried again, not lost
    stack.inject_faults("SendFunction", [Fault(call="sns.Publish", effect="server_error")])

    stack.drain()
    assert len(stack.sent_sms()) == 1  # the other good job of the batch went out
    stack.advance(timedelta(seconds=181))  # the failed one comes round again
    stack.drain()
    assert len(stack.sent_sms()) == 2  # and nothing was sent twice
    stack.advance(timedelta(seconds=181))
    stack.drain()
    assert len(stack.sent_sms()) == 2
    assert stack.queue_depth("SendQueue") == 0
    parked = sqs.receive_message(QueueUrl=stack.outputs["SendDeadLetterQueueUrl"],
                                 MessageAttributeNames=["All"])["Messages"]  # fmt: skip
    assert [m["Body"] for m in parked] == ['{"job_id": 42}']
    assert parked[0]["MessageAttributes"]["reason"]["StringValue"].startswith("malformed")


def test_forged_or_malformed_requests_are_refused_over_http_and_write_nothing(
    stack: LocalStack,
) -> None:
    url = stack.outputs["InboundSmsWebhookUrl"]
    before = item_count(stack)
    assert post(url, b"{not json") == 400
    forged = {
        "Type": "Notification",
        "MessageId": "x",
        "TopicArn": "arn:aws:sns:us-east-1:999999999999:attacker",
        "Message": json.dumps({"originationNumber": "+12125550101"}),
        "Timestamp": "2026-11-24T15:05:00.000Z",
    }
    assert post(url, json.dumps(forged).encode()) == 403
    assert post(url, b"x" * (11 * 1024 * 1024)) == 413
    assert post(url.replace("/sms/inbound", "/sms/elsewhere"), b"{}") == 404
    assert item_count(stack) == before
    assert (
        ConsentRepository(stack.client("dynamodb"), stack.outputs["PracticeTableName"]).opted_out(
            "bright-smile", ["+12125550101"]
        )
        == frozenset()
    )


def test_the_demo_week_is_never_a_holiday_week() -> None:
    from datetime import UTC, date, datetime, timedelta

    from reactivation.domain.sending import is_us_federal_holiday

    # Christmas 2029 and New Year's Day 2030 are Tuesdays
    for today in (datetime(2029, 12, 20, tzinfo=UTC), datetime(2029, 12, 27, tzinfo=UTC)):
        tuesday = demo.next_tuesday_morning(today)
        assert tuesday.weekday() == 1 and tuesday.date() > today.date()
        assert not is_us_federal_holiday(tuesday.date())
        assert not is_us_federal_holiday(tuesday.date() + timedelta(days=4))
    assert demo.next_tuesday_morning(datetime(2029, 12, 20, tzinfo=UTC)).date() == date(2030, 1, 8)
