"""The access walk (issue 11): every URL pattern of the project, requested as partner A's user
with partner B's ids and codes (and as a channel manager who does not manage B), must answer
404 (403 for the API, a redirect to the sign-in where the route is not for that user) and carry
none of B's data; writes (POST, and PATCH/DELETE on the API) change nothing.

The walk reads `get_resolver().url_patterns` recursively: a route missing from `ROUTES` (or,
under the admin, a model missing from `ADMIN_OBJECTS`) fails the walk with its name, so a new
route cannot be added without saying who may open it and which of B's ids it takes.

B's data is searched for by B's name and code in every body (HTML, CSV, JSON; .xlsx files are
zip archives, so they are opened and their sheets' text searched)."""

import copy
import io
import re
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from assessments.models import (
    Assessment,
    AssessmentRating,
    AssessmentStatus,
    AssessmentTransition,
    OfficialTier,
    RecomputeRun,
    Rubric,
    TierProposal,
)
from feedback.models import Alert, AlertKind, NotificationSettings
from kpis.models import KPI, ImportJob
from partners.access import MANAGERS_GROUP, visible_partners
from partners.models import PortalUser, Region
from tests.api.conftest import Scored, scored_build
from tests.world import World, world_build

NOT_YET = "managers see every partner until issue 11's roles land"


class Kind(StrEnum):
    """Who a route is for, which decides what a user without access to B may get back."""

    PUBLIC = "public"  # anyone: sign-in, sign-out, the API schema and docs
    SCOPED = "scoped"  # names one of B's objects in its path: 404 (403 for the API)
    LIST = "list"  # lists or compares partners (B in the query): may answer, without B
    MANAGERS = "managers"  # channel managers' pages: a partner user is refused
    ADMINS = "admins"  # admins only: everyone else is refused
    ADMIN_SITE = "admin site"  # Django's admin: staff only, everyone else to its sign-in


@dataclass(frozen=True)
class Route:
    kind: Kind
    params: dict[str, str] = field(default_factory=dict)  # name -> key of `B` (or a literal)


