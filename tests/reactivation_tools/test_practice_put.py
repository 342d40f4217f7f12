"""`practice put` (issue #16, items 1 and 11): a practice that exists changes only with
--replace, and the command shows what changes; a number another practice sends from is refused."""

from pathlib import Path
from typing import Any

import pytest

from reactivation.adapters.practices import PracticeRepository
from reactivation_tools import cli
from tests.conftest import ROOT, Aws

EXAMPLE = ROOT / "examples" / "bright-smile.yaml"


@pytest.fixture
def practices(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> PracticeRepository:
    """The CLI writes to the test's table (moto) instead of a stack's."""

    def table(args: Any) -> tuple[Any, str]:
        return aws.client("dynamodb"), aws.table

    monkeypatch.setattr(cli, "_practice_table", table)
    # the local stack's SenderIdentities (tools/reactivation_tools/local/stack.py)
    monkeypatch.setattr(cli, "_sender_identities", lambda args: ["reactivation.test"])
    return PracticeRepository(aws.client("dynamodb"), aws.table)


def _variant(tmp_path: Path, name: str, **changes: str) -> Path:
    text = EXAMPLE.read_text()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_changing_a_stored_practice_shows_the_changes_and_needs_replace(
    practices: PracticeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
    assert "saved bright-smile (Bright Smile Dental)" in capsys.readouterr().out
    renamed = _variant(tmp_path, "renamed", **{"name: Bright Smile Dental": "name: Bright Smile"})

    assert cli.main(["practice", "put", str(renamed)]) == 1
    out, err = capsys.readouterr()
    assert 'name: "Bright Smile Dental" -> "Bright Smile"' in out
    assert "--replace" in err
    stored = practices.get("bright-smile")
    assert stored is not None and stored.name == "Bright Smile Dental"  # nothing overwritten

    assert cli.main(["practice", "put", str(renamed), "--replace"]) == 0
    out, _ = capsys.readouterr()
    assert 'name: "Bright Smile Dental" -> "Bright Smile"' in out and "replaced" in out
    stored = practices.get("bright-smile")
    assert stored is not None and stored.name == "Bright Smile"


def test_the_same_file_again_changes_nothing(
    practices: PracticeRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "nothing to change" in out and "kept bright-smile" in out
    assert practices.owner_of_number("+12125550199") == "bright-smile"


def test_a_number_another_practice_sends_from_is_refused_and_its_owner_named(
    practices: PracticeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["practice", "put", str(EXAMPLE)]) == 0
    other = _variant(tmp_path, "other", **{"practice_id: bright-smile": "practice_id: other"})
    assert cli.main(["practice", "put", str(other)]) == 1
    err = capsys.readouterr().err
    assert "+12125550199 belongs to the practice bright-smile" in err
    assert practices.get("other") is None
    assert practices.owner_of_number("+12125550199") == "bright-smile"


def test_practice_show_shows_the_weekly_cap_the_pilot_and_the_no_reply_cooldown(
    practices: PracticeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    piloted = _variant(
        tmp_path,
        "piloted",
        **{
            "weekly_new_sequences: 150": "weekly_new_sequences: 80",
            "# pilot: {weekly_runs: 4, patients: 50}": "pilot: {weekly_runs: 3, share_percent: 10}",
        },
    )
    assert cli.main(["practice", "put", str(piloted)]) == 0
    capsys.readouterr()
    assert cli.main(["practice", "show", "bright-smile"]) == 0
    out, err = capsys.readouterr()
    assert '"weekly_new_sequences": 80' in out and '"share_percent": 10' in out
    assert '"no_reply_cooldown_days": 180' in out
    assert (
        "Limits: at most 80 new sequences a week; pilot: at most 10% of those due in each of "
        "the first 3 weekly runs; a campaign that went unanswered waits 180 days (any "
        "campaign: 60)"
    ) in err
