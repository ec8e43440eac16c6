"""Forms of the feedback threads, meetings and plans pages: they parse and type the input;
the rules are the services' (feedback.conversations, feedback.plans)."""

from typing import cast

from django import forms
from django.contrib.auth import get_user_model

from feedback.models import ActionStatus, FeedbackTopic, Meeting, MeetingKind
from kpis.models import KPI, Period

DATE = forms.DateInput(attrs={"type": "date"})


class ThreadForm(forms.Form):
    topic = forms.ChoiceField(choices=FeedbackTopic.choices, initial=FeedbackTopic.OTHER)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 5}))


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 4}))


class MeetingForm(forms.ModelForm):
    period = forms.ModelChoiceField(queryset=Period.objects.order_by("-end"), to_field_name="code")
    kind = forms.ChoiceField(choices=MeetingKind.choices)

    class Meta:
        model = Meeting
        fields = ["period", "kind", "held_on", "attendees", "notes", "decisions"]
        widgets = {
            "held_on": DATE,
            "attendees": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }


class PlanForm(forms.Form):
    goal = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    prefill = forms.BooleanField(
        required=False, initial=True, label='Start with the KPIs of "what it takes"'
    )


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    kpi = forms.ModelChoiceField(
        queryset=KPI.objects.order_by("name"), required=False, to_field_name="code"
    )
    aim_value = forms.FloatField(
        required=False, help_text="Empty: what it takes (SCORING.md 9), when the KPI has one."
    )
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, to_field_name="username"
    )
    due_on = forms.DateField(widget=DATE)
    status = forms.ChoiceField(choices=ActionStatus.choices, initial=ActionStatus.OPEN)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, owners, kpis=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = get_user_model().objects.filter(pk__in=[u.pk for u in owners])
        if kpis is not None:
            kpi = cast(forms.ModelChoiceField, self.fields["kpi"])
            kpi.queryset = KPI.objects.filter(pk__in=kpis).order_by("name")


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