# Every route of the project (its full pattern, as the resolver spells it). Path parameters
# name a key of the ids of B built by `b_ids`; "=literal" is used as is.
ROUTES: dict[str, Route] = {
    "": Route(Kind.LIST),
    "portfolio/": Route(Kind.LIST),
    "portfolio/migration/": Route(Kind.LIST),
    "portfolio/export.csv": Route(Kind.LIST),
    "portfolio/export.xlsx": Route(Kind.LIST),
    "partners/<str:code>/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/export.csv": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/export.xlsx": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/explain/<str:kpi_code>/": Route(
        Kind.SCOPED, {"code": "code", "kpi_code": "kpi"}
    ),
    "compare/": Route(Kind.LIST),
    # the portal names its partner in the query (?partner=CODE, for managers): B's code is there
    "portal/": Route(Kind.SCOPED),
    "portal/method/": Route(Kind.SCOPED),
    "config/whatif/": Route(Kind.MANAGERS),
    "config/models/": Route(Kind.ADMINS),
    "config/models/<slug:model>/draft/": Route(Kind.ADMINS, {"model": "model"}),
    "config/models/<slug:model>/versions/<int:pk>/": Route(
        Kind.ADMINS, {"model": "model", "pk": "version"}
    ),
    "config/models/<slug:model>/versions/<int:pk>/validate/": Route(
        Kind.ADMINS, {"model": "model", "pk": "version"}
    ),
    "config/models/<slug:model>/versions/<int:pk>/publish/": Route(
        Kind.ADMINS, {"model": "model", "pk": "version"}
    ),
    "config/kpis/": Route(Kind.ADMINS),
    "config/kpis/new/": Route(Kind.ADMINS),
    "config/kpis/check/": Route(Kind.ADMINS),
    "config/kpis/<str:code>/": Route(Kind.ADMINS, {"code": "kpi"}),
    "config/schedule/": Route(Kind.ADMINS),
    "config/schedule/<int:pk>/": Route(Kind.ADMINS, {"pk": "task"}),
    "approvals/": Route(Kind.MANAGERS),
    "approvals/<int:pk>/decide/": Route(Kind.SCOPED, {"pk": "proposal"}),
    "imports/": Route(Kind.MANAGERS),
    "imports/<int:pk>/": Route(Kind.SCOPED, {"pk": "job"}),
    "imports/<int:pk>/status/": Route(Kind.SCOPED, {"pk": "job"}),
    "imports/<int:pk>/confirm/": Route(Kind.SCOPED, {"pk": "job"}),
    "config/periods/": Route(Kind.ADMINS),
    "config/periods/add/": Route(Kind.ADMINS),
    "config/periods/<str:code>/<str:action>/": Route(
        Kind.ADMINS, {"code": "period", "action": "=close"}
    ),
    "history/<str:app_label>/<str:model_name>/<str:pk>/": Route(
        Kind.ADMINS, {"app_label": "=partners", "model_name": "=partner", "pk": "id"}
    ),
    "partners/<str:code>/invite/": Route(Kind.SCOPED, {"code": "code"}),
    # one's own account, about no partner (an invitation's token is its only key)
    "invitations/<str:token>/": Route(Kind.PUBLIC, {"token": "=not-a-token"}),
    "password/change/": Route(Kind.PUBLIC),
    "password/change/done/": Route(Kind.PUBLIC),
    "password/reset/": Route(Kind.PUBLIC),
    "password/reset/sent/": Route(Kind.PUBLIC),
    "password/reset/<uidb64>/<token>/": Route(
        Kind.PUBLIC, {"uidb64": "=MQ", "token": "=set-password"}
    ),
    "password/reset/done/": Route(Kind.PUBLIC),
    "login/": Route(Kind.PUBLIC),
    "logout/": Route(Kind.PUBLIC),
    "admin/login/": Route(Kind.PUBLIC),
    "admin/logout/": Route(Kind.PUBLIC),
    "admin/jsi18n/": Route(Kind.PUBLIC),
    "api/docs/": Route(Kind.PUBLIC),
    "api/v1/auth/token/": Route(Kind.PUBLIC),
    "api/v1/schema/": Route(Kind.PUBLIC),
    "api/v1/partners/bulk/": Route(Kind.ADMINS),
    "api/v1/^partner-types/$": Route(Kind.LIST),
    "api/v1/^partner-types/(?P<code>[-a-zA-Z0-9_]+)/$": Route(Kind.LIST, {"code": "type"}),
    "api/v1/^regions/$": Route(Kind.LIST),
    "api/v1/^regions/(?P<code>[-a-zA-Z0-9_]+)/$": Route(Kind.LIST, {"code": "region"}),
    "api/v1/^partners/$": Route(Kind.LIST),
    "api/v1/^partners/(?P<code>[A-Za-z0-9][A-Za-z0-9_.\\-]*)/$": Route(
        Kind.SCOPED, {"code": "code"}
    ),
    "api/v1/metric-values/bulk/": Route(Kind.MANAGERS),
    "api/v1/^kpis/$": Route(Kind.LIST),
    "api/v1/^kpis/(?P<code>[a-z][a-z0-9_]*)/$": Route(Kind.LIST, {"code": "kpi"}),
    "api/v1/^scoring-models/$": Route(Kind.LIST),
    "api/v1/^scoring-models/(?P<code>[-a-zA-Z0-9_]+)/$": Route(Kind.LIST, {"code": "model"}),
    "api/v1/^scoring-models/(?P<code>[-a-zA-Z0-9_]+)/versions/$": Route(
        Kind.ADMINS, {"code": "model"}
    ),
    "api/v1/^scoring-versions/$": Route(Kind.LIST),
    "api/v1/^scoring-versions/(?P<pk>[0-9]+)/$": Route(Kind.LIST, {"pk": "version"}),
    "api/v1/^scoring-versions/(?P<pk>[0-9]+)/publish/$": Route(Kind.ADMINS, {"pk": "version"}),
    "api/v1/^target-overrides/$": Route(Kind.LIST),
    "api/v1/^target-overrides/(?P<pk>[0-9]+)/$": Route(Kind.SCOPED, {"pk": "override"}),
    "api/v1/^metric-values/$": Route(Kind.LIST),
    "api/v1/^metric-values/(?P<pk>[0-9]+)/$": Route(Kind.SCOPED, {"pk": "value"}),
    "api/v1/scorecards/<str:partner>/<str:period>/": Route(
        Kind.SCOPED, {"partner": "code", "period": "period"}
    ),
    "api/v1/whatif/": Route(Kind.MANAGERS),
    "api/v1/^periods/$": Route(Kind.LIST),
    "api/v1/^periods/(?P<code>[A-Za-z0-9][A-Za-z0-9_.\\-]*)/$": Route(
        Kind.LIST, {"code": "period"}
    ),
    "api/v1/^periods/(?P<code>[A-Za-z0-9][A-Za-z0-9_.\\-]*)/close/$": Route(
        Kind.ADMINS, {"code": "period"}
    ),
    "api/v1/^periods/(?P<code>[A-Za-z0-9][A-Za-z0-9_.\\-]*)/reopen/$": Route(
        Kind.ADMINS, {"code": "period"}
    ),
    "api/v1/^scorecards/$": Route(Kind.LIST),
    "api/v1/^recompute-runs/$": Route(Kind.LIST),
    "api/v1/^recompute-runs/(?P<pk>[0-9]+)/$": Route(Kind.SCOPED, {"pk": "run"}),
    "api/v1/^tier-changes/$": Route(Kind.LIST),
    "api/v1/^tier-changes/(?P<pk>[0-9]+)/$": Route(Kind.SCOPED, {"pk": "tierchange"}),
    # -- alerts (issue 12): each user's own; B's user's alert is 404 to everyone else. Pages
    # write only one's own alerts and settings (a partner user is sent back to the list).
    "alerts/": Route(Kind.LIST),
    "alerts/settings/": Route(Kind.LIST),
    "alerts/read-all/": Route(Kind.LIST),
    "alerts/<int:pk>/": Route(Kind.SCOPED, {"pk": "alert"}),
    "api/v1/alerts/": Route(Kind.LIST),
    "api/v1/alerts/settings/": Route(Kind.LIST),  # GET and PUT: the walk's writes are 405
    # marks one's own alerts read (a write a partner user may make): its isolation is tested
    # in tests/feedback/test_alerts_pages.py
    "api/v1/alerts/read-all/": Route(Kind.PUBLIC),
    "api/v1/alerts/<int:pk>/read/": Route(Kind.SCOPED, {"pk": "alert"}),
    # -- end of alerts
    # -- lane plans: feedback threads, meetings, improvement plans (issue 12) --
    "feedback/": Route(Kind.MANAGERS),
    "feedback/<int:pk>/": Route(Kind.SCOPED, {"pk": "thread"}),
    "partners/<str:code>/feedback/new/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/meetings/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/meetings/<int:pk>/": Route(Kind.SCOPED, {"code": "code", "pk": "meeting"}),
    "partners/<str:code>/plan/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/plan/actions/<int:action_pk>/": Route(
        Kind.SCOPED, {"code": "code", "action_pk": "action"}
    ),
    "plans/": Route(Kind.MANAGERS),
    "portal/feedback/": Route(Kind.SCOPED),
    "portal/feedback/<int:pk>/": Route(Kind.SCOPED, {"pk": "thread"}),
    "portal/plan/": Route(Kind.SCOPED),
    "portal/meetings/": Route(Kind.SCOPED),
    "api/v1/threads/": Route(Kind.LIST),
    "api/v1/threads/<int:pk>/": Route(Kind.SCOPED, {"pk": "thread"}),
    "api/v1/threads/<int:pk>/replies/": Route(Kind.SCOPED, {"pk": "thread"}),
    "api/v1/threads/<int:pk>/status/": Route(Kind.SCOPED, {"pk": "thread"}),
    "api/v1/meetings/": Route(Kind.LIST),
    "api/v1/meetings/<int:pk>/": Route(Kind.SCOPED, {"pk": "meeting"}),
    "api/v1/plans/": Route(Kind.LIST),
    "api/v1/plans/<int:pk>/": Route(Kind.SCOPED, {"pk": "plan"}),
    "api/v1/plans/<int:pk>/actions/": Route(Kind.SCOPED, {"pk": "plan"}),
    "api/v1/plans/<int:pk>/sign-off/": Route(Kind.SCOPED, {"pk": "plan"}),
    "api/v1/plan-actions/<int:pk>/": Route(Kind.SCOPED, {"pk": "action"}),
    # -- end of lane plans --
    # -- reviews lane (issue 12): quarterly assessments
    "portal/assessments/": Route(Kind.SCOPED),  # names its partner in the query, like portal/
    "assessments/": Route(Kind.MANAGERS),
    "partners/<str:code>/assessment/": Route(Kind.SCOPED, {"code": "code"}),
    "api/v1/^assessments/$": Route(Kind.LIST),
    "api/v1/^assessments/(?P<pk>[0-9]+)/$": Route(Kind.SCOPED, {"pk": "assessment"}),
    "api/v1/^assessments/(?P<pk>[0-9]+)/acknowledge/$": Route(Kind.SCOPED, {"pk": "assessment"}),
    "api/v1/^assessments/(?P<pk>[0-9]+)/reopen/$": Route(Kind.SCOPED, {"pk": "assessment"}),
    "api/v1/^assessments/(?P<pk>[0-9]+)/share/$": Route(Kind.SCOPED, {"pk": "assessment"}),
    "api/v1/^assessments/(?P<pk>[0-9]+)/submit/$": Route(Kind.SCOPED, {"pk": "assessment"}),
    # -- end of reviews lane
    # --- surveys (issue 12, lane surveys) ---
    "surveys/": Route(Kind.MANAGERS),
    "surveys/import/": Route(Kind.MANAGERS),
    "partners/<str:code>/surveys/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/surveys/links/": Route(Kind.SCOPED, {"code": "code"}),
    "partners/<str:code>/surveys/links/<int:pk>/revoke/": Route(
        Kind.SCOPED, {"code": "code", "pk": "survey_link"}
    ),
    "portal/surveys/": Route(Kind.SCOPED),  # B's code in the query, as the portal's
    "portal/surveys/<int:pk>/": Route(Kind.SCOPED, {"pk": "survey_request"}),
    # a customer's page: no sign-in, its token is its only key (B's is never known)
    "s/<str:token>/": Route(Kind.PUBLIC, {"token": "=not-a-token"}),
    "api/v1/^surveys/$": Route(Kind.LIST),
    "api/v1/^surveys/(?P<pk>[0-9]+)/$": Route(Kind.LIST, {"pk": "survey"}),
    "api/v1/^survey-responses/$": Route(Kind.LIST),
    "api/v1/^survey-requests/$": Route(Kind.LIST),
    "api/v1/^survey-requests/(?P<pk>[0-9]+)/answer/$": Route(Kind.SCOPED, {"pk": "survey_request"}),
    "api/v1/^survey-links/$": Route(Kind.MANAGERS),
    "api/v1/^survey-links/(?P<pk>[0-9]+)/revoke/$": Route(Kind.SCOPED, {"pk": "survey_link"}),
    # --- end surveys ---
}

