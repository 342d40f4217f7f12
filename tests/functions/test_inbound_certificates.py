"""The inbound function when SNS's signing certificate cannot be fetched: a 403, not a 500."""

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import at
from tests.conftest import Aws
from tests.functions.test_inbound import envelope, item_count, post

Handler = Callable[[dict[str, Any]], Any]


def test_a_certificate_that_cannot_be_fetched_refuses_the_message_with_403_once_a_minute(
    aws: Aws,
    load_function: Callable[[str], Handler],
    frozen_clock: Callable[[Any], None],
    frozen_wall_clock: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_clock(at("2026-11-24 10:00"))
    frozen_wall_clock(at("2026-11-24 10:10"))
    fetches: list[str] = []

    def unreachable(url: str, timeout: float) -> Any:
        fetches.append(url)
        raise urllib.error.URLError("connection timed out")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    inbound = load_function("InboundFunction")
    before = item_count(aws)
    for n in range(3):
        status, _ = post(inbound, json.dumps(envelope(aws, "STOP", f"in-{n}")))
        assert status == 403
    assert len(fetches) == 1  # the failure is remembered: a flood costs one fetch
    assert item_count(aws) == before
