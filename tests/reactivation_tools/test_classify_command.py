"""`reactivation classify`: JSON Lines in, the same objects out with the intent, whether staff
must see it and the barrier given; a line that is not an object with a text is refused by
its number, the others still answered."""

import io
import json

import pytest

from reactivation_tools.cli import main


def test_each_line_comes_back_with_its_reading(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": 1, "text": "too expensive for me, no thanks"},
        {"id": 2, "text": "stop texting me", "extra": "kept"},
        {"id": 3, "text": "YES", "opted_out": True},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
    assert main(["classify"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["id"], o["intent"], o["notify_staff"], o["barrier"]) for o in out] == [
        (1, "decline", False, "cost"),
        (2, "opt_out", False, None),
        (3, "opt_in", False, None),
    ]
    assert out[1]["extra"] == "kept"


def test_a_bad_line_is_refused_by_its_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('not json\n{"text": "STOP"}\n[1]\n'))
    assert main(["classify"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["intent"] == "opt_out"
    assert "line 1:" in captured.err and "line 3:" in captured.err
