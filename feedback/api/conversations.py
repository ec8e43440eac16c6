"""API of feedback threads, meetings and improvement plans: the pages' services and selectors
behind small views, so the same rules and the same access apply. Objects of partners the
caller does not see are 404s; a refused write is a 403 or a 400 naming the problem."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from feedback import conversations as conv
from feedback import plans
from feedback.models import (
    FeedbackReply,
    FeedbackThread,
    FeedbackTopic,
    ImprovementPlan,
    Meeting,
    MeetingKind,
    PlanAction,
)
from kpis.models import KPI, Period
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


def _page(request: Request, view, qs, serializer):
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
        return _page(request, self, qs, ThreadSerializer)

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
        return _page(request, self, qs, MeetingSerializer)

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


# -- plans --------------------------------------------------------------------------------------


class ActionSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=plans.get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    kpi = serializers.SlugRelatedField(
        slug_field="code", queryset=KPI.objects.all(), required=False, allow_null=True
    )
    overdue = serializers.SerializerMethodField()
    status = serializers.CharField(required=False, help_text="open, in_progress, done or dropped.")

    class Meta:
        model = PlanAction
        fields = [
            "id",
            "title",
            "description",
            "owner",
            "due_on",
            "status",
            "kpi",
            "aim_value",
            "baseline_value",
            "done_at",
            "overdue",
        ]
        read_only_fields = ["baseline_value", "done_at"]

    def get_overdue(self, action: PlanAction) -> bool:
        return plans.is_overdue(action)


class PlanSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code", read_only=True)
    period = serializers.CharField(source="period.code", read_only=True)
    signed_off_by = USER
    done = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImprovementPlan
        fields = [
            "id",
            "partner",
            "period",
            "goal",
            "signed_off_at",
            "signed_off_by",
            "actions_changed_at",
            "done",
            "total",
            "overdue",
        ]
        read_only_fields = ["signed_off_at", "actions_changed_at"]


class OutcomeSerializer(serializers.Serializer):
    action = serializers.IntegerField(source="action.pk")
    kpi = serializers.CharField(source="action.kpi.code")
    baseline = serializers.FloatField(allow_null=True)
    now = serializers.FloatField(allow_null=True)
    aim = serializers.FloatField(allow_null=True)
    verdict = serializers.CharField()


class PlanDetailSerializer(PlanSerializer):
    actions = ActionSerializer(many=True, read_only=True)
    outcomes_period = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "actions", "outcomes_period", "outcomes"]

    def _outcomes(self, plan):
        if not hasattr(self, "_cached"):
            self._cached = plans.plan_outcomes(plan)
        return self._cached

    def get_outcomes_period(self, plan) -> str | None:
        found = self._outcomes(plan)
        return found.period.code if found else None

    @extend_schema(responses=OutcomeSerializer(many=True))
    def get_outcomes(self, plan) -> list[dict]:
        found = self._outcomes(plan)
        return OutcomeSerializer(found.rows, many=True).data if found else []


class PlanInput(serializers.Serializer):
    partner = serializers.CharField(help_text="The partner's code.")
    period = serializers.SlugRelatedField(slug_field="code", queryset=Period.objects.all())
    goal = serializers.CharField(required=False, allow_blank=True, default="")
    prefill = serializers.BooleanField(
        default=True, help_text='One action per KPI of "what it takes" (SCORING.md 9).'
    )


class GoalInput(serializers.Serializer):
    goal = serializers.CharField(allow_blank=True)


def _plan_with_progress(user, pk: int) -> ImprovementPlan:
    """The plan with its roll-up annotated (done, total, overdue), as the list has it."""
    plan = plans.plans_list(user=user, filters=plans.PlanFilters()).filter(pk=pk).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


class PlanList(ApiView):
    permission_classes = [Participants]

    @extend_schema(operation_id="plans_list", responses=paginated(PlanSerializer, "Plan"))
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = plans.PlanFilters(
            overdue=params.get("overdue") in ("1", "true"),
            unsigned=params.get("unsigned") in ("1", "true"),
            period=params.get("period", ""),
            partner=params.get("partner_code", ""),
        )
        qs = plans.plans_list(user=request.user, filters=filters)
        return _page(request, self, qs, PlanSerializer)

    @extend_schema(request=PlanInput, responses={201: PlanDetailSerializer})
    def post(self, request: Request) -> Response:
        data = PlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        partner = partner_for_user(request.user, fields.pop("partner"))
        plan = plans.plan_create(partner=partner, user=request.user, **fields)
        return Response(PlanDetailSerializer(_plan_with_progress(request.user, plan.pk)).data, 201)


class PlanDetail(ApiView):
    permission_classes = [Participants]

    @extend_schema(responses=PlanDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PlanDetailSerializer(_plan_with_progress(request.user, pk)).data)

    @extend_schema(request=GoalInput, responses=PlanDetailSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        plan = plans.plan_for_user(request.user, pk)
        data = GoalInput(data=request.data)
        data.is_valid(raise_exception=True)
        plans.plan_update(plan=plan, user=request.user, **data.validated_data)
        return Response(PlanDetailSerializer(_plan_with_progress(request.user, pk)).data)


class PlanSignOff(ApiView):
    permission_classes = [Participants]

    @extend_schema(request=None, responses=PlanDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        plans.plan_sign_off(plan=plans.plan_for_user(request.user, pk), user=request.user)
        return Response(PlanDetailSerializer(_plan_with_progress(request.user, pk)).data)


class PlanActions(ApiView):
    permission_classes = [Participants]

    @extend_schema(request=ActionSerializer, responses={201: ActionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        plan = plans.plan_for_user(request.user, pk)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = plans.action_add(plan=plan, user=request.user, **data.validated_data)
        return Response(ActionSerializer(action).data, status=201)


class ActionDetail(ApiView):
    permission_classes = [Participants]

    @extend_schema(responses=ActionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActionSerializer(plans.action_for_user(request.user, pk)).data)

    @extend_schema(request=ActionSerializer, responses=ActionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        """A manager changes anything; a partner user the status of an action they own."""
        action = plans.action_for_user(request.user, pk)
        data = ActionSerializer(action, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        action = plans.action_update(action=action, user=request.user, **data.validated_data)
        return Response(ActionSerializer(action).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        plans.action_delete(action=plans.action_for_user(request.user, pk), user=request.user)
        return Response(status=204)
