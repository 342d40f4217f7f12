"""Delivery receipts: parsing both channels' documented shapes, and which receipt wins."""

import json
from datetime import UTC, datetime, timedelta
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reactivation.domain.delivery import DeliveryStatus, Receipt, sns_status
from reactivation.receipts import MalformedReceipt, parse_receipt

#: The example of the End User Messaging SMS User Guide ("Example SMS event data").
DOCUMENTED_EVENT = {
    "eventType": "TEXT_SUCCESSFUL", "eventVersion": "1.0", "eventTimestamp": 1686975103470,
    "isFinal": True, "originationPhoneNumber": "+12065550152",
    "destinationPhoneNumber": "+14255550156", "isInternationalSend": False, "mcc": "310",
    "mnc": "800", "messageId": "862a8790-60c0-4430-9b2b-658bdexample",
    "messageRequestTimestamp": 1686975103170, "messageEncoding": "GSM",
    "messageType": "PROMOTIONAL", "messageStatus": "SUCCESSFUL",
    "messageStatusDescription": "Message has been accepted by phone carrier",
    "context": {"account": "bar"}, "totalMessageParts": 1, "totalMessagePrice": 0.09582,
    "totalCarrierFee": 0.0,
}  # fmt: skip
#: The failed delivery of the AWS knowledge center's "monitor SNS texts" article.
DOCUMENTED_SNS_FAILURE = {
    "notification": {"messageId": "1077257a-92f3-5ca3-bc97-6a915b310625",
                     "timestamp": "2016-06-28 00:40:34.559"},
    "delivery": {"mnc": 0, "destination": "+1XXX5550100", "priceInUSD": 0.00645,
                 "smsType": "Transactional", "mcc": 0,
                 "providerResponse": "Unknown error attempting to reach phone",
                 "dwellTimeMs": 1420, "dwellTimeMsUntilDeviceAck": 1692},
    "status": "FAILURE",
}  # fmt: skip


def test_the_documented_end_user_messaging_event_is_a_final_delivery() -> None:
    receipt = parse_receipt(json.dumps(DOCUMENTED_EVENT))
    assert receipt == Receipt(
        message_id="862a8790-60c0-4430-9b2b-658bdexample",
        status=DeliveryStatus.DELIVERED,
        final=True,
        at=datetime(2023, 6, 17, 4, 11, 43, 470000, tzinfo=UTC),
    )
    assert receipt.outcome == "delivered"


def test_the_documented_sns_failure_is_a_final_failure_that_keeps_the_number() -> None:
    receipt = parse_receipt(json.dumps(DOCUMENTED_SNS_FAILURE))
    assert (receipt.status, receipt.final, receipt.outcome) == (
        DeliveryStatus.FAILED,
        True,
        "failed",
    )
    assert receipt.at == datetime(2016, 6, 28, 0, 40, 34, 559000, tzinfo=UTC)
    assert not receipt.unreachable


@pytest.mark.parametrize(
    ("event_type", "status", "unreachable"),
    [
        ("TEXT_BLOCKED", DeliveryStatus.BLOCKED, True),
        ("TEXT_INVALID", DeliveryStatus.INVALID_NUMBER, True),
        ("TEXT_CARRIER_BLOCKED", DeliveryStatus.FILTERED, False),
        ("TEXT_CARRIER_UNREACHABLE", DeliveryStatus.UNREACHABLE, False),
        ("TEXT_TTL_EXPIRED", DeliveryStatus.FAILED, False),
        ("TEXT_SOMETHING_NEW", DeliveryStatus.FAILED, False),
    ],
)
def test_only_a_blocked_or_invalid_number_is_unreachable(
    event_type: str, status: DeliveryStatus, unreachable: bool
) -> None:
    receipt = parse_receipt(json.dumps({**DOCUMENTED_EVENT, "eventType": event_type}))
    assert (receipt.status, receipt.unreachable) == (status, unreachable)


def test_a_pending_event_without_is_final_is_not_final() -> None:
    event = {k: v for k, v in DOCUMENTED_EVENT.items() if k != "isFinal"}
    receipt = parse_receipt(json.dumps({**event, "eventType": "TEXT_PENDING"}))
    assert (receipt.final, receipt.outcome) == (False, None)


@pytest.mark.parametrize(
    ("response", "status"),
    [
        ("Invalid phone number", DeliveryStatus.INVALID_NUMBER),
        ("Phone has blocked SMS", DeliveryStatus.BLOCKED),
        ("Phone carrier has blocked this message", DeliveryStatus.FILTERED),
        ("Phone is currently unreachable/unavailable", DeliveryStatus.UNREACHABLE),
        ("This delivery would exceed max price", DeliveryStatus.FAILED),
    ],
)
def test_sns_failures_by_their_provider_response(response: str, status: DeliveryStatus) -> None:
    assert sns_status(False, response) is status
    assert sns_status(True, response) is DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"unrelated": True}),
        json.dumps({**DOCUMENTED_EVENT, "eventTimestamp": "yesterday"}),
        json.dumps({**DOCUMENTED_EVENT, "messageId": "has spaces and +14255550156"}),
        json.dumps({**DOCUMENTED_SNS_FAILURE, "status": "MAYBE"}),
        json.dumps({**DOCUMENTED_EVENT, "padding": "x" * 20_000}),
    ],
)
def test_a_malformed_receipt_is_refused_naming_no_value(body: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_receipt(body)
    assert "+1425" not in str(refused.value) and "yesterday" not in str(refused.value)
    assert isinstance(refused.value, MalformedReceipt) or "validation error" in str(refused.value)


STATUSES = st.sampled_from(list(DeliveryStatus))
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@st.composite
def receipts(draw: st.DrawFn) -> Receipt:
    status = draw(STATUSES)
    final = status is not DeliveryStatus.PENDING and draw(st.booleans())
    return Receipt(message_id="m-1", status=status, final=final, at=draw(MOMENTS))


def recorded_after(arrivals: list[Receipt]) -> Receipt | None:
    """What the table holds once these arrived in this order (the rule the adapter's
    condition applies)."""
    held: Receipt | None = None
    for receipt in arrivals:
        if receipt.supersedes(held.rank if held is not None else None):
            held = receipt
    return held


@given(st.lists(receipts(), min_size=1, max_size=6), st.randoms())
def test_whatever_the_arrival_order_the_same_receipt_is_recorded(
    arrivals: list[Receipt], random: Random
) -> None:
    reordered = list(arrivals)
    random.shuffle(reordered)
    first, second = recorded_after(arrivals), recorded_after(reordered)
    assert first is not None and second is not None
    assert first.rank == second.rank
    if any(r.final for r in arrivals):  # a final one is never undone by a later non-final one
        assert first.final


@given(receipts(), st.integers(min_value=-(10**6), max_value=10**6))
def test_a_final_receipt_outranks_any_non_final_one_at_the_boundary(
    receipt: Receipt, offset_ms: int
) -> None:
    other_time = receipt.at + timedelta(milliseconds=offset_ms)
    pending = Receipt("m-1", DeliveryStatus.PENDING, False, other_time)
    final = Receipt("m-1", DeliveryStatus.DELIVERED, True, other_time)
    if receipt.final:
        assert not pending.supersedes(receipt.rank)
    else:
        assert final.supersedes(receipt.rank)
    assert not receipt.supersedes(receipt.rank)  # the same receipt twice changes nothing
