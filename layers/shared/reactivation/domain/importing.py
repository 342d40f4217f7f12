"""Reading a practice's PMS export (spec/data-format.md): every row imported, with warnings, or
rejected with its line number and reason. Pure: the rows and the practice's settings come in.

Only the columns of the format are read; anything else (a diagnosis, a procedure code, notes)
is counted as unknown and never kept.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, ValidationError

from reactivation.domain.export_text import FileRefused
from reactivation.domain.patients import (
    Appointment,
    AppointmentStatus,
    MembershipStatus,
    Patient,
    Plan,
    PlanKind,
    PlanStatus,
)
from reactivation.domain.practice import Practice
from reactivation.domain.refusals import in_plain_words
from reactivation.domain.types import EMAIL, Language, ServiceCategory

PATIENT_COLUMNS = (
    "patient_id", "first_name", "last_name", "mobile", "email", "sms_opt_in", "email_opt_in",
    "marketing_opt_in", "do_not_contact", "deceased", "timezone", "language",
    "membership_status", "membership_ended_on", "benefits_expire_on", "lead_created_on",
    "lead_source",
)  # fmt: skip
APPOINTMENT_COLUMNS = (
    "appointment_id", "patient_id", "starts_at", "category", "status", "provider", "revenue",
)  # fmt: skip
PLAN_COLUMNS = (
    "plan_id", "patient_id", "kind", "category", "created_on", "due_on", "sessions_planned",
    "sessions_completed", "status",
)  # fmt: skip
TRUE = frozenset({"yes", "true", "1", "y"})
FALSE = frozenset({"no", "false", "0", "n"})
#: A North American number as written most often: national (for a practice in the US) or
#: with +1; anything else goes through phonenumbers' whole parser.
NANP_WRITTEN = re.compile(r"^(\+1[ .-]?)?\(?([2-9][0-9]{2})\)?[ .-]?([0-9]{3})[ .-]?([0-9]{4})$")
#: +1's regions begin with the US, which has no leading digits: a number valid for the US is
#: valid (phonenumbers.is_valid_number would find the US and check it there).
_US_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("US")
_US_FIRST = (
    phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ())[:1] == ("US",)
    and _US_METADATA is not None
    and _US_METADATA.leading_digits is None
)


@lru_cache(maxsize=1)
def _us_ten_digits() -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """phonenumbers' own test of a 10-digit national number for the US
    (`is_valid_number_for_region`: the region's general description fits and one of its
    number types does; a description's possible lengths leave it out when they lack 10), as
    two expressions made of its metadata once, instead of a dozen compiled per number. None
    when the US has no such number (never valid this way: phonenumbers judges each)."""
    metadata = _US_METADATA
    if metadata is None:
        return None

    def fits(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and 10 not in desc.possible_length:
            return None
        return f"(?:{desc.national_number_pattern})"

    kinds = [metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
             metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail,
             metadata.fixed_line]  # fmt: skip
    if not metadata.same_mobile_and_fixed_line_pattern:
        kinds.append(metadata.mobile)
    general, patterns = fits(metadata.general_desc), [p for p in map(fits, kinds) if p]
    if general is None or not patterns:
        return None
    return re.compile(general), re.compile("|".join(patterns))


def _valid_in_us(national_number: str) -> bool:
    """`phonenumbers.is_valid_number_for_region` of +1 `national_number` (10 digits) and US."""
    patterns = _us_ten_digits()
    return (
        patterns is not None
        and len(national_number) == 10
        and patterns[0].fullmatch(national_number) is not None
        and patterns[1].fullmatch(national_number) is not None
    )


US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DUE_DATE_KINDS = frozenset({PlanKind.FOLLOW_UP, PlanKind.CHRONIC_REVIEW, PlanKind.SURVEILLANCE})


#: How to write a date-time the format reads (the practice's local time unless it has an offset).
DATE_TIME_FIX = "write YYYY-MM-DDTHH:MM, e.g. 2026-04-20T10:00 (the practice's local time)"


class RowError(ValueError):
    """The row cannot be imported; the message says why (never the patient's data)."""


@dataclass(frozen=True)
class ImportSettings:
    """The practice's side of an import: its country and timezone, and its column names."""

    timezone: str
    country: str = "US"
    #: their column name -> ours, e.g. {"cell phone": "mobile"}
    column_map: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, practice: Practice) -> ImportSettings:
        """A practice's import settings: its timezone, country and column map."""
        return cls(
            timezone=practice.timezone, country=practice.country, column_map=practice.column_map
        )


class ExportFile(StrEnum):
    """The three files of a PMS export, in the order an import reads them."""

    PATIENTS = "patients.csv"
    APPOINTMENTS = "appointments.csv"
    PLANS = "plans.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return {
            ExportFile.PATIENTS: PATIENT_COLUMNS,
            ExportFile.APPOINTMENTS: APPOINTMENT_COLUMNS,
            ExportFile.PLANS: PLAN_COLUMNS,
        }[self]

    @property
    def required(self) -> tuple[str, ...]:
        """The columns every file must have (a row may still leave a conditional one blank)."""
        return {
            ExportFile.PATIENTS: ("patient_id", "first_name"),
            ExportFile.APPOINTMENTS: APPOINTMENT_COLUMNS[:5],
            ExportFile.PLANS: ("plan_id", "patient_id", "kind", "created_on", "status"),
        }[self]

    @property
    def id_column(self) -> str:
        return {
            ExportFile.PATIENTS: "patient_id",
            ExportFile.APPOINTMENTS: "appointment_id",
            ExportFile.PLANS: "plan_id",
        }[self]


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    #: The row's values under our column names (the format's columns only).
    row: dict[str, str]


