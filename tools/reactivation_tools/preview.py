"""`reactivation preview`: who would be contacted and why, from a practice's export, offline.

The rules of campaigns.md with no history (nobody in a sequence, no opt-outs but those in
the files), as of 00:00 of the given date in the practice's timezone.
"""

from __future__ import annotations

import atexit
import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reactivation.domain import rules
from reactivation.domain.export_text import FileRefused, TextNotes, export_lines
from reactivation.domain.importing import (
    MAX_LINE_CHARS,
    AppointmentValues,
    FileImport,
    ImportSettings,
    fold_appointments,
    parse_patients,
    parse_plans,
)
from reactivation.domain.outreach import Decision, SkipReason
from reactivation.domain.patients import AppointmentStatus, Patient, PatientHistory, Plan, PlanKind
from reactivation.domain.practice import DEFAULT_CAMPAIGNS, CampaignSettings, Practice
from reactivation.domain.types import Campaign, ServiceCategory, Vertical

#: The holdout's hash needs a practice id; a preview has none, so it uses this one.
PREVIEW_PRACTICE_ID = "preview"


class PreviewError(ValueError):
    """The export cannot be previewed (no patients.csv, a file refused): the message says
    why and what to do."""


#: How much of a file is read at once (as the ingest function reads it from S3).
CHUNK_BYTES = 1024 * 1024


@dataclass
class Preview:
    decisions: list[Decision]
    files: list[FileImport[Any]]
    #: Each decision's patient id -> the fact that decided it ("last hygiene 2026-04-08, 7
    #: months ago"), when the preview was asked to explain.
    reasons: dict[str, str] | None = None

    def explained(self) -> str:
        """One line per patient: the campaign or the skip, and why."""
        reasons = self.reasons or {}
        rows = [("patient", "outcome", "why")]
        for decision in self.decisions:
            if decision.campaign is not None:
                outcome = f"{decision.campaign.value} by {decision.channel}"
                if decision.holdout:
                    outcome += " (holdout: not contacted)"
            else:
                outcome = f"skip: {decision.skip}"
            rows.append((decision.patient_id, outcome, reasons.get(decision.patient_id, "")))
        first = max(len(row[0]) for row in rows) + 2
        second = max(len(row[1]) for row in rows) + 2
        return "\n".join(f"{a:<{first}}{b:<{second}}{c}".rstrip() for a, b, c in rows)

    def counts(self) -> tuple[Counter[str], Counter[str]]:
        campaigns: Counter[str] = Counter()
        skips: Counter[str] = Counter()
        for decision in self.decisions:
            if decision.campaign is not None:
                label = decision.campaign.value + (" (holdout)" if decision.holdout else "")
                campaigns[f"{label} by {decision.channel}"] += 1
            else:
                skips[str(decision.skip)] += 1
        return campaigns, skips

    def table(self) -> str:
        campaigns, skips = self.counts()
        width = max((len(k) for k in [*campaigns, *skips]), default=10) + 2
        lines = [f"{len(self.decisions)} patients"]
        lines += ["", f"{'campaign':<{width}}patients"]
        lines += [f"{k:<{width}}{v:>8}" for k, v in sorted(campaigns.items())] or ["(none)"]
        lines += ["", f"{'skip reason':<{width}}patients"]
        lines += [f"{k:<{width}}{v:>8}" for k, v in skips.most_common()] or ["(none)"]
        return "\n".join(lines)


@contextmanager
def _lines(path: Path, notes: TextNotes) -> Iterator[Iterator[str]]:
    """The file's lines, read as they are parsed (never whole in memory), by the import's own
    reader (`export_text`): its encodings, its refusals, its line ends."""
    with path.open("rb") as file:
        yield export_lines(iter(lambda: file.read(CHUNK_BYTES), b""), notes, MAX_LINE_CHARS)


