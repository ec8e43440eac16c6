"""Feedback threads both ways and meetings/QBRs: the services that write them and the selectors
that read them. Pages, the API and the admin all call these, so the rules live here once.

Sides: the *vendor* side is a manager who sees the partner (partners.access.may_see); the
*partner* side is one of the partner's portal users. A thread `to_partner` is started by the
vendor and received by the partner; `to_vendor` the other way round.

Status rules (one place, `STATUS_RULES`):
- open -> acknowledged: the receiving side only (acknowledging is saying "we read it");
- open or acknowledged -> resolved: either side;
- resolved -> open (reopen): either side;
- anything else (acknowledged -> open, a status to itself) is refused with a message.
A resolved thread takes no reply until it is reopened.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import Assessment
from feedback.models import (
    FeedbackDirection,
    FeedbackReply,
    FeedbackStatus,
    FeedbackThread,
    FeedbackTopic,
    Meeting,
    MeetingKind,
)
from kpis.models import Period
from partners.access import is_manager, may_see, portal_partner_id, visible_partners
from partners.models import Partner

VENDOR, PARTNER = "vendor", "partner"
MAX_BODY = 10_000

# (from, to) -> who may: "receiver" or "either"
STATUS_RULES: dict[tuple[str, str], str] = {
    (FeedbackStatus.OPEN, FeedbackStatus.ACKNOWLEDGED): "receiver",
    (FeedbackStatus.OPEN, FeedbackStatus.RESOLVED): "either",
    (FeedbackStatus.ACKNOWLEDGED, FeedbackStatus.RESOLVED): "either",
    (FeedbackStatus.RESOLVED, FeedbackStatus.OPEN): "either",
}


def side_of(user, partner: Partner) -> str | None:
    """'vendor', 'partner' or None (the user may not take part in this partner's threads)."""
    if portal_partner_id(user) == partner.pk:
        return PARTNER
    if is_manager(user) and may_see(user, partner):
        return VENDOR
    return None


def receiver_of(thread: FeedbackThread) -> str:
    return PARTNER if thread.direction == FeedbackDirection.TO_PARTNER else VENDOR


def _side_or_refuse(user, partner: Partner) -> str:
    side = side_of(user, partner)
    if side is None:
        raise PermissionDenied("Only the partner's users and its managers take part.")
    return side


def _body_clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a message."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"At most {MAX_BODY} characters, please."})
    return body


# -- threads: services --------------------------------------------------------------------------


def thread_start(
    *,
    partner: Partner,
    user,
    topic: str,
    subject: str,
    body: str,
    period: Period | None = None,
) -> FeedbackThread:
    """A new thread with its first message. Its direction follows from who starts it: a
    manager writes to the partner, a partner user to the vendor."""
    side = _side_or_refuse(user, partner)
    subject = (subject or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = "Give the thread a subject."
    elif len(subject) > 200:
        errors["subject"] = "At most 200 characters."
    if topic not in FeedbackTopic.values:
        errors["topic"] = f"Unknown topic {topic!r}: one of {', '.join(FeedbackTopic.values)}."
    if errors:
        raise ValidationError(errors)
    body = _body_clean(body)
    direction = FeedbackDirection.TO_PARTNER if side == VENDOR else FeedbackDirection.TO_VENDOR
    with transaction.atomic():
        thread = FeedbackThread.objects.create(
            partner=partner,
            direction=direction,
            topic=topic,
            subject=subject,
            period=period,
            created_by=user,
        )
        FeedbackReply.objects.create(thread=thread, author=user, body=body)
    return thread


def thread_reply(*, thread: FeedbackThread, user, body: str) -> FeedbackReply:
    _side_or_refuse(user, thread.partner)
    body = _body_clean(body)
    if thread.status == FeedbackStatus.RESOLVED:
        raise ValidationError("This thread is resolved: reopen it to reply.")
    with transaction.atomic():
        reply = FeedbackReply.objects.create(thread=thread, author=user, body=body)
        FeedbackThread.objects.filter(pk=thread.pk).update(updated_at=timezone.now())
    return reply


def status_problem(thread: FeedbackThread, side: str | None, to: str) -> str:
    """Why this side may not move the thread to `to`; '' when it may."""
    if to not in FeedbackStatus.values:
        return f"Unknown status {to!r}: one of {', '.join(FeedbackStatus.values)}."
    if side is None:
        return "Only the partner's users and its managers take part."
    if thread.status == to:
        return f"The thread is already {thread.get_status_display().lower()}."
    who = STATUS_RULES.get((thread.status, to))
    now, then = FeedbackStatus(thread.status).label.lower(), FeedbackStatus(to).label.lower()
    if who is None:
        return f"A thread that is {now} cannot become {then}."
    if who == "receiver" and side != receiver_of(thread):
        return "Only the side the feedback was sent to acknowledges it."
    return ""


def allowed_statuses(thread: FeedbackThread, user) -> list[str]:
    """The statuses this user may move the thread to (the buttons a page shows)."""
    side = side_of(user, thread.partner)
    return [s for s in FeedbackStatus.values if not status_problem(thread, side, s)]


def thread_status_set(*, thread: FeedbackThread, user, status: str) -> FeedbackThread:
    side = side_of(user, thread.partner)
    problem = status_problem(thread, side, status)
    if problem:
        if side is None:
            raise PermissionDenied(problem)
        raise ValidationError({"status": problem})
    # UPDATE ... WHERE status = the one read: two people clicking at once cannot both win
    changed = FeedbackThread.objects.filter(pk=thread.pk, status=thread.status).update(
        status=status, updated_at=timezone.now()
    )
    if not changed:
        raise ValidationError({"status": "Someone changed the thread meanwhile: reload it."})
    thread.refresh_from_db()
    return thread


# -- threads: selectors -------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadFilters:
    status: str = ""
    direction: str = ""
    topic: str = ""
    partner: str = ""  # a partner code


def threads_visible(user) -> QuerySet[FeedbackThread]:
    """The threads of the partners the user sees, with reply counts and the last activity."""
    return (
        FeedbackThread.objects.filter(partner__in=visible_partners(user))
        .select_related("partner", "created_by")
        .annotate(reply_count=Count("replies"), last_reply_at=Max("replies__created_at"))
        .order_by("-updated_at", "-pk")
    )


def threads_filter(qs: QuerySet[FeedbackThread], filters: ThreadFilters) -> QuerySet:
    if filters.status in FeedbackStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.direction in FeedbackDirection.values:
        qs = qs.filter(direction=filters.direction)
    if filters.topic in FeedbackTopic.values:
        qs = qs.filter(topic=filters.topic)
    if filters.partner:
        qs = qs.filter(partner__code=filters.partner.strip())
    return qs


def thread_for_user(user, pk: int, *, partner: Partner | None = None) -> FeedbackThread:
    """The thread if the user sees its partner (and it is `partner`'s when given); else 404."""
    qs = FeedbackThread.objects.filter(partner__in=visible_partners(user)).select_related(
        "partner", "period", "created_by"
    )
    if partner is not None:
        qs = qs.filter(partner=partner)
    thread = qs.filter(pk=pk).first()
    if thread is None:
        raise Http404("No such thread.")
    return thread


def thread_replies(thread: FeedbackThread) -> list[FeedbackReply]:
    return list(thread.replies.select_related("author__portal"))


def author_side(reply: FeedbackReply, partner: Partner) -> str:
    """Which side wrote a reply (for the page's alignment), from its author's portal link."""
    portal = getattr(reply.author, "portal", None) if reply.author else None
    return PARTNER if portal is not None and portal.partner_id == partner.pk else VENDOR


# -- meetings -----------------------------------------------------------------------------------


def _manager_or_refuse(user, partner: Partner) -> None:
    if side_of(user, partner) != VENDOR:
        raise PermissionDenied("Only the partner's managers record meetings.")


def meeting_save(
    *,
    partner: Partner,
    user,
    period: Period,
    held_on: dt.date,
    kind: str = MeetingKind.QBR,
    attendees: str = "",
    notes: str = "",
    decisions: str = "",
    meeting: Meeting | None = None,
) -> Meeting:
    """Creates or changes a meeting; links it to the partner's assessment of the period
    when there is one."""
    _manager_or_refuse(user, partner)
    if meeting is not None and meeting.partner_id != partner.pk:
        raise Http404("No such meeting.")
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    meeting = meeting or Meeting(partner=partner, created_by=user)
    meeting.period = period
    meeting.held_on = held_on
    meeting.kind = kind
    meeting.attendees = attendees.strip()
    meeting.notes = notes.strip()
    meeting.decisions = decisions.strip()
    meeting.assessment = Assessment.objects.filter(partner=partner, period=period).first()
    meeting.full_clean(exclude=["created_by", "assessment"])
    meeting.save()
    return meeting


def meetings_of(partner: Partner) -> list[Meeting]:
    return list(
        Meeting.objects.filter(partner=partner).select_related("period", "assessment", "created_by")
    )


def meeting_for_user(user, pk: int, *, partner: Partner | None = None) -> Meeting:
    qs = Meeting.objects.filter(partner__in=visible_partners(user)).select_related(
        "partner", "period"
    )
    if partner is not None:
        qs = qs.filter(partner=partner)
    meeting = qs.filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting
