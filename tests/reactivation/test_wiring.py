"""A function's cold start builds the table's client alone; every other client waits for its
first use (issue #23)."""

from __future__ import annotations

from typing import Any

import pytest

from reactivation import wiring
from reactivation.config import SendSettings

SEND = SendSettings.from_env(
    {
        "PRACTICE_TABLE_NAME": "t-1",
        "SEND_QUEUE_URL": "https://sqs/q",
        "UNSUBSCRIBE_URL": "https://api/unsubscribe",
        "UNSUBSCRIBE_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:k",
        "SEND_DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
    }
)


class Client:
    def __init__(self, service: str) -> None:
        self.service = service

    def publish(self, **_: Any) -> dict[str, str]:
        return {"MessageId": f"{self.service}-1"}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The services whose clients were built, in order."""
    services: list[str] = []

    def build(service: str, settings: object) -> Client:
        services.append(service)
        return Client(service)

    monkeypatch.setattr(wiring, "_build_client", build)
    return services


def test_the_send_function_builds_only_the_tables_client_at_cold_start(built: list[str]) -> None:
    wiring.send_service(SEND)
    wiring.send_dead_letters(SEND)
    assert built == ["dynamodb"]


def test_a_client_is_built_at_its_first_use_and_once(built: list[str]) -> None:
    client = wiring.LazyClient("sns", SEND)
    assert built == []
    assert client.publish(Message="m") == {"MessageId": "sns-1"}
    assert client.publish(Message="n") == {"MessageId": "sns-1"}
    assert built == ["sns"]
