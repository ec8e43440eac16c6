"""Admin of feedback's surveys: a survey with its questions inline. The rules of a question
(which kinds feed a KPI, which KPI, NPS needs 0-10) live in `question_check`, also called by
the model's form here; responses are read-only (they are recorded by the services)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from feedback.models import (
    NUMERIC_KINDS,
    Answer,
    Question,
    QuestionKind,
    Survey,
    SurveyLink,
    SurveyRequest,
    SurveyResponse,
)
from kpis.models import KPI
from kpis.models.measures import Aggregation, Source


def question_check(*, kind: str, choices: str, kpi: KPI | None) -> None:
    """A question's rules, with a message naming the problem (ValidationError by field)."""
    options = [line.strip() for line in (choices or "").splitlines() if line.strip()]
    if kind == QuestionKind.CHOICE and len(options) < 2:
        raise ValidationError(
            {"choices": "A single-choice question needs at least two options, one per line."}
        )
    if kind != QuestionKind.CHOICE and options:
        raise ValidationError({"choices": "Only a single-choice question has options."})
    if kpi is None:
        return
    if kind not in NUMERIC_KINDS:
        raise ValidationError(
            {
                "kpi": "Only a 0-10 or 1-5 question can feed a KPI: a "
                f"{QuestionKind(kind).label.lower()} question cannot."
            }
        )
    if kpi.source != Source.SURVEY:
        raise ValidationError(
            {
                "kpi": f"KPI {kpi.code} has source “{kpi.source}”: only KPIs "
                "with source “survey” take survey answers."
            }
        )
    if kpi.aggregation == Aggregation.NPS and kind != QuestionKind.SCALE_10:
        raise ValidationError(
            {"kpi": f"KPI {kpi.code} is an NPS: it takes a 0-10 question, not a 1-5 one."}
        )


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["position", "text", "kind", "choices", "required", "kpi"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3, "cols": 30})}

    def clean(self):
        data = super().clean()
        if data.get("kind"):
            question_check(kind=data["kind"], choices=data.get("choices", ""), kpi=data.get("kpi"))
        self._answered_check(data)
        return data

    def _answered_check(self, data: dict) -> None:
        """Answers already given keep their meaning: they are observations of the KPI the
        question feeds, some perhaps in closed periods (SCORING.md 7), so an answered
        question's kind and KPI are fixed; a new question can take another."""
        if not self.instance.pk:
            return
        changed = [f for f in ("kind", "kpi") if f in self.changed_data]
        answers = Answer.objects.filter(question=self.instance).count() if changed else 0
        if answers:
            raise ValidationError(
                f"This question has {answers} answer(s): its {' and '.join(changed)} cannot "
                "change (the answers are KPI values already). Add a new question instead."
            )


class QuestionInline(admin.TabularInline):
    model = Question
    form = QuestionForm
    extra = 1
    ordering = ["position", "pk"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "audience", "is_active", "one_response_per_link", "link_valid_days"]
    list_filter = ["audience", "is_active"]
    search_fields = ["name"]
    inlines = [QuestionInline]


@admin.register(SurveyLink)
class SurveyLinkAdmin(admin.ModelAdmin):
    list_display = ["survey", "partner", "label", "created_at", "expires_at", "revoked_at"]
    list_filter = ["survey"]
    search_fields = ["partner__code", "label"]
    list_select_related = ["survey", "partner"]
    raw_id_fields = ["partner", "created_by"]
    readonly_fields = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False  # a link's token is made (and shown once) on the partner's survey page


@admin.register(SurveyRequest)
class SurveyRequestAdmin(admin.ModelAdmin):
    list_display = ["survey", "period", "partner", "user", "created_at", "answered_at"]
    list_filter = ["survey", "period"]
    search_fields = ["partner__code", "user__username"]
    list_select_related = ["survey", "period", "partner", "user"]
    raw_id_fields = ["partner", "user"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["question", "value", "text"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Read-only: a response is recorded by the services (closed periods, recomputes)."""

    list_display = ["survey", "partner", "answered_on", "channel", "submitted_at"]
    list_filter = ["survey", "channel"]
    search_fields = ["partner__code"]
    list_select_related = ["survey", "partner"]
    inlines = [AnswerInline]
    date_hierarchy = "answered_on"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
