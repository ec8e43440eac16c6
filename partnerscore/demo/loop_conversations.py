"""The demo's feedback threads, meetings and improvement plans for the latest open quarter
(issue 12, called from loop.seed_loop). Bulk-written; bounded whatever the number of partners.

- threads both ways, open / acknowledged / resolved, with replies: to the partners of a sample,
  and both ways for the partners of the portal personas (`partner`, `partner2`);
- QBRs for a few dozen partners, linked to the quarter's assessment when there is one;
- improvement plans for the partners the scorecards show at risk (demotion grace, a projected
  drop) or low (the bottom of their peer group), and for the persona partners: actions
  pre-filled from "what it takes" (feedback.plans.plan_suggestions), some done, some overdue,
  about half the plans signed off."""

import datetime as dt

import numpy as np
from django.db.models import Q
from django.utils import timezone

from assessments.models import Assessment, Scorecard
from feedback.models import (
    ActionStatus,
    FeedbackDirection,
    FeedbackReply,
    FeedbackStatus,
    FeedbackThread,
    FeedbackTopic,
    ImprovementPlan,
    Meeting,
    MeetingKind,
    PlanAction,
)
from feedback.plans import plan_suggestions, suggested_title
from kpis.models import Period
from partners.models import Partner, PortalUser

THREADS, MEETINGS, PLANS = 60, 36, 40

SUBJECTS = {
    FeedbackDirection.TO_PARTNER: [
        (FeedbackTopic.SALES, "Pipeline review ahead of the quarter's close"),
        (FeedbackTopic.SUPPORT, "Late deliveries on three recent orders"),
        (FeedbackTopic.ENABLEMENT, "Certification renewals due next month"),
        (FeedbackTopic.MARKETING, "Co-marketing campaign results"),
        (FeedbackTopic.PROGRAMME, "Your tier outlook for next quarter"),
    ],
    FeedbackDirection.TO_VENDOR: [
        (FeedbackTopic.COMMERCIAL, "Discount approval takes too long"),
        (FeedbackTopic.SUPPORT, "Escalation path for critical tickets"),
        (FeedbackTopic.ENABLEMENT, "More seats for the technical training"),
        (FeedbackTopic.PROGRAMME, "How is the NPS KPI measured?"),
        (FeedbackTopic.MARKETING, "Lead quality from the last webinar"),
    ],
}
VENDOR_LINES = [
    "Thanks for the quick call today. Summary below, let us know what you think.",
    "We looked at the numbers together with the team: this is where we stand.",
    "Following up on this: can we agree on next steps by the end of the month?",
    "Understood. I have raised it internally and will come back to you this week.",
]
PARTNER_LINES = [
    "Thanks, we discussed it internally and agree with the plan.",
    "We have a few concerns, mostly about timing. Can we talk on Thursday?",
    "Done on our side: the team has picked it up.",
    "This has been an issue for us for a while, glad it is being looked at.",
]
NOTES = [
    "Reviewed the quarter's scorecard line by line; revenue on track, delivery times slipping.",
    "Walked through what it takes to reach the next tier; agreed on two focus KPIs.",
    "Discussed the customer survey results and the support escalation process.",
]
DECISIONS = [
    "Joint account plan for the top 5 customers.\n"
    "Monthly delivery review until the backlog clears.",
    "Two more certified engineers by the end of next quarter.",
    "Co-funded campaign in the region; partner to share the pipeline weekly.",
]


def seed_conversations(*, rng: np.random.Generator) -> dict[str, int]:
    period = Period.objects.filter(status="open").order_by("-end").first()
    if period is None:
        return {}
    partners = list(Partner.objects.filter(scorecards__period=period).order_by("pk"))
    if not partners:
        return {}
    portal = dict(PortalUser.objects.values_list("partner_id", "user_id"))
    # the `partner` persona's plan waits for its sign-off; the other personas' are signed
    waiting = set(
        PortalUser.objects.filter(user__username="partner").values_list("partner_id", flat=True)
    )
    personas = [p for p in partners if p.pk in portal]
    counts = {"feedback threads": _threads(rng, period, partners, personas, portal)}
    counts["meetings"] = _meetings(rng, period, partners, personas)
    counts["improvement plans"], counts["plan actions"] = _plans(
        rng, period, personas, portal, waiting
    )
    counts["improvement plans"] += _earlier_plans(period, personas, portal)
    return counts


