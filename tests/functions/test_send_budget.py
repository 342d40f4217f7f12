"""The send function's spend guard against moto: a practice's monthly SMS budget."""

import json
from collections.abc import Callable
from typing import Any

from reactivation.adapters.outbox import OutboxRepository
from reactivation.adapters.parking import ParkedJobs
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.spend import SmsSpend
from reactivation.domain.types import Channel
from tests.builders import at, make_patient, make_practice
from tests.conftest import Aws
from tests.functions.helpers import seed, sent_emails, sent_sms, sqs_event
from tests.functions.test_inbound import envelope, post
from tests.functions.test_inbound import inbound as inbound  # the fixture, re-exported
from tests.functions.test_send import RUN, enrolled_job

Handler = Callable[[dict[str, Any]], Any]


def test_over_its_monthly_budget_outreach_waits_for_next_month_and_the_owner_is_told_once(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    send = load_function("SendFunction")
    patients = [make_patient(f"P-{n}", mobile=f"+1212555010{n}") for n in (1, 2, 3)]
    # two one-segment texts at $0.01 a segment: $0.02 is reached, never passed
    seed(aws, make_practice(sms_monthly_budget_usd=0.02, sms_segment_price=0.01), *patients)
    jobs = [enrolled_job(aws, p.patient_id) for p in patients]
    for job in jobs:  # one at a time, as the queue may hand them over
        assert send(sqs_event(aws, [job.model_dump_json()])) == {"batchItemFailures": []}
    assert len(sent_sms()) == 2
    spend = SmsSpend(aws.client("dynamodb"), aws.table)
    assert spend.month_segments("bright-smile", "2026-11") == 2
    # the third waits, parked a day (the budget is checked again then), as any parked job
    waiting = jobs[2]
    outbox = OutboxRepository(aws.client("dynamodb"), aws.table)
    assert outbox.status(waiting) is None
    parking = ParkedJobs(aws.client("dynamodb"), aws.table)
    assert list(parking.due("bright-smile", at("2026-11-25 09:59"))) == []
    assert list(parking.due("bright-smile", at("2026-11-25 10:00"))) == [waiting]
    [notice] = sent_emails()
    assert notice.destinations["ToAddresses"] == ["owner@reactivation.test"]
    assert "December 1" in notice.subject and "+1212" not in notice.body
    assert "still go" in notice.body and "sms_monthly_budget_usd" in notice.body
    # another text held the same month: no second email
    extra = make_patient("P-4", mobile="+12125550104")
    seed(aws, make_practice(sms_monthly_budget_usd=0.02, sms_segment_price=0.01), extra)
    held = enrolled_job(aws, "P-4")
    assert send(sqs_event(aws, [held.model_dump_json()])) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1 and len(sent_sms()) == 2
    # on the last evening of the month it waits for midnight, not a day
    frozen_clock(at("2026-11-30 19:00"))
    assert send(sqs_event(aws, [waiting.model_dump_json()])) == {"batchItemFailures": []}
    assert waiting not in list(parking.due("bright-smile", at("2026-11-30 23:59")))
    assert waiting in list(parking.due("bright-smile", at("2026-12-01 00:00")))
    assert len(sent_emails()) == 1 and len(sent_sms()) == 2
    # December: the month starts again
    frozen_clock(at("2026-12-01 10:00"))
    assert send(sqs_event(aws, [waiting.model_dump_json()])) == {"batchItemFailures": []}
    assert len(sent_sms()) == 3
    assert spend.month_segments("bright-smile", "2026-12") == 1


def test_without_a_budget_nothing_is_held_and_email_is_never_counted(
    aws: Aws, load_function: Callable[[str], Handler], frozen_clock: Callable[[Any], None]
) -> None:
    frozen_clock(RUN)
    send = load_function("SendFunction")
    seed(aws, make_practice(), make_patient("P-1"), make_patient("P-2", email="leo@example.com"))
    text, email = enrolled_job(aws, "P-1"), enrolled_job(aws, "P-2", channel=Channel.EMAIL)
    event = sqs_event(aws, [text.model_dump_json(), email.model_dump_json()])
    assert send(event) == {"batchItemFailures": []}
    assert len(sent_sms()) == 1 and len(sent_emails()) == 1
    spend = SmsSpend(aws.client("dynamodb"), aws.table)
    assert spend.month_segments("bright-smile", "2026-11") == 1  # counted for a budget set later


def test_answers_to_a_patient_s_own_text_still_go_over_the_budget(
    aws: Aws, inbound: Handler
) -> None:
    dynamodb = aws.client("dynamodb")
    practices = PracticeRepository(dynamodb, aws.table)
    practice = practices.get("bright-smile")
    assert practice is not None
    practices.save(practice.model_copy(update={"sms_monthly_budget_usd": 0.01}))
    spend = SmsSpend(dynamodb, aws.table)
    dynamodb.transact_write_items(
        TransactItems=[spend.spend_write("bright-smile", "2026-11", 500, RUN)]
    )
    assert post(inbound, json.dumps(envelope(aws, "HELP")))[0] == 200
    [(to, answer)] = sent_sms()
    assert to == "+12125550101" and "Bright Smile Dental" in answer