# The admin's routes (each registered model's list, add, change, delete, history) are walked
# too, with the object id of B's row of that model: every model the admin registers is named
# here with the key of `b_ids` (or "=literal") of its object.
ADMIN_OBJECTS: dict[str, str] = {
    "auth.group": "group",
    "auth.user": "user",
    "authtoken.tokenproxy": "user",
    "django_celery_beat.periodictask": "task",
    "django_celery_beat.clockedschedule": "=1",
    "django_celery_beat.crontabschedule": "=1",
    "django_celery_beat.solarschedule": "=1",
    "django_celery_beat.intervalschedule": "interval",
    "partners.partnertype": "type_id",
    "partners.region": "region_id",
    "partners.partner": "id",
    "partners.portaluser": "portal",
    "partners.managerprofile": "=1",
    "partners.invitation": "=1",
    "partners.accessevent": "=1",
    "kpis.kpi": "kpi_id",
    "kpis.scoringmodel": "model_id",
    "kpis.scoringmodelversion": "version",
    "kpis.tierrequirement": "=1",
    "kpis.targetoverride": "override",
    "kpis.metricvalue": "value",
    "kpis.importprofile": "=1",
    "kpis.importjob": "job",
    "kpis.period": "period_id",
    "assessments.scorecard": "card",
    "assessments.recomputerun": "run",
    "assessments.tierchange": "tierchange",
    "assessments.tierproposal": "proposal",
    "assessments.officialtier": "official",
    "feedback.alert": "alert",  # alerts (issue 12)
    "feedback.notificationsettings": "notification_settings",  # alerts (issue 12)
    # -- reviews lane (issue 12)
    "assessments.rubric": "rubric",
    "assessments.assessment": "assessment",
    # -- end of reviews lane
    "axes.accessattempt": "=1",
    "axes.accesslog": "=1",
    "axes.accessfailurelog": "=1",
    # -- lane plans --
    "feedback.feedbackthread": "thread",
    "feedback.meeting": "meeting",
    "feedback.improvementplan": "plan",
    # -- end of lane plans --
    # --- surveys (issue 12, lane surveys) ---
    "feedback.survey": "survey",
    "feedback.surveylink": "survey_link",
    "feedback.surveyrequest": "survey_request",
    "feedback.surveyresponse": "survey_response",
    # --- end surveys ---
}
ADMIN_SITE_ROUTES = {
    "admin/": {},
    "admin/password_change/": {},
    "admin/password_change/done/": {},
    "admin/autocomplete/": {},
    "admin/r/<path:content_type_id>/<path:object_id>/": {
        "content_type_id": "partner_type_ct",
        "object_id": "id",
    },
    "admin/^(?P<app_label>auth|authtoken|django_celery_beat|partners|kpis|assessments|feedback"
    "|axes)/$": {"app_label": "=partners"},
    "admin/(?P<url>.*)$": {"url": "=partners/partner/GLOBEX/"},
}


