"""A practice and its settings: sending window, enrolment slots, FAQ, campaigns, overrides."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from reactivation.domain.types import (
    Campaign,
    EmailAddress,
    Frozen,
    PhoneNumber,
    TimeZoneName,
    Vertical,
    Weekday,
)

DEFAULT_CAMPAIGNS: dict[Vertical, frozenset[Campaign]] = {
    Vertical.DENTAL: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.UNSCHEDULED_TREATMENT,
            Campaign.NEW_PATIENT,
            Campaign.RECALL_DUE,
            Campaign.LAPSED_MEMBERSHIP,
            Campaign.LAPSED_PATIENT,
        }
    ),
    Vertical.MEDSPA: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.CONSULT_NOT_STARTED,
            Campaign.NEW_PATIENT,
            Campaign.SERIES_INCOMPLETE,
            Campaign.MAINTENANCE_DUE,
            Campaign.LAPSED_MEMBERSHIP,
            Campaign.LAPSED_PATIENT,
        }
    ),
    Vertical.DERMATOLOGY: frozenset(
        {
            Campaign.MISSED_APPOINTMENT,
            Campaign.CLINICAL_REVIEW,
            Campaign.FOLLOW_UP_DUE,
            Campaign.CONSULT_NOT_STARTED,
            Campaign.NEW_PATIENT,
            Campaign.SERIES_INCOMPLETE,
            Campaign.MAINTENANCE_DUE,
            Campaign.LAPSED_PATIENT,
        }
    ),
}


class EnrolmentSlot(Frozen):
    """When, in the practice's own week and timezone, the weekly enrolment runs."""

    weekday: Weekday = Weekday.TUESDAY
    hour: int = Field(default=10, ge=0, le=23)


class SendingWindow(Frozen):
    """Local hours in which outreach may be sent: 09:00-20:00 by default, never wider than 08-21."""

    opens_hour: int = Field(default=9, ge=8, le=21)
    closes_hour: int = Field(default=20, ge=8, le=21)

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> SendingWindow:
        if self.opens_hour >= self.closes_hour:
            raise ValueError("the window must open before it closes")
        return self


class FaqAnswer(Frozen):
    """An answer the practice approved, sent when a patient's question matches it."""

    question: str = Field(min_length=3, max_length=200)
    answer: str = Field(min_length=1, max_length=300)


class PilotMode(Frozen):
    """A practice's first weeks: at most `patients` new sequences, or `share_percent` of those
    due, in each of its first `weekly_runs` weekly enrolments (the weekly cap still holds)."""

    weekly_runs: int = Field(ge=1, le=52)
    patients: int | None = Field(default=None, ge=1, le=100_000)
    share_percent: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _one_limit(self) -> PilotMode:
        if (self.patients is None) == (self.share_percent is None):
            raise ValueError("a pilot sets either patients or share_percent")
        return self

    def describe(self) -> str:
        each = (
            f"{self.patients} patients"
            if self.patients is not None
            else f"{self.share_percent}% of those due"
        )
        return f"at most {each} in each of the first {self.weekly_runs} weekly runs"


class CampaignSettings(Frozen):
    """What the rules need of a practice (a preview has nothing more)."""

    practice_id: str
    timezone: TimeZoneName
    campaigns: frozenset[Campaign]
    holdout_percent: int = Field(default=10, ge=0, le=50)
    lapsed_max_months: int = Field(default=36, ge=12, le=120)
    #: A campaign whose every step went unanswered is not tried again for this many days.
    no_reply_days: int = Field(default=180, ge=60, le=730)


class MessageOverride(Frozen):
    """A practice's own text for one message of the library (checked when it is saved)."""

    text: str = Field(min_length=1, max_length=4000)
    #: The practice means the characters outside GSM-7 it uses (an accent, an emoji).
    allow_unicode: bool = False


