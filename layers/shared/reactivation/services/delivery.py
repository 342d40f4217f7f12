"""Delivery receipts: each text's final status on its message item (the weekly report counts
the delivered ones), and a number the carrier says is blocked or invalid suppressed for the
practice, as a permanent email bounce is (`ContactSuppression`, the one rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reactivation.adapters.receipts import DeliveryRepository
from reactivation.domain.delivery import Receipt
from reactivation.services.suppression import ContactSuppression


class Applied(StrEnum):
    RECORDED = "recorded"
    #: A receipt that outranks it was recorded before (out of order, or twice).
    STALE = "stale"
    #: No outreach text of this stack has that message id (an answer's, or expired).
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReceiptResult:
    applied: Applied
    #: The number was suppressed by this receipt (it was not before).
    suppressed: bool = False


class DeliveryReceiptService:
    def __init__(self, deliveries: DeliveryRepository, suppression: ContactSuppression) -> None:
        self._deliveries = deliveries
        self._suppression = suppression

    def apply(self, receipt: Receipt, now: datetime) -> ReceiptResult:
        """Two requests per receipt (the pointer, the message item), two more when it
        suppresses a number."""
        text = self._deliveries.find(receipt.message_id)
        if text is None:
            return ReceiptResult(Applied.UNKNOWN)
        if not self._deliveries.record(text, receipt, now):
            return ReceiptResult(Applied.STALE)
        suppressed = receipt.unreachable and self._suppression.unreachable(
            text.practice_id, text.contact, at=receipt.at, now=now
        )
        return ReceiptResult(Applied.RECORDED, suppressed=suppressed)
