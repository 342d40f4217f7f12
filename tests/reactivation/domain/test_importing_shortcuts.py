"""The import's shortcuts (#23) decide exactly as the long way does: the US's 10-digit numbers
as phonenumbers judges them, a local date-time as replace(tzinfo=...) makes it, and a plain
appointment row as the import's checks read it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from reactivation.domain.importing import (
    APPOINTMENT_COLUMNS,
    AppointmentValues,
    ImportSettings,
    _moment,
    _valid_in_us,
    fold_appointments,
    parse_appointments,
)

SETTINGS = ImportSettings(timezone="America/New_York")


def _judged_by_phonenumbers(national: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
    return bool(phonenumbers.is_valid_number_for_region(number, "US"))


def test_every_area_code_is_judged_as_phonenumbers_judges_it() -> None:
    """Each of the 800 area codes, with exchanges across their range (ten per area code)."""
    for area in range(200, 1000):
        for exchange in range(0, 1000, 97):
            national = f"{area}{exchange:03d}{(area * exchange) % 10_000:04d}"
            assert _valid_in_us(national) == _judged_by_phonenumbers(national), national


@given(st.integers(2_000_000_000, 9_999_999_999))
def test_a_ten_digit_number_is_judged_as_phonenumbers_judges_it(number: int) -> None:
    national = str(number)
    assert _valid_in_us(national) == _judged_by_phonenumbers(national)


def test_only_ten_digits_are_judged() -> None:
    assert not _valid_in_us("415555013")
    assert not _valid_in_us("41555501345")


# The values of one appointment row: plain ones (what most exports hold) and every kind the
# shortcut leaves to the import's checks (a blank, a case, spaces, a bad value, a warning).
IDS = st.sampled_from(["A1", "A2", "A3", " A1", "", "A\ufffd"])
PATIENTS = st.sampled_from(["P1", "P2", "P9", "", " P1", "P\x001"])
STARTS = st.sampled_from(["2026-04-20T10:00", "2026-04-20 10:00:00", "2026-04-20T10:00+00:00",
                          "4/20/2026", "", "2026-02-30T10:00"])  # fmt: skip
CATEGORIES = st.sampled_from(["exam", "hygiene", "Exam", " filler ", "botox", ""])
STATUSES = st.sampled_from(["completed", "no_show", "No_Show", "late", ""])
PROVIDERS = st.sampled_from(["", "Dr. Kim", '"Dr. Kim, DDS"'])
REVENUES = st.sampled_from(["", "95", "$1,180.50", '"1,180.50"', "n/a", "0"])
ROW = st.tuples(IDS, PATIENTS, STARTS, CATEGORIES, STATUSES, PROVIDERS, REVENUES)


@settings(max_examples=200)
@given(
    rows=st.lists(ROW, max_size=8),
    order=st.permutations(list(range(7))),
    short=st.booleans(),
)
def test_folding_decides_every_row_as_parsing_it_does(
    rows: list[tuple[str, ...]], order: list[int], short: bool
) -> None:
    """Whatever the rows and the columns' order (and a row cut short), folding imports,
    warns about and rejects exactly the rows that parsing does, with the same values."""
    header = ",".join(APPOINTMENT_COLUMNS[i] for i in order)
    body = [",".join(row[i] for i in order) for row in rows]
    if short and body:
        body[-1] = body[-1].rsplit(",", 1)[0]
    text = "\n".join([header, *body]) + "\n"
    parsed = parse_appointments(text.splitlines(keepends=True), SETTINGS, {"P1", "P2"})
    folded: list[AppointmentValues] = []
    summary = fold_appointments(text.splitlines(keepends=True), SETTINGS, {"P1", "P2"},
                                folded.append)  # fmt: skip
    assert summary.summary() == parsed.summary()
    assert [r.row for r in summary.rejected] == [r.row for r in parsed.rejected]
    assert folded == [
        (a.appointment_id, a.patient_id, a.starts_at, a.category, a.status, a.provider,
         a.revenue)
        for _, a in parsed.imported
    ]  # fmt: skip


@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)),
    form=st.sampled_from(["minutes", "seconds", "auto"]),
    timezone=st.sampled_from(["America/New_York", "America/Phoenix", "Europe/London", "UTC"]),
)
def test_a_local_date_time_reads_as_the_practice_s_time(
    moment: datetime, form: str, timezone: str
) -> None:
    """Every wall time (the ones a clock change skips or repeats too) is the practice's
    time, as replace(tzinfo=...) makes it: the same fields, zone and fold."""
    value = moment.isoformat(sep=" " if form == "seconds" else "T", timespec=form)
    expected = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone))
    got = _moment(value, timezone)
    assert got is not None
    assert (got.replace(tzinfo=None), got.tzinfo, got.fold, got.utcoffset()) == (
        expected.replace(tzinfo=None),
        expected.tzinfo,
        expected.fold,
        expected.utcoffset(),
    )
