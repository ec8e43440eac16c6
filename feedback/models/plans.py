"""Improvement plans: per partner and period, actions with an owner, a due date and a linked
KPI with the value the action aims at (pre-filled from "what it takes", SCORING.md 9). The
partner signs the plan off."""

from django.conf import settings
from django.db import models


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ImprovementPlan(models.Model):
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="improvement_plans"
    )
    period = models.ForeignKey("kpis.Period", on_delete=models.PROTECT, related_name="+")
    goal = models.TextField(blank=True, help_text="What the plan is for, in a sentence or two.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # set when an action is added, changed (other than its status) or removed: a change after
    # the sign-off is allowed and shown
    actions_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period__end", "partner__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period"],
                name="one_plan_per_partner_period",
                violation_error_message="This partner already has a plan for this period.",
            )
        ]

    def __str__(self) -> str:
        return f"Plan {self.partner_id} {self.period_id}"


class PlanAction(models.Model):
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
        help_text="A manager of the partner or one of the partner's portal users.",
    )
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus, default=ActionStatus.OPEN)
    kpi = models.ForeignKey(
        "kpis.KPI", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    aim_value = models.FloatField(
        null=True, blank=True, help_text="The KPI value the action aims at."
    )
    baseline_value = models.FloatField(
        null=True, blank=True, help_text="The KPI's period value when the action was agreed."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="action_status_due")]

    def __str__(self) -> str:
        return self.title
