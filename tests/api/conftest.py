"""API personas on top of the shared `world`, and a scored world: two periods recomputed, so
there are scorecards with lines, tier changes (ACME up, GLOBEX down) and recompute runs.

Building the scored world takes two full recomputes. A module whose tests run on it says
`pytestmark = pytest.mark.usefixtures("scored_module")`: it is then built once for the module,
and each test's `world` and `scored` are a copy of it, rolled back after the test (see
`scored_module`). Elsewhere each test builds its own. Both cannot mix in one module: the
module's world lives until the module ends, so a test building its own would collide with it."""

import copy
import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from assessments import tasks
from assessments.models import RecomputeRun, Scorecard, TierChange
from assessments.services import scorecards_recompute
from kpis.models import MetricValue, TargetOverride
from tests.helpers import forget_pending_recomputes
from tests.world import World, world_build

Q2_DAY, Q3_DAY = dt.date(2026, 5, 15), dt.date(2026, 8, 15)


@pytest.fixture
def api():
    """api(user) -> an APIClient logged in as that user (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_api(world, api) -> APIClient:
    return api(world.admin)


class Sent(list):
    """The recomputes enqueued, as ("period", period_id, trigger) or ("partner", period_id,
    partner_id, trigger)."""

    def reset(self) -> None:
        """As if the worker had run: forget the calls and the de-duplication marks."""
        forget_pending_recomputes()
        self.clear()


@pytest.fixture
def sent(monkeypatch) -> Sent:
    """Recomputes enqueued (after commit) are recorded instead of sent to a worker."""
    calls = Sent()
    for task, kind in [(tasks.recompute_period, "period"), (tasks.recompute_partner, "partner")]:
        monkeypatch.setattr(
            task, "apply_async", lambda args, countdown, kind=kind: calls.append((kind, *args))
        )
    calls.reset()
    yield calls
    calls.reset()


@dataclass
class Scored:
    acme_card: Scorecard
    globex_card: Scorecard
    acme_change: TierChange
    globex_change: TierChange
    acme_value: MetricValue
    globex_value: MetricValue
    acme_override: TargetOverride
    globex_override: TargetOverride
    run: RecomputeRun


def _values(world, partner, day, revenue, nps, late):
    rows = [(world.revenue, revenue), (world.nps, nps), (world.late, late)]
    return [
        MetricValue.objects.create(partner=partner, kpi=kpi, observed_on=day, value=value)
        for kpi, value in rows
        if value is not None
    ]


def scored_build(world: World) -> Scored:
    """SCORING.md's examples: ACME Member (ex. 2) -> Gold (ex. 1), GLOBEX the other way."""
    _values(world, world.acme, Q2_DAY, 50000, None, 25)
    _values(world, world.globex, Q2_DAY, 120000, 35, 8)
    acme_value = _values(world, world.acme, Q3_DAY, 120000, 35, 8)[0]
    globex_value = _values(world, world.globex, Q3_DAY, 50000, None, 25)[0]
    overrides = [
        TargetOverride.objects.create(
            partner=partner, kpi=world.nps, period=world.q3, floor=0, target=40, stretch=60
        )
        for partner in (world.acme, world.globex)
    ]
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    run = scorecards_recompute(period_id=world.q3.pk, trigger="test")
    cards = {c.partner_id: c for c in Scorecard.objects.filter(period=world.q3)}
    changes = {c.partner_id: c for c in TierChange.objects.filter(period=world.q3)}
    return Scored(
        acme_card=cards[world.acme.pk],
        globex_card=cards[world.globex.pk],
        acme_change=changes[world.acme.pk],
        globex_change=changes[world.globex.pk],
        acme_value=acme_value,
        globex_value=globex_value,
        acme_override=overrides[0],
        globex_override=overrides[1],
        run=run,
    )


@pytest.fixture(scope="module")
def scored_module(django_db_setup, django_db_blocker):
    """The world and its scores, built once for the module inside a transaction that is rolled
    back when the module ends. Each test runs in a savepoint inside it (pytest-django's `db`),
    so what a test writes is undone before the next one; and it gets deep copies of the model
    instances, so what it changes in memory is not seen by the next one either."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_build()
        built = (world, scored_build(world))
        with django_db_blocker.block():  # between tests, as everywhere else
            yield built
        transaction.set_rollback(True)


def _shares_the_module_world(request) -> bool:
    return "scored_module" in request.fixturenames


@pytest.fixture
def _module_copy(request, scored_module, db) -> tuple[World, Scored]:
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        pytest.fail("a transactional test would flush the module's world: give it its own module")
    return copy.deepcopy(scored_module)


@pytest.fixture
def world(request, db) -> World:
    if _shares_the_module_world(request):
        return request.getfixturevalue("_module_copy")[0]
    return world_build()


@pytest.fixture
def scored(request, world) -> Scored:
    if _shares_the_module_world(request):
        return request.getfixturevalue("_module_copy")[1]
    return scored_build(world)
