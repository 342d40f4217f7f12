"""A yes becomes a held time on the local stack: openings from slots.csv (the CLI) and from the
practice's system ("Openings Published"), the offer by text, the pick, "Booking Requested" on
the practice events bus and the front desk's email."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from reactivation.adapters.openings import OpeningRepository
from reactivation_tools import cli
from reactivation_tools.local.stack import LocalStack
from tests.e2e.helpers import seeded_for_cli
from tests.e2e.test_handoffs import reply


def test_openings_are_offered_to_a_yes_and_the_pick_is_held_and_requested(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, state = seeded_for_cli(stack, tmp_path)
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]
    # the practice's system listens for bookings: a queue on the practice events bus
    sqs, events, bus = (
        stack.client("sqs"),
        stack.client("events"),
        stack.outputs["PracticeEventsBusName"],
    )
    url = sqs.create_queue(QueueName="pms-bookings")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events.put_rule(Name="pms-bookings", EventBusName=bus,
                    EventPattern=json.dumps({"detail-type": ["Booking Requested"]}))  # fmt: skip
    events.put_targets(Rule="pms-bookings", EventBusName=bus,
                       Targets=[{"Id": "pms", "Arn": arn["QueueArn"]}])  # fmt: skip

    day = start.date()
    slots = tmp_path / "slots.csv"
    slots.write_text(
        "start,provider,category\n"
        f"{day + timedelta(days=2)}T09:00,Dr. Lee,hygiene\n"
        f"{day + timedelta(days=2)}T16:00,Dr. Lee,hygiene\n"
        "next tuesday,Dr. Lee,hygiene\n",  # refused with its line
        encoding="utf-8",
    )
    assert cli.main(["--state-dir", str(state), "openings", "import", "bright-smile",
                     str(slots)]) == 1  # fmt: skip
    out, err = capsys.readouterr()
    assert f"{slots}:4: start 'next tuesday' is not an ISO date-time" in err
    assert "2 openings read, 2 new, 1 rows rejected" in out
    assert cli.main(["--state-dir", str(state), "openings", "list", "bright-smile"]) == 0
    assert "9:00am with Dr. Lee  (hygiene)" in capsys.readouterr().out
    for command in (
        ["openings", "list", "nobody"],
        ["practice", "show", "nobody"],
        ["templates", "set", "nobody", "system.help.en", "Hi. Reply STOP to opt out."],
    ):
        assert cli.main(["--state-dir", str(state), *command]) == 1
        assert "no practice nobody in" in capsys.readouterr().err
    # the practice's system pushes one more, through the bus
    events.put_events(Entries=[{
        "EventBusName": bus, "Source": "reactivation.pms.bright-smile",
        "DetailType": "Openings Published",
        "Detail": json.dumps({"practice_id": "bright-smile", "openings": [
            {"starts_at": f"{day + timedelta(days=3)}T10:00:00-05:00", "provider": "Dr. Ruiz",
             "category": "hygiene"}]}),
    }])  # fmt: skip
    stack.drain()
    openings = OpeningRepository(dynamodb, table).upcoming(
        "bright-smile", start, start + timedelta(days=21)
    )
    assert len(openings) == 3

    reply(stack, "+12125550106", "yes, mornings please", "in-yes")
    offer = stack.sent_sms()[-1]
    assert offer.to == "+12125550106"
    assert "1) " in offer.body and "9:00am" in offer.body and "10:00am" in offer.body
    assert "4:00pm" not in offer.body  # an afternoon: not what was asked
    reply(stack, "+12125550106", "2", "in-pick")
    held = stack.sent_sms()[-1]
    assert held.body.startswith("Done! ") and "10:00am is held for you" in held.body
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Booking Requested"
    assert (event["detail"]["patient_id"], event["detail"]["reply_id"]) == ("P-1006", "in-pick")
    assert "mobile" not in json.dumps(event) and "+1212" not in json.dumps(event)
    [desk] = [e for e in stack.sent_emails() if "front desk" in e.subject]
    assert "with Dr. Ruiz" in desk.body and "ending 0106" in desk.body
