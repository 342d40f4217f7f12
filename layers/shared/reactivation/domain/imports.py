"""An import of a practice's export: where its files are, how far it got, what it found.

An export is three files under `incoming/<practice_id>/<export_id>/` in the imports bucket; the
import starts when all three are there, runs file after file (resumable at any checkpoint),
then marks the patients absent from the export inactive and writes its results under
`results/<practice_id>/<export_id>/`. Pure: no AWS here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from reactivation.domain.importing import ExportFile, ImportCounts
from reactivation.domain.types import Moment

INCOMING = "incoming"
RESULTS = "results"
_KEY = re.compile(
    r"^incoming/(?P<practice>[a-z0-9][a-z0-9-]{1,62})/(?P<export>[A-Za-z0-9][A-Za-z0-9._-]{0,99})/"
    r"(?P<file>[^/]+)$"
)
#: How many reasons the import record itself keeps; every one is in the results' summary.txt.
KEPT_ISSUES = 50


@dataclass(frozen=True)
class ExportRef:
    practice_id: str
    export_id: str

    def key(self, file: ExportFile) -> str:
        return f"{INCOMING}/{self.practice_id}/{self.export_id}/{file.value}"

    def result_key(self, name: str) -> str:
        return f"{RESULTS}/{self.practice_id}/{self.export_id}/{name}"


def parse_export_key(key: str) -> tuple[ExportRef, ExportFile] | None:
    """The export and file an object key names; None for anything else (never an error: a
    stray object in the bucket is not an import)."""
    match = _KEY.match(key)
    if match is None:
        return None
    try:
        file = ExportFile(match["file"].lower())
    except ValueError:
        return None
    return ExportRef(match["practice"], match["export"]), file


class ImportStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    #: Imported, but the patients missing from it were left active: the export looked wrong
    #: (`review_reason`); `reactivation import confirm` marks them inactive.
    NEEDS_REVIEW = "needs_review"


#: An export with more than this share of its rows rejected is not reconciled on its own.
REJECTED_REVIEW_PERCENT = 20


class ImportPhase(StrEnum):
    """What the import does next: a file, the inactive marking, the results, nothing."""

    PATIENTS = "patients.csv"
    APPOINTMENTS = "appointments.csv"
    PLANS = "plans.csv"
    RECONCILE = "reconcile"
    RESULTS = "results"
    DONE = "done"

    @property
    def file(self) -> ExportFile | None:
        try:
            return ExportFile(self.value)
        except ValueError:
            return None

    def next(self) -> ImportPhase:
        phases = list(ImportPhase)
        return phases[min(phases.index(self) + 1, len(phases) - 1)]


class FileProgress(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built when first used, not at import

    counts: ImportCounts = Field(default_factory=ImportCounts)
    #: Our column -> the file's header for it (the rejected-rows CSV uses the file's names).
    header: dict[str, str] = Field(default_factory=dict)
    unknown_columns: tuple[str, ...] = ()
    #: The file's size, and about how much of it is imported (for a progress bar).
    size: int = 0
    bytes_read: int = 0
    #: Why the whole file was refused (not text, a column twice or missing): no row read.
    refused: str | None = None
    #: What was found about the file as a whole (read as Windows-1252, ...).
    notes: list[str] = Field(default_factory=list)


class ImportRecord(BaseModel):
    """An import as stored: its progress is a checkpoint, written after each chunk of rows."""

    model_config = ConfigDict(defer_build=True)

    practice_id: str
    export_id: str
    status: ImportStatus = ImportStatus.RUNNING
    started_at: Moment
    finished_at: Moment | None = None
    #: The S3 version of each file the import reads (a re-upload mid-import cannot mix in).
    versions: dict[ExportFile, str]
    phase: ImportPhase = ImportPhase.PATIENTS
    #: The last line of the current file whose row is written (0: none yet).
    line: int = 0
    files: dict[ExportFile, FileProgress] = Field(default_factory=dict)
    #: Patients of the practice that are not in this export: inactive, never contacted.
    not_in_export: int = 0
    #: The inactive marking's checkpoint: the last patient id it went through.
    reconciled_through: str | None = None
    #: Why the patients missing from the export were left active (status needs_review).
    review_reason: str | None = None
    #: How many active patients the reconciliation would have marked inactive, of how many.
    would_deactivate: int = 0
    active_before: int = 0
    #: An operator confirmed the export (`import confirm`): reconciled whatever it marks.
    confirmed: bool = False
    #: The first reasons, as "file line N: rejected: why" (summary.txt has all of them).
    issues: list[str] = Field(default_factory=list)
    #: Result files written under results/<practice>/<export>/.
    results: list[str] = Field(default_factory=list)

    @property
    def ref(self) -> ExportRef:
        return ExportRef(self.practice_id, self.export_id)

    def progress(self, file: ExportFile) -> FileProgress:
        return self.files.setdefault(file, FileProgress())

    @property
    def final_status(self) -> ImportStatus:
        """The status it ends with (summary.txt is written before the end, and says this)."""
        if self.review_reason is not None and not self.confirmed:
            return ImportStatus.NEEDS_REVIEW
        return ImportStatus.COMPLETED

    @property
    def finished(self) -> bool:
        return self.status is not ImportStatus.RUNNING

    def rejected_share(self) -> tuple[int, int]:
        """(rows rejected, rows read) over the export's files."""
        files = self.files.values()
        return sum(f.counts.rejected for f in files), sum(f.counts.rows_read for f in files)

    def summary(self, status: ImportStatus | None = None) -> str:
        status = status or self.status
        lines = [f"import {self.export_id} of {self.practice_id}: {status.value}"]
        for file in ExportFile:
            progress = self.files.get(file)
            if progress is None:
                continue
            if progress.refused is not None:
                lines.append(f"{file.value}: refused, no row read: {progress.refused}")
            else:
                lines.append(progress.counts.line(file.value))
            lines += [f"  warning: {note}" for note in progress.notes]
            if progress.unknown_columns:
                unknown = progress.unknown_columns
                lines.append(f"  {counted(len(unknown), 'unknown column')} ignored: "
                             f"{', '.join(unknown)}")  # fmt: skip
        if status is ImportStatus.COMPLETED:
            lines.append(f"patients not in this export (inactive): {self.not_in_export}")
        elif status is ImportStatus.NEEDS_REVIEW:
            lines.append(f"needs review: {self.review_reason}")
            missing = self.would_deactivate
            lines.append(
                f"{counted(missing, 'active patient')} missing from this export "
                f"{'is' if missing == 1 else 'are'} left active; if the export is right, "
                f"`reactivation import confirm {self.practice_id} {self.export_id}` marks "
                f"{'it' if missing == 1 else 'them'} inactive; if not, send a corrected export"
            )
        return "\n".join(lines)


def counted(number: int, noun: str) -> str:
    """`1 patient`, `3 patients`."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def issue_line(file: ExportFile, line: int, kind: str, reason: str) -> str:
    return f"{file.value} line {line}: {kind}: {reason}"


def started_import(ref: ExportRef, versions: dict[ExportFile, str], at: datetime) -> ImportRecord:
    return ImportRecord(
        practice_id=ref.practice_id, export_id=ref.export_id, started_at=at, versions=versions
    )
