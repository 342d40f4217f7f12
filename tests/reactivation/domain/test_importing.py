"""Reading a PMS export: every row imported, imported with warnings, or rejected with its line."""

from datetime import UTC, date, datetime

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.importing import (
    PLAN_COLUMNS,
    AppointmentValues,
    ImportSettings,
    fold_appointments,
    parse_appointments,
    parse_patients,
    parse_phone,
    parse_plans,
)
from reactivation.domain.patients import AppointmentStatus, PlanKind
from reactivation.domain.types import ServiceCategory

SETTINGS = ImportSettings(timezone="America/New_York")


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_headers_enums_booleans_and_dates_are_forgiving_but_exact() -> None:
    result = parse_patients(
        lines(
            "\ufeffPatient_ID , FIRST_NAME,Mobile,SMS_Opt_In,Deceased,Lead_Created_On,Language\n"
            "P1,Ana,(415) 555-0134,Y,false,3/7/2026,ES\n"
            "P2,Ben,+1 415 555 0135,,0,2026-03-07,\n"
        ),
        SETTINGS,
    )
    (_, ana), (_, ben) = result.imported
    assert (ana.mobile, ana.sms_opt_in, ana.deceased, ana.language) == ("+14155550134", True,
                                                                       False, "es")  # fmt: skip
    assert ana.lead_created_on == ben.lead_created_on == date(2026, 3, 7)
    assert ben.mobile == "+14155550135" and ben.sms_opt_in is None
    assert result.rejected == [] and result.warnings == []


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("P1,,4155550134,", "missing first_name"),
        (",Ana,4155550134,", "missing patient_id"),
        ("P1,Ana,4155550134,maybe", "sms_opt_in is not yes/no: write yes or no, or leave it blank"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason(row: str, reason: str) -> None:
    result = parse_patients(
        lines(f"patient_id,first_name,mobile,sms_opt_in\nP0,Zoe,,\n{row}\n"), SETTINGS
    )
    assert [(r.line, r.reason) for r in result.rejected] == [(3, reason)]
    assert ",".join(result.rejected[0].row.values()) == row  # kept as read, for staff to fix
    assert len(result.imported) + len(result.rejected) == result.rows_read == 2


def test_bad_contact_data_is_a_warning_and_no_channel() -> None:
    result = parse_patients(
        lines("patient_id,first_name,mobile,email,timezone\nP1,Ana,12,nope,Mars/Base\n"), SETTINGS
    )
    ((_, patient),) = result.imported
    assert (patient.mobile, patient.email, patient.timezone) == (None, None, None)
    assert [reason for _, reason in result.warnings] == [
        "mobile is not a valid phone number: no SMS channel",
        "email is not a valid address: no email channel",
        "timezone is not an IANA name: the practice's is used",
    ]


def test_clinical_columns_are_never_kept_and_unknown_columns_are_counted() -> None:
    result = parse_patients(
        lines("patient_id,first_name,diagnosis,notes\nP1,Ana,periodontitis,anxious\n"), SETTINGS
    )
    assert result.unknown_columns == ("diagnosis", "notes")
    ((_, patient),) = result.imported
    assert "periodontitis" not in patient.model_dump_json()


def test_the_practice_column_map_renames_its_columns() -> None:
    mapped = ImportSettings(timezone="UTC", column_map={"Chart #": "patient_id", "Cell": "mobile"})
    result = parse_patients(lines("Chart #,first_name,Cell\n77,Ana,4155550134\n"), mapped)
    assert [(p.patient_id, p.mobile) for _, p in result.imported] == [("77", "+14155550134")]


def test_duplicates_and_quoted_multiline_fields_keep_their_line_numbers() -> None:
    text = 'patient_id,first_name,last_name\nP1,Ana,"Smith\nJones"\nP1,Ann,X\nP2,Ben,Y\n'
    result = parse_patients(lines(text), SETTINGS)
    assert [(r.line, r.reason) for r in result.rejected] == [
        (4, "duplicate patient_id (first on line 2)")
    ]
    assert [line for line, _ in result.imported] == [2, 5]


def test_appointments_local_times_offsets_and_unknown_patients() -> None:
    result = parse_appointments(
        lines(
            "appointment_id,patient_id,starts_at,category,status,revenue\n"
            'A1,P1,2026-04-20T10:00,Hygiene,COMPLETED,"$1,180.50"\n'
            "A2,P1,2026-04-20T10:00:00+00:00,exam,no_show,\n"
            "A3,P9,2026-04-20T10:00,exam,completed,\n"
            "A4,P1,4/20/2026,exam,completed,\n"
            "A5,P1,2026-04-20T10:00,cleaning,completed,\n"
        ),
        SETTINGS,
        {"P1"},
    )
    (_, first), (_, second) = result.imported
    assert first.starts_at.astimezone(UTC) == datetime(2026, 4, 20, 14, tzinfo=UTC)
    assert (first.category, first.status, first.revenue) == (
        ServiceCategory.HYGIENE, AppointmentStatus.COMPLETED, 1180.5,
    )  # fmt: skip
    assert second.starts_at == datetime(2026, 4, 20, 10, tzinfo=UTC)
    assert [r.reason.split(" must")[0].split(":")[0] for r in result.rejected] == [
        "patient_id is not in patients.csv",
        "starts_at is not an ISO date-time",
        "category",
    ]


def test_plans_need_their_kind_specific_columns() -> None:
    result = parse_plans(
        lines(
            "plan_id,patient_id,kind,created_on,due_on,sessions_planned,sessions_completed,status\n"
            "PL1,P1,follow_up,2026-01-02,2026-12-01,,,open\n"
            "PL2,P1,follow_up,2026-01-02,,,,open\n"
            "PL3,P1,series,2026-01-02,,6,2,OPEN\n"
            "PL4,P1,series,2026-01-02,,6,two,open\n"
        ),
        SETTINGS,
        {"P1"},
    )
    assert [p.kind for _, p in result.imported] == [PlanKind.FOLLOW_UP, PlanKind.SERIES]
    assert [(r.line, r.reason) for r in result.rejected] == [
        (3, "missing due_on"),
        (5, "sessions_completed is not a whole number"),
    ]


@given(st.lists(st.text(alphabet='abc,"\n xyz019', max_size=30), max_size=8))
def test_every_row_is_accounted_for(rows: list[str]) -> None:
    text = "patient_id,first_name,mobile\n" + "\n".join(rows)
    result = parse_patients(lines(text), SETTINGS)
    assert len(result.imported) + len(result.rejected) == result.rows_read


def test_phone_numbers_for_the_country_and_abroad() -> None:
    assert parse_phone("(415) 555-0134", "US") == "+14155550134"
    assert parse_phone("020 7183 8750", "GB") == "+442071838750"
    assert parse_phone("+44 20 7183 8750", "US") == "+442071838750"
    assert parse_phone("555-0134", "US") is None


# Each column of the format: a value it accepts (and what it becomes) and one it refuses
# (rejected: the reason; warned: the row imported without that value).
PATIENT_FORMS = [
    ("mobile", "415.555.0134", "+14155550134", ("warning", "no SMS channel"), "555"),
    ("email", "Ana@Example.COM", "ana@example.com", ("warning", "no email channel"), "ana@"),
    ("sms_opt_in", "NO", False, ("rejected", "sms_opt_in is not yes/no"), "nope"),
    ("email_opt_in", "1", True, ("rejected", "email_opt_in is not yes/no"), "2"),
    ("marketing_opt_in", "True", True, ("rejected", "marketing_opt_in is not yes/no"), "x"),
    ("do_not_contact", "y", True, ("rejected", "do_not_contact is not yes/no"), "-"),
    ("deceased", "n", False, ("rejected", "deceased is not yes/no"), "dead"),
    ("timezone", "America/Phoenix", "America/Phoenix", ("warning", "not an IANA name"), "EST5"),
    ("language", "Es", "es", ("warning", "en is used"), "fr"),
    ("membership_status", "Active", "active", ("rejected", "must be one of"), "gold"),
    ("membership_ended_on", "03/07/2026", date(2026, 3, 7), ("rejected", "not a date"), "7.3.26"),
    ("benefits_expire_on", "2026-12-31", date(2026, 12, 31), ("rejected", "not a real date"),
     "2026-02-30"),
    ("lead_created_on", "1/2/2026", date(2026, 1, 2), ("rejected", "not a date"), "Jan 2"),
    ("lead_source", "web", "web", None, None),
    ("last_name", "Lopez", "Lopez", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("column", "good", "value", "bad_outcome", "bad"), PATIENT_FORMS)
def test_each_patient_column_accepts_and_refuses(
    column: str, good: str, value: object, bad_outcome: tuple[str, str] | None, bad: str | None
) -> None:
    header = f"patient_id,first_name,{column}\n"
    ((_, patient),) = parse_patients(lines(header + f"P1,Ana,{good}\n"), SETTINGS).imported
    assert patient.model_dump()[column] == value
    if bad_outcome is None:
        return
    result = parse_patients(lines(header + f"P1,Ana,{bad}\n"), SETTINGS)
    kind, reason = bad_outcome
    if kind == "rejected":
        assert len(result.rejected) == 1 and reason in result.rejected[0].reason
    else:
        ((_, patient),) = result.imported
        assert [r for _, r in result.warnings if reason in r]


APPOINTMENT_FORMS = [
    ("starts_at", "2026-04-20T10:00-07:00", "starts_at is not an ISO date-time", "20/04/2026"),
    ("category", "SKIN_CHECK", "category must be one of", "botox"),
    ("status", "No_Show", "status must be one of", "late"),
]


@pytest.mark.parametrize(("column", "good", "reason", "bad"), APPOINTMENT_FORMS)
def test_each_appointment_column_accepts_and_refuses(
    column: str, good: str, reason: str, bad: str
) -> None:
    row = {"appointment_id": "A1", "patient_id": "P1", "starts_at": "2026-04-20T10:00",
           "category": "exam", "status": "completed", "provider": "Dr. Kim",
           "revenue": "95"}  # fmt: skip
    header = ",".join(row) + "\n"
    accepted = parse_appointments(lines(header + ",".join({**row, column: good}.values()) + "\n"),
                                  SETTINGS, {"P1"})  # fmt: skip
    assert len(accepted.imported) == 1 and accepted.rejected == []
    refused = parse_appointments(lines(header + ",".join({**row, column: bad}.values()) + "\n"),
                                 SETTINGS, {"P1"})  # fmt: skip
    assert len(refused.rejected) == 1 and refused.rejected[0].reason.startswith(reason)
    ((_, appointment),) = accepted.imported
    assert (appointment.provider, appointment.revenue) == ("Dr. Kim", 95.0)


def test_a_revenue_that_is_not_an_amount_is_left_out_with_a_warning() -> None:
    result = parse_appointments(
        lines("appointment_id,patient_id,starts_at,category,status,revenue\n"
              "A1,P1,2026-04-20T10:00,exam,completed,n/a\n"),
        SETTINGS,
        {"P1"},
    )  # fmt: skip
    ((_, appointment),) = result.imported
    assert appointment.revenue is None and result.warnings == [
        (2, "revenue is not an amount: left out")
    ]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("PL1,P1,treatment_plan,Restorative,3/4/2026,,,,Declined", None),
        ("PL1,P1,surveillance,skin_check,2026-03-04,2027-03-04,,,open", None),
        ("PL1,P1,chronic_review,,2026-03-04,,,,open", "missing due_on"),
        ("PL1,P1,series,laser,2026-03-04,,0,0,open", "sessions_planned must be at least 1"),
        ("PL1,P1,series,laser,2026-03-04,,6,,open", "missing sessions_completed"),
        ("PL1,P1,wish,,2026-03-04,,,,open", "kind must be one of"),
        ("PL1,P1,consultation,,2026-03-04,,,,pending", "status must be one of"),
        ("PL1,P1,consultation,,,,,,open", "missing created_on"),
        ("PL1,P1,consultation,facelift,2026-03-04,,,,open", "category must be one of"),
    ],
)
def test_each_plan_column_accepts_and_refuses(cells: str, reason: str | None) -> None:
    header = ",".join(PLAN_COLUMNS) + "\n"
    result = parse_plans(lines(header + cells + "\n"), SETTINGS, {"P1"})
    if reason is None:
        assert len(result.imported) == 1 and result.rejected == []
    else:
        assert len(result.rejected) == 1 and result.rejected[0].reason.startswith(reason)


