"""Who sees which reply, how urgently; the approved answers to common questions."""

import pytest

from reactivation.domain.conversation import Intent
from reactivation.domain.handoffs import (
    HandoffReason,
    Team,
    faq_answer,
    handoff_reason,
    recipients,
    route,
)
from reactivation.domain.practice import FaqAnswer

FAQ = (
    FaqAnswer(question="What are your hours?", answer="Mon-Fri 8-6."),
    FaqAnswer(question="Do you have parking?", answer="Yes, behind the building."),
    FaqAnswer(question="¿Tienen estacionamiento?", answer="Sí, detrás del edificio."),
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("what are your hours?", "Mon-Fri 8-6."),
        ("Hours??", "Mon-Fri 8-6."),
        ("is there parking", "Yes, behind the building."),
        ("tienen estacionamiento?", "Sí, detrás del edificio."),
        ("do you do sedation?", None),
        ("who is this", None),
        ("", None),
    ],
)
def test_an_approved_answer_only_when_the_question_matches(
    question: str, answer: str | None
) -> None:
    assert faq_answer(question, FAQ) == answer


@pytest.mark.parametrize(
    ("intent", "notify", "known", "faq", "reason"),
    [
        (Intent.CLINICAL, True, True, False, HandoffReason.CLINICAL),
        (Intent.SENSITIVE, True, True, False, HandoffReason.SENSITIVE),
        (Intent.COMPLAINT, True, True, False, HandoffReason.COMPLAINT),
        (Intent.BILLING, True, True, False, HandoffReason.BILLING),
        (Intent.QUESTION, True, True, False, HandoffReason.QUESTION),
        (Intent.QUESTION, True, True, True, None),
        (Intent.OTHER, True, True, False, HandoffReason.OTHER),
        (Intent.OPT_OUT, False, True, False, None),
        (Intent.OPT_OUT, True, True, False, HandoffReason.OPT_OUT_NOTE),
        (Intent.BOOK, False, True, False, HandoffReason.BOOKING),
        (Intent.NOT_NOW, False, True, False, None),
        (Intent.DECLINE, False, True, False, None),
        (Intent.WRONG_NUMBER, False, True, False, None),
        (Intent.BOOK, False, False, False, HandoffReason.UNKNOWN_NUMBER),
        (Intent.OPT_OUT, False, False, False, None),  # a stranger's STOP is still honoured
    ],
)
def test_which_replies_a_person_must_see(
    intent: Intent, notify: bool, known: bool, faq: bool, reason: HandoffReason | None
) -> None:
    assert handoff_reason(intent, notify, known_number=known, answered_from_faq=faq) == reason


def test_clinical_goes_to_the_clinician_urgently_complaints_to_the_manager() -> None:
    assert route(HandoffReason.CLINICAL) == (Team.CLINICAL, True)
    assert route(HandoffReason.COMPLAINT) == (Team.MANAGER, False)
    assert route(HandoffReason.BILLING) == (Team.FRONT_DESK, False)
    owners = ("owner@x.test",)
    assert recipients(Team.CLINICAL, clinical="rn@x.test", front_desk="fd@x.test",
                      owners=owners) == ("rn@x.test",)  # fmt: skip
    assert recipients(Team.CLINICAL, clinical=None, front_desk="fd@x.test",
                      owners=owners) == ("fd@x.test",)  # fmt: skip
    assert recipients(Team.MANAGER, clinical="rn@x.test", front_desk="fd@x.test",
                      owners=owners) == owners  # fmt: skip
    assert recipients(Team.FRONT_DESK, clinical=None, front_desk=None, owners=owners) == owners
