"""Per-practice sender identities (#22 item 4): `practice put` refuses a from_email outside
the SES identities the stack may send from (its SenderIdentities output), saying how to fix it."""

from pathlib import Path
from typing import Any

import pytest

from reactivation.adapters.practices import PracticeRepository
from reactivation_tools import cli
from reactivation_tools.local.stack import LOCAL_PARAMETERS
from reactivation_tools.local.template import Template
from reactivation_tools.onboarding import outside_sender_identities, sender_identity_of
from tests.conftest import ROOT, TEMPLATE, Aws

EXAMPLE = ROOT / "examples" / "bright-smile.yaml"


@pytest.mark.parametrize(
    ("from_email", "inside"),
    [
        ("frontdesk@clinic.example", "clinic.example"),
        ("FrontDesk@Clinic.Example", "clinic.example"),
        ("owner@spa.example", "owner@spa.example"),
        ("other@spa.example", None),  # an address identity covers that address only
        ("x@mail.clinic.example", None),  # nor does a domain cover its subdomains (as IAM)
        ("x@notclinic.example", None),
    ],
)
def test_a_from_email_is_inside_a_domain_or_is_an_address_identity(
    from_email: str, inside: str | None
) -> None:
    assert sender_identity_of(from_email, ["clinic.example", "owner@spa.example"]) == inside


def test_the_refusal_says_what_to_do_in_plain_words() -> None:
    why = outside_sender_identities("hello@newclinic.example", ["mail.example.com"])
    assert why is not None
    assert "not inside any SES identity this stack may send from (mail.example.com)" in why
    assert "aws sesv2 create-email-identity --email-identity newclinic.example" in why
    assert "SenderIdentities=newclinic.example" in why


def test_the_local_stack_covers_its_demo_practices() -> None:
    identities = [LOCAL_PARAMETERS["EmailSenderIdentity"], LOCAL_PARAMETERS["SenderIdentities"]]
    for path in (ROOT / "examples").glob("*.yaml"):
        from_email = next(
            line.split(":", 1)[1].strip()
            for line in path.read_text().splitlines()
            if line.startswith("from_email:")
        )
        assert sender_identity_of(from_email, identities) is not None, path
    assert "SenderIdentities" in Template.load(TEMPLATE).body["Outputs"]


@pytest.fixture
def stored(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> PracticeRepository:
    def table(args: Any) -> tuple[Any, str]:
        return aws.client("dynamodb"), aws.table

    monkeypatch.setattr(cli, "_practice_table", table)
    return PracticeRepository(aws.client("dynamodb"), aws.table)


def test_practice_put_refuses_a_sender_outside_the_stack_s_identities(
    stored: PracticeRepository,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "_sender_identities", lambda args: ["mail.example.com"])
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "not saved: from_email frontdesk@reactivation.test is not inside" in err
    assert "SenderIdentities=" in err
    assert stored.get("bright-smile") is None
    # --dry-run validates the file alone (no stack to ask)
    assert cli.main(["practice", "put", str(EXAMPLE), "--dry-run"]) == 0

    monkeypatch.setattr(cli, "_sender_identities", lambda args: ["mail.example.com",
                                                                 "reactivation.test"])  # fmt: skip
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
    assert stored.get("bright-smile") is not None


def test_a_stack_without_sender_identities_is_not_checked(
    stored: PracticeRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_sender_identities", lambda args: None)
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