def _parsed_by_phonenumbers(value: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@given(
    st.sampled_from(["", "+1", "+1 ", "+1-", "+1."]),
    st.sampled_from(
        [("", ""), ("(", ")"), ("(", ") "), ("", " "), ("", "-"), ("", "."), ("(", "")]
    ),
    st.integers(200, 999),
    st.integers(0, 999),
    st.sampled_from(["", " ", "-", "."]),
    st.integers(0, 9999),
    st.sampled_from(["US", "CA", "GB"]),
)
def test_a_north_american_number_as_written_most_often_reads_as_phonenumbers_reads_it(
    prefix: str,
    around_area: tuple[str, str],
    area: int,
    exchange: int,
    separator: str,
    line: int,
    country: str,
) -> None:
    value = f"{prefix}{around_area[0]}{area}{around_area[1]}{exchange:03d}{separator}{line:04d}"
    parse_phone.cache_clear()
    assert parse_phone(value, country) == _parsed_by_phonenumbers(value, country)


def test_folding_appointments_reads_every_row_as_parsing_them_does() -> None:
    text = (
        "appointment_id,patient_id,starts_at,category,status,provider,revenue\n"
        'A1,P1,2026-04-20T10:00,Hygiene,COMPLETED,Dr. Kim,"$1,180.50"\n'
        "A2,P1,2026-04-20T10:00:00+00:00,exam,no_show,,\n"
        "A3,P9,2026-04-20T10:00,exam,completed,,\n"
        "A1,P1,2026-04-21T10:00,exam,completed,,\n"
        "A5,P1,2026-04-20T10:00,exam,completed,,n/a\n"
        "A6,P1,,exam,completed,,\n"
    )
    parsed = parse_appointments(lines(text), SETTINGS, {"P1"})
    folded: list[AppointmentValues] = []
    summary = fold_appointments(lines(text), SETTINGS, {"P1"}, folded.append)
    assert summary.summary() == parsed.summary()
    assert summary.imported == []  # handed on, not kept
    assert [(a.appointment_id, a.starts_at, a.category, a.status, a.provider, a.revenue)
            for _, a in parsed.imported] == [
        (v[0], v[2], v[3], v[4], v[5], v[6]) for v in folded
    ]  # fmt: skip


@given(
    count=st.integers(min_value=1, max_value=12),
    broken=st.integers(min_value=0, max_value=11),
    ends=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_a_quote_left_open_costs_its_own_row_only(count: int, broken: int, ends: str) -> None:
    """Whichever row opens a quote it never closes (the rows after it quoting their own values
    or not), that row is refused on its own line and every other row is imported."""
    broken %= count
    rows = [f'P{i},"Ana {i}",4155550{100 + i}' if i % 2 else f"P{i},Ben,4155550{100 + i}"
            for i in range(count)]  # fmt: skip
    rows[broken] = f'P{broken},"Cleo,4155550199'
    text = ends.join(["patient_id,first_name,mobile", *rows]) + ends
    result = parse_patients(text.splitlines(keepends=True), SETTINGS)
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejected] == [
        (broken + 2, f"a quote opened on line {broken + 2} is never closed")
    ]
    assert sorted(p.patient_id for _, p in result.imported) == sorted(
        f"P{i}" for i in range(count) if i != broken
    )
