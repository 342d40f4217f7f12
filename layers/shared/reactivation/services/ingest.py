"""Imports a practice's export from the bucket: streamed, written in batches, checkpointed after
every chunk of rows, handed on to a fresh invocation before Lambda's time runs out, and resumed
from its checkpoint after a crash. Every row ends imported or rejected, and is counted once."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import IO, Any, Protocol

from reactivation.adapters.channels import EmailChannel
from reactivation.adapters.imports import ExportStore, ImportRepository, Lease, LeaseLost
from reactivation.adapters.patients import PatientRepository
from reactivation.adapters.practices import PracticeRepository
from reactivation.clock import TimeLeft
from reactivation.domain.export_text import FileRefused, TextNotes
from reactivation.domain.importing import ExportFile, ImportSettings, RowOutcome, stream_file
from reactivation.domain.imports import (
    KEPT_ISSUES,
    REJECTED_REVIEW_PERCENT,
    ExportRef,
    ImportPhase,
    ImportRecord,
    ImportStatus,
    counted,
    issue_line,
    parse_export_key,
    started_import,
)
from reactivation.domain.practice import Practice

#: The inactive marking looks at the clock every this many patients.
RECONCILE_CHECK = 500
#: The largest export file imported (about 14 million rows; a 1,000,000-appointment export is
#: 70 MB): a larger one is refused before a row is read, with the files and the cap.
MAX_FILE_BYTES = 1024**3


class Continuations(Protocol):
    def request(self, ref: ExportRef) -> None:
        """Asks for a fresh invocation to go on with this import."""


class IngestStatus(StrEnum):
    NOT_AN_EXPORT = "not_an_export"
    UNKNOWN_PRACTICE = "unknown_practice"
    WAITING_FOR_FILES = "waiting_for_files"
    BUSY = "busy"  # another worker holds the import
    CONTINUED = "continued"  # a fresh invocation goes on
    COMPLETED = "completed"
    NEEDS_REVIEW = "needs_review"  # imported, not reconciled: the owners are told why
    ALREADY_COMPLETED = "already_completed"
    TOO_LARGE = "too_large"  # a file over the cap: refused, nothing imported


@dataclass
class IngestOutcome:
    status: IngestStatus
    ref: ExportRef | None = None
    record: ImportRecord | None = None
    missing: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)
    max_file_bytes: int | None = None

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {"status": self.status.value}
        if self.ref is not None:
            summary |= {"practice_id": self.ref.practice_id, "export_id": self.ref.export_id}
        if self.missing:
            summary["missing"] = self.missing
        if self.too_large:
            summary |= {"too_large": self.too_large, "max_file_bytes": self.max_file_bytes}
        if self.record is not None:
            summary["phase"] = self.record.phase.value
            summary["files"] = {
                file.value: progress.counts.model_dump()
                for file, progress in self.record.files.items()
            }
            summary["not_in_export"] = self.record.not_in_export
            refused = [f.value for f, p in self.record.files.items() if p.refused]
            if refused:
                summary["refused"] = refused
            if self.record.review_reason is not None:
                summary |= {"would_deactivate": self.record.would_deactivate,
                            "active_before": self.record.active_before}  # fmt: skip
        return summary


class _Counted:
    """Lines passed through, with how many characters went by (the progress operators see)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.characters = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.characters += len(line)
            yield line


@dataclass(frozen=True)
class ImportLimits:
    """How an import paces itself: rows per checkpoint, the time it keeps in hand to hand on,
    the largest file it reads."""

    chunk_rows: int = 5000
    margin: timedelta = timedelta(seconds=120)
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass(frozen=True)
class OwnerNotices:
    """Where an import that waits for review is told to the practice's owners."""

    email: EmailChannel
    sender: str


