"""Forms shared by the Django admin and our configuration pages."""

from django import forms

from kpis.models import KPI


class KPIForm(forms.ModelForm):
    """The formula rule (syntax, unknown codes, cycles) is KPI.clean(): full_clean runs it."""

    class Meta:
        model = KPI
        fields = [
            "code",
            "name",
            "category",
            "unit",
            "direction",
            "source",
            "aggregation",
            "formula",
            "stale_after_days",
            "description",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stale_after_days"].required = False  # left empty: the model's default

    def clean_stale_after_days(self) -> int:
        value = self.cleaned_data.get("stale_after_days")
        if value is None:
            return KPI._meta.get_field("stale_after_days").get_default()
        return value
