"""The owner's figures for a period (campaigns.md): who was eligible and reached, who replied,
rebooked and came, the revenue, opt-outs, handoffs and corrections, what the texts cost in
segments; by campaign; and the lift outreach caused over the holdout group, with its
confidence interval. Pure: the facts are read elsewhere and passed in."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reactivation.domain.conversation import Intent, Reading, Reply
from reactivation.domain.handoffs import Handoff, HandoffReason, Team
from reactivation.domain.outcomes import Outcome
from reactivation.domain.outreach import Enrolment
from reactivation.domain.sequences import PAUSE_DEADLINE
from reactivation.domain.sms import TextKind
from reactivation.domain.types import Campaign, Channel

#: Each group needs this many enrolments before the lift is worth stating.
MIN_GROUP = 30
#: 95% two-sided.
Z = 1.959964
#: A patient messaged in a period "replied" when they answered within this long of their
#: first message in it: the same rule for a week and for four weeks, so that the rates agree.
REPLY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SentMessage:
    """An outreach message (a campaign's)."""

    patient_id: str
    sequence_id: str
    campaign: Campaign
    channel: Channel
    segments: int
    sent_at: datetime
    #: The carrier's delivery receipt: True delivered, False failed, None none recorded.
    delivered: bool | None = None


@dataclass(frozen=True)
class PaidText:
    """A text that is not outreach but is billed all the same (answers, confirmations, staff
    replies)."""

    kind: TextKind
    segments: int
    sent_at: datetime


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # excluded

    def __contains__(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    eligible: int = 0
    reached: int = 0
    replied: int = 0
    rebooked: int = 0
    completed: int = 0
    revenue: float = 0.0

    @property
    def rebooking_rate(self) -> float | None:
        return rate(self.rebooked, self.reached)


@dataclass(frozen=True)
class Figures:
    period: Period
    eligible: int = 0
    holdout: int = 0
    reached: int = 0
    #: The patients messaged, counted once in each week they were messaged (the rates' base).
    reached_weeks: int = 0
    messages: int = 0
    sms: int = 0
    sms_segments: int = 0
    emails: int = 0
    #: Texts by kind (outreach, answers, confirmations, staff replies) and their segments.
    texts: dict[TextKind, int] = field(default_factory=dict)
    segments: dict[TextKind, int] = field(default_factory=dict)
    #: True once the carrier's delivery receipts are recorded: `reached` counts delivered
    #: messages; until then it counts sent ones.
    receipts: bool = False
    #: The outreach messages the carrier's receipt says were delivered (of `messages`).
    delivered: int = 0
    #: The patient-weeks with a reply within REPLY_WINDOW of that week's first message.
    replied: int = 0
    opt_outs: int = 0
    rebooked: int = 0
    completed: int = 0
    revenue: float = 0.0
    missed_enrolled: int = 0
    missed_rebooked: int = 0
    median_hours_to_booking: float | None = None
    handoffs: dict[HandoffReason, int] = field(default_factory=dict)
    handoffs_closed: int = 0
    median_hours_to_close: float | None = None
    corrections: int = 0
    by_campaign: tuple[CampaignFigures, ...] = ()
    #: The visits booked in the period (their dates), soonest first.
    visits_booked: tuple[datetime, ...] = ()
    #: The barriers patients named in their replies, most frequent first.
    barriers: dict[str, int] = field(default_factory=dict)
    #: Replies that only acknowledged ("thanks", "👍" after a confirmation or an answer):
    #: stored, nobody notified, nothing changed.
    acknowledgements: int = 0

    @property
    def texts_paid(self) -> int:
        return sum(self.texts.values())

    @property
    def segments_paid(self) -> int:
        return sum(self.segments.values())

    @property
    def response_rate(self) -> float | None:
        return rate(self.replied, self.reached_weeks)

    @property
    def opt_out_rate(self) -> float | None:
        return rate(self.opt_outs, self.reached_weeks)

    @property
    def rebooking_rate(self) -> float | None:
        return rate(self.rebooked, self.reached)

    @property
    def quiet(self) -> bool:
        return not (self.messages or self.replied or self.rebooked or self.completed
                    or self.eligible)  # fmt: skip


def figures(
    period: Period,
    *,
    enrolments: Iterable[Enrolment],
    sent: Iterable[SentMessage],
    replies: Iterable[Reply],
    outcomes: Iterable[Outcome],
    handoffs: Iterable[Handoff],
    corrections: int,
    paid: Iterable[PaidText] = (),
) -> Figures:
    """The period's figures. Each counts one population: patients due (enrolments started),
    patients messaged (any outreach message in the period, follow-ups to patients due earlier
    included), who of them replied within REPLY_WINDOW of their first message in it, bookings
    made in the period, visits completed in it (with their revenue); holdout enrolments count
    as due only. Every text billed counts: outreach, answers, confirmations, staff replies."""
    started = [e for e in enrolments if e.started_at in period]
    messages = [m for m in sent if m.sent_at in period]
    every_reply = list(replies)
    answers = [r for r in every_reply if (r.recorded_at or r.received_at) in period]
    results = list(outcomes)
    booked = [o for o in results if not o.holdout and o.booked_at in period]
    completed = [o for o in results if not o.holdout and o.completed_at in period]
    receipts = any(m.delivered is not None for m in messages)
    reached = {m.patient_id for m in messages if m.delivered or not receipts}
    # rates count patient-weeks: a patient messaged in two weeks of four counts in each, so
    # that the four weeks' rate is the weeks' rates added up, never above them all
    first_message: dict[tuple[int, str], datetime] = {}
    for m in messages:
        if m.patient_id in reached:
            key = ((m.sent_at - period.start) // timedelta(weeks=1), m.patient_id)
            first_message[key] = min(first_message.get(key, m.sent_at), m.sent_at)
    replied_weeks = {  # when a reply was recorded (our clock, as the messages' times are)
        (week, p)
        for r in every_reply
        for (week, p), first in first_message.items()
        if p in r.patient_ids and first <= (r.recorded_at or r.received_at) < first + REPLY_WINDOW
    }
    replied = {p for _, p in replied_weeks}
    texts = Counter({TextKind.OUTREACH: sum(1 for m in messages if m.channel is Channel.SMS)})
    segments = Counter({TextKind.OUTREACH: sum(m.segments for m in messages
                                               if m.channel is Channel.SMS)})  # fmt: skip
    for text in paid:
        if text.sent_at in period:
            texts[text.kind] += 1
            segments[text.kind] += text.segments
    barriers = Counter(r.barrier for r in answers if r.barrier)
    handoff_list = list(handoffs)
    opened = Counter(h.reason for h in handoff_list if h.opened_at in period)
    closed = [h for h in handoff_list if h.closed_at in period]
    to_close = [(h.closed_at - h.opened_at).total_seconds() / 3600 for h in closed
                if h.closed_at is not None]  # fmt: skip
    to_booking = [o.hours_to_booking for o in booked if o.hours_to_booking is not None]

    def for_campaign(campaign: Campaign) -> CampaignFigures:
        campaign_reached = {m.patient_id for m in messages if m.campaign is campaign}
        return CampaignFigures(
            campaign=campaign,
            eligible=sum(1 for e in started if e.campaign is campaign),
            reached=len(campaign_reached),
            replied=len(replied & campaign_reached),
            rebooked=sum(1 for o in booked if o.campaign is campaign),
            completed=sum(1 for o in completed if o.campaign is campaign),
            revenue=sum(o.revenue for o in completed if o.campaign is campaign),
        )

    campaigns = sorted({e.campaign for e in started} | {m.campaign for m in messages}
                       | {o.campaign for o in booked + completed})  # fmt: skip
    sms = [m for m in messages if m.channel is Channel.SMS]
    visits = sorted(o.visit_at for o in booked if o.visit_at is not None)
    return Figures(
        period=period,
        eligible=len(started),
        holdout=sum(1 for e in started if e.holdout),
        reached=len(reached),
        reached_weeks=len(first_message),
        messages=len(messages),
        sms=len(sms),
        sms_segments=sum(m.segments for m in sms),
        emails=len(messages) - len(sms),
        texts={kind: count for kind, count in texts.items() if count},
        segments={kind: count for kind, count in segments.items() if texts[kind]},
        receipts=receipts,
        delivered=sum(1 for m in messages if m.delivered),
        replied=len(replied_weeks),
        opt_outs=sum(1 for r in answers if r.intent is Intent.OPT_OUT),
        rebooked=len(booked),
        completed=len(completed),
        revenue=round(sum(o.revenue for o in completed), 2),
        missed_enrolled=sum(1 for e in started if e.campaign is Campaign.MISSED_APPOINTMENT),
        missed_rebooked=sum(1 for o in booked if o.campaign is Campaign.MISSED_APPOINTMENT),
        median_hours_to_booking=statistics.median(to_booking) if to_booking else None,
        handoffs=dict(sorted(opened.items())),
        handoffs_closed=len(closed),
        median_hours_to_close=statistics.median(to_close) if to_close else None,
        corrections=corrections,
        by_campaign=tuple(for_campaign(c) for c in campaigns),
        visits_booked=tuple(visits),
        barriers=dict(sorted(barriers.items(), key=lambda item: (-item[1], item[0]))),
        acknowledgements=sum(1 for r in answers if r.reading is Reading.ACKNOWLEDGEMENT),
    )


@dataclass(frozen=True)
class TrendWeek:
    """One week of the trend: bookings made in it, and revenue of the visits completed in it."""

    start: datetime
    booked: int
    revenue: float
    #: The week the practice's first outreach went out.
    first_outreach: bool = False


def trend(
    outcomes: Iterable[Outcome], weeks: Sequence[Period], first_outreach: datetime | None
) -> tuple[TrendWeek, ...]:
    """Bookings and revenue week by week (holdout excluded), the first outreach marked."""
    results = [o for o in outcomes if not o.holdout]
    return tuple(
        TrendWeek(
            start=week.start,
            booked=sum(1 for o in results if o.booked_at in week),
            revenue=round(sum(o.revenue for o in results if o.completed_at in week), 2),
            first_outreach=first_outreach in week,
        )
        for week in weeks
    )


@dataclass(frozen=True)
class TeamWaiting:
    team: Team
    open: int
    oldest_hours: float


@dataclass(frozen=True)
class Waiting:
    """What waits for the practice's team as of the report: the replies handed to each team
    and still open (with the age of the oldest), and the times patients picked by text that
    the front desk has yet to confirm in the practice's system."""

    teams: tuple[TeamWaiting, ...] = ()
    bookings_to_confirm: int = 0
    oldest_booking_hours: float | None = None
    #: Questions and unplaced replies open past the pause's deadline: the sequences they
    #: paused went on by themselves, with nobody's answer.
    past_the_pause: int = 0

    @property
    def nothing(self) -> bool:
        return not self.teams and not self.bookings_to_confirm


#: The handoffs that are a booking for the front desk to confirm in the practice's system.
_TO_CONFIRM = frozenset({HandoffReason.BOOKING_REQUEST, HandoffReason.BOOKING_TO_CONFIRM})


def waiting(handoffs: Iterable[Handoff], now: datetime) -> Waiting:
    open_ones = [h for h in handoffs if h.closed_at is None and h.opened_at <= now]
    bookings = [h for h in open_ones if h.reason in _TO_CONFIRM]
    others = [h for h in open_ones if h.reason not in _TO_CONFIRM]

    def age(handoff: Handoff) -> float:
        return (now - handoff.opened_at).total_seconds() / 3600

    teams = tuple(
        TeamWaiting(team, len(mine), max(age(h) for h in mine))
        for team in Team
        if (mine := [h for h in others if h.team is team])
    )
    past = sum(1 for h in others if h.reason in PAUSING and now - h.opened_at >= PAUSE_DEADLINE)
    return Waiting(teams, len(bookings), max((age(h) for h in bookings), default=None), past)


#: The handoffs whose reply paused a sequence (a question nobody answered, an unplaced reply).
PAUSING = frozenset({HandoffReason.QUESTION, HandoffReason.OTHER})


@dataclass(frozen=True)
class Lift:
    """The rebooking rate of contacted enrolments against the holdout's, over a cohort."""

    contacted: int
    contacted_booked: int
    holdout: int
    holdout_booked: int
    #: contacted rate - holdout rate, and its 95% interval (Newcombe's hybrid score method);
    #: None when either group is under MIN_GROUP ("not enough data yet").
    difference: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def enough_data(self) -> bool:
        return self.difference is not None

    @property
    def contacted_rate(self) -> float | None:
        return rate(self.contacted_booked, self.contacted)

    @property
    def holdout_rate(self) -> float | None:
        return rate(self.holdout_booked, self.holdout)

    @property
    def extra_bookings(self) -> float | None:
        """The bookings outreach caused among the contacted (the difference times their
        number)."""
        return None if self.difference is None else self.difference * self.contacted

    @property
    def bookings_anyway(self) -> float | None:
        """Of the contacted patients' bookings, about how many would have happened without the
        texts (the holdout's rate applied to the contacted)."""
        return None if self.holdout_rate is None else self.holdout_rate * self.contacted

    @property
    def extra_range(self) -> tuple[float, float] | None:
        """The 95% interval of the extra bookings, in bookings."""
        if self.low is None or self.high is None:
            return None
        return self.low * self.contacted, self.high * self.contacted


def wilson(successes: int, trials: int, z: float = Z) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def lift(outcomes: Sequence[Outcome], cohort: Period, min_group: int = MIN_GROUP) -> Lift:
    """Enrolments whose first message (a holdout's enrolment) falls in `cohort`: the share of
    each group credited with a booking, and the difference with its 95% interval."""
    members = [o for o in outcomes if o.anchor_at in cohort]
    contacted = [o for o in members if not o.holdout]
    holdout = [o for o in members if o.holdout]
    c_booked = sum(1 for o in contacted if o.booked)
    h_booked = sum(1 for o in holdout if o.booked)
    base = Lift(len(contacted), c_booked, len(holdout), h_booked)
    if len(contacted) < min_group or len(holdout) < min_group:
        return base
    p1, p2 = c_booked / len(contacted), h_booked / len(holdout)
    l1, u1 = wilson(c_booked, len(contacted))
    l2, u2 = wilson(h_booked, len(holdout))
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Lift(len(contacted), c_booked, len(holdout), h_booked, difference, low, high)