def _earlier_plans(period: Period, personas: list, portal: dict) -> int:
    """The personas' plans of the quarter before, done and signed off: the latest scorecard
    then shows whether their KPIs moved."""
    before = (
        Period.objects.filter(granularity=period.granularity, end__lt=period.start)
        .order_by("-end")
        .first()
    )
    if before is None:
        return 0
    made = 0
    for partner in personas:
        suggestions = plan_suggestions(partner=partner, period=before)[:3]
        if not suggestions:
            continue
        plan = ImprovementPlan.objects.create(
            partner=partner,
            period=before,
            goal="Close the gap to the next tier.",
            created_by_id=partner.manager_id,
            signed_off_by_id=portal[partner.pk],
            signed_off_at=timezone.make_aware(dt.datetime.combine(before.start, dt.time(12))),
        )
        PlanAction.objects.bulk_create(
            PlanAction(
                plan=plan,
                title=suggested_title(s),
                owner_id=partner.manager_id,
                due_on=before.end,
                status=ActionStatus.DONE,
                kpi=s.kpi,
                aim_value=s.aim_value,
                baseline_value=s.baseline_value,
                done_at=timezone.make_aware(dt.datetime.combine(before.end, dt.time(12))),
            )
            for s in suggestions
        )
        made += 1
    return made


def _sample(rng: np.random.Generator, partners: list, n: int, first: list) -> list:
    rest = [p for p in partners if p not in first]
    picked: list[int] | np.ndarray = (
        rng.choice(len(rest), size=min(n, len(rest)), replace=False) if rest else []
    )
    return first + [rest[i] for i in sorted(picked)]


def _threads(rng, period: Period, partners: list, personas: list, portal: dict) -> int:
    now = timezone.now()
    plan: list[
        tuple[Partner, str, str, str, str]
    ] = []  # partner, direction, topic, subject, status
    statuses = [FeedbackStatus.OPEN, FeedbackStatus.ACKNOWLEDGED, FeedbackStatus.RESOLVED]
    for partner in personas:  # both ways, every status
        for direction in FeedbackDirection.values:
            for i, status in enumerate(statuses):
                topic, subject = SUBJECTS[direction][i]
                plan.append((partner, direction, topic, subject, status))
    for partner in _sample(rng, partners, THREADS, [])[: THREADS - len(plan)]:
        topic, subject = SUBJECTS[FeedbackDirection.TO_PARTNER][rng.integers(5)]
        plan.append((partner, FeedbackDirection.TO_PARTNER, topic, subject, rng.choice(statuses)))
    threads = FeedbackThread.objects.bulk_create(
        [
            FeedbackThread(
                partner=p,
                direction=d,
                topic=t,
                subject=s,
                status=st,
                period=period,
                created_by_id=p.manager_id if d == FeedbackDirection.TO_PARTNER else portal[p.pk],
            )
            for p, d, t, s, st in plan
        ]
    )
    replies, times = [], []
    for thread, (partner, direction, *_rest) in zip(threads, plan, strict=True):
        vendor, other = partner.manager_id, portal.get(partner.pk)
        sides = [vendor, other] if direction == FeedbackDirection.TO_PARTNER else [other, vendor]
        n = int(rng.integers(1, 5))
        start = now - dt.timedelta(days=int(rng.integers(2 * n + 1, 40)))  # all in the past
        first_line = int(rng.integers(4))
        for k in range(n):
            author = sides[k % 2] or vendor  # no portal user: the vendor follows up
            lines = VENDOR_LINES if author == vendor else PARTNER_LINES
            replies.append(
                FeedbackReply(
                    thread=thread, author_id=author, body=lines[(first_line + k) % len(lines)]
                )
            )
            times.append(start + dt.timedelta(days=k * 2, hours=int(rng.integers(8))))
    FeedbackReply.objects.bulk_create(replies)
    # auto_now_add wrote "now": spread the conversation over the past weeks
    first: dict[int, dt.datetime] = {}
    last: dict[int, dt.datetime] = {}
    for reply, at in zip(replies, times, strict=True):
        reply.created_at = at
        first.setdefault(reply.thread_id, at)
        last[reply.thread_id] = at
    FeedbackReply.objects.bulk_update(replies, ["created_at"], batch_size=1000)
    for thread in threads:  # bulk_update skips auto_now: the thread dates follow its messages
        thread.created_at, thread.updated_at = first[thread.pk], last[thread.pk]
    FeedbackThread.objects.bulk_update(threads, ["created_at", "updated_at"], batch_size=1000)
    return len(threads)