def _read(path: Path, parse: Callable[[Iterator[str]], FileImport[Any]]) -> FileImport[Any]:
    """One file parsed (`parse(lines)`), its file-level warnings kept; PreviewError when the
    file is refused as a whole."""
    notes = TextNotes(path.name)
    try:
        with _lines(path, notes) as lines:
            result = parse(lines)
    except FileRefused as refused:
        raise PreviewError(f"{refused} (nothing previewed)") from None
    except OSError as error:
        raise PreviewError(f"{path}: cannot be read ({error.strerror})") from None
    result.notes = list(notes.warnings)
    return result


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A preview builds a million long-lived objects and no reference cycles: the cyclic
    garbage collector would walk them again and again (a third of the time), for nothing.
    What was made meanwhile then joins the oldest generation unwalked (gc.freeze then
    unfreeze), where the next full collection looks at it, not the next allocation."""
    _freeze_at_exit()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


@cache
def _freeze_at_exit() -> None:
    """As the interpreter exits it walks every object still alive for cycles, more than once
    (the import parsers' caches: tens of thousands of entries, a twentieth of a preview's
    time); gc.freeze at exit spares it: a preview leaves no cycle, and the process ends."""
    atexit.register(gc.freeze)


def run_preview(
    directory: Path,
    as_of: date,
    *,
    vertical: Vertical | None = None,
    timezone: str = "America/New_York",
    holdout_percent: int = 10,
    country: str = "US",
    column_map: dict[str, str] | None = None,
    practice: Practice | None = None,
    explain: bool = False,
) -> Preview:
    """The decisions for the export in `directory`; with a `practice`, its timezone,
    country, column map, campaigns, holdout and lapse limit (and its id for the holdout's
    draw, as enrolment draws it) instead of the other settings."""
    if practice is not None:
        settings = ImportSettings.of(practice)
        campaign_settings = practice.campaign_settings()
    else:
        settings = ImportSettings(timezone=timezone, country=country, column_map=column_map or {})
        campaign_settings = CampaignSettings(
            practice_id=PREVIEW_PRACTICE_ID,
            timezone=timezone,
            campaigns=DEFAULT_CAMPAIGNS[vertical] if vertical else frozenset(Campaign),
            holdout_percent=holdout_percent,
        )
    with _no_cycle_collection():
        return _run_preview(directory, as_of, settings, campaign_settings, explain)


def export_directory(directory: Path) -> Path:
    """The export's folder, or PreviewError saying what was given instead."""
    if directory.is_file():
        raise PreviewError(
            f"{directory} is a file: give the folder that holds the export's patients.csv "
            f"(and appointments.csv, plans.csv), e.g. {directory.parent or '.'}"
        )
    if not directory.is_dir():
        raise PreviewError(f"{directory}: no such folder")
    if not (directory / "patients.csv").is_file():
        found = sorted(p.name for p in directory.glob("*.csv"))[:8]
        seen = f" (its CSV files: {', '.join(found)})" if found else " (it has no CSV file)"
        raise PreviewError(f"{directory} has no patients.csv{seen}: patients.csv is required")
    return directory


def _run_preview(
    directory: Path,
    as_of: date,
    settings: ImportSettings,
    campaign_settings: CampaignSettings,
    explain: bool,
) -> Preview:
    timezone = settings.timezone
    directory = export_directory(directory)
    patients: FileImport[Patient] = _read(
        directory / "patients.csv", lambda lines: parse_patients(lines, settings)
    )
    run_start = datetime.combine(as_of, time(0), ZoneInfo(timezone))
    # What the rules read of each patient's appointments, gathered as the file is read: the
    # appointments themselves are never held.
    visits = {patient.patient_id: rules.Visits(run_start, ZoneInfo(timezone))
              for _, patient in patients.imported}  # fmt: skip
    files: list[FileImport[Any]] = [patients]
    plans: dict[str, list[Plan]] = {}
    if (directory / "appointments.csv").is_file():

        def visit(values: AppointmentValues) -> None:
            _, patient_id, starts_at, category, status, _, _ = values
            visits[patient_id].add(starts_at, category, status)

        appointments = directory / "appointments.csv"
        files.append(
            _read(appointments, lambda lines: fold_appointments(lines, settings, visits, visit))
        )
    if (directory / "plans.csv").is_file():
        parsed_plans: FileImport[Plan] = _read(directory / "plans.csv",
                             lambda lines: parse_plans(lines, settings, visits))  # fmt: skip
        files.append(parsed_plans)
        for _, plan in parsed_plans.imported:
            plans.setdefault(plan.patient_id, []).append(plan)
    no_history = PatientHistory()
    decisions = [
        rules.decide_for(
            campaign_settings,
            patient,
            plans.get(patient.patient_id, ()),
            visits[patient.patient_id],
            no_history,
            run_start,
        )
        for _, patient in patients.imported
    ]
    reasons = None
    if explain:
        today = run_start.date()
        reasons = {
            patient.patient_id: why(decision, patient, visits[patient.patient_id],
                                    plans.get(patient.patient_id, ()), today)
            for decision, (_, patient) in zip(decisions, patients.imported, strict=True)
        }  # fmt: skip
    return Preview(decisions=decisions, files=files, reasons=reasons)


