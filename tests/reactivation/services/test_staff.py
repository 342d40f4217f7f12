"""Staff's use cases, one place for each rule (the CLI calls them; a staff inbox will): close a
handoff (its hold ends), correct a reply (counted; to opt_out opts the number out), the
practice's own texts, an openings import. Time is passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reactivation import wiring
from reactivation.adapters.consent import ConsentRepository
from reactivation.adapters.handoffs import HandoffRepository
from reactivation.adapters.items import TransactionWriter
from reactivation.adapters.practices import PracticeRepository
from reactivation.adapters.question_follow_ups import QuestionFollowUps
from reactivation.adapters.replies import ReplyRepository
from reactivation.adapters.sequences import SequenceRepository
from reactivation.domain import sequences
from reactivation.domain.conversation import Intent, Reply
from reactivation.domain.handoffs import Handoff, HandoffOutcome, HandoffReason, Team
from reactivation.domain.messages import MessageLibrary
from reactivation.domain.outreach import Decision, Enrolment
from reactivation.domain.practice import MessageOverride
from reactivation.domain.types import Campaign, Channel
from reactivation.services.staff import (
    NoOpenHandoff,
    StaffService,
    UnknownPractice,
    UnknownReply,
    opts_out,
    released_by_closing,
    with_override,
)
from tests.builders import at, make_practice
from tests.conftest import Aws

NOW = at("2026-11-24 10:00")
NUMBER = "+12125550101"
KEYS = MessageLibrary.default().keys()


def handoff(reason: HandoffReason, handoff_id: str = "in-1") -> Handoff:
    return Handoff(practice_id="bright-smile", handoff_id=handoff_id, from_number=NUMBER,
                   patient_ids=("P-1", "P-2"), reason=reason, team=Team.FRONT_DESK,
                   urgent=False, opened_at=NOW - timedelta(hours=1))  # fmt: skip


# ---------------------------------------------------------------- the rules, pure
@pytest.mark.parametrize("reason", list(HandoffReason))
def test_closing_a_clinical_complaint_or_sensitive_reply_ends_its_hold_and_nothing_else_does(
    reason: HandoffReason,
) -> None:
    held = reason in (HandoffReason.CLINICAL, HandoffReason.COMPLAINT, HandoffReason.SENSITIVE)
    assert released_by_closing(handoff(reason)) == (("P-1", "P-2") if held else ())


def test_only_a_correction_to_opt_out_opts_the_number_out() -> None:
    assert [i for i in Intent if opts_out(i)] == [Intent.OPT_OUT]


def test_a_practice_text_is_checked_before_it_replaces_the_approved_one() -> None:
    practice = make_practice()
    good = MessageOverride(text="Hi {{ first_name }}, time for a visit? Reply STOP to opt out.")
    saved = with_override(practice, "recall_due.1.en.sms", good, KEYS)
    assert saved.saved and saved.practice.message_overrides["recall_due.1.en.sms"] == good
    bad = MessageOverride(
        text="Hi {{ first_name }}, your root canal is due. Reply STOP to opt out."
    )
    refused = with_override(practice, "recall_due.1.en.sms", bad, KEYS)
    assert not refused.saved and "root canal" in str(refused.problems[0])
    cleared = with_override(saved.practice, "recall_due.1.en.sms", None, KEYS)
    assert cleared.saved and cleared.practice.message_overrides == {}


# ---------------------------------------------------------------- the use cases, on moto
@pytest.fixture
def staff(aws: Aws) -> StaffService:
    dynamodb, table = aws.client("dynamodb"), aws.table
    PracticeRepository(dynamodb, table).save(make_practice())
    return wiring.staff_service_for(dynamodb, table)


def open_handoff(aws: Aws, reason: HandoffReason) -> None:
    dynamodb, table = aws.client("dynamodb"), aws.table
    TransactionWriter(dynamodb).write([HandoffRepository(dynamodb, table).open_write(
        handoff(reason))])  # fmt: skip
    if reason is HandoffReason.COMPLAINT:
        for patient_id in ("P-1", "P-2"):
            SequenceRepository(dynamodb, table).hold("bright-smile", patient_id, "complaint")


def held(aws: Aws, patient_id: str) -> bool:
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    return repository.history("bright-smile", patient_id, frozenset()).service_recovery


def test_closing_a_complaint_releases_both_patients_once(aws: Aws, staff: StaffService) -> None:
    open_handoff(aws, HandoffReason.COMPLAINT)
    assert held(aws, "P-1") and held(aws, "P-2")
    closed = staff.close_handoff("bright-smile", "in-1", NOW, note="called, apologised")
    assert closed.released == ("P-1", "P-2")
    assert not held(aws, "P-1") and not held(aws, "P-2")
    assert list(staff.open_handoffs("bright-smile")) == []
    [stored] = HandoffRepository(aws.client("dynamodb"), aws.table).since("bright-smile", NOW)
    assert (stored.closed_at, stored.note) == (NOW, "called, apologised")  # the time passed in
    with pytest.raises(NoOpenHandoff):
        staff.close_handoff("bright-smile", "in-1", NOW)
    with pytest.raises(NoOpenHandoff):
        staff.close_handoff("bright-smile", "in-nobody", NOW)


def test_closing_a_question_releases_nothing(aws: Aws, staff: StaffService) -> None:
    open_handoff(aws, HandoffReason.QUESTION)
    assert staff.close_handoff("bright-smile", "in-1", NOW).released == ()


def paused_sequence(aws: Aws, patient_id: str) -> Enrolment:
    """The patient in a recall sequence whose step 2 is waiting, paused by a reply an hour ago."""
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    started = NOW - timedelta(days=2)
    enrolment = sequences.start(
        "bright-smile", Decision(patient_id=patient_id, campaign=Campaign.RECALL_DUE,
                                 channel=Channel.SMS), started,
    )  # fmt: skip
    assert repository.enrol(enrolment)
    after_first = sequences.after_step_queued(enrolment)
    assert repository.replace(enrolment, after_first)
    pausing = sequences.paused(after_first, NOW - timedelta(hours=1))
    assert repository.replace(after_first, pausing)
    return pausing


def active(aws: Aws, patient_id: str) -> Enrolment | None:
    return SequenceRepository(aws.client("dynamodb"), aws.table).active("bright-smile", patient_id)


def test_resume_lets_the_paused_sequence_go_on_its_interval_from_now(
    aws: Aws, staff: StaffService
) -> None:
    open_handoff(aws, HandoffReason.QUESTION)
    pausing = paused_sequence(aws, "P-1")
    assert pausing.next_step_due_at == NOW - timedelta(hours=1) + timedelta(days=7 + 4)
    closed = staff.close_handoff("bright-smile", "in-1", NOW, HandoffOutcome.RESUME, by="u-1")
    assert closed.resumed == ("P-1",) and closed.ended == () and closed.follow_up is None
    going_on = active(aws, "P-1")
    assert going_on is not None and not going_on.paused
    assert going_on.next_step == 2 and going_on.next_step_due_at == NOW + timedelta(days=4)
    [stored] = HandoffRepository(aws.client("dynamodb"), aws.table).since("bright-smile", NOW)
    assert (stored.outcome, stored.closed_by) == (HandoffOutcome.RESUME, "u-1")


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [(HandoffOutcome.BOOKED, "booked"), (HandoffOutcome.END, "ended_by_staff"),
     (HandoffOutcome.OPT_OUT, "opt_out")],
)  # fmt: skip
def test_booked_end_and_opt_out_end_the_sequence(
    aws: Aws, staff: StaffService, outcome: HandoffOutcome, reason: str
) -> None:
    open_handoff(aws, HandoffReason.OTHER)
    pausing = paused_sequence(aws, "P-1")
    closed = staff.close_handoff("bright-smile", "in-1", NOW, outcome)
    assert closed.ended == ("P-1",) and closed.resumed == ()
    assert active(aws, "P-1") is None
    repository = SequenceRepository(aws.client("dynamodb"), aws.table)
    ended = repository.get("bright-smile", "P-1", pausing.sequence_id)
    assert ended is not None and ended.end_reason == reason and ended.next_step_due_at is None
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    opted = consent.opted_out("bright-smile", [NUMBER])
    assert opted == ({NUMBER} if outcome is HandoffOutcome.OPT_OUT else frozenset())
    assert closed.opted_out is (outcome is HandoffOutcome.OPT_OUT)
    assert closed.follow_up is None  # not a question


@pytest.mark.parametrize("outcome", [HandoffOutcome.RESUME, HandoffOutcome.END])
def test_a_question_staff_answered_with_nothing_left_to_send_is_followed_up(
    aws: Aws, staff: StaffService, outcome: HandoffOutcome
) -> None:
    open_handoff(aws, HandoffReason.QUESTION)
    closed = staff.close_handoff("bright-smile", "in-1", NOW, outcome)
    assert closed.follow_up == "P-1"  # one prompt for one question: the number's first patient
    follow_ups = QuestionFollowUps(aws.client("dynamodb"), aws.table)
    [pending] = follow_ups.due("bright-smile", NOW + timedelta(days=5))
    assert (pending.patient_id, pending.answered_at) == ("P-1", NOW)
    assert list(follow_ups.due("bright-smile", NOW + timedelta(days=5, seconds=-1))) == []


def test_a_question_answered_while_a_sequence_goes_on_gets_no_second_prompt(
    aws: Aws, staff: StaffService
) -> None:
    open_handoff(aws, HandoffReason.QUESTION)
    paused_sequence(aws, "P-1")
    closed = staff.close_handoff("bright-smile", "in-1", NOW, HandoffOutcome.RESUME)
    assert closed.follow_up is None  # its next step is the booking prompt
    follow_ups = QuestionFollowUps(aws.client("dynamodb"), aws.table)
    assert list(follow_ups.due("bright-smile", NOW + timedelta(days=30))) == []


def stored_reply(aws: Aws, intent: Intent = Intent.OTHER) -> None:
    reply = Reply(practice_id="bright-smile", inbound_message_id="in-1", from_number=NUMBER,
                  body="whatever", received_at=NOW - timedelta(hours=1), intent=intent,
                  notify_staff=True, patient_ids=("P-1",))  # fmt: skip
    dynamodb = aws.client("dynamodb")
    TransactionWriter(dynamodb).write([ReplyRepository(dynamodb, aws.table).save_write(
        reply, recorded_at=reply.received_at)])  # fmt: skip


def test_a_correction_is_counted_once_and_to_opt_out_opts_the_number_out(
    aws: Aws, staff: StaffService
) -> None:
    stored_reply(aws)
    consent = ConsentRepository(aws.client("dynamodb"), aws.table)
    replies = ReplyRepository(aws.client("dynamodb"), aws.table)
    correction = staff.correct_reply("bright-smile", "in-1", Intent.NOT_NOW, NOW)
    assert (correction.before, correction.after) == (Intent.OTHER, Intent.NOT_NOW)
    assert correction.changed and not correction.opted_out
    assert consent.opted_out("bright-smile", [NUMBER]) == frozenset()
    assert not staff.correct_reply("bright-smile", "in-1", Intent.NOT_NOW, NOW).changed
    assert (
        replies.corrections("bright-smile", NOW - timedelta(days=1), NOW + timedelta(days=1)) == 1
    )

    paused_sequence(aws, "P-1")  # the reply's patient is in a sequence
    out = staff.correct_reply("bright-smile", "in-1", Intent.OPT_OUT, NOW + timedelta(minutes=1))
    assert out.changed and out.opted_out
    assert consent.opted_out("bright-smile", [NUMBER]) == {NUMBER}
    assert active(aws, "P-1") is None  # ended, as STOP and a handoff closed as opt_out end it
    with pytest.raises(UnknownReply):
        staff.correct_reply("bright-smile", "in-nobody", Intent.BOOK, NOW)


def test_a_practice_text_is_saved_refused_or_cleared(aws: Aws, staff: StaffService) -> None:
    practices = PracticeRepository(aws.client("dynamodb"), aws.table)
    key, text = (
        "system.help.en",
        "Bright Smile Dental: call {{ practice_phone }}. Reply STOP to opt out.",
    )
    assert staff.set_text("bright-smile", key, f"  {text}\n").saved
    stored = practices.get("bright-smile")
    assert stored is not None and stored.message_overrides[key].text == text
    refused = staff.set_text("bright-smile", key, "Hi {{ diagnosis }}. Reply STOP to opt out.")
    assert not refused.saved
    stored = practices.get("bright-smile")
    assert stored is not None and stored.message_overrides[key].text == text  # unchanged
    assert staff.clear_text("bright-smile", key).saved
    stored = practices.get("bright-smile")
    assert stored is not None and stored.message_overrides == {}
    with pytest.raises(UnknownPractice):
        staff.set_text("nobody", key, text)


def test_an_openings_import_publishes_the_good_rows_and_returns_the_bad(
    aws: Aws, staff: StaffService
) -> None:
    slots = ("start,provider,category\n2026-11-26T09:00,Dr. Lee,hygiene\n"
             "next tuesday,Dr. Lee,hygiene\n2026-11-26T09:00,Dr. Lee,hygiene\n")  # fmt: skip
    published = staff.publish_openings("bright-smile", slots)
    assert (published.read, published.added) == (1, 1)
    assert [line for line, _ in published.problems] == [3, 4]
    assert staff.publish_openings("bright-smile", slots).added == 0  # already published
    with pytest.raises(UnknownPractice):
        staff.publish_openings("nobody", slots)
