"""What each reply does, as data (spec/replies.md): the consent change, each patient's change,
the answer, the handoff."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import HandoffReason
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.reply_plan import PatientChange, plan_reply
from reactivation.domain.types import Campaign

TODAY = date(2026, 11, 24)
FAMILY = [("P-1", Campaign.RECALL_DUE), ("P-2", None)]
NUMBER = "+12125550101"


def plan(intent: Intent, body: str = "", notify: bool = False, **kw: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"number": NUMBER, "today": TODAY, "opted_out": False,
                                 "later_consent_change": False, **kw}  # fmt: skip
    patients = kw.pop("patients", FAMILY)
    values.pop("patients", None)
    return plan_reply(intent, notify, body, patients, **values)  # type: ignore[arg-type]


def test_stop_opts_out_ends_every_sequence_and_confirms_once() -> None:
    stop = plan(Intent.OPT_OUT)
    assert stop.opt_out is True and stop.answer == "opt_out_confirmation"
    assert stop.changes == (PatientChange("P-1", Campaign.RECALL_DUE, stop="opt_out"),
                            PatientChange("P-2", None))  # fmt: skip
    assert plan(Intent.OPT_OUT, opted_out=True).answer is None  # already out: no second text
    stale = plan(Intent.OPT_OUT, later_consent_change=True)  # a later START already applied
    assert stale.opt_out is None and stale.answer is None


def test_a_start_after_a_stop_lifts_it_unless_a_later_stop_came_first() -> None:
    assert plan(Intent.OPT_IN, opted_out=True).opt_out is False
    assert plan(Intent.OPT_IN, opted_out=True).answer == "opt_in_confirmation"
    assert plan(Intent.OPT_IN, opted_out=True, later_consent_change=True).opt_out is None


def test_each_intent_changes_the_patients_as_the_spec_says() -> None:
    not_now = plan(Intent.NOT_NOW, "try me in March")
    assert not_now.changes[0].snoozed_until == date(2027, 3, 1)
    assert plan(Intent.DECLINE).changes[0].declined is Campaign.RECALL_DUE
    assert plan(Intent.DECLINE).changes[1].declined is None  # no active campaign to decline
    assert {c.hold for c in plan(Intent.COMPLAINT, notify=True).changes} == {"complaint"}
    assert {c.invalid_contact for c in plan(Intent.WRONG_NUMBER).changes} == {NUMBER}
    question = plan(Intent.QUESTION, "do you do sedation?", notify=True)
    assert question.changes[0].pause and question.changes[0].stop is None
    assert question.handoff is HandoffReason.QUESTION
    assert plan(Intent.SENSITIVE, notify=True).answer is None  # a person answers
    assert plan(Intent.CLINICAL, notify=True).answer == "handoff_ack"
    assert plan(Intent.BOOK).answer == "book_link"


def test_an_faq_answer_replaces_the_handoff() -> None:
    faq = (FaqAnswer(question="What are your hours?", answer="8-6."),)
    answered = plan(Intent.QUESTION, "your hours?", notify=True, faq=faq)
    assert answered.faq == "8-6." and answered.handoff is None


def test_a_stranger_is_handed_off_and_never_answered_but_a_stop_still_counts() -> None:
    stranger = plan(Intent.BOOK, "yes", patients=[])
    assert stranger.handoff is HandoffReason.UNKNOWN_NUMBER
    assert stranger.answer is None and stranger.changes == ()
    assert plan(Intent.OPT_OUT, patients=[]).opt_out is True


@given(st.sampled_from(list(Intent)), st.text(max_size=40), st.booleans())
def test_an_opted_out_number_is_answered_only_by_start_and_help(
    intent: Intent, body: str, notify: bool
) -> None:
    result = plan(intent, body, notify, opted_out=True)
    if intent not in (Intent.OPT_IN, Intent.HELP):
        assert result.answer is None and result.faq is None
