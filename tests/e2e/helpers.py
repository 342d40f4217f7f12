"""Shared steps of the end-to-end tests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from reactivation_tools.local import demo
from reactivation_tools.local.stack import LocalStack


def seeded_for_cli(stack: LocalStack, tmp_path: Path) -> tuple[datetime, Path]:
    """The demo practice and its patients on the stack at the next Tuesday morning, and the
    state directory the CLI reads the running stack from."""
    start = demo.next_tuesday_morning(stack.clock.now())
    stack.clock.set(start)
    demo.seed(stack.client("dynamodb"), stack.outputs["PracticeTableName"], start.date())
    state = tmp_path / "state"
    state.mkdir()
    (state / "stack.json").write_text(json.dumps(stack.describe()))
    return start, state