@dataclass(slots=True)
class RowOutcome[Model]:
    """One row: imported (`model`, maybe with warnings) or rejected (`rejection`)."""

    line: int
    #: The format's columns of the row, under our names, as read (no other column is kept).
    row: dict[str, str]
    model: Model | None = None
    warnings: tuple[str, ...] = ()
    rejection: str | None = None


@dataclass(frozen=True)
class RowStream[Model]:
    """A file read one row at a time: nothing but the current row is held in memory, except
    the ids already seen (to refuse a duplicate)."""

    name: str
    #: The file's header for the format's columns, as the file spells them (our name -> theirs).
    header: dict[str, str]
    unknown_columns: tuple[str, ...]
    outcomes: Iterator[RowOutcome[Model]]


class ImportCounts(BaseModel):
    """What happened to a file's rows so far. imported + rejected = rows read, always."""

    model_config = ConfigDict(defer_build=True)  # built when first counted, not at import

    rows_read: int = 0
    imported: int = 0
    with_warnings: int = 0
    rejected: int = 0

    def count(self, outcome: RowOutcome[Any]) -> None:
        self.rows_read += 1
        if outcome.rejection is not None:
            self.rejected += 1
        else:
            self.imported += 1
            self.with_warnings += bool(outcome.warnings)

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.rows_read} row{'' if self.rows_read == 1 else 's'} read, "
            f"{self.imported} imported "
            f"({self.with_warnings} with warnings), {self.rejected} rejected"
        )


@dataclass
class FileImport[Model]:
    """One file's outcome: its imported rows held whole (`imported`), or each handed to the
    reader as it is read and only counted; its warnings and rejected rows (an import streams)."""

    name: str
    rows_read: int = 0
    imported: list[tuple[int, Model]] = field(default_factory=list)
    imported_rows: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    unknown_columns: tuple[str, ...] = ()
    #: What was found about the file as a whole (read as Windows-1252, ...).
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ImportCounts(
            rows_read=self.rows_read,
            imported=self.imported_rows,
            with_warnings=len({line for line, _ in self.warnings}),
            rejected=len(self.rejected),
        )
        lines = [counts.line(self.name)]
        lines += [f"  warning: {note}" for note in self.notes]
        if self.unknown_columns:
            lines.append(f"  {len(self.unknown_columns)} unknown column"
                         f"{'' if len(self.unknown_columns) == 1 else 's'} ignored: "
                         f"{', '.join(self.unknown_columns)}")  # fmt: skip
        lines += [f"  line {r.line}: rejected: {r.reason}" for r in self.rejected]
        lines += [f"  line {line}: warning: {reason}" for line, reason in self.warnings]
        return "\n".join(lines)


