"""Staff's side of a reply, on the local stack: the handoff email, then the CLI that lists,
closes and corrects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation_tools import cli
from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack
from tests.e2e.helpers import seeded_for_cli


def reply(stack: LocalStack, number: str, text: str, message_id: str) -> None:
    sms = {"originationNumber": number, "destinationNumber": demo.PRACTICE.sending_number,
           "messageBody": text, "inboundMessageId": message_id}  # fmt: skip
    stack.client("sns").publish(TopicArn=stack.outputs["InboundSmsTopicArn"],
                                Message=json.dumps(sms))  # fmt: skip


def test_a_complaint_reaches_the_manager_and_staff_close_and_correct_it_from_the_cli(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, state = seeded_for_cli(stack, tmp_path)
    dynamodb, table = stack.client("dynamodb"), stack.outputs["PracticeTableName"]

    reply(stack, "+12125550102", "you people overcharged me and were rude", "in-complaint")
    reply(stack, "+12125550106", "whatever lol", "in-other")
    (email, *_) = [e for e in stack.sent_emails() if "practice manager" in e.subject]
    assert email.to == tuple(demo.PRACTICE.owner_emails)
    assert "overcharged me" in email.body and "ending 0102" in email.body
    history = SequenceRepository(dynamodb, table).history("bright-smile", "P-1002", frozenset())
    assert history.service_recovery

    assert cli.main(["--state-dir", str(state), "handoffs", "list", "bright-smile"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["in-complaint", "in-other"]
    assert "complaint -> manager" in listed[0] and "0102" in listed[0]
    assert "+12125550102" not in "\n".join(listed)  # the last four digits only

    assert cli.main(["--state-dir", str(state), "handoffs", "close", "bright-smile",
                     "in-complaint", "--note", "called back"]) == 0  # fmt: skip
    assert "outreach may resume" in capsys.readouterr().out
    history = SequenceRepository(dynamodb, table).history("bright-smile", "P-1002", frozenset())
    assert not history.service_recovery
    assert cli.main(["--state-dir", str(state), "handoffs", "close", "bright-smile",
                     "in-complaint"]) == 1  # fmt: skip

    assert cli.main(["--state-dir", str(state), "replies", "correct", "bright-smile",
                     "in-other", "not_now"]) == 0  # fmt: skip
    assert "other -> not_now (correction counted)" in capsys.readouterr().out
    replies = ReplyRepository(dynamodb, table)
    now = stack.clock.now()
    from datetime import timedelta

    assert replies.corrections("bright-smile", now - timedelta(days=400),
                               now + timedelta(days=400)) == 1  # fmt: skip
    corrected = replies.find("bright-smile", "in-other")
    assert corrected is not None and corrected.intent.value == "not_now"
