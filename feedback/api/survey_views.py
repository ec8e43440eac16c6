"""API views of surveys: surveys (read), responses (list, create through the one service),
customer links (managers: list, create, revoke)."""

from typing import cast

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from feedback.api.survey_serializers import (
    SurveyAnswersSerializer,
    SurveyLinkCreatedSerializer,
    SurveyLinkSerializer,
    SurveyRequestSerializer,
    SurveyResponseCreateSerializer,
    SurveyResponseSerializer,
    SurveySerializer,
)
from feedback.models import ResponseChannel, Survey, SurveyLink, SurveyRequest, SurveyResponse
from feedback.survey_links import survey_link_create, survey_link_revoke
from feedback.survey_services import request_answer_day, survey_response_record
from partners.access import Role, is_manager, partner_for_user, portal_partner_id, visible_partners
from partners.api.permissions import AdminWrites, RolePermission
from partnerscore.api import ApiListViewSet, ApiReadOnlyViewSet, ApiViewSetMixin

ID_REGEX = r"[0-9]+"


class EveryoneWrites(RolePermission):
    """Survey requests: partner users answer their own (the view decides which)."""

    write = frozenset({Role.ADMIN, Role.MANAGER, Role.PARTNER})


class ManagersOnly(RolePermission):
    read = frozenset({Role.ADMIN, Role.MANAGER})
    write = frozenset({Role.ADMIN, Role.MANAGER})


class SurveyViewSet(ApiReadOnlyViewSet):
    """Surveys and their questions (configured in the admin)."""

    serializer_class = SurveySerializer
    permission_classes = [AdminWrites]
    lookup_value_regex = ID_REGEX
    queryset = Survey.objects.prefetch_related("questions__kpi")


class ManagersWrite(RolePermission):
    write = frozenset({Role.ADMIN, Role.MANAGER})


class SurveyResponseViewSet(
    ApiViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Responses of the partners you may see, newest first (partner users: their partner's,
    without who answered). Managers POST one (e.g. from another tool) through the same checks
    as every other channel; partner users answer their requests (survey-requests)."""

    serializer_class = SurveyResponseSerializer
    permission_classes = [ManagersWrite]

    def get_queryset(self):
        return (
            SurveyResponse.objects.filter(partner__in=visible_partners(self.request.user))
            .select_related("partner", "respondent")
            .prefetch_related("answers")
            .order_by("-answered_on", "-pk")
        )

    def get_serializer_context(self):
        return super().get_serializer_context() | {
            "show_respondents": is_manager(self.request.user)
        }

    @extend_schema(
        request=SurveyResponseCreateSerializer, responses={201: SurveyResponseSerializer}
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = SurveyResponseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        missing = [f for f in ("survey", "partner", "answered_on") if f not in given]
        if missing:
            raise ValidationError({f: ["This field is required."] for f in missing})
        response = survey_response_record(
            survey=given["survey"],
            partner=partner_for_user(request.user, given["partner"]),
            answered_on=given["answered_on"],
            answers=given["answers"],
            channel=ResponseChannel.IMPORT,
        )
        body = SurveyResponseSerializer(response, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class SurveyRequestViewSet(ApiListViewSet):
    """Relationship survey requests: a partner user's own (answer one with POST .../answer/),
    a manager's of the partners they see."""

    serializer_class = SurveyRequestSerializer
    permission_classes = [EveryoneWrites]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        asked = SurveyRequest.objects.select_related("survey", "period", "partner")
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema pass
            return asked.none()
        if is_manager(self.request.user):
            return asked.filter(partner__in=visible_partners(self.request.user))
        return asked.filter(user=self.request.user, partner_id=portal_partner_id(self.request.user))

    @extend_schema(request=SurveyAnswersSerializer, responses={201: SurveyResponseSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        """Only the user asked answers (anyone else: 404), once."""
        asked = get_object_or_404(
            SurveyRequest.objects.select_related("survey", "period", "partner"),
            pk=pk,
            user=cast(User, request.user),
            partner_id=portal_partner_id(request.user),
        )
        data = SurveyAnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = survey_response_record(
            survey=asked.survey,
            partner=asked.partner,
            answered_on=request_answer_day(asked),
            answers=data.validated_data["answers"],
            channel=ResponseChannel.PORTAL,
            survey_request=asked,
            respondent=cast(User, request.user),
        )
        body = SurveyResponseSerializer(response, context={"show_respondents": False}).data
        return Response(body, status=status.HTTP_201_CREATED)


class SurveyLinkViewSet(
    ApiViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Customer survey links of the partners you see (managers). A new link's `url` carries
    its token: it is answered this once, never again."""

    serializer_class = SurveyLinkSerializer
    permission_classes = [ManagersOnly]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return SurveyLink.objects.filter(
            partner__in=visible_partners(self.request.user)
        ).select_related("partner", "survey")

    @extend_schema(responses={201: SurveyLinkCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        given = SurveyLinkSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        partner = partner_for_user(request.user, given.validated_data["partner"]["code"])
        link, token = survey_link_create(
            survey=given.validated_data["survey"],
            partner=partner,
            created_by=cast(User, request.user),
            label=given.validated_data.get("label", ""),
        )
        url = request.build_absolute_uri(reverse("survey-public", args=[token]))
        body = SurveyLinkCreatedSerializer(link, context={"url": url}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SurveyLinkSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        link = get_object_or_404(self.get_queryset(), pk=pk)
        survey_link_revoke(link=link)
        link.refresh_from_db()
        return Response(SurveyLinkSerializer(link).data)
