"""A practice's configuration file: valid, or refused with every problem listed."""

import json
from pathlib import Path

import pytest

from reactivation.domain.types import Campaign, Vertical
from reactivation_tools.cli import main
from reactivation_tools.local import demo
from reactivation_tools.onboarding import PracticeConfigError, parse_practice
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "bright-smile.yaml"


def test_the_example_is_the_demo_practice_with_the_vertical_defaults() -> None:
    practice = parse_practice(EXAMPLE.read_text(), yaml_file=True)
    assert practice == demo.PRACTICE
    assert practice.vertical is Vertical.DENTAL
    assert Campaign.RECALL_DUE in practice.campaigns()
    assert Campaign.MAINTENANCE_DUE not in practice.campaigns()


def test_five_errors_get_five_messages() -> None:
    config = {
        "practice_id": "Bright Smile!",  # 1: not an id
        "name": "Bright Smile Dental",
        "vertical": "orthodontics",  # 2: not a vertical
        "timezone": "America/Gotham",  # 3: not a timezone
        "phone": "+12125550100",
        "sending_number": "555-0199",  # 4: not E.164
        "from_email": "frontdesk@reactivation.test",
        # 5: owner_emails missing
        "sending_window": {"opens_hour": 9, "closes_hour": 20},
    }
    with pytest.raises(PracticeConfigError) as raised:
        parse_practice(json.dumps(config), yaml_file=False)
    problems = raised.value.problems
    assert [p.field for p in problems] == [
        "practice_id", "vertical", "timezone", "sending_number", "owner_emails",
    ]  # fmt: skip
    assert problems[2].value == "'America/Gotham'" and "IANA" in problems[2].why
    assert problems[4].value == "(missing)"


def test_a_window_wider_than_allowed_or_inside_out_is_refused() -> None:
    base = parse_practice(EXAMPLE.read_text(), yaml_file=True).model_dump(mode="json")
    for window in ({"opens_hour": 7, "closes_hour": 20}, {"opens_hour": 18, "closes_hour": 10}):
        with pytest.raises(PracticeConfigError):
            parse_practice(json.dumps({**base, "sending_window": window}), yaml_file=False)


def test_unreadable_files_are_one_clear_problem() -> None:
    with pytest.raises(PracticeConfigError) as raised:
        parse_practice("name: [unclosed", yaml_file=True)
    assert raised.value.problems[0].field == "file"
    with pytest.raises(PracticeConfigError):
        parse_practice("[1, 2]", yaml_file=False)


def test_the_cli_validates_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["practice", "put", str(EXAMPLE), "--dry-run"]) == 0
    assert "valid (Bright Smile Dental, 6 campaigns)" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"practice_id": "x"}))
    assert main(["practice", "put", str(broken), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "problems in the practice configuration" in err and "name: (missing)" in err


def test_a_practice_file_with_a_bad_own_text_is_refused_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.read_text().replace(
        "# message_overrides:\n#   system.help.en:\n#     text:",
        "message_overrides:\n  system.help.en:\n    text:",
    )
    good = tmp_path / "good.yaml"
    good.write_text(text)
    assert main(["practice", "put", str(good), "--dry-run"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("Mon-Fri 8-6", "ask about Botox"))
    assert main(["practice", "put", str(bad), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert (
        "message_overrides.system.help.en: names a diagnosis, procedure, drug or product "
        "(botox)" in err
    )
