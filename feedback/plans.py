"""Improvement plans: services that write plans and their actions, selectors that read them
(the plan page, the portfolio's list, the roll-up, and whether the linked KPIs moved).

Rules, each in one place here:
- a manager who sees the partner creates and edits the plan and its actions;
- an action's owner is a manager who sees the partner or one of the partner's portal users
  (`owner_problem`);
- a partner user changes only the status of the actions they own; one of the partner's portal
  users signs the plan off (who and when are recorded). Actions may change after sign-off; the
  plan then shows that they did (`ImprovementPlan.actions_changed_at`);
- an action's aim is pre-filled from "what it takes" (SCORING.md 9), computed by
  assessments.partner_selectors.what_it_takes, the same function the scorecard uses; its
  baseline is the KPI's value on the plan period's scorecard;
- roll-up: done / total counts the actions not dropped; an action is overdue when it is due
  before today and neither done nor dropped.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import Scorecard, ScorecardLine
from assessments.partner_selectors import (
    partner_lines,
    tier_rules_by_version,
    what_it_takes,
)
from assessments.templatetags.scorecard import num
from feedback.models import ActionStatus, ImprovementPlan, PlanAction
from kpis.models import KPI, Period
from partners.access import is_manager, may_see, portal_partner_id, visible_partners
from partners.models import Partner, PortalUser

CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)
CONTENT_FIELDS = ("title", "description", "owner", "due_on", "kpi", "aim_value")


def _is_partner_manager(user, partner: Partner) -> bool:
    return is_manager(user) and may_see(user, partner)


def _manager_or_refuse(user, partner: Partner) -> None:
    if not _is_partner_manager(user, partner):
        raise PermissionDenied("Only the partner's managers change its plan.")


def owner_problem(owner, partner: Partner) -> str:
    """Why this user may not own an action of the partner's plan; '' when they may."""
    if owner is None:
        return ""
    if PortalUser.objects.filter(user=owner, partner=partner, user__is_active=True).exists():
        return ""
    if _is_partner_manager(owner, partner):
        return ""
    return (
        f"{owner.get_username()} is neither a manager of {partner.name} nor one of its portal "
        "users: choose someone who is."
    )


def owner_choices(partner: Partner, *, also=None) -> list:
    """Who the page offers as an action's owner: the partner's manager, its portal users and
    `also` (the manager at the keyboard). Any manager who sees the partner may own one."""
    wanted = Q(portal__partner=partner) | Q(pk=partner.manager_id)
    if also is not None and _is_partner_manager(also, partner):
        wanted |= Q(pk=also.pk)
    users = get_user_model().objects.filter(wanted, is_active=True).select_related("portal")
    return list(users.distinct().order_by("username"))


# -- what it takes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    kpi: KPI
    aim_value: float | None  # the needed value as the scorecard shows it (None: out of reach)
    baseline_value: float | None
    at_most: bool


def plan_suggestions(*, partner: Partner, period: Period) -> list[Suggestion]:
    """The KPIs of "what it takes" (SCORING.md 9) on the partner's scorecard of the period,
    reachable ones first in the scorecard's order: the aims an action is pre-filled with."""
    card = (
        Scorecard.objects.filter(partner=partner, period=period)
        .select_related("model_version")
        .first()
    )
    if card is None:
        return []
    lines = partner_lines(partner_id=partner.pk, period_ids=[period.pk])
    tiers, requirements = tier_rules_by_version({card.model_version_id})
    shown = sorted(tiers.get(card.model_version_id, []), key=lambda t: -t[1])
    _, needs, _ = what_it_takes(card, lines, shown, requirements.get(card.model_version_id))
    return [
        Suggestion(n.line.kpi, n.value, n.line.value, n.at_most)
        for n in needs
        if not n.need.out_of_reach
    ]


def baselines(*, partner: Partner, period: Period) -> dict[int, float | None]:
    """{kpi id: its value on the partner's scorecard of the period}."""
    return dict(
        ScorecardLine.objects.filter(partner_id=partner.pk, period_id=period.pk).values_list(
            "kpi_id", "value"
        )
    )


# -- services -----------------------------------------------------------------------------------


