"""`reactivation preview`: who would be contacted and why, from a practice's export, offline.

The rules of campaigns.md with no history (nobody in a sequence, no opt-outs but those in
the files), as of 00:00 of the given date in the practice's timezone.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reactivation.domain import rules
from reactivation.domain.importing import (
    AppointmentValues,
    FileImport,
    ImportSettings,
    fold_appointments,
    parse_patients,
    parse_plans,
)
from reactivation.domain.outreach import Decision
from reactivation.domain.patients import PatientHistory, Plan
from reactivation.domain.practice import DEFAULT_CAMPAIGNS, CampaignSettings
from reactivation.domain.types import Campaign, Vertical

#: The holdout's hash needs a practice id; a preview has none, so it uses this one.
PREVIEW_PRACTICE_ID = "preview"


class PreviewError(ValueError):
    """The directory cannot be previewed (no patients.csv)."""


@dataclass
class Preview:
    decisions: list[Decision]
    files: list[FileImport[Any]]

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
def _lines(path: Path) -> Iterator[Iterator[str]]:
    """The file's lines, read as they are parsed (never whole in memory), as the import reads
    them: UTF-8 with or without a BOM, bytes that are not UTF-8 as U+FFFD (their row is
    rejected), a line ending at CRLF, LF or a lone CR."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as file:
        yield iter(file)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A preview builds a million long-lived objects and no reference cycles: the cyclic
    garbage collector would walk them again and again (a third of the time), for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_preview(
    directory: Path,
    as_of: date,
    *,
    vertical: Vertical | None = None,
    timezone: str = "America/New_York",
    holdout_percent: int = 10,
    country: str = "US",
    column_map: dict[str, str] | None = None,
) -> Preview:
    settings = ImportSettings(timezone=timezone, country=country, column_map=column_map or {})
    with _no_cycle_collection():
        return _run_preview(directory, as_of, vertical, settings, holdout_percent)


def _run_preview(
    directory: Path,
    as_of: date,
    vertical: Vertical | None,
    settings: ImportSettings,
    holdout_percent: int,
) -> Preview:
    timezone = settings.timezone
    patients_csv = directory / "patients.csv"
    if not patients_csv.is_file():
        raise PreviewError(f"{patients_csv} not found: patients.csv is required")
    with _lines(patients_csv) as lines:
        patients = parse_patients(lines, settings)
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

        with _lines(directory / "appointments.csv") as lines:
            files.append(fold_appointments(lines, settings, visits, visit))
    if (directory / "plans.csv").is_file():
        with _lines(directory / "plans.csv") as lines:
            parsed_plans = parse_plans(lines, settings, visits)
        files.append(parsed_plans)
        for _, plan in parsed_plans.imported:
            plans.setdefault(plan.patient_id, []).append(plan)
    campaign_settings = CampaignSettings(
        practice_id=PREVIEW_PRACTICE_ID,
        timezone=timezone,
        campaigns=DEFAULT_CAMPAIGNS[vertical] if vertical else frozenset(Campaign),
        holdout_percent=holdout_percent,
    )
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
    return Preview(decisions=decisions, files=files)
