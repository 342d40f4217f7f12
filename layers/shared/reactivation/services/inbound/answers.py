"""The answers to a reply: the practice's system texts (HELP, confirmations, the times offered),
its approved FAQ answers, the staff's handoff email; and the channel's own opt-out list kept
in step with STOP and START."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from reactivation.adapters.channels import EmailChannel, OptOutList, SmsChannel
from reactivation.domain.conversation import InboundSms
from reactivation.domain.handoffs import Handoff, notification, recipients
from reactivation.domain.messages import MessageLibrary, MessageValues, format_phone
from reactivation.domain.practice import Practice
from reactivation.domain.types import Language
from reactivation.services.inbound.decision import Answer


class Answers:
    def __init__(
        self,
        *,
        sms_channel: SmsChannel,
        email_channel: EmailChannel,
        library: MessageLibrary,
        opt_out_list: OptOutList | None = None,
        staff_inbox_url: str | None = None,
    ) -> None:
        self._sms = sms_channel
        self._email = email_channel
        self._library = library
        self._opt_out_list = opt_out_list
        self._staff_inbox_url = staff_inbox_url

    def system_text(
        self,
        practice: Practice,
        to: str,
        kind: str,
        language: Language,
        times: str | None = None,
        choices: str | None = None,
        check_back: str | None = None,
    ) -> Answer:
        """The practice's system text `kind` ("help", "opt_out_confirmation", ...), its own
        wording where it has one (`times` offered, and the `choices` that pick one; when the
        practice will `check_back` after a "not now")."""
        return "text", partial(
            self._system_text, practice, to, kind, language, times, choices, check_back
        )

    def faq(self, practice: Practice, to: str, answer: str) -> Answer:
        """One of the practice's approved answers, as it is."""
        return "text", partial(self._send_text, practice, to, answer)

    def staff_email(
        self,
        practice: Practice,
        handoff: Handoff,
        earlier: Sequence[tuple[datetime, str, str]],
        sms: InboundSms,
    ) -> Answer:
        """The team's email: the handoff and the conversation so far."""
        return "email", partial(self._notify, practice, handoff, earlier, sms)

    def keep_opt_out_list(self, practice: Practice, number: str, answer: str | None) -> None:
        """After a STOP or a START is stored: the channel's own opt-out list follows it."""
        if self._opt_out_list is None:
            return
        if answer == "opt_out_confirmation":
            self._opt_out_list.opt_out(number, practice.sms_opt_out_list)
        elif answer == "opt_in_confirmation":
            self._opt_out_list.opt_in(number, practice.sms_opt_out_list)

    def _system_text(
        self,
        practice: Practice,
        to: str,
        kind: str,
        language: Language,
        times: str | None,
        choices: str | None,
        check_back: str | None = None,
    ) -> None:
        values = MessageValues(
            first_name="",
            practice_name=practice.name,
            practice_phone=format_phone(practice.phone),
            booking_link=practice.booking_link,
            offered_times=times,
            choices=choices,
            check_back=check_back,
        )
        library = self._library.with_overrides(practice.override_texts())
        self._send_text(practice, to, library.system_sms(kind, language, values))

    def _send_text(self, practice: Practice, to: str, body: str) -> None:
        self._sms.send(
            to=to, sender=practice.sending_number, body=body,
            identity=practice.origination_identity,
        )  # fmt: skip

    def _notify(
        self,
        practice: Practice,
        handoff: Handoff,
        earlier: Sequence[tuple[datetime, str, str]],
        sms: InboundSms,
    ) -> None:
        conversation = [(at, text) for at, _, text in earlier[-9:]]
        conversation.append((sms.received_at, sms.body))
        subject, text = notification(handoff, practice.name, conversation)
        if self._staff_inbox_url:  # the conversation's page: a practice and a handoff id only
            text += (f"\n\nOpen it in the staff inbox: {self._staff_inbox_url}/p/"
                     f"{handoff.practice_id}/h/{handoff.handoff_id}")  # fmt: skip
        self._email.send(
            to=recipients(handoff.team, clinical=practice.clinical_email,
                          front_desk=practice.front_desk_email, owners=practice.owner_emails),
            sender=practice.from_email,
            subject=subject,
            text=text,
            html=f"<pre style=\"font-family:Arial,sans-serif\">{html.escape(text)}</pre>",
        )  # fmt: skip
