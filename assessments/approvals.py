"""The official tier and approval of tier changes (SCORING.md 15).

The recompute keeps each partner's official tier in step with the computed (assigned) tier of
the partner's latest open period: directly when its model does not ask for approval, through a
pending `TierProposal` when it does (`official_tiers_reconcile`, set-based SQL inside the
recompute's transaction). Managers decide proposals with `proposal_approve` and
`proposal_reject`; `proposals_for` is the queue a page lists.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import OfficialTier, ProposalStatus, Scorecard, TierProposal
from kpis import scoring
from kpis.models import Period, PeriodStatus, ScoringModelVersion
from partners.access import is_manager, visible_partners

CARDS = Scorecard._meta.db_table
OFFICIAL = OfficialTier._meta.db_table
PROPOSALS = TierProposal._meta.db_table
VERSIONS = ScoringModelVersion._meta.db_table
SCALE = float(10**scoring.COMPARE_DECIMALS)  # thresholds compared at 9 decimals, as in scoring
CANDIDATES = "official_tier_candidates"
MAX_REASON = 2000


def official_tiers_reconcile(*, period: Period, partner_id: int | None, now) -> None:
    """After period's scorecards are written: for each partner whose latest open period with
    a tier is this one, bring the official tier in line with its computed tier (section 15).

    Without approval the official tier is the computed tier. With approval: a partner seen for
    the first time starts from its previous period's tier (else this one); a computed tier
    equal to the official one (or the same threshold under a new name: a renamed tier) needs
    nothing and withdraws a pending proposal; any other computed tier is proposed, unless a
    manager rejected exactly that tier and it has not changed since. Idempotent."""
    _candidates(period, partner_id)
    params = {"period": period.pk, "now": now, "scale": SCALE, "previous": _previous_id(period)}
    with connection.cursor() as cursor:
        for statement in RECONCILE:
            cursor.execute(statement, params)
        cursor.execute(f"DROP TABLE {CANDIDATES}")


def _previous_id(period: Period) -> int | None:
    previous = period.previous()
    return previous.pk if previous is not None else None


def _candidates(period: Period, partner_id: int | None) -> None:
    """The period's scorecards with a tier whose partner has no tier in a later open period
    (that later period's tier is the one that counts)."""
    later = list(
        Period.objects.filter(status=PeriodStatus.OPEN, end__gt=period.end).values_list(
            "pk", flat=True
        )
    )
    sql = f"""
        CREATE TEMP TABLE {CANDIDATES} ON COMMIT DROP AS
        SELECT s.partner_id, s.tier, s.tier_min_score, s.previous_tier,
               v.tier_changes_need_approval AS approval
        FROM {CARDS} s JOIN {VERSIONS} v ON v.id = s.model_version_id
        WHERE s.period_id = %s AND s.tier <> ''
    """
    params: list = [period.pk]
    if partner_id is not None:
        sql += " AND s.partner_id = %s"
        params.append(partner_id)
    if later:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {CARDS} l WHERE l.partner_id = s.partner_id"
            " AND l.period_id = ANY(%s) AND l.tier <> '')"
        )
        params.append(later)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(sql, params)


# the same tier: the same name, or the same threshold under a new name (a renamed tier)
SAME_TIER = (
    "(o.tier = EXCLUDED.tier OR "
    "round(o.tier_min_score * %(scale)s) = round(EXCLUDED.tier_min_score * %(scale)s))"
)
WITHDRAW = f"""
    UPDATE {PROPOSALS} p SET status = '{ProposalStatus.WITHDRAWN}', decided_at = %(now)s
    FROM {CANDIDATES} c {{join}}
    WHERE p.partner_id = c.partner_id AND p.status = '{ProposalStatus.PENDING}' AND {{where}}
"""
RECONCILE = [
    # -- without approval: the official tier is the computed tier; nothing is pending --------
    f"""
    INSERT INTO {OFFICIAL} AS o (partner_id, tier, tier_min_score, since_period_id,
                                 approved_by_id, reason, changed_at, rejected_tier)
    SELECT partner_id, tier, tier_min_score, %(period)s, NULL, '', %(now)s, ''
    FROM {CANDIDATES} WHERE NOT approval
    ON CONFLICT (partner_id) DO UPDATE SET
        tier = EXCLUDED.tier,
        tier_min_score = EXCLUDED.tier_min_score,
        since_period_id = CASE WHEN {SAME_TIER} THEN o.since_period_id
                               ELSE EXCLUDED.since_period_id END,
        approved_by_id = CASE WHEN {SAME_TIER} THEN o.approved_by_id END,
        reason = CASE WHEN {SAME_TIER} THEN o.reason ELSE '' END,
        changed_at = CASE WHEN {SAME_TIER} THEN o.changed_at ELSE EXCLUDED.changed_at END,
        rejected_tier = ''
    WHERE o.tier <> EXCLUDED.tier OR o.rejected_tier <> ''
       OR o.tier_min_score IS DISTINCT FROM EXCLUDED.tier_min_score
    """,
    WITHDRAW.format(join="", where="NOT c.approval"),
    # -- with approval ----------------------------------------------------------------------
    # first sight: the tier the partner held in the previous period, else this one
    f"""
    INSERT INTO {OFFICIAL} (partner_id, tier, tier_min_score, since_period_id, approved_by_id,
                            reason, changed_at, rejected_tier)
    SELECT c.partner_id,
           CASE WHEN prev.tier <> '' THEN prev.tier ELSE c.tier END,
           CASE WHEN prev.tier <> '' THEN prev.tier_min_score ELSE c.tier_min_score END,
           CASE WHEN prev.tier <> '' THEN prev.period_id ELSE %(period)s END,
           NULL, '', %(now)s, ''
    FROM {CANDIDATES} c
    LEFT JOIN {CARDS} prev ON prev.partner_id = c.partner_id AND prev.period_id = %(previous)s
    WHERE c.approval
    ON CONFLICT (partner_id) DO NOTHING
    """,
    # the same tier under a new name or a moved threshold (a new version) stays official
    f"""
    UPDATE {OFFICIAL} o SET tier = c.tier, tier_min_score = c.tier_min_score
    FROM {CANDIDATES} c
    WHERE c.approval AND o.partner_id = c.partner_id
      AND {SAME_TIER.replace("EXCLUDED", "c")}
      AND (o.tier <> c.tier OR o.tier_min_score IS DISTINCT FROM c.tier_min_score)
    """,
    # back at the official tier: nothing to decide any more
    WITHDRAW.format(
        join=f"JOIN {OFFICIAL} o ON o.partner_id = c.partner_id",
        where="c.approval AND o.tier = c.tier",
    ),
    # the computed tier changed since a rejection: the rejection no longer holds it back
    f"""
    UPDATE {OFFICIAL} o SET rejected_tier = ''
    FROM {CANDIDATES} c
    WHERE c.approval AND o.partner_id = c.partner_id AND o.rejected_tier <> ''
      AND o.rejected_tier <> c.tier
    """,
    # a pending proposal for another change is out of date
    WITHDRAW.format(
        join=f"JOIN {OFFICIAL} o ON o.partner_id = c.partner_id",
        where="c.approval AND o.tier <> c.tier AND (p.from_tier, p.to_tier) <> (o.tier, c.tier)",
    ),
    f"""
    INSERT INTO {PROPOSALS} (partner_id, period_id, from_tier, to_tier, from_min_score,
                             to_min_score, status, created_at, reason)
    SELECT c.partner_id, %(period)s, o.tier, c.tier, o.tier_min_score, c.tier_min_score,
           '{ProposalStatus.PENDING}', %(now)s, ''
    FROM {CANDIDATES} c JOIN {OFFICIAL} o ON o.partner_id = c.partner_id
    WHERE c.approval AND o.tier <> c.tier AND o.rejected_tier <> c.tier
      AND NOT EXISTS (SELECT 1 FROM {PROPOSALS} p
                      WHERE p.partner_id = c.partner_id AND p.status = '{ProposalStatus.PENDING}')
    ORDER BY c.partner_id
    """,
]