class IngestService:
    def __init__(
        self,
        *,
        practices: PracticeRepository,
        patients: PatientRepository,
        imports: ImportRepository,
        exports: ExportStore,
        continuations: Continuations,
        limits: ImportLimits = ImportLimits(),
        owners: OwnerNotices | None = None,
    ) -> None:
        self._practices = practices
        self._patients = patients
        self._imports = imports
        self._exports = exports
        self._continuations = continuations
        self._chunk_rows = limits.chunk_rows
        self._margin = limits.margin.total_seconds()
        self._max_file_bytes = limits.max_file_bytes
        self._owners = owners

    # -- entry points -----------------------------------------------------------------
    def file_arrived(
        self, key: str, now: datetime, worker: str, time_left: TimeLeft
    ) -> IngestOutcome:
        """A file landed in the bucket: the import starts once the export's three files are
        there (whichever arrives last starts it; S3 reporting a file twice starts nothing),
        unless one is over the size cap."""
        parsed = parse_export_key(key)
        if parsed is None:
            return IngestOutcome(IngestStatus.NOT_AN_EXPORT)
        ref, _file = parsed
        if self._practices.get(ref.practice_id) is None:
            return IngestOutcome(IngestStatus.UNKNOWN_PRACTICE, ref)
        found = self._exports.versions(ref)
        missing = [file.value for file in ExportFile if file not in found]
        if missing:
            return IngestOutcome(IngestStatus.WAITING_FOR_FILES, ref, missing=missing)
        too_large = [file.value for file, (_, size) in found.items() if size > self._max_file_bytes]
        if too_large:
            return IngestOutcome(IngestStatus.TOO_LARGE, ref, too_large=too_large,
                                 max_file_bytes=self._max_file_bytes)  # fmt: skip
        record = started_import(ref, {file: version for file, (version, _) in found.items()}, now)
        for file, (_version, size) in found.items():
            record.progress(file).size = size
        self._imports.create(record)
        return self.resume(ref, now, worker, time_left)

    def resume(
        self, ref: ExportRef, now: datetime, worker: str, time_left: TimeLeft
    ) -> IngestOutcome:
        """Goes on with an import from its last checkpoint, if no other worker holds it."""
        practice = self._practices.get(ref.practice_id)
        record = self._imports.get(ref)
        if practice is None or record is None:
            return IngestOutcome(IngestStatus.UNKNOWN_PRACTICE, ref)
        if record.finished:
            return IngestOutcome(IngestStatus.ALREADY_COMPLETED, ref, record)
        # The lease ends with this invocation (Lambda stops it when no time is left), before
        # the queue gives a crashed invocation's message again (its visibility timeout is
        # longer than the function's timeout): a retry always finds the import free.
        lease = Lease(worker, now + timedelta(seconds=time_left()))
        if not self._imports.acquire(ref, lease, now):
            return IngestOutcome(IngestStatus.BUSY, ref, record)
        try:
            return self._run(record, practice, lease, now, time_left)
        except LeaseLost:
            return IngestOutcome(IngestStatus.BUSY, ref, record)
        except Exception:
            with contextlib.suppress(Exception):
                self._imports.release(ref, lease)  # the retry goes on from the checkpoint
            raise

    # -- the run ----------------------------------------------------------------------
    def _run(
        self,
        record: ImportRecord,
        practice: Practice,
        lease: Lease,
        now: datetime,
        time_left: TimeLeft,
    ) -> IngestOutcome:
        settings = ImportSettings.of(practice)
        accepted: set[str] | None = None
        while record.phase is not ImportPhase.DONE:
            file = record.phase.file
            if file is ExportFile.PATIENTS:
                accepted = set()
                finished = self._import_file(
                    record, file, settings, None, accepted, lease, time_left
                )
            elif file is not None:
                accepted = accepted if accepted is not None else self._accepted(record, settings)
                finished = self._import_file(
                    record, file, settings, accepted, None, lease, time_left
                )
            elif record.phase is ImportPhase.RECONCILE:
                accepted = accepted if accepted is not None else self._accepted(record, settings)
                if record.reconciled_through is None and not record.confirmed:
                    record.review_reason = self._review_reason(record, practice, accepted)
                if record.review_reason is not None and not record.confirmed:
                    finished = True  # the missing patients stay active until confirmed
                else:
                    finished = self._reconcile(record, accepted, lease, time_left)
            else:
                record.results = self._write_results(record)
                finished = True
            if not finished:
                self._imports.checkpoint(record, lease, release=True)
                self._continuations.request(record.ref)
                return IngestOutcome(IngestStatus.CONTINUED, record.ref, record)
            record.phase, record.line = record.phase.next(), 0
            if record.phase is ImportPhase.DONE:
                record.status, record.finished_at = record.final_status, now
            self._imports.checkpoint(record, lease, release=record.phase is ImportPhase.DONE)
        self._exports.delete_parts(record.ref)
        if record.status is ImportStatus.NEEDS_REVIEW:
            self._tell_owners(record, practice)
            return IngestOutcome(IngestStatus.NEEDS_REVIEW, record.ref, record)
        return IngestOutcome(IngestStatus.COMPLETED, record.ref, record)

    def confirm(self, ref: ExportRef, now: datetime, worker: str) -> IngestOutcome:
        """An operator says an export waiting for review is right: the practice's patients
        missing from it are marked inactive now, and its results written again."""
        record = self._imports.get(ref)
        practice = self._practices.get(ref.practice_id)
        if record is None or practice is None:
            return IngestOutcome(IngestStatus.UNKNOWN_PRACTICE, ref)
        if record.status is not ImportStatus.NEEDS_REVIEW:
            return IngestOutcome(IngestStatus.ALREADY_COMPLETED, ref, record)
        record.status, record.confirmed = ImportStatus.RUNNING, True
        record.phase, record.reconciled_through, record.not_in_export = (
            ImportPhase.RECONCILE,
            None,
            0,
        )
        if not self._imports.reopen(record):
            return IngestOutcome(IngestStatus.BUSY, ref, record)
        return self.resume(ref, now, worker, lambda: 900.0)  # as long as a Lambda has

    def _review_reason(
        self, record: ImportRecord, practice: Practice, accepted: set[str]
    ) -> str | None:
        """Why the export must not mark patients inactive on its own, or None: a file was
        refused; or it would mark some inactive, and they are more than the practice's share
        of its active patients, or more than 20% of its rows were rejected."""
        refused = [f"{file.value} was refused" for file, p in record.files.items() if p.refused]
        rejected, read = record.rejected_share()
        active = missing = 0
        for patient_id, is_active in self._patients.ids_and_activity(record.practice_id):
            if is_active:
                active += 1
                missing += patient_id not in accepted
        record.active_before, record.would_deactivate = active, missing
        reasons = [f"{'; '.join(refused)} (see above)"] if refused else []
        if not missing:  # nothing to protect (a first export): only a refused file is said
            return reasons[0] if reasons else None
        limit = practice.deactivation_review_percent
        if active and missing * 100 > limit * active:
            reasons.append(f"it would mark {counted(missing, 'active patient')} of "
                           f"{active:,} inactive ({100 * missing // active}%, more than the "
                           f"practice's {limit}%)")  # fmt: skip
        most = REJECTED_REVIEW_PERCENT
        if read and rejected * 100 > most * read:
            reasons.append(f"{rejected:,} of its {read:,} rows were rejected "
                           f"({100 * rejected // read}%, more than {most}%)")  # fmt: skip
        return "; ".join(reasons) or None

    def _tell_owners(self, record: ImportRecord, practice: Practice) -> None:
        """The owners learn that the export waits for them (a failed email loses nothing:
        the record and summary.txt say it too)."""
        if self._owners is None:
            return
        text = (
            f"The practice data export {record.export_id} of {practice.name} was imported, "
            "but no patient was marked inactive, because it looks wrong:\n\n"
            f"{record.summary()}\n\n"
            "Nothing is sent to the patients it leaves out until this is settled.\n"
        )
        html = "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
        with contextlib.suppress(Exception):
            self._owners.email.send(
                to=practice.owner_emails,
                sender=self._owners.sender,
                subject=f"{practice.name}: the latest patient export needs your review",
                text=text,
                html=html,
                tags={"kind": "import_review"},
            )

    def _rows(
        self,
        record: ImportRecord,
        file: ExportFile,
        settings: ImportSettings,
        known: Container[str] | None,
        notes: TextNotes | None = None,
    ) -> tuple[Iterator[RowOutcome[Any]], _Counted]:
        """The file's rows (FileRefused when the file cannot be read as one)."""
        notes = notes or TextNotes(file.value)
        lines = _Counted(self._exports.lines(record.ref, file, record.versions[file], notes))
        stream = stream_file(file, lines, settings, known)
        progress = record.progress(file)
        progress.header, progress.unknown_columns = stream.header, stream.unknown_columns
        return stream.outcomes, lines

    def _import_file(
        self,
        record: ImportRecord,
        file: ExportFile,
        settings: ImportSettings,
        known: Container[str] | None,
        accepted: set[str] | None,
        lease: Lease,
        time_left: TimeLeft,
    ) -> bool:
        """Imports the file from the line after the checkpoint; False when time ran short and
        the rest is left to a fresh invocation. The rows before the checkpoint are read again
        (not written) to know the ids already seen."""
        progress = record.progress(file)
        notes = TextNotes(file.value)
        try:
            outcomes, counted = self._rows(record, file, settings, known, notes)
        except FileRefused as refused:
            progress.refused, progress.bytes_read = str(refused), progress.size
            return True
        batch: list[Any] = []
        issues: list[dict[str, Any]] = []
        first_line, rows = record.line + 1, 0
        for outcome in outcomes:
            if accepted is not None and outcome.model is not None:
                accepted.add(outcome.model.patient_id)
            if outcome.line <= record.line:
                continue
            progress.counts.count(outcome)
            rows += 1
            if outcome.rejection is not None:
                issues.append({"line": outcome.line, "kind": "rejected",
                               "reason": outcome.rejection, "row": outcome.row})  # fmt: skip
            else:
                batch.append(outcome.model)
                issues += [{"line": outcome.line, "kind": "warning", "reason": warning}
                           for warning in outcome.warnings]  # fmt: skip
            if rows >= self._chunk_rows:
                progress.bytes_read, progress.notes = counted.characters, list(notes.warnings)
                self._flush(record, file, batch, issues, first_line, outcome.line, lease)
                batch, issues, first_line, rows = [], [], outcome.line + 1, 0
                if time_left() < self._margin:
                    return False
        progress.bytes_read, progress.notes = progress.size, list(notes.warnings)
        self._flush(record, file, batch, issues, first_line, None, lease)
        return True

    def _flush(
        self,
        record: ImportRecord,
        file: ExportFile,
        batch: list[Any],
        issues: list[dict[str, Any]],
        first_line: int,
        last_line: int | None,
        lease: Lease,
    ) -> None:
        """Writes a chunk's rows and its issues, then checkpoints after its last line (a crash
        before the checkpoint redoes the chunk: the same items, the same issue part)."""
        self._patients.save_all(record.practice_id, batch)
        if issues:
            self._exports.put_issues(record.ref, file, first_line, issues)
            room = KEPT_ISSUES - len(record.issues)
            record.issues += [
                issue_line(file, i["line"], i["kind"], i["reason"]) for i in issues[:room]
            ]
        if last_line is not None:
            record.line = last_line
            self._imports.checkpoint(record, lease)

    def _accepted(self, record: ImportRecord, settings: ImportSettings) -> set[str]:
        """The patients the export's patients.csv imported (read again after a resume)."""
        try:
            outcomes, _ = self._rows(record, ExportFile.PATIENTS, settings, None)
        except FileRefused:
            return set()
        return {o.model.patient_id for o in outcomes if o.model is not None}

    def _reconcile(
        self, record: ImportRecord, accepted: set[str], lease: Lease, time_left: TimeLeft
    ) -> bool:
        """A full export is the new truth: the practice's patients not in it become inactive
        (kept, with all the system learned, and never contacted). A patient whose row was
        rejected is not in it either, until a corrected row comes. Checkpointed like a file;
        False when time ran short."""
        practice_id = record.practice_id
        ids = self._patients.ids_and_activity(practice_id, record.reconciled_through)
        for seen, (patient_id, active) in enumerate(ids, start=1):
            if patient_id not in accepted:
                record.not_in_export += 1
                if active:
                    self._patients.deactivate(practice_id, patient_id)
            record.reconciled_through = patient_id
            every = min(self._chunk_rows, RECONCILE_CHECK)
            short_of_time = seen % every == 0 and time_left() < self._margin
            if seen % self._chunk_rows == 0 or short_of_time:
                self._imports.checkpoint(record, lease)
            if short_of_time:
                return False
        return True

    def _write_results(self, record: ImportRecord) -> list[str]:
        """summary.txt (counts, then every rejected row and warning with its line) and, per
        file with rejected rows, rejected-<file> to fix and send again: the file's own column
        names (the format's columns only), with import_line and import_reason added."""
        keys = []
        with _spooled() as summary:
            summary.write((record.summary(record.final_status) + "\n\n").encode())
            for file in ExportFile:
                progress = record.progress(file)
                columns = [c for c in file.columns if c in progress.header]
                with _spooled() as rejected:
                    header = [progress.header[c] for c in columns]
                    rejected.write(_csv_line([*header, "import_line", "import_reason"]))
                    for issue in self._exports.issues(record.ref, file):
                        line, kind, reason = issue["line"], issue["kind"], issue["reason"]
                        summary.write((issue_line(file, line, kind, reason) + "\n").encode())
                        if kind == "rejected":
                            values = [issue["row"].get(c, "") for c in columns]
                            rejected.write(_csv_line([*values, str(line), reason]))
                    if progress.counts.rejected:
                        name = f"rejected-{file.value}"
                        keys.append(
                            self._exports.put_result(record.ref, name, rejected, "text/csv")
                        )
            text = "text/plain; charset=utf-8"
            keys.insert(0, self._exports.put_result(record.ref, "summary.txt", summary, text))
        return keys


#: What a spreadsheet reads as the start of a formula (or a cell it would shift into one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A cell as text to a spreadsheet: one that would start a formula gets a leading `'`
    (staff open the rejected rows in Excel or Sheets; a row is the practice's data, as sent)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv_line(values: list[str]) -> bytes:
    line = io.StringIO()
    csv.writer(line).writerow([spreadsheet_cell(value) for value in values])
    return line.getvalue().encode()


def _spooled() -> IO[bytes]:
    """A file in memory until it grows past 8 MiB, then on the function's /tmp."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
