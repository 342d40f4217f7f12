"""Openings: the 2-3 times a yes is offered, what a reply picks, the slots.csv import."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.conversation import Opening
from reactivation.domain.openings import (
    NOTICE,
    OFFER_LIFETIME,
    Preference,
    choice,
    choose,
    described,
    fits,
    offer,
    offered_times,
    parse_openings,
    picked,
    preference_from,
)
from reactivation.domain.types import Campaign, Language, ServiceCategory

NY = "America/New_York"
NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)  # Monday 10:00 in New York


def at(text: str, provider: str | None = "Dr. Lee") -> Opening:
    return Opening(starts_at=datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(NY)),
                   provider=provider)  # fmt: skip


WEEK = [
    at("2026-11-23T11:00"),  # too soon (less than two hours)
    at("2026-11-24T09:00"), at("2026-11-24T09:30", "Dr. Patel"), at("2026-11-24T14:00"),
    at("2026-11-25T18:00"), at("2026-11-27T10:00", "Dr. Patel"), at("2026-11-28T09:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", Preference()),
        ("Tuesday works", Preference(weekdays=frozenset({1}))),
        ("mornings are best", Preference(parts_of_day=frozenset({"morning"}))),
        ("after work on fri", Preference(frozenset({"evening"}), frozenset({4}))),
        ("can I see dr patel", Preference(provider="Dr. Patel")),
        ("el martes por la tarde", Preference(frozenset({"afternoon"}), frozenset({1}))),
        ("I am free any day", Preference()),  # "am" is not a morning
    ],
)
def test_what_a_yes_says_about_when_and_who(text: str, expected: Preference) -> None:
    assert preference_from(text, providers=["Dr. Lee", "Dr. Patel"]) == expected


def test_the_offer_fits_the_preference_soonest_first_one_a_day() -> None:
    offer = choose(WEEK, Preference(), timezone=NY, now=NOW)
    assert [o.starts_at.day for o in offer] == [24, 25, 27]  # one a day, too-soon left out
    mornings = choose(WEEK, Preference(parts_of_day=frozenset({"morning"})), timezone=NY,
                      now=NOW)  # fmt: skip
    assert [o.starts_at.astimezone(ZoneInfo(NY)).hour for o in mornings] == [9, 10, 9]
    patel = choose(WEEK, Preference(provider="Dr. Patel"), timezone=NY, now=NOW)
    assert {o.provider for o in patel} == {"Dr. Patel"} and len(patel) == 2
    sunday = choose(WEEK, Preference(weekdays=frozenset({6})), timezone=NY, now=NOW)
    assert len(sunday) == 3  # nothing fits: the soonest ones rather than nothing
    assert (
        offered_times(offer, NY)
        == "1) Tue Nov 24 9:00am 2) Wed Nov 25 6:00pm 3) Fri Nov 27 10:00am"
    )


@given(
    starts=st.lists(st.integers(min_value=0, max_value=24 * 21), min_size=0, max_size=40),
    parts=st.sets(st.sampled_from(["morning", "afternoon", "evening"])),
    days=st.sets(st.integers(min_value=0, max_value=5)),
)
def test_an_offer_is_never_too_soon_never_repeated_and_fits_when_anything_fits(
    starts: list[int], parts: set[str], days: set[int]
) -> None:
    openings = [Opening(starts_at=NOW + timedelta(hours=h), provider="Dr. Lee")
                for h in sorted(set(starts))]  # fmt: skip
    preference = Preference(frozenset(parts), frozenset(days))
    offer = choose(openings, preference, timezone=NY, now=NOW)
    usable = [o for o in openings if o.starts_at >= NOW + NOTICE]
    fitting = [o for o in usable if fits(o, preference, NY)]
    assert len(offer) == min(3, len(fitting or usable))
    assert len({o.opening_id for o in offer}) == len(offer)
    assert all(o.starts_at >= NOW + NOTICE for o in offer)
    assert offer == sorted(offer, key=lambda o: o.starts_at)
    if fitting:
        assert all(fits(o, preference, NY) for o in offer)


@pytest.mark.parametrize(
    ("text", "picked"),
    [("2", 2), ("#3", 3), ("1 please", 1), ("the second one", 2), ("option 2", 2),
     ("la primera", 1), ("4", None), ("yes", None), ("22", None), ("0", None)],
)  # fmt: skip
def test_which_time_a_reply_picks(text: str, picked: int | None) -> None:
    assert choice(text, offered=3) == picked


def test_slots_csv_keeps_the_good_rows_and_reports_each_bad_one_with_its_line() -> None:
    text = (
        "start,provider,category\n"
        "2026-11-24T09:00,Dr. Lee,hygiene\n"
        "2026-11-24T14:00-05:00,,\n"
        "tomorrow,Dr. Lee,hygiene\n"
        "2026-11-24T09:00,Dr. Lee,exam\n"
        "2026-11-25T09:00,Dr. Lee,whitening\n"
    )
    result = parse_openings(text, NY)
    assert [(o.starts_at.isoformat(), o.provider, o.category) for o in result.openings] == [
        ("2026-11-24T09:00:00-05:00", "Dr. Lee", ServiceCategory.HYGIENE),
        ("2026-11-24T14:00:00-05:00", None, None),
    ]
    assert [(line, reason.split(":")[0]) for line, reason in result.problems] == [
        (4, "start 'tomorrow' is not an ISO date-time"),
        (5, "the same start and provider as an earlier row"),
        (6, "category 'whitening' is not a service category"),
    ]
    assert "write YYYY-MM-DDTHH:MM" in result.problems[0][1]
    assert "write one of hygiene, exam," in result.problems[2][1]
    assert parse_openings("when,who\n", NY).problems == [
        (1, "no 'start' column (start, provider, category)")
    ]


def test_an_opening_in_the_past_or_under_two_hours_ahead_is_refused_with_the_reason() -> None:
    now = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York
    text = (
        "start,provider,category\n"
        "2026-11-23T09:00,Dr. Lee,hygiene\n"  # yesterday
        "2026-11-24T10:30,Dr. Lee,hygiene\n"  # in 90 minutes
        "2026-11-24T11:00,Dr. Lee,hygiene\n"  # two hours ahead: offered
    )
    result = parse_openings(text, NY, now)
    assert [o.starts_at.isoformat() for o in result.openings] == ["2026-11-24T11:00:00-05:00"]
    assert result.problems == [
        (2, "start 2026-11-23 09:00 is in the past: a patient is offered only times at least "
            "two hours ahead (from 2026-11-24 11:00 now); leave it out, or publish a later time"),
        (3, "start 2026-11-24 10:30 is less than two hours ahead: a patient is offered only "
            "times at least two hours ahead (from 2026-11-24 11:00 now); leave it out, or "
            "publish a later time"),
    ]  # fmt: skip


def test_an_offer_keeps_to_the_campaigns_visit_and_stands_three_days() -> None:
    hygiene = [o.model_copy(update={"category": ServiceCategory.HYGIENE}) for o in WEEK[1:3]]
    filling = [o.model_copy(update={"category": ServiceCategory.RESTORATIVE}) for o in WEEK[3:]]
    made = offer([*hygiene, *filling], "yes", patient_id="P-1", language=Language.EN,
                 campaign=Campaign.RECALL_DUE, timezone=NY, now=NOW)  # fmt: skip
    assert made is not None and list(made.openings) == hygiene  # never a filling for a recall
    assert offer(filling, "yes", patient_id="P-1", language=Language.EN,
                 campaign=Campaign.RECALL_DUE, timezone=NY, now=NOW) is None  # fmt: skip
    assert picked(made, "2", NOW + OFFER_LIFETIME - timedelta(seconds=1)) == hygiene[1]
    assert picked(made, "2", NOW + OFFER_LIFETIME) is None  # stale: a new yes
    assert picked(made, "3", NOW) is None  # only two were offered
    assert picked(None, "1", NOW) is None


def test_times_are_written_in_the_patients_language() -> None:
    assert offered_times(WEEK[1:3], NY, Language.ES) == "1) mar 24 nov 9:00am 2) mar 24 nov 9:30am"
    assert described(WEEK[2], NY) == "Tue Nov 24 9:30am with Dr. Patel"


def test_the_usual_provider_comes_first_where_they_have_a_time_that_fits() -> None:
    def made(body: str, usual: str | None) -> list[Opening]:
        result = offer(WEEK, body, patient_id="P-1", language=Language.EN, campaign=None,
                       timezone=NY, now=NOW, usual_provider=usual)  # fmt: skip
        assert result is not None
        return list(result.openings)

    assert {o.provider for o in made("yes", "Dr. Patel")} == {"Dr. Patel"}
    # Dr. Patel has no Saturday: what they said comes first, with whoever has a time
    assert [o.provider for o in made("saturday", "Dr. Patel")] == ["Dr. Lee"]
    assert made("yes with Dr Lee", "Dr. Patel")[0].provider == "Dr. Lee"  # named wins
    assert made("yes", "Dr. Nobody") == made("yes", None)  # not a provider with openings


def test_the_offer_names_as_many_choices_as_times_offered() -> None:
    from reactivation.domain.messages import MessageLibrary, MessageValues
    from reactivation.domain.openings import choice_words

    assert [choice_words(n) for n in (1, 2, 3)] == ["1", "1 or 2", "1, 2 or 3"]
    assert [choice_words(n, Language.ES) for n in (1, 2, 3)] == ["1", "1 o 2", "1, 2 o 3"]
    library = MessageLibrary.default()
    two = MessageValues(first_name="", practice_name="Bright Smile Dental",
                        practice_phone="(212) 555-0100",
                        offered_times="1) Tue Dec 15 9:00am 2) Tue Dec 15 2:00pm",
                        choices=choice_words(2))  # fmt: skip
    assert library.system_sms("offer_times", Language.EN, two) == (
        "Bright Smile Dental has 1) Tue Dec 15 9:00am 2) Tue Dec 15 2:00pm. Reply 1 or 2 to "
        "pick one, or a day that suits you."
    )
    one_left = MessageValues(first_name="", practice_name="Bright Smile Dental",
                             practice_phone="(212) 555-0100",
                             offered_times="1) Tue Dec 15 2:00pm",
                             choices=choice_words(1, Language.ES))  # fmt: skip
    assert library.system_sms("time_taken", Language.ES, one_left).endswith(
        "Quedan: 1) Tue Dec 15 2:00pm. Responda 1 para elegir."
    )
