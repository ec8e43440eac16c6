"""The shared personas (an admin, a channel manager, two partners with a user each) and a small
scoring world shaped like SCORING.md's worked examples: the `world` fixture, and the base of
the API's scored world (tests/api/conftest.py)."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group, User

from kpis.models import KPI, ModelLine, Period, ScoringModel, ScoringModelVersion, Tier
from partners.access import MANAGERS_GROUP
from partners.models import ManagerProfile, Partner, PartnerType, PortalUser, Region


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


def world_build() -> World:
    """Creates the world in the current database (the caller provides the access)."""
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


def sees_all(user: User) -> None:
    """Lets a channel manager see every partner, not only those assigned to them (the
    persona manages ACME and GLOBEX): for tests of the whole portfolio."""
    ManagerProfile.objects.update_or_create(user=user, defaults={"sees_all_partners": True})
    for cached in ("_ps_role", "_ps_sees_all"):  # partners.access caches on the instance
        user.__dict__.pop(cached, None)
