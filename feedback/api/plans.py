"""API of improvement plans: plans (with their roll-up and whether their KPIs moved), their
actions and the sign-off, through feedback.plans' services and selectors (the pages' rules)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from feedback import plan_outcomes, plans
from feedback.api.conversations import USER, Participants, page_response, paginated
from feedback.models import ImprovementPlan, PlanAction
from kpis.models import KPI, Period
from partners.access import partner_for_user
from partnerscore.api import ApiView


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
            self._cached = plan_outcomes.plan_outcomes(plan)
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
        return page_response(request, self, qs, PlanSerializer)

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