def plan_create(
    *, partner: Partner, period: Period, user, goal: str = "", prefill: bool = True
) -> ImprovementPlan:
    """A plan for the partner and period; with `prefill`, one action per KPI of what it takes,
    owned by the partner's manager and due at the period's end."""
    _manager_or_refuse(user, partner)
    if ImprovementPlan.objects.filter(partner=partner, period=period).exists():
        raise ValidationError(f"{partner.name} already has a plan for {period.code}.")
    with transaction.atomic():
        plan = ImprovementPlan.objects.create(
            partner=partner, period=period, goal=goal.strip(), created_by=user
        )
        if prefill:
            owner = partner.manager if partner.manager_id else user
            PlanAction.objects.bulk_create(
                [
                    PlanAction(
                        plan=plan,
                        title=suggested_title(s),
                        owner=owner,
                        due_on=period.end,
                        kpi=s.kpi,
                        aim_value=s.aim_value,
                        baseline_value=s.baseline_value,
                    )
                    for s in plan_suggestions(partner=partner, period=period)
                ]
            )
    return plan


def suggested_title(s: Suggestion) -> str:
    word = "at most" if s.at_most else "at least"
    unit = f" {s.kpi.unit}" if s.kpi.unit else ""
    aim = num(s.aim_value) if s.aim_value is not None else "?"  # as the scorecard shows it
    return f"{s.kpi.name}: {word} {aim}{unit}"[:200]


def plan_update(*, plan: ImprovementPlan, user, goal: str) -> ImprovementPlan:
    _manager_or_refuse(user, plan.partner)
    plan.goal = goal.strip()
    plan.save(update_fields=["goal"])
    return plan


def _action_clean(action: PlanAction, partner: Partner, period: Period) -> None:
    problem = owner_problem(action.owner, partner)
    if problem:
        raise ValidationError({"owner": problem})
    if action.kpi_id is not None:
        if action.aim_value is None:  # pre-filled from what it takes
            aims = {s.kpi.pk: s.aim_value for s in plan_suggestions(partner=partner, period=period)}
            action.aim_value = aims.get(action.kpi_id)
        action.baseline_value = baselines(partner=partner, period=period).get(action.kpi_id)
    else:
        action.aim_value = action.baseline_value = None
    action.title = (action.title or "").strip()
    if not action.title and action.kpi is not None:
        action.title = f"Improve {action.kpi.name}"
    action.full_clean(exclude=["plan"])


def action_add(*, plan: ImprovementPlan, user, **fields) -> PlanAction:
    """A new action; `fields` are PlanAction's (title, description, owner, due_on, kpi,
    aim_value, status). A KPI without an aim gets what it takes as its aim."""
    _manager_or_refuse(user, plan.partner)
    unknown = set(fields) - set(CONTENT_FIELDS) - {"status"}
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    action = PlanAction(plan=plan, **fields)
    _action_clean(action, plan.partner, plan.period)
    with transaction.atomic():
        _status_apply(action, action.status)
        action.save()
        _mark_changed(plan)
    return action


def action_update(*, action: PlanAction, user, **fields) -> PlanAction:
    """A manager changes anything; a partner user only the status of an action they own."""
    plan = action.plan
    if not _is_partner_manager(user, plan.partner):
        if set(fields) - {"status"} or portal_partner_id(user) != plan.partner_id:
            raise PermissionDenied("Only the partner's managers change an action's content.")
        if action.owner_id != user.pk:
            raise PermissionDenied("You can update only the actions you own.")
    unknown = set(fields) - set(CONTENT_FIELDS) - {"status"}
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    content_changed = any(
        getattr(action, name if name not in ("owner", "kpi") else f"{name}_id")
        != getattr(value, "pk", value)
        for name, value in fields.items()
        if name in CONTENT_FIELDS
    )
    if "kpi" in fields and "aim_value" not in fields:
        fields["aim_value"] = None  # a new KPI takes its own aim
    for name, value in fields.items():
        if name != "status":
            setattr(action, name, value)
    with transaction.atomic():
        if content_changed:
            _action_clean(action, plan.partner, plan.period)
            _mark_changed(plan)
        if "status" in fields:
            if fields["status"] not in ActionStatus.values:
                raise ValidationError({"status": f"Unknown status {fields['status']!r}."})
            _status_apply(action, fields["status"])
        action.save()
    return action


def action_delete(*, action: PlanAction, user) -> None:
    _manager_or_refuse(user, action.plan.partner)
    with transaction.atomic():
        action.delete()
        _mark_changed(action.plan)


def _status_apply(action: PlanAction, status: str) -> None:
    if status == ActionStatus.DONE and action.status != ActionStatus.DONE:
        action.done_at = timezone.now()
    elif status != ActionStatus.DONE:
        action.done_at = None
    action.status = status


def _mark_changed(plan: ImprovementPlan) -> None:
    plan.actions_changed_at = timezone.now()
    ImprovementPlan.objects.filter(pk=plan.pk).update(actions_changed_at=plan.actions_changed_at)


