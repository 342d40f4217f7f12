"""The practice's open appointment times, and the 2-3 of them a patient who said yes is offered
(spec/replies.md, `book`): the ones that fit what they said (morning, afternoon, evening, a
weekday, a provider), the soonest first, on different days where possible."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from reactivation.domain.conversation import Offer, Opening
from reactivation.domain.text import fold, words
from reactivation.domain.types import Campaign, Language, ServiceCategory

#: An opening is offered only if it starts at least this long after the reply...
NOTICE = timedelta(hours=2)
#: ...and at most this long after it.
HORIZON = timedelta(days=21)
#: How long an offer stands: a "2" after that is a new yes, answered with fresh times.
OFFER_LIFETIME = timedelta(days=3)
#: The visit a campaign brings the patient back for, where the campaign alone says it: the
#: openings of another category are not offered (an opening without a category fits any).
CAMPAIGN_CATEGORY = {
    Campaign.RECALL_DUE: ServiceCategory.HYGIENE,
    Campaign.CLINICAL_REVIEW: ServiceCategory.EXAM,
}
#: Parts of the day, by local start hour: [from, to).
PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
#: Words as `text.fold` leaves them (no accents: "miércoles" is "miercoles").
_WEEKDAYS = {
    "monday": 0, "mon": 0, "lunes": 0, "tuesday": 1, "tue": 1, "tues": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "miercoles": 2, "thursday": 3, "thu": 3, "thurs": 3,
    "jueves": 3, "friday": 4, "fri": 4, "viernes": 4, "saturday": 5, "sat": 5, "sabado": 5,
}  # fmt: skip
_PARTS = {
    "morning": "morning", "mornings": "morning", "early": "morning", "manana": "morning",
    "afternoon": "afternoon", "afternoons": "afternoon", "lunch": "afternoon",
    "tarde": "afternoon", "evening": "evening", "evenings": "evening",
    "after work": "evening", "after 5": "evening", "noche": "evening",
}  # fmt: skip


@dataclass(frozen=True)
class Preference:
    parts_of_day: frozenset[str] = frozenset()
    weekdays: frozenset[int] = frozenset()
    provider: str | None = None


def preference_from(text: str, providers: Iterable[str] = ()) -> Preference:
    """What a reply says about when and with whom ("Tuesday mornings", "with Dr Lee")."""
    said = words(text, digits=False)  # "tuesday9am": tuesday
    phrase = " ".join(words(text))  # "after 5pm" says "after 5"
    parts = {part for key, part in _PARTS.items() if key in said or (" " in key and key in phrase)}
    days = {day for key, day in _WEEKDAYS.items() if key in said}
    provider = next((p for p in providers if p and _surname(p) and _surname(p) in said), None)
    return Preference(frozenset(parts), frozenset(days), provider)


def _surname(provider: str) -> str:
    names = [w for w in words(provider, digits=False) if w not in {"dr", "dra"}]
    return names[-1] if names else ""


def fits(opening: Opening, preference: Preference, timezone: str) -> bool:
    local = opening.starts_at.astimezone(ZoneInfo(timezone))
    if preference.weekdays and local.weekday() not in preference.weekdays:
        return False
    if preference.parts_of_day and not any(
        PARTS_OF_DAY[p][0] <= local.hour < PARTS_OF_DAY[p][1] for p in preference.parts_of_day
    ):
        return False
    return preference.provider is None or opening.provider == preference.provider


def choose(
    openings: Sequence[Opening],
    preference: Preference,
    *,
    timezone: str,
    now: datetime,
    category: ServiceCategory | None = None,
    count: int = 3,
) -> list[Opening]:
    """Up to `count` open times: those that fit the preference (else, when none does, the
    soonest ones), at least two hours ahead, of the visit's category when openings say, the
    soonest first and one a day before a second on the same day."""
    usable = sorted(
        (o for o in openings
         if o.starts_at >= now + NOTICE
         and (category is None or o.category in (None, category))),
        key=lambda o: (o.starts_at, o.provider or ""),
    )  # fmt: skip
    fitting = [o for o in usable if fits(o, preference, timezone)] or usable
    zone = ZoneInfo(timezone)
    chosen: list[Opening] = []
    days: set[object] = set()
    for opening in fitting:  # one a day first
        day = opening.starts_at.astimezone(zone).date()
        if day not in days:
            chosen.append(opening)
            days.add(day)
        if len(chosen) == count:
            return chosen
    for opening in fitting:  # then the rest, soonest first
        if opening not in chosen:
            chosen.append(opening)
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda o: o.starts_at)


_ES_DAYS = ("lun", "mar", "mie", "jue", "vie", "sab", "dom")
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def when(opening: Opening, timezone: str, language: Language = Language.EN) -> str:
    """ "Tue Dec 1 9:00am" ("mar 1 dic 9:00am" in Spanish), as a text says it."""
    local = opening.starts_at.astimezone(ZoneInfo(timezone))
    hour = f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    if language is Language.ES:
        day, month = _ES_DAYS[local.weekday()], _ES_MONTHS[local.month - 1]
        return f"{day} {local.day} {month} {hour}"
    return f"{local:%a %b} {local.day} {hour}"


def offered_times(
    openings: Sequence[Opening], timezone: str, language: Language = Language.EN
) -> str:
    """ "1) Tue Dec 1 9:00am 2) Wed Dec 2 2:30pm 3) ..." for the offer text."""
    return " ".join(f"{n}) {when(o, timezone, language)}" for n, o in enumerate(openings, start=1))


def choice_words(count: int, language: Language = Language.EN) -> str:
    """The replies that pick one of `count` offered times: "1, 2 or 3", "1 or 2", "1"."""
    numbers = [str(n) for n in range(1, count + 1)]
    if len(numbers) <= 1:
        return "".join(numbers)
    last = "o" if language is Language.ES else "or"
    return f"{', '.join(numbers[:-1])} {last} {numbers[-1]}"


def offer(
    openings: Sequence[Opening],
    body: str,
    *,
    patient_id: str,
    language: Language,
    campaign: Campaign | None,
    timezone: str,
    now: datetime,
    usual_provider: str | None = None,
) -> Offer | None:
    """The 2-3 times to offer a patient whose reply (`body`) said yes, or None when the
    practice has no opening that could do. A provider the reply names comes first; else the
    provider of the patient's last visit (data-format.md: "so a rebooking can keep the same
    provider") when they have a time that fits."""
    providers = sorted({o.provider for o in openings if o.provider})
    preference = preference_from(body, providers)
    if preference.provider is None and usual_provider in providers:
        # their usual provider, where that provider has a time that fits what they said
        usual = replace(preference, provider=usual_provider)
        if any(fits(o, usual, timezone) and o.starts_at >= now + NOTICE for o in openings):
            preference = usual
    chosen = choose(
        openings,
        preference,
        timezone=timezone,
        now=now,
        category=CAMPAIGN_CATEGORY.get(campaign) if campaign else None,
    )
    if not chosen:
        return None
    return Offer(patient_id=patient_id, openings=tuple(chosen), offered_at=now, language=language)