def _ago(day: date, today: date) -> str:
    months = (today.year - day.year) * 12 + today.month - day.month - (today.day < day.day)
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''} ago"
    days = (today - day).days
    return f"{days} day{'s' if days != 1 else ''} ago"


def _last(visits: rules.Visits, category: ServiceCategory | None, today: date) -> str:
    if category is None:
        day = visits.last_completed()
        return f"last visit {day}, {_ago(day, today)}" if day else "no completed visit"
    day = visits.last_completed([category])
    label = category.value.replace("_", " ")
    return f"last {label} {day}, {_ago(day, today)}" if day else f"no completed {label}"


_PLAN_OF = {
    Campaign.CLINICAL_REVIEW: (PlanKind.CHRONIC_REVIEW, PlanKind.SURVEILLANCE),
    Campaign.FOLLOW_UP_DUE: (PlanKind.FOLLOW_UP,),
    Campaign.UNSCHEDULED_TREATMENT: (PlanKind.TREATMENT_PLAN,),
    Campaign.CONSULT_NOT_STARTED: (PlanKind.CONSULTATION,),
    Campaign.SERIES_INCOMPLETE: (PlanKind.SERIES,),
}
_SKIPS = {
    SkipReason.DECEASED: "deceased: yes",
    SkipReason.DO_NOT_CONTACT: "do_not_contact: yes",
    SkipReason.INACTIVE: "not in the practice's latest export",
    SkipReason.NO_CHANNEL: "no valid mobile or email it may use (sms_opt_in / email_opt_in)",
    SkipReason.NO_MARKETING_CONSENT: "a promotional campaign, and marketing_opt_in is not yes",
}


def why(
    decision: Decision,
    patient: Patient,
    visits: rules.Visits,
    plans: Any,
    today: date,
) -> str:
    """The fact of the export that decided a patient's campaign or skip, in a few words."""
    campaign = decision.campaign
    if campaign is None:
        if decision.skip is SkipReason.HAS_FUTURE_APPOINTMENT:
            return "an appointment is booked"
        if decision.skip in _SKIPS:
            return _SKIPS[decision.skip]
        if not visits.count:
            return "no appointment in the export"
        return _last(visits, None, today) + ": no campaign is due"
    if campaign is Campaign.MISSED_APPOINTMENT and visits.last_started_at is not None:
        status = visits.last_started_status
        kind = "no-show" if status is AppointmentStatus.NO_SHOW else str(status)
        return f"{kind} {visits.last_started_at.date()}"
    if campaign in _PLAN_OF:
        plan = next((p for p in plans if p.kind in _PLAN_OF[campaign]), None)
        if plan is not None:
            due = f", due {plan.due_on}" if plan.due_on else ""
            sessions = (f", {plan.sessions_completed} of {plan.sessions_planned} sessions"
                        if plan.kind is PlanKind.SERIES else "")  # fmt: skip
            return f"{plan.kind.value.replace('_', ' ')} of {plan.created_on}{due}{sessions}"
    if campaign is Campaign.RECALL_DUE:
        return _last(visits, ServiceCategory.HYGIENE, today)
    if campaign is Campaign.LAPSED_MEMBERSHIP and patient.membership_ended_on:
        return f"membership ended {patient.membership_ended_on}"
    if campaign is Campaign.NEW_PATIENT and patient.lead_created_on:
        return f"a lead of {patient.lead_created_on}, never seen"
    return _last(visits, None, today)
