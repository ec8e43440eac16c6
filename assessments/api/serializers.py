from django.core.validators import RegexValidator
from django.urls import reverse
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from assessments.models import RecomputeRun, Scorecard, ScorecardLine, TierChange
from kpis.models import Period
from partners.models import code_validator

PERIOD_CODE = RegexValidator(
    code_validator.regex, "Use letters, digits, '_', '-' or '.' (the code is part of URLs)."
)


class PeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Period
        fields = ["id", "code", "start", "end", "granularity", "status", "closed_at"]
        read_only_fields = ["status", "closed_at"]
        extra_kwargs = {
            "code": {"validators": [PERIOD_CODE, UniqueValidator(Period.objects.all())]}
        }

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and start > end:
            raise serializers.ValidationError({"end": "A period ends on or after its start."})
        return attrs


class ScorecardLineSerializer(serializers.ModelSerializer):
    kpi = serializers.CharField(source="kpi.code", read_only=True)
    kpi_name = serializers.CharField(source="kpi.name", read_only=True)

    class Meta:
        model = ScorecardLine
        fields = [
            "kpi",
            "kpi_name",
            "weight",
            "floor",
            "target",
            "stretch",
            "value",
            "n_values",
            "score",
            "status",
            "overridden",
            "flags",
            "last_observed_on",
        ]
        read_only_fields = fields


def _code(source: str, help_text: str = "", null: bool = False) -> serializers.CharField:
    return serializers.CharField(
        source=source, read_only=True, allow_null=null, help_text=help_text
    )


class ScorecardSerializer(serializers.ModelSerializer):
    """`url` is the address to keep: ids change whenever a recompute rewrites the period."""

    period = _code("period.code")
    partner = _code("partner.code")
    partner_name = _code("partner.name")
    partner_type = _code("partner_type.code", "The peer group, as computed.")
    region = _code("partner.region.code", "The partner's region now.", null=True)
    manager = _code("partner.manager.username", "The partner's channel manager now.", null=True)
    model = _code("model_version.model.code", "The scoring model computed with.")
    model_version = serializers.IntegerField(source="model_version.number", read_only=True)
    lines = ScorecardLineSerializer(source="api_lines", many=True, read_only=True)
    official_tier = _code(
        "partner.official_tier.tier",
        "The partner's official tier now (SCORING.md 15): the computed tier of its latest open "
        "period, or under a model that needs approval the last approved one. Null before its "
        "first tier.",
        null=True,
    )
    url = serializers.SerializerMethodField(
        help_text="The scorecard's stable address: partner and period codes."
    )

    class Meta:
        model = Scorecard
        fields = [
            "url",
            "period",
            "partner",
            "partner_name",
            "partner_type",
            "region",
            "manager",
            "model",
            "model_version",
            "score",
            "coverage",
            "status",
            "tier",
            "tier_min_score",
            "earned_tier",
            "grace_used",
            "falls_to",
            "falls_in",
            "official_tier",
            "rank",
            "peer_count",
            "percentile",
            "previous_score",
            "trend",
            "previous_tier",
            "tier_change",
            "projected_score",
            "projected_tier",
            "projected_drop",
            "red_key_lines",
            "flagged_lines",
            "computed_at",
            "lines",
        ]
        read_only_fields = fields

    def get_url(self, card: Scorecard) -> str:
        path = reverse(
            "api:scorecard-detail",
            kwargs={"partner": card.partner.code, "period": card.period.code},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class RecomputeRunSerializer(serializers.ModelSerializer):
    period = _code("period.code")
    partner = _code("partner.code", "Set for a one-partner recompute.", null=True)
    duration = serializers.FloatField(read_only=True, allow_null=True, help_text="Seconds.")

    class Meta:
        model = RecomputeRun
        fields = [
            "id",
            "period",
            "partner",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "duration",
            "scorecards",
            "lines",
            "metric_values",
            "error",
        ]


class TierChangeSerializer(serializers.ModelSerializer):
    period = _code("period.code")
    partner = _code("partner.code")
    partner_name = _code("partner.name")

    class Meta:
        model = TierChange
        fields = [
            "id",
            "period",
            "partner",
            "partner_name",
            "from_tier",
            "to_tier",
            "direction",
            "detected_at",
        ]


# -- what-if (SCORING.md 16) --------------------------------------------------------------------


class WhatIfQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Id of a draft or active model version.")
    period = serializers.CharField(
        required=False, help_text="Code of an open period; default: the latest open period."
    )
    weights = serializers.CharField(
        required=False,
        help_text="Weight edits as code:weight, comma-separated (revenue:40,nps:20).",
    )

    def validate_weights(self, text: str) -> dict[str, str]:
        """'revenue:40,nps:20' -> {'revenue': '40', 'nps': '20'}; the engine checks the codes
        and numbers against the version's lines."""
        weights: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            code, colon, weight = part.partition(":")
            if not colon or not code.strip() or not weight.strip():
                raise serializers.ValidationError(
                    f"'{part}' is not code:weight (for instance revenue:40)."
                )
            if code.strip() in weights:
                raise serializers.ValidationError(f"'{code.strip()}' is given twice.")
            weights[code.strip()] = weight.strip()
        return weights


class WhatIfPartnerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    partner_type = serializers.CharField()
    old_score = serializers.FloatField(allow_null=True)
    old_status = serializers.CharField(help_text="'' when the partner has no scorecard today.")
    old_tier = serializers.CharField(help_text="'' for no tier.")
    old_rank = serializers.IntegerField(allow_null=True)
    old_percentile = serializers.FloatField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    status = serializers.CharField(help_text="'' when the version would not score the partner.")
    tier = serializers.CharField(help_text="'' for no tier.")
    rank = serializers.IntegerField(allow_null=True)
    peer_count = serializers.IntegerField(allow_null=True)
    percentile = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    move = serializers.CharField(help_text="up, down, same, gained, lost or ''.")


class WhatIfSummarySerializer(serializers.Serializer):
    partners = serializers.IntegerField()
    changed = serializers.IntegerField()
    ups = serializers.IntegerField()
    downs = serializers.IntegerField()
    same_tier = serializers.IntegerField()
    gained = serializers.IntegerField()
    lost = serializers.IntegerField()
    to_insufficient = serializers.IntegerField()
    to_no_data = serializers.IntegerField()
    mean_change = serializers.FloatField(allow_null=True)


class WhatIfCellSerializer(serializers.Serializer):
    from_tier = serializers.CharField()
    to_tier = serializers.CharField()
    count = serializers.IntegerField()
    partners = serializers.ListField(child=serializers.CharField(), help_text="Partner codes.")


class WhatIfSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    version_label = serializers.CharField()
    period = serializers.CharField()
    weight_changes = serializers.DictField(child=serializers.FloatField())
    stale = serializers.BooleanField(
        help_text="Inputs changed since the current scorecards were computed."
    )
    computed_at = serializers.DateTimeField()
    summary = WhatIfSummarySerializer()
    matrix = WhatIfCellSerializer(many=True)
    winners = serializers.ListField(child=serializers.CharField(), help_text="Partner codes.")
    losers = serializers.ListField(child=serializers.CharField(), help_text="Partner codes.")
    falling = serializers.ListField(child=serializers.CharField(), help_text="Partner codes.")
    partners = WhatIfPartnerSerializer(many=True)
