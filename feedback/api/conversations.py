"""API of feedback threads, meetings and improvement plans: the pages' services and selectors
behind small views, so the same rules and the same access apply. Objects of partners the
caller does not see are 404s; a refused write is a 403 or a 400 naming the problem."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from feedback import conversations as conv
from feedback.models import (
    FeedbackReply,
    FeedbackThread,
    FeedbackTopic,
    Meeting,
    MeetingKind,
)
from kpis.models import Period
from partners.access import partner_for_user
from partners.api.permissions import RolePermission
from partnerscore.api import ApiPagination, ApiView

USER = serializers.SlugRelatedField(slug_field="username", read_only=True)


class Participants(RolePermission):
    """Every role reads and writes; the services decide what each may do to which object."""

    write = RolePermission.read


class ReplySerializer(serializers.ModelSerializer):
    author = USER

    class Meta:
        model = FeedbackReply
        fields = ["id", "author", "body", "created_at"]


class ThreadSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.SlugRelatedField(slug_field="code", read_only=True)
    created_by = USER
    # plain strings: the enums' names would collide with other "status"/"direction" enums
    direction = serializers.CharField(read_only=True, help_text="to_partner or to_vendor.")
    status = serializers.CharField(read_only=True, help_text="open, acknowledged or resolved.")

    class Meta:
        model = FeedbackThread
        fields = [
            "id",
            "partner",
            "direction",
            "topic",
            "subject",
            "status",
            "period",
            "created_by",
            "created_at",
            "updated_at",
        ]


class ThreadDetailSerializer(ThreadSerializer):
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "replies"]


class ThreadInput(serializers.Serializer):
    partner = serializers.CharField(help_text="The partner's code.")
    topic = serializers.ChoiceField(choices=FeedbackTopic.choices, default=FeedbackTopic.OTHER)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField()
    period = serializers.SlugRelatedField(
        slug_field="code", queryset=Period.objects.all(), required=False, allow_null=True
    )


class BodyInput(serializers.Serializer):
    body = serializers.CharField()


class StatusInput(serializers.Serializer):
    status = serializers.CharField(help_text="open (reopen), acknowledged or resolved.")


def paginated(serializer, name: str):
    """The schema of a page of ApiPagination (count, next, previous, results)."""
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


def page_response(request: Request, view, qs, serializer):
    paginator = ApiPagination()
    rows = paginator.paginate_queryset(qs, request, view=view)
    return paginator.get_paginated_response(serializer(rows, many=True).data)


class ThreadList(ApiView):
    permission_classes = [Participants]

    @extend_schema(operation_id="threads_list", responses=paginated(ThreadSerializer, "Thread"))
    def get(self, request: Request) -> Response:
        filters = conv.ThreadFilters(
            **{k: request.query_params.get(k, "") for k in ("status", "direction", "topic")},
            partner=request.query_params.get("partner_code", ""),
        )
        qs = conv.threads_filter(conv.threads_visible(request.user), filters)
        return page_response(request, self, qs, ThreadSerializer)

    @extend_schema(request=ThreadInput, responses={201: ThreadDetailSerializer})
    def post(self, request: Request) -> Response:
        data = ThreadInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        partner = partner_for_user(request.user, fields.pop("partner"))
        thread = conv.thread_start(partner=partner, user=request.user, **fields)
        return Response(ThreadDetailSerializer(thread).data, status=201)


class ThreadDetail(ApiView):
    permission_classes = [Participants]

    @extend_schema(responses=ThreadDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ThreadDetailSerializer(conv.thread_for_user(request.user, pk)).data)


class ThreadReply(ApiView):
    permission_classes = [Participants]

    @extend_schema(request=BodyInput, responses={201: ReplySerializer})
    def post(self, request: Request, pk: int) -> Response:
        thread = conv.thread_for_user(request.user, pk)
        data = BodyInput(data=request.data)
        data.is_valid(raise_exception=True)
        reply = conv.thread_reply(thread=thread, user=request.user, **data.validated_data)
        return Response(ReplySerializer(reply).data, status=201)


class ThreadStatus(ApiView):
    permission_classes = [Participants]

    @extend_schema(request=StatusInput, responses=ThreadSerializer)
    def post(self, request: Request, pk: int) -> Response:
        thread = conv.thread_for_user(request.user, pk)
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        thread = conv.thread_status_set(thread=thread, user=request.user, **data.validated_data)
        return Response(ThreadSerializer(thread).data)


# -- meetings -----------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True)
    period = serializers.SlugRelatedField(slug_field="code", queryset=Period.objects.all())
    kind = serializers.ChoiceField(choices=MeetingKind.choices, default=MeetingKind.QBR)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "partner",
            "period",
            "assessment",
            "kind",
            "held_on",
            "attendees",
            "notes",
            "decisions",
            "created_at",
        ]
        read_only_fields = ["assessment", "created_at"]


class MeetingInput(MeetingSerializer):
    partner = serializers.CharField(help_text="The partner's code.")


class MeetingList(ApiView):
    permission_classes = [Participants]

    @extend_schema(operation_id="meetings_list", responses=paginated(MeetingSerializer, "Meeting"))
    def get(self, request: Request) -> Response:
        qs = Meeting.objects.filter(partner__in=conv.visible_partners(request.user)).select_related(
            "partner", "period"
        )
        if code := request.query_params.get("partner_code"):
            qs = qs.filter(partner__code=code)
        return page_response(request, self, qs, MeetingSerializer)

    @extend_schema(request=MeetingInput, responses={201: MeetingSerializer})
    def post(self, request: Request) -> Response:
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        partner = partner_for_user(request.user, fields.pop("partner"))
        meeting = conv.meeting_save(partner=partner, user=request.user, **fields)
        return Response(MeetingSerializer(meeting).data, status=201)


class MeetingDetail(ApiView):
    permission_classes = [Participants]

    @extend_schema(responses=MeetingSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(MeetingSerializer(conv.meeting_for_user(request.user, pk)).data)

    @extend_schema(request=MeetingSerializer, responses=MeetingSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        meeting = conv.meeting_for_user(request.user, pk)
        data = MeetingSerializer(meeting, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        current = {f: getattr(meeting, f) for f in ("period", "held_on", "kind")}
        current |= {f: getattr(meeting, f) for f in ("attendees", "notes", "decisions")}
        meeting = conv.meeting_save(
            partner=meeting.partner,
            user=request.user,
            meeting=meeting,
            **(current | dict(data.validated_data)),
        )
        return Response(MeetingSerializer(meeting).data)
