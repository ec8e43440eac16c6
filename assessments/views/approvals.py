"""The approval queue of tier changes (SCORING.md 15) for channel managers: pending proposals
with the KPIs that moved, approve or reject with a reason (assessments.approvals decides);
decided proposals below. Partner users get a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments.approvals import proposal_approve, proposal_reject, proposals_for
from assessments.models import ProposalStatus, Scorecard, ScorecardLine, TierProposal
from kpis.models import ScoringModelVersion, VersionStatus
from partners.access import is_manager

DECIDED_SHOWN = 50
MOVED_SHOWN = 3
APPROVALS_IN_USE_KEY = "nav:approvals-in-use"
REFRESH_SECONDS = 3600  # a publish through the API is seen within the hour


def approvals_in_use() -> bool:
    """Whether the nav offers managers the Approvals link: read from the cache only, since
    every page shows the nav and pages keep a query budget. The flag is written by
    `approvals_in_use_refresh` (on publishing from the editor and on the queue page);
    unknown (a cleared cache) shows the link, whose page says when nothing waits."""
    used = cache.get(APPROVALS_IN_USE_KEY)
    return True if used is None else bool(used)


def approvals_in_use_refresh() -> bool:
    """A model's active version asks for approval, or a proposal still waits."""
    used = (
        ScoringModelVersion.objects.filter(
            status=VersionStatus.ACTIVE, tier_changes_need_approval=True
        ).exists()
        or TierProposal.objects.filter(status=ProposalStatus.PENDING).exists()
    )
    cache.set(APPROVALS_IN_USE_KEY, used, timeout=REFRESH_SECONDS)
    return used


def _require_manager(user) -> None:
    if not is_manager(user):
        raise Http404("Tier approvals are for channel managers and admins.")


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    approvals_in_use_refresh()
    pending = list(proposals_for(user=request.user))
    decided = (
        proposals_for(user=request.user, status=None)
        .exclude(status=ProposalStatus.PENDING)
        .order_by("-decided_at", "-id")[:DECIDED_SHOWN]
    )
    moved = _kpis_moved(pending)
    rows = [{"proposal": p, **moved.get(p.pk, {})} for p in pending]
    return render(request, "assessments/approvals.html", {"rows": rows, "decided": list(decided)})


def _kpis_moved(pending: list[TierProposal]) -> dict[int, dict]:
    """Per proposal: the proposed period's scorecard and the KPIs whose line score moved most
    since the previous period ((kpi code, before, after), largest move first)."""
    if not pending:
        return {}
    periods = {p.period_id: p.period for p in pending}
    previous = {pk: period.previous() for pk, period in periods.items()}  # a few periods
    partner_ids = [p.partner_id for p in pending]
    period_ids = set(periods) | {p.pk for p in previous.values() if p is not None}
    cards = {
        (c.partner_id, c.period_id): c
        for c in Scorecard.objects.filter(partner_id__in=partner_ids, period_id__in=set(periods))
    }
    scores: dict[tuple[int, int], dict[str, float | None]] = {}
    lines = ScorecardLine.objects.filter(partner_id__in=partner_ids, period_id__in=period_ids)
    for partner_id, period_id, code, score in lines.values_list(
        "partner_id", "period_id", "kpi__code", "score"
    ):
        scores.setdefault((partner_id, period_id), {})[code] = score
    out = {}
    for p in pending:
        now = scores.get((p.partner_id, p.period_id), {})
        before_period = previous[p.period_id]
        before = scores.get((p.partner_id, before_period.pk), {}) if before_period else {}
        moved = [
            (code, before.get(code), after)
            for code, after in now.items()
            if _moved(before.get(code), after)
        ]
        moved.sort(key=lambda m: (-_size(m[1], m[2]), m[0]))
        out[p.pk] = {"card": cards.get((p.partner_id, p.period_id)), "moved": moved[:MOVED_SHOWN]}
    return out


def _moved(before: float | None, after: float | None) -> bool:
    return (before is None) != (after is None) or _size(before, after) >= 0.05


def _size(before: float | None, after: float | None) -> float:
    if before is None or after is None:
        return 0.0 if before is after else 1000.0  # a KPI that appeared or went missing
    return abs(after - before)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request.user)
    proposal = get_object_or_404(proposals_for(user=request.user, status=None), pk=pk)
    action = request.POST.get("action")
    if action not in ("approve", "reject"):
        messages.error(request, "Choose approve or reject.")
        return redirect("approvals")
    decide_with = proposal_approve if action == "approve" else proposal_reject
    try:
        decide_with(proposal=proposal, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, f"{proposal.partner.code}: {' '.join(exc.messages)}")
    except PermissionDenied as exc:
        raise Http404(str(exc)) from None
    else:
        verb = "approved" if action == "approve" else "rejected"
        messages.success(
            request,
            f"{proposal.partner.code}: {proposal.from_tier or 'no tier'} -> {proposal.to_tier} "
            f"{verb}.",
        )
    return redirect("approvals")
