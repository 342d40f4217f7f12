"""The rules every stored outcome must keep, checked by walking the whole table: what the
reliability tests assert after a run, whatever faults it met. Each violation names ids and
times only, never a number, an address or a text.

- every message was sent inside sending hours (the patient's zone and the number's);
- each step of an enrolment went out at most once;
- nothing went to a contact after its opt-out (while it stays opted out);
- a number got at most one outreach message a local day, two in 7 days and four in 30.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reactivation.adapters.items import from_attributes, model_fields
from reactivation.domain.patients import Patient
from reactivation.domain.practice import Practice
from reactivation.domain.sending import is_open, number_timezones


@dataclass(frozen=True)
class Violation:
    rule: str
    practice_id: str
    detail: str


@dataclass(frozen=True)
class _Sent:
    practice_id: str
    patient_id: str
    sequence_id: str
    step: int
    channel: str
    sent_at: datetime


def _items(client: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            yield from_attributes(item)


def check(client: Any, table: str) -> list[Violation]:
    """Every violation of the rules above in the table, for every practice."""
    practices: dict[str, Practice] = {}
    patients: dict[tuple[str, str], Patient] = {}
    sent: list[_Sent] = []
    opted_out: dict[tuple[str, str], bool] = {}
    opt_outs: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for item in _items(client, table):
        pk, sk = str(item["pk"]), str(item["sk"])
        if sk == "PRACTICE":
            known = Practice.model_validate(model_fields(Practice, item))
            practices[known.practice_id] = known
        elif sk == "PATIENT":
            record = Patient.model_validate(model_fields(Patient, item))
            patients[(pk.split("#")[1], record.patient_id)] = record
        elif sk.startswith("MESSAGE#") and item.get("status") == "sent":
            sent.append(_Sent(str(item["practice_id"]), str(item["patient_id"]),
                              str(item["sequence_id"]), int(item["step"]), str(item["channel"]),
                              datetime.fromisoformat(str(item["sent_at"]))))  # fmt: skip
        elif sk == "CONSENT":
            opted_out[(pk.split("#")[1], pk.split("#NUMBER#")[1])] = (
                item.get("status") == "opted_out"
            )
        elif sk.startswith("OPTOUT#"):
            recorded = str(item["gsi1sk"]).split("#", 1)[0]
            opt_outs[(pk.split("#")[1], pk.split("#NUMBER#")[1])].append(
                datetime.fromisoformat(recorded)
            )
    violations: list[Violation] = []
    steps: dict[tuple[str, str, str, int], int] = defaultdict(int)
    to_number: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for message in sent:
        practice = practices.get(message.practice_id)
        patient = patients.get((message.practice_id, message.patient_id))
        if practice is None or patient is None:
            continue
        zone = patient.timezone or practice.timezone
        contact = patient.mobile if message.channel == "sms" else patient.email
        zones = [zone, *(number_timezones(contact) if message.channel == "sms" and contact else ())]
        where = f"patient {message.patient_id}, sequence {message.sequence_id} step {message.step}"
        if not is_open(message.sent_at, zones, practice.sending_window):
            violations.append(Violation("outside sending hours", practice.practice_id,
                                        f"{where} at {message.sent_at.isoformat()}"))  # fmt: skip
        step = (message.practice_id, message.patient_id, message.sequence_id, message.step)
        steps[step] += 1
        if steps[step] == 2:
            violations.append(Violation("a step sent twice", practice.practice_id, where))
        if contact is None:
            continue
        key = (message.practice_id, contact)
        if opted_out.get(key) and any(r < message.sent_at for r in opt_outs.get(key, [])):
            violations.append(Violation("sent after an opt-out", practice.practice_id, where))
        if message.channel == "sms":
            to_number[key].append((message.sent_at, zone))
    for (practice_id, _), sends in to_number.items():
        violations += _caps(practice_id, sorted(sends))
    return violations


def _caps(practice_id: str, sends: list[tuple[datetime, str]]) -> list[Violation]:
    found = []
    for i, (at, zone) in enumerate(sends):
        before = [s for s, _ in sends[:i]]
        day = at.astimezone(ZoneInfo(zone)).date()
        if any(s.astimezone(ZoneInfo(zone)).date() == day for s in before):
            found.append(
                Violation("two messages to a number in a day", practice_id, at.isoformat())
            )
        if sum(1 for s in before if at - s < timedelta(days=7)) >= 2:
            found.append(Violation("three messages to a number in 7 days", practice_id,
                                   at.isoformat()))  # fmt: skip
        if sum(1 for s in before if at - s < timedelta(days=30)) >= 4:
            found.append(Violation("five messages to a number in 30 days", practice_id,
                                   at.isoformat()))  # fmt: skip
    return found