def plan_sign_off(*, plan: ImprovementPlan, user) -> ImprovementPlan:
    """One of the partner's portal users agrees to the plan. Signing again is refused unless
    the actions changed since the last sign-off."""
    if portal_partner_id(user) != plan.partner_id:
        raise PermissionDenied("Only the partner's own users sign its plan off.")
    if plan.signed_off_at and not changed_after_sign_off(plan):
        raise ValidationError(
            f"Already signed off by {plan.signed_off_by} on {plan.signed_off_at:%Y-%m-%d}."
        )
    if not plan.actions.exists():
        raise ValidationError("The plan has no actions yet: nothing to sign off.")
    plan.signed_off_at, plan.signed_off_by = timezone.now(), user
    plan.save(update_fields=["signed_off_at", "signed_off_by"])
    return plan


def changed_after_sign_off(plan: ImprovementPlan) -> bool:
    return bool(
        plan.signed_off_at
        and plan.actions_changed_at
        and plan.actions_changed_at > plan.signed_off_at
    )


# -- selectors ----------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def progress_counts(today: dt.date | None = None) -> dict:
    """Count annotations of a plan queryset: done, total (not dropped) and overdue actions."""
    overdue = Q(actions__due_on__lt=_today(today)) & ~Q(actions__status__in=CLOSED_STATUSES)
    return {
        "total": Count("actions", filter=~Q(actions__status=ActionStatus.DROPPED)),
        "done": Count("actions", filter=Q(actions__status=ActionStatus.DONE)),
        "overdue": Count("actions", filter=overdue),
    }


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def plan_progress(plan: ImprovementPlan, today: dt.date | None = None) -> Progress:
    row = ImprovementPlan.objects.filter(pk=plan.pk).aggregate(**progress_counts(today))
    return Progress(row["done"], row["total"], row["overdue"])


def is_overdue(action: PlanAction, today: dt.date | None = None) -> bool:
    return action.due_on < _today(today) and action.status not in CLOSED_STATUSES


@dataclass(frozen=True)
class PlanFilters:
    overdue: bool = False
    unsigned: bool = False
    period: str = ""
    partner: str = ""


def plans_list(*, user, filters: PlanFilters, today: dt.date | None = None) -> QuerySet:
    """The plans of the partners the user sees, with their roll-up, filtered."""
    qs = (
        ImprovementPlan.objects.filter(partner__in=visible_partners(user))
        .select_related("partner", "period", "signed_off_by")
        .annotate(**progress_counts(today))
        .order_by("-period__end", "partner__code")
    )
    if filters.overdue:
        qs = qs.filter(**{"overdue__gt": 0})  # the annotation of progress_counts
    if filters.unsigned:
        qs = qs.filter(signed_off_at__isnull=True)
    if filters.period:
        qs = qs.filter(period__code=filters.period)
    if filters.partner:
        qs = qs.filter(partner__code=filters.partner.strip())
    return qs


def portfolio_progress(*, user, filters: PlanFilters, today: dt.date | None = None) -> dict:
    """Across the listed plans: plans, signed, actions done / total, overdue (one query)."""
    base = plans_list(user=user, filters=filters, today=today)
    actions = PlanAction.objects.filter(plan__in=base.values("pk"))
    row = actions.aggregate(
        total=Count("pk", filter=~Q(status=ActionStatus.DROPPED)),
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        overdue=Count("pk", filter=Q(due_on__lt=_today(today)) & ~Q(status__in=CLOSED_STATUSES)),
    )
    row["plans"] = base.count()
    row["unsigned"] = base.filter(signed_off_at__isnull=True).count()
    return row


def plan_of(partner: Partner, period: Period) -> ImprovementPlan | None:
    return (
        ImprovementPlan.objects.filter(partner=partner, period=period)
        .select_related("signed_off_by", "created_by", "period")
        .first()
    )


def plan_for_user(user, pk: int, *, partner: Partner | None = None) -> ImprovementPlan:
    qs = ImprovementPlan.objects.filter(partner__in=visible_partners(user)).select_related(
        "partner", "period"
    )
    if partner is not None:
        qs = qs.filter(partner=partner)
    plan = qs.filter(pk=pk).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


def action_for_user(user, pk: int, *, partner: Partner | None = None) -> PlanAction:
    qs = PlanAction.objects.filter(plan__partner__in=visible_partners(user)).select_related(
        "plan__partner", "plan__period", "kpi", "owner"
    )
    if partner is not None:
        qs = qs.filter(plan__partner=partner)
    action = qs.filter(pk=pk).first()
    if action is None:
        raise Http404("No such action.")
    return action


def plan_actions(plan: ImprovementPlan) -> list[PlanAction]:
    return list(plan.actions.select_related("kpi", "owner"))
