"""What each reply does, as data (spec/replies.md): the consent change, each patient's change,
the answer, the handoff."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import Intent, Opening
from reactivation.domain.handoffs import HandoffReason
from reactivation.domain.practice import FaqAnswer
from reactivation.domain.reply_plan import OpenTimes, PatientChange, plan_reply
from reactivation.domain.types import Campaign, Language

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


# ------------------------------------------------------------ the times a yes is offered
NY = "America/New_York"
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 10:00 in New York


def slot(day: int, hour: int, provider: str = "Dr. Lee") -> Opening:
    return Opening(starts_at=datetime(2026, 11, day, hour, tzinfo=ZoneInfo(NY)), provider=provider)


class Openings:
    """The practice's openings, counting how often the plan asks for them."""

    def __init__(self, openings: list[Opening]) -> None:
        self.openings, self.reads = openings, 0

    def __call__(self) -> list[Opening]:
        self.reads += 1
        return self.openings


def times(openings: Openings, **kw: object) -> OpenTimes:
    return OpenTimes(upcoming=openings, timezone=NY, now=NOW, language=Language.EN, **kw)  # type: ignore[arg-type]


def test_a_yes_is_offered_the_times_that_fit_and_no_one_is_asked_to_find_one() -> None:
    openings = Openings([slot(26, 9), slot(26, 15), slot(27, 10), slot(30, 16)])
    yes = plan(Intent.BOOK, "yes, mornings please", open_times=times(openings))
    assert yes.answer == "offer_times" and yes.handoff is None
    assert yes.offer is not None and yes.offer.patient_id == "P-1"  # the one in a sequence
    assert [o.starts_at.hour for o in yes.offer.openings] == [9, 10]
    assert yes.changes[0].stop == "book"  # the sequence ends as for any yes


def test_a_yes_without_openings_that_could_do_gets_the_booking_way_and_the_desk() -> None:
    for openings in (Openings([]), Openings([slot(24, 11)])):  # none; one too soon
        yes = plan(Intent.BOOK, "yes", open_times=times(openings))
        assert yes.answer == "book_link" and yes.offer is None
        assert yes.handoff is HandoffReason.BOOKING
    assert plan(Intent.BOOK, "yes").handoff is HandoffReason.BOOKING  # no open times given


def test_the_usual_provider_is_offered_first_when_they_have_a_time() -> None:
    openings = Openings([slot(26, 9), slot(27, 9, "Dr. Ruiz"), slot(30, 9, "Dr. Ruiz")])
    yes = plan(Intent.BOOK, "yes", open_times=times(openings, usual_providers={"P-1": "Dr. Ruiz"}))
    assert yes.offer is not None and {o.provider for o in yes.offer.openings} == {"Dr. Ruiz"}


@given(st.sampled_from(list(Intent)), st.booleans())
def test_only_a_yes_from_a_known_number_that_has_not_opted_out_reads_the_openings(
    intent: Intent, opted_out: bool
) -> None:
    openings = Openings([slot(26, 9)])
    result = plan(intent, "yes", opted_out=opted_out, open_times=times(openings))
    plan(intent, "yes", patients=[], open_times=times(openings))  # a stranger: never
    offered = intent is Intent.BOOK and not opted_out
    assert openings.reads == (1 if offered else 0)
    assert (result.offer is not None) is offered