#: The key of a row the CSV reader could not read (its value: why); no column has it.
UNREADABLE = "\x00unreadable"
#: No row of the format comes near this: a longer line is rejected, never parsed (a file of
#: one huge line is not an export). The adapter keeps no more of a line than this and one.
MAX_LINE_CHARS = 64 * 1024
TOO_LONG = f"the line is longer than {MAX_LINE_CHARS} characters (no row of the format is)"


#: A quote left open is given up on (its row refused, the lines after it read again) when its
#: field grows past this (csv's own limit: a quoted field of the format is never near it).
MAX_FIELD_CHARS = csv.field_size_limit()


def _broken_quote(line: int) -> str:
    return (
        f"a quote opened on line {line} is never closed: this row is refused and the lines "
        "after it are read as rows; close the quote and send the row again"
    )


_CSV_ERRORS = {
    "',' expected after '\"'": "a quoted value is followed by more text before the comma "
    '(write the whole value inside the quotes, a quote inside it as "")',
}


class _Lines:
    """The physical lines, numbered, fed to the CSV reader one record at a time (it never
    reads ahead): the lines of the current record are kept, so that a record whose quote
    was left open can be given up and its lines after the first read again as rows."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._source = enumerate(lines, start=1)
        self._replay: list[tuple[int, str]] = []
        #: The current record's lines (cleared, never replaced: the feed holds it).
        self.record: list[tuple[int, str]] = []
        self.too_long: set[int] = set()

    def feed(self) -> Iterator[str]:
        """What the CSV reader reads (a generator: cheaper per line than a method call)."""
        source, replay, record = self._source, self._replay, self.record
        append, too_long = record.append, self.too_long
        while True:
            if replay:
                item = replay.pop()
            else:
                read = next(source, None)
                if read is None:
                    return
                item = read
                if len(item[1]) > MAX_LINE_CHARS:
                    too_long.add(item[0])
                    item = (item[0], "\n")
            append(item)
            yield item[1]

    def give_up(self) -> int:
        """The current record is refused as its first line: the others are read again."""
        first, *rest = self.record
        self._replay += reversed(rest)
        self.record.clear()
        return first[0]


class _Table:
    """A file's header read (`read_table`): where our columns are, and its records."""

    def __init__(
        self,
        known: list[tuple[int, str]],
        spelled: dict[str, str],
        unknown: tuple[str, ...],
        records: Iterator[tuple[int, list[str] | str]],
    ) -> None:
        #: Each of our columns present: its position in a record, and its name.
        self.known = known
        #: The header of our columns as the file spells them (our name -> theirs).
        self.spelled = spelled
        self.unknown = unknown
        #: Each record that is not blank, with the line it starts on: its values as read, or
        #: the reason it cannot be read (a str: a broken quote, a line too long, a CSV error).
        self.records = records
        self._names = [name for _, name in known]
        # The values of our columns of a full row, in one call (C, not a loop: a million rows)
        self._pick = itemgetter(*(index for index, _ in known)) if len(known) > 1 else None
        self._full = max((index for index, _ in known), default=-1) + 1

    def row(self, values: list[str] | str) -> dict[str, str]:
        """A record as {our column: value}; an unreadable one as {UNREADABLE: why}."""
        if isinstance(values, str):
            return {UNREADABLE: values}
        if self._pick is not None and len(values) >= self._full:
            return dict(zip(self._names, map(str.strip, self._pick(values)), strict=True))
        width = len(values)
        return {name: values[i].strip() for i, name in self.known if i < width}


def read_rows(
    lines: Iterable[str],
    settings: ImportSettings,
    columns: tuple[str, ...],
    required: tuple[str, ...] = (),
    name: str = "the file",
) -> tuple[Iterator[tuple[int, dict[str, str]]], dict[str, str], tuple[str, ...]]:
    """CSV rows as {our column: value}, each with the line it starts on; the header of our
    columns as the file spells them; and the unknown columns (never read further).

    FileRefused (naming the columns and the fix) for a file with no header, a column of the
    format twice, or a required one missing. A row the CSV reader cannot read is a row with
    the UNREADABLE key, and the rows after it are read: a quote left open (never closed, or
    closed by the next value's opening quote) refuses the row where it opened only."""
    table = read_table(lines, settings, columns, required, name)
    row = table.row
    rows = ((start, row(values)) for start, values in table.records)
    return rows, table.spelled, table.unknown


