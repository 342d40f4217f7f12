"""A plain reading of the spec, the baseline for `reactivation preview`'s time and memory.

Reads a practice's export (patients.csv, appointments.csv, plans.csv as data-format.md
defines them) with the csv module into plain dicts, groups the appointments and plans by
patient, and decides each patient's campaign or skip as of 00:00 of a date with no history,
by campaigns.md, as `reactivation preview` does. Standard library only: no pydantic, no
phonenumbers (a mobile is checked against the North American numbering plan, which is
what the format's default country US needs; a number with another country code is valid
when it has 8 to 15 digits). Written as one would in a day: no tuning.

The holdout's hash is the project's (the spec leaves the hash open; the reference must draw
the same patients to be compared): sha256 of "practice|patient|campaign|YYYY-Qn" with the
practice id `preview`.

Run: `python bench/reference_segmentation.py DIR --as-of 2026-11-24 [--vertical dental]
[--timezone America/New_York] [--holdout 10]`; one JSON object per patient on standard
output, the counts of rows read and rejected on standard error.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import json
import re
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

#: A patient, appointment or plan as read: plain dicts.
Record = dict[str, Any]

TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n"}
CATEGORIES = {
    "hygiene", "exam", "restorative", "treatment", "neurotoxin", "filler", "laser",
    "body_contouring", "facial", "consultation", "skin_check", "medical_derm", "cosmetic_other",
    "other",
}  # fmt: skip
APPOINTMENT_STATUSES = {"scheduled", "completed", "cancelled", "no_show"}
PLAN_KINDS = {"treatment_plan", "follow_up", "series", "consultation", "chronic_review",
              "surveillance"}  # fmt: skip
PLAN_STATUSES = {"open", "scheduled", "completed", "declined"}
MEMBERSHIP = {"none", "active", "cancelled"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NANP = re.compile(r"^1?([2-9]\d{2})([2-9]\d{2})(\d{4})$")

PRIORITY = [
    "missed_appointment", "clinical_review", "follow_up_due", "unscheduled_treatment",
    "consult_not_started", "new_patient", "series_incomplete", "maintenance_due", "recall_due",
    "lapsed_membership", "lapsed_patient",
]  # fmt: skip
MARKETING = {"maintenance_due", "lapsed_membership"}
VERTICALS = {
    "dental": {"missed_appointment", "unscheduled_treatment", "new_patient", "recall_due",
               "lapsed_membership", "lapsed_patient"},
    "medspa": {"missed_appointment", "consult_not_started", "new_patient", "series_incomplete",
               "maintenance_due", "lapsed_membership", "lapsed_patient"},
    "dermatology": {"missed_appointment", "clinical_review", "follow_up_due",
                    "consult_not_started", "new_patient", "series_incomplete",
                    "maintenance_due", "lapsed_patient"},
}  # fmt: skip


class Bad(ValueError):
    pass


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows as {lower-case column: stripped value}; blank rows skipped."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        header = [name.strip().lower() for name in next(reader, [])]
        for values in reader:
            if any(value.strip() for value in values):
                rows.append(
                    {name: value.strip() for name, value in zip(header, values, strict=False)}
                )
    return rows


def boolean(value: str) -> bool | None:
    if value == "":
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise Bad("not yes/no")


def day(value: str) -> date | None:
    if value == "":
        return None
    us = US_DATE.match(value)
    try:
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
        if ISO_DATE.match(value):
            return date.fromisoformat(value)
    except ValueError as error:
        raise Bad("not a real date") from error
    raise Bad("not a date")


def valid_mobile(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.strip().startswith("+") and not digits.startswith("1"):
        return 8 <= len(digits) <= 15
    return NANP.match(digits) is not None


def required(row: dict[str, str], *columns: str) -> None:
    for column in columns:
        if not row.get(column):
            raise Bad(f"missing {column}")


def read_patients(path: Path) -> tuple[list[Record], int]:
    patients: list[Record] = []
    seen = set()
    rejected = 0
    for row in read_csv(path):
        try:
            required(row, "patient_id", "first_name")
            if row["patient_id"] in seen:
                raise Bad("duplicate")
            status = row.get("membership_status", "").lower() or "none"
            if status not in MEMBERSHIP:
                raise Bad("membership_status")
            patient = {
                "id": row["patient_id"],
                "mobile": bool(row.get("mobile")) and valid_mobile(row["mobile"]),
                "email": bool(row.get("email")) and EMAIL.match(row["email"]) is not None,
                "sms_opt_in": boolean(row.get("sms_opt_in", "")),
                "email_opt_in": boolean(row.get("email_opt_in", "")),
                "marketing_opt_in": boolean(row.get("marketing_opt_in", "")) is True,
                "do_not_contact": boolean(row.get("do_not_contact", "")) is True,
                "deceased": boolean(row.get("deceased", "")) is True,
                "membership_status": status,
                "membership_ended_on": day(row.get("membership_ended_on", "")),
                "benefits_expire_on": day(row.get("benefits_expire_on", "")),
                "lead_created_on": day(row.get("lead_created_on", "")),
            }
        except Bad:
            rejected += 1
            continue
        seen.add(row["patient_id"])
        patients.append(patient)
    return patients, rejected


def read_appointments(
    path: Path, patients: set[str], timezone: ZoneInfo
) -> tuple[list[Record], int]:
    appointments: list[Record] = []
    seen = set()
    rejected = 0
    for row in read_csv(path):
        try:
            required(row, "appointment_id", "patient_id", "starts_at", "category", "status")
            if row["appointment_id"] in seen:
                raise Bad("duplicate")
            if row["patient_id"] not in patients:
                raise Bad("unknown patient")
            try:
                starts_at = datetime.fromisoformat(row["starts_at"])
            except ValueError as error:
                raise Bad("starts_at") from error
            if starts_at.tzinfo is None:
                starts_at = starts_at.replace(tzinfo=timezone)
            category, status = row["category"].lower(), row["status"].lower()
            if category not in CATEGORIES or status not in APPOINTMENT_STATUSES:
                raise Bad("category or status")
        except Bad:
            rejected += 1
            continue
        seen.add(row["appointment_id"])
        appointments.append({
            "patient_id": row["patient_id"],
            "starts_at": starts_at,
            "date": starts_at.astimezone(timezone).date(),
            "category": category,
            "status": status,
        })  # fmt: skip
    return appointments, rejected


def read_plans(path: Path, patients: set[str]) -> tuple[list[Record], int]:
    plans: list[Record] = []
    seen = set()
    rejected = 0
    for row in read_csv(path):
        try:
            required(row, "plan_id", "patient_id", "kind", "created_on", "status")
            if row["plan_id"] in seen:
                raise Bad("duplicate")
            if row["patient_id"] not in patients:
                raise Bad("unknown patient")
            kind, status = row["kind"].lower(), row["status"].lower()
            category = row.get("category", "").lower() or None
            if kind not in PLAN_KINDS or status not in PLAN_STATUSES:
                raise Bad("kind or status")
            if category is not None and category not in CATEGORIES:
                raise Bad("category")
            if kind in ("follow_up", "chronic_review", "surveillance"):
                required(row, "due_on")
            sessions = []
            for column in ("sessions_planned", "sessions_completed"):
                value = row.get(column, "")
                if kind == "series" and value == "":
                    raise Bad(f"missing {column}")
                if value != "" and not value.isdigit():
                    raise Bad(column)
                sessions.append(int(value) if value else None)
            if sessions[0] is not None and sessions[0] < 1:
                raise Bad("sessions_planned")
            plan = {
                "patient_id": row["patient_id"],
                "kind": kind,
                "category": category,
                "created_on": day(row["created_on"]),
                "due_on": day(row.get("due_on", "")),
                "sessions_planned": sessions[0],
                "sessions_completed": sessions[1],
                "status": status,
            }
        except Bad:
            rejected += 1
            continue
        seen.add(row["plan_id"])
        plans.append(plan)
    return plans, rejected


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def iso_quarter(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-Q{min(4, (week - 1) // 13 + 1)}"


def in_holdout(patient_id: str, campaign: str, today: date, percent: int) -> bool:
    if percent == 0:
        return False
    key = f"preview|{patient_id}|{campaign}|{iso_quarter(today)}"
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 10_000
    return bucket < percent * 100


def last_completed(appointments: list[Record], categories: set[str] | None) -> date | None:
    days = [
        a["date"]
        for a in appointments
        if a["status"] == "completed" and (categories is None or a["category"] in categories)
    ]
    return max(days) if days else None


def rule_holds(
    campaign: str,
    patient: Record,
    appointments: list[Record],
    plans: list[Record],
    today: date,
    run_start: datetime,
) -> bool:
    def age(of: date) -> int:
        return (today - of).days

    def open_plans(*kinds: str) -> list[Record]:
        return [p for p in plans if p["status"] == "open" and p["kind"] in kinds]

    if campaign == "missed_appointment":
        started = [a for a in appointments
                   if a["starts_at"] < run_start and a["status"] != "scheduled"]  # fmt: skip
        if not started:
            return False
        latest = max(started, key=lambda a: a["starts_at"])
        return latest["status"] in ("no_show", "cancelled") and 0 <= age(latest["date"]) <= 30
    if campaign == "clinical_review":
        return any(0 <= age(p["due_on"]) <= 365
                   for p in open_plans("chronic_review", "surveillance"))  # fmt: skip
    if campaign == "follow_up_due":
        return any(-14 <= age(p["due_on"]) <= 90 for p in open_plans("follow_up"))
    if campaign == "unscheduled_treatment":
        return any(30 <= age(p["created_on"]) <= 180 for p in open_plans("treatment_plan"))
    if campaign == "consult_not_started":
        return any(14 <= age(p["created_on"]) <= 90 for p in open_plans("consultation"))
    if campaign == "new_patient":
        lead = patient["lead_created_on"]
        return lead is not None and 0 <= age(lead) <= 30 and not appointments
    if campaign == "series_incomplete":
        for plan in open_plans("series"):
            planned, done = plan["sessions_planned"], plan["sessions_completed"]
            if not 1 <= done < planned:
                continue
            last = last_completed(appointments, None if plan["category"] is None
                                  else {plan["category"]})  # fmt: skip
            if last is not None and 42 <= age(last) <= 365:
                return True
        return False
    if campaign == "maintenance_due":
        toxin = last_completed(appointments, {"neurotoxin"})
        filler = last_completed(appointments, {"filler"})
        return (toxin is not None and 70 <= age(toxin) <= 98) or (
            filler is not None and add_months(filler, 6) <= today <= add_months(filler, 12)
        )
    if campaign == "recall_due":
        recall = last_completed(appointments, {"hygiene", "exam"})
        visit = last_completed(appointments, None)
        return (recall is not None and visit is not None
                and add_months(recall, 6) <= today < add_months(visit, 12))  # fmt: skip
    if campaign == "lapsed_membership":
        if patient["membership_status"] == "cancelled":
            ended = patient["membership_ended_on"]
            return ended is not None and 30 <= age(ended) <= 180
        if patient["membership_status"] == "active":
            expires = patient["benefits_expire_on"]
            return expires is not None and 0 <= -age(expires) <= 30
        return False
    if campaign == "lapsed_patient":
        visit = last_completed(appointments, None)
        return visit is not None and add_months(visit, 12) <= today <= add_months(visit, 36)
    raise ValueError(campaign)


def decide(
    patient: Record,
    appointments: list[Record],
    plans: list[Record],
    run_start: datetime,
    enabled: set[str],
    holdout: int,
) -> Record:
    today = run_start.date()
    answer: Record = {"patient_id": patient["id"], "campaign": None, "skip": None,
                                 "channel": None, "holdout": False}  # fmt: skip
    sms = patient["mobile"] and patient["sms_opt_in"] is not False
    email = patient["email"] and patient["email_opt_in"] is not False
    future = any(a["status"] == "scheduled" and a["starts_at"] >= run_start
                 for a in appointments)  # fmt: skip
    if patient["deceased"]:
        answer["skip"] = "deceased"
    elif patient["do_not_contact"]:
        answer["skip"] = "do_not_contact"
    elif future:
        answer["skip"] = "has_future_appointment"
    elif (patient["mobile"] or patient["email"]) and not (sms or email):
        answer["skip"] = "opted_out"
    elif not (patient["mobile"] or patient["email"]):
        answer["skip"] = "no_channel"
    if answer["skip"] is not None:
        return answer
    for campaign in PRIORITY:
        if campaign not in enabled:
            continue
        if not rule_holds(campaign, patient, appointments, plans, today, run_start):
            continue
        if campaign in MARKETING and not patient["marketing_opt_in"]:
            answer["skip"] = "no_marketing_consent"
            return answer
        answer["campaign"] = campaign
        answer["channel"] = "sms" if sms else "email"
        if campaign == "lapsed_patient" and email:
            answer["channel"] = "email"
        answer["holdout"] = in_holdout(str(patient["id"]), campaign, today, holdout)
        return answer
    answer["skip"] = "not_eligible"
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--vertical", choices=sorted(VERTICALS))
    parser.add_argument("--timezone", default="America/New_York")
    parser.add_argument("--holdout", type=int, default=10)
    args = parser.parse_args()
    timezone = ZoneInfo(args.timezone)
    run_start = datetime.combine(args.as_of, time(0), timezone)

    patients, rejected = read_patients(args.directory / "patients.csv")
    print(f"patients.csv: {len(patients)} imported, {rejected} rejected", file=sys.stderr)
    ids = {str(patient["id"]) for patient in patients}
    appointments: list[Record] = []
    plans: list[Record] = []
    if (args.directory / "appointments.csv").is_file():
        appointments, rejected = read_appointments(
            args.directory / "appointments.csv", ids, timezone
        )
        print(f"appointments.csv: {len(appointments)} imported, {rejected} rejected",
              file=sys.stderr)  # fmt: skip
    if (args.directory / "plans.csv").is_file():
        plans, rejected = read_plans(args.directory / "plans.csv", ids)
        print(f"plans.csv: {len(plans)} imported, {rejected} rejected", file=sys.stderr)

    appointments_of: dict[str, list[Record]] = {}
    for appointment in appointments:
        appointments_of.setdefault(str(appointment["patient_id"]), []).append(appointment)
    plans_of: dict[str, list[Record]] = {}
    for plan in plans:
        plans_of.setdefault(str(plan["patient_id"]), []).append(plan)

    enabled = VERTICALS[args.vertical] if args.vertical else set(PRIORITY)
    for patient in patients:
        patient_id = str(patient["id"])
        answer = decide(patient, appointments_of.get(patient_id, []), plans_of.get(patient_id, []),
                        run_start, enabled, args.holdout)  # fmt: skip
        print(json.dumps(answer))


if __name__ == "__main__":
    main()
