"""An SQS batch handled message by message: Lambda's partial batch response."""

from __future__ import annotations

from typing import Any, cast

import pytest

from reactivation.batches import BatchFailed, QueueMessage, process_batch, takes_context

CONTEXT = cast(Any, object())


def record(message_id: str, body: str, receives: str | None = "1") -> dict[str, Any]:
    attributes = {} if receives is None else {"ApproximateReceiveCount": receives}
    return {"messageId": message_id, "body": body, "attributes": attributes,
            "eventSource": "aws:sqs"}  # fmt: skip


def test_a_message_is_read_with_its_id_body_and_deliveries() -> None:
    assert QueueMessage.from_record(record("m-1", "{}", "3")) == QueueMessage("m-1", "{}", 3)
    assert QueueMessage.from_record(record("m-2", "x", None)).receive_count == 1


def test_only_the_messages_that_raised_are_returned_for_a_retry() -> None:
    seen: list[str] = []

    def handle(message: QueueMessage) -> None:
        seen.append(message.body)
        if message.body == "bad":
            raise ValueError("a patient's number +14155550123")

    event = {"Records": [record("m-0", "ok"), record("m-1", "bad"), record("m-2", "ok")]}
    response = process_batch(event, handle, CONTEXT, with_context=False)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert seen == ["ok", "bad", "ok"]  # the one that failed stopped none of the others


def test_a_batch_of_failures_raises_with_ids_and_types_never_the_errors_text() -> None:
    def handle(message: QueueMessage) -> None:
        raise ValueError(message.body)  # what a record held

    event = {"Records": [record("m-0", "+14155550123"), record("m-1", "ana@example.com")]}
    with pytest.raises(BatchFailed, match="All records failed processing") as raised:
        process_batch(event, handle, CONTEXT, with_context=False)
    text = str(raised.value)
    assert "RecordFailed: ValueError in message m-0" in text
    assert "RecordFailed: ValueError in message m-1" in text
    assert "test_batches.py" in text  # the code's lines are kept, for the engineer
    for private in ("+14155550123", "ana@example.com"):
        assert private not in text


def test_a_malformed_record_is_a_failure_of_its_own() -> None:
    event = {"Records": [{"messageId": "m-0"}, record("m-1", "ok")]}  # no body
    response = process_batch(event, lambda message: None, CONTEXT, with_context=False)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


def test_an_empty_batch_succeeds() -> None:
    assert process_batch({"Records": []}, lambda m: None, CONTEXT, with_context=False) == {
        "batchItemFailures": []
    }


def test_a_handler_with_two_parameters_gets_the_invocation_context() -> None:
    got: list[object] = []

    def handle(message: QueueMessage, lambda_context: Any) -> None:
        got.append(lambda_context)

    assert takes_context(handle) and not takes_context(lambda message: None)
    process_batch({"Records": [record("m-0", "ok")]}, handle, CONTEXT, with_context=True)
    assert got == [CONTEXT]