def _meetings(rng, period: Period, partners: list, personas: list) -> int:
    chosen = _sample(rng, partners, MEETINGS, personas)
    assessed = dict(
        Assessment.objects.filter(period=period, partner__in=chosen).values_list("partner_id", "pk")
    )
    days = (period.end - period.start).days
    Meeting.objects.bulk_create(
        [
            Meeting(
                partner=p,
                period=period,
                assessment_id=assessed.get(p.pk),
                kind=MeetingKind.QBR,
                held_on=period.start + dt.timedelta(days=int(rng.integers(days // 2, days))),
                attendees=f"{p.manager.get_full_name() if p.manager else 'Channel manager'}\n"
                f"{p.name}: sales lead\n{p.name}: operations lead",
                notes=NOTES[int(rng.integers(len(NOTES)))],
                decisions=DECISIONS[int(rng.integers(len(DECISIONS)))],
                created_by_id=p.manager_id,
            )
            for p in chosen
        ]
    )
    return len(chosen)


def _plan_partners(period: Period, personas: list) -> list[tuple[Partner, list]]:
    """The partners at risk or low on the quarter's scorecards (bottom decile of their peers)
    whose "what it takes" has reachable KPIs, with them; the personas first (always)."""
    cards = (
        Scorecard.objects.filter(period=period, status="ok")
        .filter(~Q(falls_to="") | Q(projected_drop=True) | Q(percentile__lt=10))
        .exclude(partner__in=personas)
        .select_related("partner__manager")
        .order_by("percentile", "partner_id")
    )
    chosen = [(p, plan_suggestions(partner=p, period=period)[:4]) for p in personas]
    for card in cards[: PLANS * 3]:  # bounded: a few queries each
        if len(chosen) >= PLANS:
            break
        suggestions = plan_suggestions(partner=card.partner, period=period)[:4]
        if suggestions:
            chosen.append((card.partner, suggestions))
    return chosen


PERSONA_STATUSES = [ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.IN_PROGRESS]


def _plans(rng, period: Period, personas: list, portal: dict, waiting: set) -> tuple[int, int]:
    chosen_with = _plan_partners(period, personas)
    chosen = [p for p, _ in chosen_with]
    today, now = timezone.localdate(), timezone.now()
    plans = ImprovementPlan.objects.bulk_create(
        [
            ImprovementPlan(
                partner=p,
                period=period,
                goal=f"Get {p.name} back on track: the KPIs that close the gap to the next tier.",
                created_by_id=p.manager_id,
            )
            for p in chosen
        ]
    )
    actions, signed = [], []
    for plan, (partner, suggestions) in zip(plans, chosen_with, strict=True):
        owners = [partner.manager_id] + ([portal[partner.pk]] if partner.pk in portal else [])
        for k, s in enumerate(suggestions):
            due = today + dt.timedelta(days=int(rng.integers(-30, 45)))
            status = str(
                rng.choice(
                    [ActionStatus.DONE, ActionStatus.IN_PROGRESS, ActionStatus.OPEN, "dropped"],
                    p=[0.35, 0.25, 0.35, 0.05],
                )
            )
            if partner in personas:  # an open action the persona owns, one done, one overdue
                status = PERSONA_STATUSES[k] if k < len(PERSONA_STATUSES) else ActionStatus.OPEN
                due = today + dt.timedelta(days=14 if k < len(PERSONA_STATUSES) else -10)
            actions.append(
                PlanAction(
                    plan=plan,
                    title=suggested_title(s),
                    owner_id=owners[(k + 1) % len(owners)] if partner in personas else owners[0],
                    due_on=due,
                    status=status,
                    kpi=s.kpi,
                    aim_value=s.aim_value,
                    baseline_value=s.baseline_value,
                    done_at=now - dt.timedelta(days=int(rng.integers(1, 20)))
                    if status == ActionStatus.DONE
                    else None,
                )
            )
        if partner in personas and not suggestions:  # nothing within reach: a plain action
            actions.append(
                PlanAction(
                    plan=plan,
                    title="Quarterly data review with the channel manager",
                    owner_id=portal[partner.pk],
                    due_on=today + dt.timedelta(days=21),
                )
            )
        if partner.pk in portal and partner.pk not in waiting:
            plan.signed_off_at, plan.signed_off_by_id = now, portal[partner.pk]
            signed.append(plan)
    PlanAction.objects.bulk_create(actions)
    ImprovementPlan.objects.bulk_update(signed, ["signed_off_at", "signed_off_by"])
    return len(plans), len(actions)
