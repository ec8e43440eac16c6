from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history import register

from kpis.models import Period
from partnerscore.audit import AuditRecords


class ScorecardStatus(models.TextChoices):
    OK = "ok", "OK"
    INSUFFICIENT = "insufficient_data", "Insufficient data"
    NO_DATA = "no_data", "No data"


class LineStatus(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    GREY = "grey", "Grey (no data)"


class Scorecard(models.Model):
    """One partner in one period. Written only by the recompute service, in bulk (COPY), so
    its references are checked by that service and Django, not by per-row database triggers."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="scorecards", db_constraint=False
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="scorecards",
        db_constraint=False,
    )
    partner_type = models.ForeignKey(
        "partners.PartnerType",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        help_text="The peer group, as it was when computed.",
    )
    model_version = models.ForeignKey(
        "kpis.ScoringModelVersion",
        on_delete=models.PROTECT,
        related_name="scorecards",
        db_constraint=False,
    )
    score = models.FloatField(null=True)
    coverage = models.FloatField()
    status = models.CharField(max_length=17, choices=ScorecardStatus)
    tier = models.CharField(max_length=60, blank=True)
    tier_min_score = models.FloatField(
        null=True, help_text="The tier's threshold: compares tiers across versions (up/down)."
    )
    # SCORING.md 14: `tier` is the assigned tier; the earned one may be lower while a demotion
    # waits out the model's grace. Then the card is at risk: it falls to `falls_to` in
    # `falls_in` periods (1 = the next) unless it earns its tier back.
    earned_tier = models.CharField(
        max_length=60,
        blank=True,
        db_default="",
        help_text="The tier the score and the tier requirements earn (SCORING.md 14).",
    )
    grace_used = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="Periods in a row the tier was held on grace."
    )
    falls_to = models.CharField(
        max_length=60,
        blank=True,
        db_default="",
        help_text="At risk: the tier the partner falls to unless it earns its tier back.",
    )
    falls_in = models.PositiveSmallIntegerField(
        null=True, help_text="At risk: in how many periods it falls (1 = the next period)."
    )
    rank = models.PositiveIntegerField(null=True)
    peer_count = models.PositiveIntegerField(null=True)
    percentile = models.FloatField(null=True)
    previous_score = models.FloatField(null=True)
    trend = models.FloatField(null=True)
    previous_tier = models.CharField(max_length=60, blank=True)
    tier_change = models.CharField(
        max_length=4, blank=True, db_default="", help_text="up, down or empty (SCORING.md 6)."
    )
    # Early warning (SCORING.md section 10), stored by the recompute.
    projected_score = models.FloatField(null=True)
    projected_tier = models.CharField(max_length=60, blank=True, db_default="")
    projected_drop = models.BooleanField(default=False, db_default=False)
    # At risk, besides a projected drop: red lines carrying a large share of the weight, and
    # lines with data-quality flags (SCORING.md section 11) when the recompute ran.
    red_key_lines = models.PositiveSmallIntegerField(default=0, db_default=0)
    flagged_lines = models.PositiveSmallIntegerField(default=0, db_default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "partner"], name="unique_scorecard"),
        ]
        indexes = [
            models.Index(fields=["period", "partner_type", "score"], name="scorecard_peer_idx"),
            models.Index(fields=["period", "score"], name="scorecard_period_score_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}@{self.period_id}: {self.score}"

    @property
    def at_risk_of_demotion(self) -> bool:
        """Holding a tier it no longer earns, on demotion grace (SCORING.md 14)."""
        return bool(self.falls_to)


class ScorecardLine(models.Model):
    """One KPI of one scorecard, with the thresholds and weight it was computed with.

    The table is LIST-partitioned by period (see migration 0001): a recompute builds a fresh
    partition and swaps it in, so a period's lines are replaced atomically without dead rows.
    Hence no foreign-key constraints: the scorecard (period, partner) owns its lines."""

    pk = models.CompositePrimaryKey("period_id", "partner_id", "kpi_id")
    period = models.ForeignKey(
        Period, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kpi = models.ForeignKey(
        "kpis.KPI", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    weight = models.FloatField()
    floor = models.FloatField()
    target = models.FloatField()
    stretch = models.FloatField(null=True)
    value = models.FloatField(null=True)
    n_values = models.IntegerField(help_text="How many metric values made the period value.")
    score = models.FloatField(null=True)
    status = models.CharField(max_length=5, choices=LineStatus)
    overridden = models.BooleanField(default=False)
    flags = models.CharField(
        max_length=40,
        blank=True,
        db_default="",
        help_text="Data-quality flags (SCORING.md 11), comma-separated: gap, stale, outlier.",
    )
    last_observed_on = models.DateField(
        null=True, help_text="The latest observation in the period: what 'stale' is judged on."
    )

    class Meta:
        managed = True


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class RecomputeRun(models.Model):
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="runs")
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set for an incremental recompute of one partner.",
    )
    trigger = models.CharField(max_length=40)
    status = models.CharField(max_length=9, choices=RunStatus, default=RunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    scorecards = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    metric_values = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["period", "-started_at"], name="run_period_idx")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.trigger} {self.status}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class TierChange(models.Model):
    """A scorecard's tier differs from the previous period's: what alerts and dashboards use."""

    class Direction(models.TextChoices):
        UP = "up", "Up"
        DOWN = "down", "Down"

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="tier_changes", db_constraint=False
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="tier_changes",
        db_constraint=False,
    )
    from_tier = models.CharField(max_length=60)
    to_tier = models.CharField(max_length=60)
    direction = models.CharField(max_length=4, choices=Direction)
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(fields=["period", "partner"], name="unique_tier_change"),
        ]


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn (the computed tier moved before a decision)"


class TierProposal(models.Model):
    """SCORING.md 15: under a model that needs approval, a computed tier that differs from the
    partner's official tier is proposed; a manager approves or rejects it with a reason.
    Written by the recompute (pending, withdrawn) and assessments.approvals (decisions)."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="tier_proposals"
    )
    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        related_name="tier_proposals",
        help_text="The period whose computed tier is proposed.",
    )
    from_tier = models.CharField(max_length=60, help_text="The official tier when proposed.")
    to_tier = models.CharField(max_length=60, help_text="The computed (assigned) tier.")
    from_min_score = models.FloatField(null=True, help_text="The official tier's threshold.")
    to_min_score = models.FloatField(help_text="The computed tier's threshold.")
    status = models.CharField(max_length=9, choices=ProposalStatus, default=ProposalStatus.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status="pending"),
                name="one_pending_proposal_per_partner",
                violation_error_message="A partner has at most one pending tier proposal.",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="proposal_queue_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.from_tier} -> {self.to_tier} ({self.status})"

    @property
    def direction(self) -> str:
        """up or down, by the tiers' thresholds (section 6); '' when the official tier's is
        unknown."""
        if self.from_min_score is None:
            return ""
        return "up" if self.to_min_score > self.from_min_score else "down"


class OfficialTier(models.Model):
    """SCORING.md 15: the tier the portal shows as the partner's and benefits use. Without
    approval it follows the computed tier of the partner's latest open period; with approval
    it changes only when a manager approves a proposal."""

    partner = models.OneToOneField(
        "partners.Partner", on_delete=models.CASCADE, related_name="official_tier"
    )
    tier = models.CharField(max_length=60)
    tier_min_score = models.FloatField(
        null=True, help_text="The tier's threshold: a renamed tier (same threshold) stays official."
    )
    since_period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", help_text="Official since."
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when it followed the computed tier without approval.",
    )
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField()
    rejected_tier = models.CharField(
        max_length=60,
        blank=True,
        db_default="",
        help_text="A computed tier a manager rejected: not proposed again until the computed "
        "tier changes.",
    )

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.tier}"


# Tier approvals are audited (who decided, when, the reason). The recompute's own set-based
# writes (new proposals, withdrawals, an official tier that follows the computed tier without
# approval) are not changes by a person and bypass the record, like every COPY.
for audited in (TierProposal, OfficialTier):
    register(audited, records_class=AuditRecords)
