"""`reactivation staff invite | list | remove` on the local stack, and what `local up` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from reactivation_tools import cli
from reactivation_tools.local.stack import LocalStack
from tests.e2e.helpers import seeded_for_cli


def test_staff_are_invited_listed_and_removed(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, state = seeded_for_cli(stack, tmp_path)
    base = ["--state-dir", str(state), "staff"]

    assert cli.main([*base, "invite", "bright-smile", "Dr.Lee@Example.com", "--role",
                     "clinical"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "invited dr.lee@example.com to bright-smile as clinical" in out
    assert "temporary password (the local stack sends no email): " in out
    assert cli.main([*base, "invite", "nobody", "a@example.com", "--role", "owner"]) == 1
    assert "no practice nobody" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: not a role
        cli.main([*base, "invite", "bright-smile", "a@example.com", "--role", "admin"])
    capsys.readouterr()

    assert cli.main([*base, "list", "bright-smile"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == ["dr.lee@example.com  clinical  force_change_password"]

    assert cli.main([*base, "remove", "bright-smile", "dr.lee@example.com"]) == 0
    assert "removed dr.lee@example.com from bright-smile" in capsys.readouterr().out
    assert cli.main([*base, "remove", "bright-smile", "dr.lee@example.com"]) == 1
    assert cli.main([*base, "list", "bright-smile"]) == 0
    assert capsys.readouterr().out == ""


def test_local_up_prints_the_inbox_and_a_demo_user(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    cli._print_inbox(stack)
    out = capsys.readouterr().out
    assert f"Staff inbox: {stack.api_url}/inbox" in out
    assert "sign in as front-desk@bright-smile.test (front_desk, bright-smile)" in out
    assert "with the temporary password " in out