def picked(standing: Offer | None, body: str, now: datetime) -> Opening | None:
    """The offered time a reply picks ("2", "the first one"), while the offer stands."""
    if standing is None or now >= standing.offered_at + OFFER_LIFETIME:
        return None
    number = choice(body, len(standing.openings))
    return standing.openings[number - 1] if number is not None else None


def described(opening: Opening, timezone: str) -> str:
    """ "Tue Dec 1 9:00am with Dr Lee", for the patient's confirmation and the front desk."""
    provider = f" with {opening.provider}" if opening.provider else ""
    return f"{when(opening, timezone)}{provider}"


_CHOICE = re.compile(r"^\W*(?:#|no\.?\s*|option\s*|opcion\s*)?([1-9])\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "primera": 1, "segunda": 2, "tercera": 3,
             "primero": 1, "segundo": 2, "tercero": 3}  # fmt: skip


def choice(text: str, offered: int) -> int | None:
    """Which of the `offered` times a reply picks ("2", "#2", "the second one"), or None."""
    folded = fold(text).strip()
    match = _CHOICE.match(folded)
    number = int(match.group(1)) if match else None
    if number is None:
        said = words(folded)
        number = next((n for word, n in _ORDINALS.items() if word in said), None)
    return number if number is not None and 1 <= number <= offered else None


@dataclass(frozen=True)
class OpeningsImport:
    openings: list[Opening]
    problems: list[tuple[int, str]]  # (line, reason)


def _too_soon(start: datetime, now: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    when = "in the past" if start <= now else "less than two hours ahead"
    return (
        f"start {start.astimezone(zone):%Y-%m-%d %H:%M} is {when}: a patient is offered only "
        f"times at least two hours ahead (from {(now + NOTICE).astimezone(zone):%Y-%m-%d %H:%M} "
        "now); leave it out, or publish a later time"
    )


def parse_openings(text: str, timezone: str, now: datetime | None = None) -> OpeningsImport:
    """`slots.csv`: start (ISO; local time unless it has an offset), provider, category. Each
    bad row is reported with its line and reason; the good ones are kept. Given `now`, an
    opening that starts before it, or less than NOTICE after it, is refused: it could never
    be offered."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if "start" not in fields:
        return OpeningsImport([], [(1, "no 'start' column (start, provider, category)")])
    openings: list[Opening] = []
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            start = datetime.fromisoformat(values["start"])
        except ValueError:
            problems.append((line, f"start {values.get('start')!r} is not an ISO date-time: "
                             "write YYYY-MM-DDTHH:MM, e.g. 2026-11-24T09:00"))  # fmt: skip
            continue
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(timezone))
        if now is not None and start < now + NOTICE:
            problems.append((line, _too_soon(start, now, timezone)))
            continue
        category = values.get("category", "").lower() or None
        try:
            opening = Opening(starts_at=start, provider=values.get("provider") or None,
                              category=ServiceCategory(category) if category else None)  # fmt: skip
        except (ValueError, ValidationError):
            allowed = ", ".join(member.value for member in ServiceCategory)
            problems.append((line, f"category {category!r} is not a service category: write "
                             f"one of {allowed}, or leave it blank for any visit"))  # fmt: skip
            continue
        if opening.opening_id in seen:
            problems.append((line, "the same start and provider as an earlier row"))
            continue
        seen.add(opening.opening_id)
        openings.append(opening)
    return OpeningsImport(openings, problems)
