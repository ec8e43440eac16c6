"""The answer form (portal and public link): one field per question, named q<question id>.
The form only collects; survey_services checks every answer (one rule, one place) and its
errors, keyed q<id>, land on their fields."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from feedback.models import SCALE_BOUNDS, Question, QuestionKind, Survey

SCALE_10_ENDS = ("Not at all likely", "Extremely likely")
SCALE_5_ENDS = ("Very poor", "Excellent")


class AnswerChoiceField(forms.ChoiceField):
    """Radio buttons whose value the service checks (its message names the question)."""

    def valid_value(self, value: str) -> bool:
        return True


def _field(question: Question) -> forms.Field:
    kind = QuestionKind(question.kind)
    common: dict[str, Any] = {"label": question.text, "required": False}
    if kind in SCALE_BOUNDS:
        low, high = SCALE_BOUNDS[kind]
        choices = [(str(n), str(n)) for n in range(low, high + 1)]
        return AnswerChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == QuestionKind.CHOICE:
        options = [(o, o) for o in question.choice_list()]
        return AnswerChoiceField(choices=options, widget=forms.RadioSelect, **common)
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}), max_length=4000, **common
    )


class AnswerForm(forms.Form):
    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(survey.questions.all())
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _field(question)

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}", "") for q in self.questions}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Puts the service's refusal on the fields it names (the rest above the form)."""
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        for key, messages in exc.message_dict.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)

    def rows(self) -> list[dict]:
        """What the template lays out, question by question."""
        out = []
        for question in self.questions:
            bound = self[f"q{question.pk}"]
            ends = {QuestionKind.SCALE_10: SCALE_10_ENDS, QuestionKind.SCALE_5: SCALE_5_ENDS}
            out.append(
                {
                    "question": question,
                    "field": bound,
                    "ends": ends.get(QuestionKind(question.kind)),
                    "scale": question.kind in SCALE_BOUNDS,
                }
            )
        return out


class LinkForm(forms.Form):
    survey = forms.ModelChoiceField(queryset=Survey.objects.none(), empty_label=None)
    label = forms.CharField(max_length=200, required=False, help_text="e.g. the customer's name")

    def __init__(self, *args, surveys, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys


class ImportForm(forms.Form):
    survey = forms.ModelChoiceField(queryset=Survey.objects.filter(is_active=True))
    file = forms.FileField(
        help_text="CSV, UTF-8: partner_code, answered_on, then a column per "
        "question (its number or its text)."
    )