class Practice(Frozen):
    practice_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=60)
    vertical: Vertical
    timezone: TimeZoneName
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    phone: PhoneNumber
    sending_number: PhoneNumber
    #: The AWS End User Messaging origination identity (phone number id or ARN), when used.
    origination_identity: str | None = None
    #: The End User Messaging opt-out list its opt-outs are written to (else the deployment's).
    sms_opt_out_list: str | None = Field(default=None, max_length=256)
    #: Texts a second its sending number may send (a toll-free number: 3; a 10DLC number: its
    #: campaign's rate).
    sms_per_second: float = Field(default=3.0, gt=0, le=100)
    #: What the practice pays for one SMS segment, in dollars (the weekly report's estimate of
    #: what its texts cost; None: the deployment's default rate).
    sms_segment_price: float | None = Field(default=None, gt=0, le=1)
    #: The most its outreach texts may cost in a calendar month, in dollars (segments sent x
    #: the segment price); over it, outreach waits for the next month and the owner is told
    #: once. None: no budget (the account's spend alarm still watches).
    sms_monthly_budget_usd: float | None = Field(default=None, gt=0, le=1_000_000)
    from_email: EmailAddress
    owner_emails: tuple[EmailAddress, ...] = Field(min_length=1)
    front_desk_email: EmailAddress | None = None
    clinical_email: EmailAddress | None = None
    booking_link: str | None = Field(default=None, pattern=r"^https://\S+$", max_length=80)
    faq: tuple[FaqAnswer, ...] = ()
    #: Their column names -> the format's (data-format.md), e.g. {"Cell Phone": "mobile"}.
    column_map: dict[str, str] = Field(default_factory=dict)
    #: An export that would mark more than this share of the practice's active patients
    #: inactive is imported but waits for `reactivation import confirm` to do it.
    deactivation_review_percent: int = Field(default=10, ge=1, le=100)
    holdout_percent: int = Field(default=10, ge=0, le=50)
    enabled_campaigns: frozenset[Campaign] | None = None
    # factories, not instances: an instance here would build both models' validators at import
    sending_window: SendingWindow = Field(default_factory=SendingWindow)
    #: The weekly enrolment: by default Tuesday 10:00 local time, inside the sending window.
    enrolment: EnrolmentSlot = Field(default_factory=EnrolmentSlot)
    #: lapsed_patient's upper bound: older contact data is stale.
    lapsed_max_months: int = Field(default=36, ge=12, le=120)
    #: An enrolment is credited with a booking made this many days after its first message.
    attribution_days: int = Field(default=30, ge=7, le=90)
    #: An answered question not followed by a booking is followed up this many days later
    #: (question_follow_up, campaigns.md).
    question_follow_up_days: int = Field(default=5, ge=1, le=30)
    #: No blasts: at most this many new sequences a week (a real-time rescue not counted).
    weekly_new_sequences: int = Field(default=150, ge=1, le=100_000)
    #: The first weeks' smaller limit, if the practice starts with a pilot.
    pilot: PilotMode | None = None
    #: A campaign whose every step went unanswered is not tried again for this many days.
    no_reply_cooldown_days: int = Field(default=180, ge=60, le=730)
    #: The practice's own texts, by library key ("recall_due.1.en.sms", "system.help.es").
    message_overrides: dict[str, MessageOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _enrolment_inside_the_window(self) -> Practice:
        window = self.sending_window
        if not window.opens_hour <= self.enrolment.hour < window.closes_hour:
            raise ValueError(
                f"enrolment.hour {self.enrolment.hour} is outside the sending window "
                f"({window.opens_hour}-{window.closes_hour}): its first messages would wait"
            )
        return self

    def override_texts(self) -> dict[str, str]:
        return {key: override.text for key, override in self.message_overrides.items()}

    def enrolment_due(self, at: datetime) -> bool:
        """Whether `at` (an hourly schedule's time) falls in the practice's enrolment hour, in
        its own timezone (DST included: the hour is local)."""
        local = at.astimezone(ZoneInfo(self.timezone))
        return (
            local.weekday() == self.enrolment.weekday.number and local.hour == self.enrolment.hour
        )

    def campaigns(self) -> frozenset[Campaign]:
        if self.enabled_campaigns is not None:
            return self.enabled_campaigns
        return DEFAULT_CAMPAIGNS[self.vertical]

    def campaign_settings(self, sendable: frozenset[Campaign] | None = None) -> CampaignSettings:
        """The rules' view of this practice (only `sendable` campaigns, when given)."""
        campaigns = self.campaigns() if sendable is None else self.campaigns() & sendable
        return CampaignSettings(
            practice_id=self.practice_id,
            timezone=self.timezone,
            campaigns=campaigns,
            holdout_percent=self.holdout_percent,
            lapsed_max_months=self.lapsed_max_months,
            no_reply_days=self.no_reply_cooldown_days,
        )
