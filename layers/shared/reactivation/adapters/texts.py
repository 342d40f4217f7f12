"""The texts a practice pays for that are not outreach: the inbound function's answers and
confirmations go out through this channel, which keeps a record of each (its kind and
segments, never the number or the words) for the weekly report's count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from reactivation.adapters.channels import SmsChannel
from reactivation.adapters.outbox import OutboxRepository
from reactivation.domain.sms import TextKind, encode
from reactivation.observability import logger


class RecordedSms:
    """An SMS channel that records each text it sent. The record is best effort: the text
    has gone, so a failure to record it is logged (uncounted) and never fails the send, which
    would send it again."""

    def __init__(
        self,
        channel: SmsChannel,
        outbox: OutboxRepository,
        practice_of: Callable[[str], str | None],
        now: Callable[[], datetime],
        kind: TextKind = TextKind.ANSWER,
    ) -> None:
        self._channel = channel
        self._outbox = outbox
        self._practice_of = practice_of
        self._now = now
        self._kind = kind

    def send(self, *, to: str, sender: str, body: str, identity: str | None = None) -> str:
        message_id = self._channel.send(to=to, sender=sender, body=body, identity=identity)
        try:
            practice_id = self._practice_of(sender)
            if practice_id is not None:
                self._outbox.record_text(
                    practice_id, message_id, self._kind, encode(body).segments, self._now()
                )
        except Exception as error:  # the text went: it must not be sent again
            logger.warning(
                "text not recorded for the report", extra={"error": type(error).__name__}
            )
        return message_id
