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
from datetime import datetime

from reactivation.domain.conversation import Intent, Reply
from reactivation.domain.handoffs import Handoff, HandoffReason
from reactivation.domain.outcomes import Outcome
from reactivation.domain.outreach import Enrolment
from reactivation.domain.types import Campaign, Channel

#: Each group needs this many enrolments before the lift is worth stating.
MIN_GROUP = 30
#: 95% two-sided.
Z = 1.959964


@dataclass(frozen=True)
class SentMessage:
    patient_id: str
    sequence_id: str
    campaign: Campaign
    channel: Channel
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
    messages: int = 0
    sms: int = 0
    sms_segments: int = 0
    emails: int = 0
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

    @property
    def response_rate(self) -> float | None:
        return rate(self.replied, self.reached)

    @property
    def opt_out_rate(self) -> float | None:
        return rate(self.opt_outs, self.reached)

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
) -> Figures:
    """The period's figures. Bookings count in the period they were made, completed visits
    and revenue in the period of the visit; holdout enrolments count as eligible only."""
    started = [e for e in enrolments if e.started_at in period]
    messages = [m for m in sent if m.sent_at in period]
    answers = [r for r in replies if (r.recorded_at or r.received_at) in period]
    results = list(outcomes)
    booked = [o for o in results if not o.holdout and o.booked_at in period]
    completed = [o for o in results if not o.holdout and o.completed_at in period]
    reached = {m.patient_id for m in messages}
    replied = {p for r in answers for p in r.patient_ids}
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
    return Figures(
        period=period,
        eligible=len(started),
        holdout=sum(1 for e in started if e.holdout),
        reached=len(reached),
        messages=len(messages),
        sms=len(sms),
        sms_segments=sum(m.segments for m in sms),
        emails=len(messages) - len(sms),
        replied=len(replied),
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
    )


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