def walk(patterns=None, prefix: str = "") -> list[str]:
    """Every route's full pattern, as the resolver nests them."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(prefix + str(pattern.pattern))
    return found


ADMIN_MODEL_ROUTE = re.compile(r"^admin/(\w+)/(\w+)/")


def classify(pattern: str) -> Route | None:
    """The route's entry in the walk's table, or None when it has none (the walk fails)."""
    if pattern in ROUTES:
        return ROUTES[pattern]
    if pattern in ADMIN_SITE_ROUTES:
        return Route(Kind.ADMIN_SITE, ADMIN_SITE_ROUTES[pattern])
    model_route = ADMIN_MODEL_ROUTE.match(pattern)
    if model_route and ".".join(model_route.groups()) in ADMIN_OBJECTS:
        label = ".".join(model_route.groups())
        params = {"object_id": ADMIN_OBJECTS[label], "id": ADMIN_OBJECTS[label]}
        return Route(Kind.ADMIN_SITE, params)
    return None


PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_for(pattern: str, route: Route, b: dict[str, str]) -> str:
    """The route's URL with B's ids for its parameters (a parameter the table does not fill
    fails the walk)."""

    def fill(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in route.params:
            pytest.fail(f"the walk's table gives no value for {name!r} of route {pattern!r}")
        source = route.params[name]
        return source[1:] if source.startswith("=") else b[source]

    return "/" + PARAM.sub(fill, pattern).replace("^", "").replace("$", "")


# ----------------------------------------------------------------------------- B's world


@pytest.fixture(scope="module")
def walk_module(django_db_setup, django_db_blocker):
    """The world with B's scorecards, lines, metric values, overrides, an import job of B's
    manager, a tier proposal, an official tier, a partner recompute run and audit history,
    built once for the module and rolled back when it ends (as tests/api/conftest.py does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_build()
        scored = scored_build(world)
        built = (world, scored, b_ids(world, scored))
        with django_db_blocker.block():
            yield built
        transaction.set_rollback(True)


def b_ids(world: World, scored: Scored) -> dict[str, str]:
    b = world.globex
    b.name = "Globex"  # a change, so that B has an audit trail of more than its creation
    b.save()
    job = ImportJob.objects.create(
        user=world.manager,
        original_name="globex.csv",
        status=ImportJob.Status.PREVIEWED,
        rows_total=1,
        sample=[
            {
                "line": 2,
                "partner_code": b.code,
                "partner_name": b.name,
                "kpi_code": "revenue",
                "kpi_name": "Revenue",
                "observed_on": "2026-08-20",
                "value": 1.0,
                "current_value": None,
            }
        ],
    )
    proposal = TierProposal.objects.create(
        partner=b,
        period=world.q3,
        from_tier="Gold",
        to_tier="Member",
        from_min_score=80,
        to_min_score=0,
        created_at=timezone.now(),
    )
    official = OfficialTier.objects.get(partner=b)  # written by the recompute
    run = RecomputeRun.objects.create(
        period=world.q3, partner=b, trigger="test", started_at=timezone.now()
    )
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    task = PeriodicTask.objects.create(
        name="recompute GLOBEX", task="assessments.tasks.recompute_period", interval=every
    )
    alert = Alert.objects.create(  # alerts (issue 12): B's user's alert, naming B
        user=world.globex_user,
        partner=b,
        period=world.q3,
        kind=AlertKind.SURVEY_DUE,
        key="walk:globex",
        title="Globex: survey waiting for GLOBEX's answer",
        url="/portal/surveys/",
    )
    notification_settings = NotificationSettings.objects.create(user=world.globex_user)
    model = world.version.model
    # -- reviews lane (issue 12): B's assessment, shared (so B's own users could read it)
    rated = KPI.objects.create(code="relationship", name="Relationship", source="assessment")
    rubric = Rubric.objects.create(kpi=rated, level_4="Globex-only rubric text")
    assessment = Assessment.objects.create(
        partner=b,
        period=world.q3,
        assessor=world.manager,
        status=AssessmentStatus.SHARED,
        summary="Globex summary",
    )
    AssessmentRating.objects.create(assessment=assessment, kpi=rated, rating=4, comment="Globex")
    AssessmentTransition.objects.create(
        assessment=assessment, from_status="submitted", to_status="shared", by=world.manager
    )
    own = Assessment.objects.create(  # A's own, shared: its portal tab and API list show it
        partner=world.acme, period=world.q3, status=AssessmentStatus.SHARED
    )
    AssessmentRating.objects.create(assessment=own, kpi=rated, rating=3)
    reviews = {"assessment": str(assessment.pk), "rubric": str(rubric.pk)}
    # -- end of reviews lane
    return (
        plans_lane_ids(world)
        | reviews
        | _surveys_of_b(world)  # surveys (issue 12)
        | {
            "code": b.code,
            "id": str(b.pk),
            "kpi": world.revenue.code,
            "kpi_id": str(world.revenue.pk),
            "period": world.q3.code,
            "period_id": str(world.q3.pk),
            "model": model.code,
            "model_id": str(model.pk),
            "version": str(world.version.pk),
            "type": b.partner_type.code,
            "type_id": str(b.partner_type_id),
            "region": Region.objects.get(partners=b).code,
            "region_id": str(b.region_id),
            "card": str(scored.globex_card.pk),
            "tierchange": str(scored.globex_change.pk),
            "value": str(scored.globex_value.pk),
            "override": str(scored.globex_override.pk),
            "job": str(job.pk),
            "proposal": str(proposal.pk),
            "official": str(official.pk),
            "run": str(run.pk),
            "task": str(task.pk),
            "interval": str(every.pk),
            "alert": str(alert.pk),  # alerts (issue 12)
            "notification_settings": str(notification_settings.pk),
            "user": str(world.globex_user.pk),
            "portal": str(PortalUser.objects.get(user=world.globex_user).pk),
            "group": str(Group.objects.get(name=MANAGERS_GROUP).pk),
            "partner_type_ct": str(
                apps.get_model("contenttypes", "ContentType").objects.get_for_model(b).pk
            ),
        }
    )


def plans_lane_ids(world: World) -> dict[str, str]:
    """Lane plans: B's feedback thread, meeting, improvement plan and one of its actions."""
    from feedback.models import FeedbackReply, FeedbackThread, ImprovementPlan, Meeting, PlanAction

    b = world.globex
    thread = FeedbackThread.objects.create(
        partner=b, direction="to_partner", subject="Globex pipeline", created_by=world.manager
    )
    FeedbackReply.objects.create(thread=thread, author=world.manager, body="Globex: two deals")
    meeting = Meeting.objects.create(
        partner=b, period=world.q3, held_on=world.q3.end, notes="Globex QBR"
    )
    plan = ImprovementPlan.objects.create(partner=b, period=world.q3, goal="Globex to Silver")
    action = PlanAction.objects.create(
        plan=plan, title="Globex action", owner=world.globex_user, due_on=world.q3.end
    )
    return {
        "thread": str(thread.pk),
        "meeting": str(meeting.pk),
        "plan": str(plan.pk),
        "action": str(action.pk),
    }


def _surveys_of_b(world: World) -> dict[str, str]:
    """surveys (issue 12, lane surveys): B's link, its user's request, a response of B's
    whose free text names B."""
    from feedback.models import Answer, Question, Survey, SurveyRequest, SurveyResponse
    from feedback.survey_links import survey_link_create

    survey = Survey.objects.create(name="Customers", audience="customer")
    text = Question.objects.create(survey=survey, text="Comments", kind="text", required=False)
    link, _ = survey_link_create(survey=survey, partner=world.globex, created_by=world.admin)
    asked = SurveyRequest.objects.create(
        survey=survey, period=world.q3, partner=world.globex, user=world.globex_user
    )
    response = SurveyResponse.objects.create(
        survey=survey, partner=world.globex, answered_on=world.q3.start, channel="link", link=link
    )
    Answer.objects.create(response=response, question=text, text="Globex GLOBEX was great")
    return {
        "survey": str(survey.pk),
        "survey_link": str(link.pk),
        "survey_request": str(asked.pk),
        "survey_response": str(response.pk),
    }


@pytest.fixture
def walked(walk_module, db) -> tuple[World, dict[str, str]]:
    world, _, b = copy.deepcopy(walk_module)
    return world, b


@pytest.fixture
def unassigned_manager(walked) -> User:
    """A channel manager who manages neither partner: with issue 11's roles, B is not theirs."""
    world, _ = walked
    user = User.objects.create_user("unassigned", password="unassigned-pass-123")
    user.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    assert world.globex.manager_id != user.pk
    return user


# ----------------------------------------------------------------------------- checks

B_NAME, B_CODE = "Globex", "GLOBEX"
# B's code is in the query of every request (?partner=GLOBEX&q=GLOBEX...), and pages echo
# their own query back: in links that keep the filters (href="...&amp;q=GLOBEX"), in the form
# fields (value="GLOBEX"), in the portfolio's filter chips ("q = GLOBEX") and in the compare
# page's "Unknown partner code: GLOBEX." (said of a code that does not exist too). Those echoes
# are masked before B's code is searched for; B's name is never sent, so it is searched for
# unmasked.
ECHOES = re.compile(r"""(=(&quot;|"|')?|\b\w+ = |Unknown partner codes?: ([\w-]+, )*)GLOBEX\b""")


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an .xlsx: its sheets and shared strings are XML in a zip
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(
                book.read(name).decode() for name in book.namelist() if name.endswith(".xml")
            )
    return content.decode(errors="replace")


def assert_no_b_data(response, what: str) -> None:
    text = body_text(response)
    location = response.headers.get("Location", "").split("?")[0]  # ?next= is the request
    unechoed = ECHOES.sub("", text)
    leaked = [
        mark
        for mark, where in ((B_NAME, text), (B_CODE, unechoed))
        if mark in where or mark in location
    ]
    assert not leaked, f"{what}: B's {leaked} in the response ({response.status_code})"


def refused(response) -> bool:
    """404; 403 (the API, or a page that is not for this user); 405 (a GET of a route that
    takes only writes, which are walked too); a redirect to a sign-in."""
    if response.status_code in (403, 404, 405):
        return True
    # lane plans: partner users write to the feedback loop's API lists (threads), which take
    # JSON only: the walk's form-encoded POST is refused as 415 before anything is read
    if response.status_code == 415:
        return True
    location = response.headers.get("Location", "")
    sign_in = location.startswith(("/login/", "/admin/login/"))
    return response.status_code == 302 and sign_in


def snapshot() -> dict[str, list]:
    """Every row of the project's tables (and the users, groups, tokens and schedules): what a
    refused write must leave as it was."""
    labels = {
        "partners",
        "kpis",
        "assessments",
        "feedback",
        "auth",
        "authtoken",
        "django_celery_beat",
    }
    rows = {}
    for model in apps.get_models():
        # the access log grows with every request that signs in or exports: it is what is
        # supposed to change
        if model._meta.label == "partners.AccessEvent":
            continue
        # one's own e-mail setting is a write every signed-in user may make (refusing B's
        # user's data is what the walk checks; the settings page has no id to aim at B)
        if model._meta.label == "feedback.NotificationSettings":
            continue
        if model._meta.app_label in labels and not model._meta.proxy:
            fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
            rows[model._meta.label] = sorted(map(repr, model._default_manager.values_list(*fields)))
    return rows


WRITE_BODY = {
    "partner": "GLOBEX",
    "partners": "GLOBEX",
    "code": "GLOBEX",
    "name": "Taken over",
    "kpi": "revenue",
    "period": "2026-Q3",
    "observed_on": "2026-08-20",
    "value": "1",
    "action": "approve",
    "decision": "approve",
    "reason": "walk",
    "status": "closed",
}
QUERY = {"partner": "GLOBEX", "partners": "GLOBEX", "q": "GLOBEX", "period": "2026-Q3"}


def write_methods(pattern: str) -> list[str]:
    return ["post", "patch", "delete"] if pattern.startswith("api/") else ["post"]


def walk_as(user: User, pattern: str, b: dict[str, str], *, partner_user: bool) -> None:
    """Requests the route as this user with B's ids: GET (with B in the query) and every
    write; asserts what the user may get back, that no B data is in it, and that the writes
    changed nothing. A partner user is refused every write; a manager's writes to lists may
    be answered (a 400 naming what is wrong) but change nothing of B's."""
    route = classify(pattern)
    if route is None:
        pytest.fail(
            f"route {pattern!r} is not in the access walk (tests/test_access_walk.py): add it "
            "to ROUTES (or the admin's tables) with who may open it and B's ids for it"
        )
    client = Client()
    client.force_login(user)
    url = url_for(pattern, route, b)
    if route.kind == Kind.PUBLIC:
        # the same for everyone and about no partner: no query for its forms to echo, and no
        # writes (signing in or out is not a write on B's data)
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        assert_no_b_data(response, f"GET {url} as {user.username}")
        return
    must_refuse = route.kind in (Kind.SCOPED, Kind.ADMINS, Kind.ADMIN_SITE) or (
        route.kind == Kind.MANAGERS and partner_user
    )
    response = client.get(url, QUERY)
    what = f"GET {url} as {user.username}"
    assert response.status_code < 500, f"{what}: {response.status_code}"
    assert_no_b_data(response, what)
    if must_refuse:
        assert refused(response), f"{what}: {response.status_code}, not refused"
    before = snapshot()
    address = f"{url}?{urlencode(QUERY)}"  # where the GET went: B named in the query too
    for method in write_methods(pattern):
        if method == "post":
            response = client.post(address, WRITE_BODY)
        else:
            response = getattr(client, method)(address, WRITE_BODY, content_type="application/json")
        what = f"{method.upper()} {url} as {user.username}"
        assert response.status_code < 500, f"{what}: {response.status_code}"
        if must_refuse:
            assert refused(response), f"{what}: {response.status_code}, not refused"
        elif partner_user:  # read-only everywhere: refused, or sent to its own pages
            assert refused(response) or response.status_code == 302, f"{what}: not refused"
        assert_no_b_data(response, what)
    assert snapshot() == before, f"writes to {url} as {user.username} changed the data"


ALL_ROUTES = walk()


@pytest.mark.parametrize("pattern", ALL_ROUTES)
def test_partner_user_gets_nothing_of_another_partner(walked, pattern):
    world, b = walked
    walk_as(world.acme_user, pattern, b, partner_user=True)


@pytest.mark.parametrize("pattern", ALL_ROUTES)
def test_manager_gets_nothing_of_a_partner_not_theirs(walked, unassigned_manager, pattern):
    world, b = walked
    route = classify(pattern)
    rule_free = route is not None and route.kind in (Kind.PUBLIC, Kind.ADMINS, Kind.ADMIN_SITE)
    if not rule_free and visible_partners(unassigned_manager).filter(pk=world.globex.pk).exists():
        pytest.skip(NOT_YET)
    walk_as(unassigned_manager, pattern, b, partner_user=False)


def test_the_walk_covers_every_route_and_names_no_stale_one():
    """Checked on its own as well, so the failure names every unwalked route at once."""
    unwalked = [p for p in ALL_ROUTES if classify(p) is None]
    assert not unwalked, f"routes not in the access walk: {unwalked}"
    stale = (set(ROUTES) | set(ADMIN_SITE_ROUTES)) - set(ALL_ROUTES)
    assert not stale, f"the walk's table names routes that no longer exist: {sorted(stale)}"
    assert len(ALL_ROUTES) > 200  # the admin's routes are walked too


def test_the_walk_finds_b_data_where_it_is(walked, client):
    """The walk's own check, proved able to fail: B's own user sees B on its pages and in its
    exports, and the admin sees B in the admin's change page."""
    world, b = walked
    client.force_login(world.globex_user)
    for url in ("/partners/GLOBEX/", "/partners/GLOBEX/export.csv", "/partners/GLOBEX/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        with pytest.raises(AssertionError, match="B's"):
            assert_no_b_data(response, url)
    client.force_login(world.admin)
    response = client.get(f"/admin/partners/partner/{b['id']}/change/")
    with pytest.raises(AssertionError, match="B's"):
        assert_no_b_data(response, "admin")
    response = client.get(f"/api/v1/scorecards/GLOBEX/{b['period']}/")
    assert response.status_code == 200
    with pytest.raises(AssertionError, match="B's"):
        assert_no_b_data(response, "api")


def test_echoes_of_the_query_are_masked_but_b_data_is_not():
    echoed = HttpResponse(
        '<a href="/portfolio/?period=2026-Q3&amp;q=GLOBEX">x</a><input value="GLOBEX">'
        "<p>Unknown partner codes: NOPE, GLOBEX.</p><a class=chip>q = GLOBEX</a>"
    )
    assert_no_b_data(echoed, "echo")
    for leak in ("<td>GLOBEX</td>", '{"partner": "GLOBEX"}', "GLOBEX,2026-Q3,81.5", "Globex"):
        with pytest.raises(AssertionError, match="B's"):
            assert_no_b_data(HttpResponse(leak), leak)
    with pytest.raises(AssertionError, match="B's"):
        assert_no_b_data(HttpResponseRedirect("/partners/GLOBEX/"), "redirect")


def test_a_route_or_admin_model_missing_from_the_table_is_not_walked_silently():
    assert classify("reports/<str:code>/") is None
    assert classify("admin/feedback/nosuchmodel/<path:object_id>/change/") is None
    assert classify("admin/partners/partner/<path:object_id>/change/") == Route(
        Kind.ADMIN_SITE, {"object_id": "id", "id": "id"}
    )


OWN_PAGES = [
    "/",
    "/portal/",
    "/portal/method/",
    "/partners/ACME/",
    "/partners/ACME/export.csv",
    "/partners/ACME/export.xlsx",
    "/partners/ACME/explain/revenue/",
    "/partners/ACME/explain/nps/",
    "/partners/ACME/explain/late_deliveries/",
    "/api/v1/partners/",
    "/api/v1/partners/ACME/",
    "/api/v1/scorecards/",
    "/api/v1/scorecards/ACME/2026-Q3/",
    "/api/v1/tier-changes/",
    "/api/v1/metric-values/",
    "/api/v1/target-overrides/",
    "/portal/assessments/",  # reviews lane (issue 12)
    "/api/v1/assessments/",  # reviews lane (issue 12)
]


@pytest.mark.parametrize("url", OWN_PAGES)
def test_partner_users_own_pages_name_no_other_partner(walked, url):
    """A's own pages, charts, exports and API (peers' medians and benchmarks included) name no
    other partner: B is A's peer (same partner type), so this is where B would show."""
    world, _ = walked
    client = Client()
    client.force_login(world.acme_user)
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    assert "ACME" in body_text(response) or "Acme" in body_text(response), url
    assert_no_b_data(response, f"GET {url} as acme")
