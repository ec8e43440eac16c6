"""Shared personas (an admin, a channel manager, two partners with a user each) and a small
scoring world shaped like SCORING.md's worked examples. Real PostgreSQL and Redis throughout:
DATABASE_URL / REDIS_URL when set, else the embedded servers (see partnerscore/embedded.py)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections

from kpis.models import KPI, ModelLine, Period, ScoringModel, ScoringModelVersion, Tier
from partners.access import MANAGERS_GROUP
from partners.models import Partner, PartnerType, PortalUser, Region


def pytest_collection_modifyitems(items):
    """Tests that use the database may use every alias: "progress" mirrors "default" in tests
    (partnerscore/settings.py) and import progress is written through it."""
    for item in items:
        uses_db = {"db", "transactional_db", "live_server"} & set(item.fixturenames)
        if uses_db and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(databases="__all__"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Close this thread's connections before the test database is dropped. Django's teardown
    closes only the connections of the databases it created, not the "progress" mirror's, which
    import jobs open (kpis/imports/jobs.py): left open, it keeps the DROP DATABASE from running
    ("is being accessed by other users")."""
    yield
    connections.close_all()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    admin: User
    manager: User
    acme_user: User
    globex_user: User
    acme: Partner
    globex: Partner
    reseller: PartnerType
    version: ScoringModelVersion
    q2: Period
    q3: Period
    revenue: KPI
    nps: KPI
    late: KPI


@pytest.fixture
def world(db) -> World:
    admin = User.objects.create_superuser("admin", "admin@example.com", "admin-pass-123")
    manager = User.objects.create_user("manager", password="manager-pass-123")
    manager.groups.add(Group.objects.create(name=MANAGERS_GROUP))
    reseller = PartnerType.objects.create(code="reseller", name="Reseller")
    emea = Region.objects.create(code="emea", name="EMEA")
    acme = Partner.objects.create(
        code="ACME", name="Acme Corp", partner_type=reseller, region=emea, manager=manager
    )
    globex = Partner.objects.create(
        code="GLOBEX", name="Globex", partner_type=reseller, region=emea, manager=manager
    )
    acme_user = User.objects.create_user("acme", password="acme-pass-123")
    globex_user = User.objects.create_user("globex", password="globex-pass-123")
    PortalUser.objects.create(user=acme_user, partner=acme)
    PortalUser.objects.create(user=globex_user, partner=globex)
    revenue = KPI.objects.create(code="revenue", name="Revenue", unit="USD", aggregation="sum")
    nps = KPI.objects.create(code="nps", name="NPS", aggregation="last", category="customer")
    late = KPI.objects.create(
        code="late_deliveries",
        name="Late deliveries",
        direction="lower",
        aggregation="last",
        category="operations",
    )
    model = ScoringModel.objects.create(code="reseller", name="Reseller", partner_type=reseller)
    version = ScoringModelVersion.objects.create(model=model, number=1, status="active")
    ModelLine.objects.bulk_create(
        [
            ModelLine(
                version=version, kpi=revenue, weight=40, floor=0, target=100000, stretch=150000
            ),
            ModelLine(version=version, kpi=nps, weight=30, floor=0, target=50, stretch=50),
            ModelLine(version=version, kpi=late, weight=30, floor=20, target=5, stretch=0),
        ]
    )
    Tier.objects.bulk_create(
        [
            Tier(version=version, name="Gold", min_score=80),
            Tier(version=version, name="Silver", min_score=60),
            Tier(version=version, name="Member", min_score=0),
        ]
    )
    q2 = Period.objects.create(code="2026-Q2", start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30))
    q3 = Period.objects.create(code="2026-Q3", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30))
    return World(
        admin,
        manager,
        acme_user,
        globex_user,
        acme,
        globex,
        reseller,
        version,
        q2,
        q3,
        revenue,
        nps,
        late,
    )