# -- decisions ----------------------------------------------------------------------------------


def _decidable(*, proposal: TierProposal, user, reason: str) -> tuple[TierProposal, str]:
    """The proposal, locked, if this user may decide it now with this reason."""
    if not is_manager(user):
        raise PermissionDenied("Only channel managers and admins decide tier proposals.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason: the partner's tier and benefits change."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters."})
    locked = TierProposal.objects.select_for_update().select_related("partner").get(pk=proposal.pk)
    if not visible_partners(user).filter(pk=locked.partner_id).exists():
        raise PermissionDenied("This partner is not one you may see.")
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError(
            f"This proposal ({locked.from_tier} -> {locked.to_tier} for {locked.partner.code}) "
            f"is already {locked.get_status_display().lower()}: nothing to decide."
        )
    return locked, reason


@transaction.atomic
def proposal_approve(*, proposal: TierProposal, user, reason: str) -> TierProposal:
    """Approve: the partner's official tier becomes the proposed tier, since the proposal's
    period, with the approver and the reason."""
    proposal, reason = _decidable(proposal=proposal, user=user, reason=reason)
    official = OfficialTier.objects.select_for_update().get(partner_id=proposal.partner_id)
    now = timezone.now()
    official.tier, official.tier_min_score = proposal.to_tier, proposal.to_min_score
    official.since_period_id = proposal.period_id
    official.approved_by, official.reason, official.changed_at = user, reason, now
    official.rejected_tier = ""
    official._history_user = user  # type: ignore[attr-defined]  # the audit trail's "who"
    official.save()
    return _decided(proposal, ProposalStatus.APPROVED, user, reason, now)


@transaction.atomic
def proposal_reject(*, proposal: TierProposal, user, reason: str) -> TierProposal:
    """Reject: the official tier stays; the computed tier is not proposed again until it
    changes."""
    proposal, reason = _decidable(proposal=proposal, user=user, reason=reason)
    official = OfficialTier.objects.select_for_update().get(partner_id=proposal.partner_id)
    official.rejected_tier = proposal.to_tier
    official._history_user = user  # type: ignore[attr-defined]
    official.save(update_fields=["rejected_tier"])
    return _decided(proposal, ProposalStatus.REJECTED, user, reason, timezone.now())


def _decided(proposal: TierProposal, status: str, user, reason: str, now) -> TierProposal:
    proposal.status, proposal.decided_by, proposal.decided_at = status, user, now
    proposal.reason = reason
    proposal._history_user = user  # type: ignore[attr-defined]
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return proposal


# -- reads --------------------------------------------------------------------------------------


def proposals_for(*, user, status: str | None = ProposalStatus.PENDING) -> QuerySet[TierProposal]:
    """The proposals of the partners the user may see (the queue: pending, oldest first, then
    by partner code)."""
    proposals = TierProposal.objects.filter(partner__in=visible_partners(user)).select_related(
        "partner", "period", "decided_by"
    )
    if status is not None:
        proposals = proposals.filter(status=status)
    return proposals.order_by("created_at", "partner__code", "id")


def official_tier_of(*, partner) -> str:
    """The partner's official tier ('' before its first tier)."""
    return OfficialTier.objects.filter(partner=partner).values_list("tier", flat=True).first() or ""
