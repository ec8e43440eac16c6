"""API serializers of surveys. Writes go through feedback's survey services."""

from rest_framework import serializers

from feedback.models import (
    Answer,
    Question,
    Survey,
    SurveyLink,
    SurveyRequest,
    SurveyResponse,
)
from feedback.survey_links import link_state


class QuestionSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    options = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "position", "text", "kind", "options", "required", "kpi"]

    def get_options(self, question: Question) -> list[str]:
        return question.choice_list()


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "audience",
            "intro",
            "is_active",
            "one_response_per_link",
            "link_valid_days",
            "questions",
        ]


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["question", "value", "text"]


class SurveyResponseSerializer(serializers.ModelSerializer):
    """A response. `respondent` (a username) is shown to managers only: partner users see
    their partner's responses without who answered."""

    partner = serializers.CharField(source="partner.code", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    respondent = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "partner",
            "answered_on",
            "submitted_at",
            "channel",
            "respondent",
            "answers",
        ]

    def get_respondent(self, response: SurveyResponse) -> str | None:
        if not self.context.get("show_respondents") or response.respondent is None:
            return None
        return response.respondent.get_username()


class SurveyAnswersSerializer(serializers.Serializer):
    """answers: {question id: value (a number, an option, a text)}."""

    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, allow_null=True))

    def validate_answers(self, value: dict) -> dict[int, str | None]:
        try:
            return {int(k): v for k, v in value.items()}
        except ValueError:
            raise serializers.ValidationError("Key the answers by question id.") from None


class SurveyResponseCreateSerializer(SurveyAnswersSerializer):
    """A manager records a response for a partner they see."""

    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all(), required=False)
    partner = serializers.CharField(required=False)
    answered_on = serializers.DateField(required=False)


class SurveyRequestSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True)
    period = serializers.CharField(source="period.code", read_only=True)

    class Meta:
        model = SurveyRequest
        fields = ["id", "survey", "period", "partner", "created_at", "answered_at"]


class SurveyLinkSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    state = serializers.SerializerMethodField()

    class Meta:
        model = SurveyLink
        fields = [
            "id",
            "survey",
            "partner",
            "label",
            "created_at",
            "expires_at",
            "revoked_at",
            "state",
        ]
        read_only_fields = ["created_at", "expires_at", "revoked_at"]

    def get_state(self, link: SurveyLink) -> str:
        return link_state(link)


class SurveyLinkCreatedSerializer(SurveyLinkSerializer):
    """The new link with its address: the token is in it, shown this once only."""

    url = serializers.SerializerMethodField()

    class Meta(SurveyLinkSerializer.Meta):
        fields = [*SurveyLinkSerializer.Meta.fields, "url"]

    def get_url(self, link: SurveyLink) -> str:
        return self.context["url"]