def read_table(
    lines: Iterable[str],
    settings: ImportSettings,
    columns: tuple[str, ...],
    required: tuple[str, ...] = (),
    name: str = "the file",
) -> _Table:
    """The file's header read and checked (FileRefused as `read_rows` says), and its records
    as the CSV reader reads them (`_Table.records`), blank ones left out."""
    source = _Lines(lines)
    reader = csv.reader(source.feed(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused(f"{name} is empty: not even a header line") from None
    except csv.Error as error:
        raise FileRefused(f"{name}: the header line cannot be read as CSV ({error})") from None
    source.record.clear()
    cells = [cell.strip() for cell in header if cell.strip()]
    if len(cells) == 1 and cells[0].lower().startswith("sep="):
        # Excel's own first line naming the separator ("sep=,"): the header is the next line
        separator = cells[0][4:] or ","  # "sep=," is read as the cells "sep=" and ""
        if separator != ",":
            raise FileRefused(
                f"{name}: its first line says its columns are separated by {separator!r}, not "
                "commas: save it as 'CSV UTF-8 (Comma delimited)' and send it again"
            )
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            raise FileRefused(f"{name} has no header line after its 'sep=,' line") from None
        source.record.clear()
    mapping = {k.strip().lower(): v.strip().lower() for k, v in settings.column_map.items()}
    names = []
    spelled: dict[str, str] = {}
    positions: dict[str, list[int]] = {}
    for position, raw in enumerate(header, start=1):
        original = raw.strip().lstrip("\ufeff").strip()
        ours = mapping.get(original.lower(), original.lower())
        names.append(ours)
        if ours in columns:
            spelled.setdefault(ours, original)
            positions.setdefault(ours, []).append(position)
    _check_header(name, header, columns, required, positions)
    # a blank header (a spreadsheet's trailing empty columns) is no column
    unknown = tuple(n for n in names if n not in columns and n)
    known = [(index, name) for index, name in enumerate(names) if name in columns]

    def records() -> Iterator[tuple[int, list[str] | str]]:
        nonlocal reader
        record, too_long, clear = source.record, source.too_long, source.record.clear
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # the reader goes on at the next line
                start = record[0][0]
                if len(record) > 1 or str(error) == "unexpected end of data":
                    given_up = source.give_up()
                    reader = csv.reader(source.feed(), strict=True)  # the feed may have ended
                    yield given_up, _broken_quote(start)
                    continue
                clear()
                yield start, _CSV_ERRORS.get(str(error), f"not readable as CSV ({error})")
                continue
            start = record[0][0]
            if too_long and any(number in too_long for number, _ in record):
                clear()
                yield start, TOO_LONG
                continue
            clear()
            if "".join(values).strip():  # not a blank row
                yield start, values

    return _Table(known, spelled, unknown, records())


def _check_header(
    name: str,
    header: list[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    positions: Mapping[str, list[int]],
) -> None:
    twice = {column: at for column, at in positions.items() if len(at) > 1}
    if twice:
        described = "; ".join(
            f"{column} is columns {' and '.join(map(str, at))}" for column, at in twice.items()
        )
        raise FileRefused(
            f"{name}: a column of the format appears more than once ({described}): keep one "
            "of each (or fix the practice's column_map) and send the file again"
        )
    missing = [column for column in required if column not in positions]
    if missing and len(header) == 1:
        signs = (("\t", "tabs"), (";", "semicolons"), ("|", "bars"))
        separator = next((name for sign, name in signs if sign in header[0]), None)
        if separator is not None:
            raise FileRefused(
                f"{name}: its columns are separated by {separator}, not commas: save it as "
                "'CSV UTF-8 (Comma delimited)' and send it again"
            )
    if missing:
        found = ", ".join(h.strip() for h in header[:12] if h.strip()) or "none"
        more = f" and {len(header) - 12} more" if len(header) > 12 else ""
        raise FileRefused(
            f"{name}: no {', '.join(missing)} column (required; the file's columns: "
            f"{found}{more}): rename the file's columns, or map them in the practice's "
            "column_map, and send the file again"
        )


def parse_bool(value: str, column: str) -> bool | None:
    if not value:
        return None
    folded = value.lower()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise RowError(f"{column} is not yes/no: write yes or no, or leave it blank")


def parse_date(value: str, column: str) -> date | None:
    if not value:
        return None
    us = US_DATE.match(value)
    try:
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
        if ISO_DATE.match(value):
            return date.fromisoformat(value)
    except ValueError as error:
        raise RowError(f"{column} is not a real date") from error
    raise RowError(f"{column} is not a date (YYYY-MM-DD or M/D/YYYY)")


def parse_moment(value: str, column: str, timezone: str) -> datetime:
    moment = _moment(value, timezone)
    if moment is None:
        raise RowError(f"{column} is not an ISO date-time: {DATE_TIME_FIX}")
    return moment


@lru_cache(maxsize=1 << 16)  # an export's appointments start in the same slots again and again
def _moment(value: str, timezone: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:  # the practice's local time
        # what replace(tzinfo=...) gives (fold too), in a third of its time (a million rows)
        moment = datetime.combine(moment.date(), moment.time(), ZoneInfo(timezone))
    return moment


@lru_cache(maxsize=1024)  # ZoneInfo caches the zones it found, not the names it did not
def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ENUMS: dict[type[StrEnum], dict[str, StrEnum]] = {}


def parse_enum(kind: type[StrEnum], value: str, column: str) -> Any:
    members = _ENUMS.get(kind)
    if members is None:  # a lookup table per enum: this runs for millions of rows
        members = _ENUMS[kind] = {member.value: member for member in kind}
    member = members.get(value)  # as written, most often
    if member is None:
        member = members.get(value.strip().lower())
    if member is None:
        allowed = ", ".join(member.value for member in kind)
        raise RowError(f"{column} must be one of {allowed}")
    return member


@lru_cache(maxsize=1 << 14)  # a number shared by a family is parsed once
def parse_phone(value: str, country: str) -> str | None:
    """E.164, or None when it is not a valid number for that country (or abroad, with +)."""
    written = NANP_WRITTEN.match(value)
    if written and (written[1] or country == "US"):
        # What phonenumbers.parse makes of it, without its general parser (a third of an
        # import's patients' time); whether the number exists is still phonenumbers' call.
        national = written[2] + written[3] + written[4]
        # is_valid_number finds the number's region (for +1: the first of its regions whose
        # patterns it fits, US first) and checks it again there: a number that fits the US's
        # patterns is valid, checked once (E.164 of +1 and 10 digits with no leading zero is
        # "+1" and the digits, as format_number writes it); any other gets the whole check.
        if _US_FIRST and _valid_in_us(national):
            return "+1" + national
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
        valid = phonenumbers.is_valid_number(number)
    else:
        try:
            number = phonenumbers.parse(value, country)
        except phonenumbers.NumberParseException:
            return None
        valid = phonenumbers.is_valid_number(number)
    if not valid:
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _require(row: Mapping[str, str], *columns: str) -> None:
    if all(map(row.get, columns)):
        return
    missing = [c for c in columns if not row.get(c)]
    if missing:
        raise RowError(f"missing {', '.join(missing)}")


def _validated[Model: BaseModel](model: type[Model], values: dict[str, Any]) -> Model:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        # in the operator's words, never the value (a row's values are a patient's data)
        raise RowError(in_plain_words(error.errors()[0], show_value=False)) from error


_LANGUAGES = {member.value: member for member in Language}


def _patient(
    row: Mapping[str, str], settings: ImportSettings, warn: Callable[[str], None]
) -> Patient:
    _require(row, "patient_id", "first_name")
    mobile = None
    if row.get("mobile"):
        mobile = parse_phone(row["mobile"], settings.country)
        if mobile is None:
            warn("mobile is not a valid phone number: no SMS channel")
    email = None
    if row.get("email"):
        if EMAIL.match(row["email"]):
            email = row["email"].lower()
        else:
            warn("email is not a valid address: no email channel")
    timezone = row.get("timezone") or None
    if timezone and not _is_timezone(timezone):
        warn("timezone is not an IANA name: the practice's is used")
        timezone = None
    language = Language.EN
    if row.get("language"):
        known = _LANGUAGES.get(row["language"].lower())  # Language(...), without its call
        if known is None:
            warn("language is not en or es: en is used")
        else:
            language = known
    membership = MembershipStatus.NONE
    if row.get("membership_status"):
        membership = parse_enum(MembershipStatus, row["membership_status"], "membership_status")
    return _validated(
        Patient,
        {
            "patient_id": row["patient_id"],
            "first_name": row["first_name"],
            "last_name": row.get("last_name") or None,
            "mobile": mobile,
            "email": email,
            "sms_opt_in": parse_bool(row.get("sms_opt_in", ""), "sms_opt_in"),
            "email_opt_in": parse_bool(row.get("email_opt_in", ""), "email_opt_in"),
            "marketing_opt_in": parse_bool(row.get("marketing_opt_in", ""), "marketing_opt_in")
            is True,
            "do_not_contact": parse_bool(row.get("do_not_contact", ""), "do_not_contact") is True,
            "deceased": parse_bool(row.get("deceased", ""), "deceased") is True,
            "timezone": timezone,
            "language": language,
            "membership_status": membership,
            "membership_ended_on": parse_date(row.get("membership_ended_on", ""),
                                              "membership_ended_on"),
            "benefits_expire_on": parse_date(row.get("benefits_expire_on", ""),
                                             "benefits_expire_on"),
            "lead_created_on": parse_date(row.get("lead_created_on", ""), "lead_created_on"),
            "lead_source": row.get("lead_source") or None,
        },
    )  # fmt: skip


#: An appointment row's values, checked and parsed, in the order of `APPOINTMENT_COLUMNS`
#: (appointment_id, patient_id, starts_at, category, status, provider, revenue): what an
#: `Appointment` is made of, for a reader that needs no model of each (a preview folds them
#: into `rules.Visits`). A plain tuple: a named one costs more than the rest of the row.
AppointmentValues = tuple[
    str, str, datetime, ServiceCategory, AppointmentStatus, str | None, float | None
]


_CATEGORIES = {member.value: member for member in ServiceCategory}
_STATUSES = {member.value: member for member in AppointmentStatus}


def appointment_values(
    row: Mapping[str, str], settings: ImportSettings, warn: Callable[[str], None]
) -> AppointmentValues:
    """An appointment row checked as the import checks it (RowError: why it is rejected)."""
    get = row.get
    if not (get("appointment_id") and get("patient_id") and get("starts_at")
            and get("category") and get("status")):  # fmt: skip
        _require(row, *APPOINTMENT_COLUMNS[:5])
    revenue = None
    if row.get("revenue"):
        try:
            revenue = parse_amount(row["revenue"])
        except ValueError:
            warn("revenue is not an amount: left out")
    # parse_moment and parse_enum, inlined: a million rows
    starts_at = _moment(row["starts_at"], settings.timezone)
    if starts_at is None:
        raise RowError(f"starts_at is not an ISO date-time: {DATE_TIME_FIX}")
    category = _CATEGORIES.get(row["category"]) or parse_enum(
        ServiceCategory, row["category"], "category"
    )
    status = _STATUSES.get(row["status"]) or parse_enum(AppointmentStatus, row["status"], "status")
    return (
        row["appointment_id"],
        row["patient_id"],
        starts_at,
        category,
        status,
        get("provider") or None,
        revenue,
    )


def _appointment(
    row: Mapping[str, str], settings: ImportSettings, warn: Callable[[str], None]
) -> Appointment:
    values = appointment_values(row, settings, warn)
    return _validated(Appointment, dict(zip(APPOINTMENT_COLUMNS, values, strict=True)))


def parse_amount(value: str) -> float:
    """An amount of money as an export writes it: 95, 1180.50, $1,180.50 (ValueError: not
    one). A plain number is read as it is; the dollar sign and thousands commas, which float
    never reads, are taken out only when it is not."""
    try:
        return float(value)
    except ValueError:
        return float(value.replace("$", "").replace(",", ""))


def _count(value: str, column: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise RowError(f"{column} is not a whole number")
    return int(value)


def _plan(row: Mapping[str, str], settings: ImportSettings, warn: Callable[[str], None]) -> Plan:
    _require(row, "plan_id", "patient_id", "kind", "created_on", "status")
    kind = parse_enum(PlanKind, row["kind"], "kind")
    if kind in DUE_DATE_KINDS:
        _require(row, "due_on")
    if kind is PlanKind.SERIES:
        _require(row, "sessions_planned", "sessions_completed")
    category = row.get("category")
    return _validated(
        Plan,
        {
            "plan_id": row["plan_id"],
            "patient_id": row["patient_id"],
            "kind": kind,
            "category": parse_enum(ServiceCategory, category, "category") if category else None,
            "created_on": parse_date(row["created_on"], "created_on"),
            "due_on": parse_date(row.get("due_on", ""), "due_on"),
            "sessions_planned": _count(row.get("sessions_planned", ""), "sessions_planned"),
            "sessions_completed": _count(row.get("sessions_completed", ""), "sessions_completed"),
            "status": parse_enum(PlanStatus, row["status"], "status"),
        },
    )


Builder = Callable[[Mapping[str, str], ImportSettings, Callable[[str], None]], Any]


#: What bytes that are not UTF-8 were decoded as (adapters.imports.decoded_lines).
NOT_TEXT = "\ufffd"


def _check(
    row: Mapping[str, str],
    id_column: str,
    seen: Mapping[str, int],
    known_patients: Container[str] | None,
) -> None:
    """What every row of a file must be before it is read: readable, UTF-8, its id not seen
    before, its patient (for appointments and plans) one that patients.csv imported."""
    if UNREADABLE in row:  # the reason, as the reader gave it (a broken row, a line too long)
        raise RowError(row[UNREADABLE])
    joined = "".join(row.values())
    if NOT_TEXT in joined:
        raise RowError(
            "has characters that are not UTF-8 text: save the export as 'CSV UTF-8' and send "
            "the row again"
        )
    if "\x00" in joined:
        raise RowError("has a NUL character (a damaged file?): fix the line and send it again")
    if row.get(id_column) in seen:
        raise RowError(f"duplicate {id_column} (first on line {seen[row[id_column]]})")
    if known_patients is not None and row.get("patient_id") not in known_patients:
        _require(row, "patient_id")
        raise RowError("patient_id is not in patients.csv")


def _builder(file: ExportFile) -> Builder:
    return {
        ExportFile.PATIENTS: _patient,
        ExportFile.APPOINTMENTS: _appointment,
        ExportFile.PLANS: _plan,
    }[file]


def stream_file(
    file: ExportFile,
    lines: Iterable[str],
    settings: ImportSettings,
    known_patients: Container[str] | None = None,
    build: Builder | None = None,
) -> RowStream[Any]:
    """The rows of one export file, one outcome at a time (appointments and plans are checked
    against `known_patients`, the ids patients.csv imported). Each row becomes its model, or
    what `build` makes of it (the same checks: `appointment_values`)."""
    rows, header, unknown = read_rows(lines, settings, file.columns, file.required, file.value)
    if build is None:
        build = _builder(file)
    id_column = file.id_column

    def outcomes() -> Iterator[RowOutcome[Any]]:
        seen: dict[str, int] = {}
        for line, row in rows:
            warnings: list[str] = []
            try:
                _check(row, id_column, seen, known_patients)
                model = build(row, settings, warnings.append)
            except RowError as error:
                yield RowOutcome(line, row, rejection=str(error))
                continue
            seen[row[id_column]] = line
            yield RowOutcome(line, row, model, tuple(warnings) if warnings else ())

    return RowStream(file.value, header, unknown, outcomes())


def parse_appointment_row(row: Mapping[str, str], settings: ImportSettings) -> Appointment:
    """One appointment given as the format's columns (an appointment-changed event's)."""
    appointment: Appointment = _appointment(row, settings, lambda _warning: None)
    return appointment


def _parse(
    file: ExportFile,
    lines: Iterable[str],
    settings: ImportSettings,
    known_patients: Container[str] | None,
    build: Builder | None = None,
    each: Callable[[Any], None] | None = None,
) -> FileImport[Any]:
    """stream_file's outcomes, gathered (its loop, without an outcome object per row)."""
    table = read_table(lines, settings, file.columns, file.required, file.value)
    result: FileImport[Any] = FileImport(name=file.value, unknown_columns=table.unknown)
    gather = _Gather(result, file, settings, known_patients, build or _builder(file), each)
    row, add = table.row, gather.add
    for line, values in table.records:
        add(line, row(values))
    return result


class _Gather:
    """Each row's outcome added to a FileImport, as stream_file decides it."""

    def __init__(
        self,
        result: FileImport[Any],
        file: ExportFile,
        settings: ImportSettings,
        known_patients: Container[str] | None,
        build: Builder,
        each: Callable[[Any], None] | None,
    ) -> None:
        self.result, self.settings, self.build, self.each = result, settings, build, each
        self.id_column, self.known_patients = file.id_column, known_patients
        #: Each imported row's id -> its line (a duplicate is refused).
        self.seen: dict[str, int] = {}

    def add(self, line: int, row: dict[str, str]) -> None:
        result = self.result
        result.rows_read += 1
        warnings: list[str] = []
        try:
            _check(row, self.id_column, self.seen, self.known_patients)
            model = self.build(row, self.settings, warnings.append)
        except RowError as error:
            result.rejected.append(Rejected(line, str(error), row))
            return
        self.seen[row[self.id_column]] = line
        self.imported(line, model)
        if warnings:
            result.warnings += [(line, warning) for warning in warnings]

    def imported(self, line: int, model: Any) -> None:
        self.result.imported_rows += 1
        if self.each is None:
            self.result.imported.append((line, model))
        else:
            self.each(model)


def parse_patients(lines: Iterable[str], settings: ImportSettings) -> FileImport[Patient]:
    return _parse(ExportFile.PATIENTS, lines, settings, None)


def parse_appointments(
    lines: Iterable[str], settings: ImportSettings, patients: Container[str]
) -> FileImport[Appointment]:
    return _parse(ExportFile.APPOINTMENTS, lines, settings, patients)


def fold_appointments(
    lines: Iterable[str],
    settings: ImportSettings,
    patients: Container[str],
    each: Callable[[AppointmentValues], None],
) -> FileImport[AppointmentValues]:
    """`parse_appointments` that hands each imported row to `each` as it is read instead of
    keeping a model of it: the summary, warnings and rejected rows are the same."""
    file = ExportFile.APPOINTMENTS
    table = read_table(lines, settings, file.columns, file.required, file.value)
    result: FileImport[Any] = FileImport(name=file.value, unknown_columns=table.unknown)
    gather = _Gather(result, file, settings, patients, appointment_values, each)
    quick = _plain_appointment(table, settings, patients, gather.seen)
    row, add, seen = table.row, gather.add, gather.seen
    plain_rows = 0
    for line, values in table.records:
        appointment = quick(values) if values.__class__ is list else None
        if appointment is None:  # anything but a plain row: the import's own checks, in order
            add(line, row(values))
            continue
        plain_rows += 1
        seen[appointment[0]] = line
        each(appointment)
    result.rows_read += plain_rows
    result.imported_rows += plain_rows
    return result


def _plain_appointment(
    table: _Table, settings: ImportSettings, patients: Container[str], seen: Container[str]
) -> Callable[[list[str] | str], AppointmentValues | None]:
    """A shortcut for the rows `appointment_values` imports with no warning, as most are: a
    full row of the format's values as written (a known patient, an id not seen before, an
    ISO date-time, a category and a status in lower case, an amount or none); None for any
    other row, which the import's checks read (the same outcome: only the work differs)."""
    position = {name: index for index, name in table.known}
    if any(column not in position for column in APPOINTMENT_COLUMNS):
        return lambda _values: None
    pick = itemgetter(*(position[column] for column in APPOINTMENT_COLUMNS))
    full = max(position.values()) + 1
    timezone, categories, statuses = settings.timezone, _CATEGORIES, _STATUSES
    strip = str.strip

    def plain(values: list[str] | str) -> AppointmentValues | None:
        if len(values) < full:
            return None
        joined = "".join(values)
        if NOT_TEXT in joined or "\x00" in joined:
            return None
        appointment_id, patient_id, starts, category, status, provider, revenue = map(
            strip, pick(values)
        )
        if not (appointment_id and patient_id and starts) or appointment_id in seen:
            return None
        if patient_id not in patients:
            return None
        kind, state = categories.get(category), statuses.get(status)
        starts_at = _moment(starts, timezone)
        if kind is None or state is None or starts_at is None:
            return None
        amount = None
        if revenue:
            try:
                amount = parse_amount(revenue)
            except ValueError:
                return None  # imported with a warning, by appointment_values
        return appointment_id, patient_id, starts_at, kind, state, provider or None, amount

    return plain


def parse_plans(
    lines: Iterable[str], settings: ImportSettings, patients: Container[str]
) -> FileImport[Plan]:
    return _parse(ExportFile.PLANS, lines, settings, patients)
