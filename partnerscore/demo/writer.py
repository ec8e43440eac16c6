"""The demo world into the database: the catalogue (created where missing), then, in one
transaction, the generated partners and periods (bulk_create) and their metric values (COPY,
with the table's constraints and indexes rebuilt once at the end), and the demo logins; then
every quarter's scorecards, with all quarters but the latest closed.

Audit trail: everything but metric values (never audited) has its creation recorded, as
"system": the bulk writes go through simple-history's bulk_create_with_history; closing the
quarters is recorded too."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments.services import period_close, scorecards_recompute
from kpis.models import (
    KPI,
    Granularity,
    MissingPolicy,
    ModelLine,
    Period,
    PeriodStatus,
    ScoringModel,
    ScoringModelVersion,
    Tier,
    VersionStatus,
)
from partners.access import MANAGERS_GROUP
from partners.models import ManagerProfile, Partner, PartnerType, PortalUser, Region
from partnerscore.demo.catalog import (
    DEFAULT_MODEL_LINES,
    KPI_CATALOG,
    MANAGERS,
    MODEL_LINES,
    PARTNER_TYPES,
    REGIONS,
    TIERS,
    KpiSpec,
    Line,
)
from partnerscore.demo.generator import DemoWorld, check_sizes, generate_world
from partnerscore.demo.loop import seed_loop
from partnerscore.demo.quarters import Calendar, DemoError, day_numbers, parse_quarter
from partnerscore.demo.reviews import ensure_rubrics, write_reviews
from partnerscore.pgcopy import copy_in

COPY_CHUNK = 500_000  # rows per COPY: bounds the CSV buffer's memory
METRIC_TABLE = "kpis_metricvalue"


def ensure_catalog() -> None:
    """Create what is missing of the partner types, regions, KPIs and scoring models; leave
    existing rows alone (an admin may have edited them), so it is safe to run again."""
    with transaction.atomic():
        types = {
            code: PartnerType.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name, _ in PARTNER_TYPES
        }
        for code, name, _ in REGIONS:
            Region.objects.get_or_create(code=code, defaults={"name": name})
        kpis = {spec.code: _ensure_kpi(spec) for spec in KPI_CATALOG}
        for code, name, _ in PARTNER_TYPES:
            existing = ScoringModel.objects.filter(partner_type=types[code]).first()
            model = existing or ScoringModel.objects.create(
                code=f"{code}-model", name=f"{name} model", partner_type=types[code]
            )
            _ensure_version(model, MODEL_LINES[code], kpis)
        default = ScoringModel.objects.filter(is_default=True).first()
        default = default or ScoringModel.objects.create(
            code="default-model", name="Default model", is_default=True
        )
        _ensure_version(default, DEFAULT_MODEL_LINES, kpis)
        ensure_rubrics()


def _ensure_kpi(spec: KpiSpec) -> KPI:
    fields = asdict(spec)
    return KPI.objects.get_or_create(code=fields.pop("code"), defaults=fields)[0]


def _ensure_version(model: ScoringModel, lines: tuple[Line, ...], kpis: dict[str, KPI]) -> None:
    if model.versions.exists():
        return
    version = ScoringModelVersion.objects.create(
        model=model,
        number=1,
        status=VersionStatus.ACTIVE,
        missing_policy=MissingPolicy.RENORMALIZE,
        min_coverage=0.5,
        amber_from=60.0,
        published_at=timezone.now(),
        note="Demo defaults from DEMO.md.",
    )
    bulk_create_with_history(
        [
            ModelLine(
                version=version,
                kpi=kpis[code],
                weight=weight,
                floor=floor,
                target=target,
                stretch=stretch,
            )
            for code, floor, target, stretch, weight in lines
        ],
        ModelLine,
    )
    bulk_create_with_history([Tier(version=version, name=n, min_score=m) for n, m in TIERS], Tier)


def seed_demo(
    *,
    partners: int,
    periods: int,
    seed: int,
    last_quarter: str,
    with_users: bool = True,
    scorecards: bool = True,
    progress: Callable[[str], object] | None = None,
) -> dict[str, int]:
    """Build the demo world in one transaction; DemoError if any partner exists already.
    With `scorecards`, then compute every quarter's scorecards and close all but the latest
    (history stays as computed; a publish rewrites the current quarter only). Without, every
    quarter is left open and unscored (raw data for benchmarks and worker tests)."""
    say = progress or (lambda message: None)
    check_sizes(partners, periods)
    parse_quarter(last_quarter)
    with transaction.atomic():
        if Partner.objects.exists():
            raise DemoError("Partners already exist: seed_demo only fills an empty database.")
        ensure_catalog()
        world = generate_world(
            partners=partners, periods=periods, seed=seed, last_quarter=last_quarter
        )
        say(f"Generated {len(world.partners)} partners and {len(world.values)} metric values.")
        managers = _managers(with_users=with_users)
        _periods(world.calendar)
        partner_ids = _partners(world.partners, managers)
        say(f"Wrote {len(partner_ids)} partners in {len(world.calendar.codes)} quarters.")
        written = _copy_values(world.values, partner_ids)
        say(f"Copied {written} metric values (constraints and indexes rebuilt).")
        personas = _personas(world, partner_ids) if with_users else 0
        # before scoring: every quarter's scores count its ratings (SCORING.md 2)
        reviews = write_reviews(
            world=world,
            partner_ids=partner_ids,
            manager_ids=managers,
            seed=seed,
            bulk_load=_bulk_load,
        )
        say(
            f"Wrote {reviews.get('assessments', 0)} assessments, {reviews.get('ratings', 0)} "
            "ratings."
        )
    loop: dict[str, int] = {}
    if scorecards:
        _score_and_close_history(world.calendar.codes, say)
        loop = seed_loop(seed=seed, say=say)
    return {
        "partners": len(partner_ids),
        "periods": len(world.calendar.codes),
        "kpis": len(KPI_CATALOG),
        "models": len(MODEL_LINES) + 1,
        "metric_values": written,
        "managers": len(managers),
        "users": len(managers) + personas,
        **reviews,
        **loop,
    }


def _score_and_close_history(codes: tuple[str, ...], say: Callable[[str], object]) -> None:
    """Oldest first, so each quarter's trend, tier changes and projection read the stored
    quarters before it; then every quarter but the latest is closed (frozen as computed)."""
    periods = list(Period.objects.filter(code__in=codes).order_by("start"))
    for period in periods:
        run = scorecards_recompute(period_id=period.pk, trigger="seed_demo")
        say(f"{period.code}: {run.scorecards} scorecards ({run.status}).")
    for period in periods[:-1]:
        period_close(period=period)
    say(f"Closed {len(periods) - 1} quarter(s); {periods[-1].code} stays open.")


def _user(username: str, *, password: str | None, **fields: str) -> AbstractUser:
    """The existing user of that name (left as it is), or a new one."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    return user or user_model.objects.create_user(username, password=password, **fields)


def _managers(*, with_users: bool) -> list[int]:
    """Channel managers, two per region; only the `manager` persona can log in."""
    users = []
    for i, (first, last) in enumerate(MANAGERS):
        persona = with_users and i == 0
        username = "manager" if persona else f"{first}.{last}".lower()
        fields = {"email": f"{first}.{last}@example.com".lower(), "first_name": first}
        password = "manager" if persona else None
        users.append(_user(username, password=password, last_name=last, **fields))
    Group.objects.get_or_create(name=MANAGERS_GROUP)[0].user_set.add(*users)
    if with_users:  # the persona looks after the whole demo portfolio; the others their own
        ManagerProfile.objects.update_or_create(user=users[0], defaults={"sees_all_partners": True})
    return [user.pk for user in users]


def _personas(world: DemoWorld, partner_ids: np.ndarray) -> int:
    """admin, and the partner logins: `partner` on the first reseller, `partner2` on the first
    partner of another type, both with a full history where possible."""
    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@example.com", "admin")
    roster = world.partners
    veteran = roster["joined"] < day_numbers(world.calendar.starts[0])
    types = pd.concat([roster.loc[veteran, "type"], roster.loc[~veteran, "type"]])
    first = (types == "reseller").idxmax()  # the first reseller, or the first partner
    others = types.index[types != types[first]].append(types.index.drop(first))
    rows = [first, *others[:1]]
    for username, row in zip(("partner", "partner2"), rows, strict=False):
        user = _user(username, password=username, email=f"{username}@example.com")
        PortalUser.objects.update_or_create(  # partner admins: they invite their colleagues
            user=user, defaults={"partner_id": partner_ids[row], "is_partner_admin": True}
        )
    return 1 + len(rows)


def _periods(cal: Calendar) -> None:
    existing = set(Period.objects.filter(code__in=cal.codes).values_list("code", flat=True))
    bulk_create_with_history(
        [
            Period(
                code=code,
                start=start,
                end=end,
                granularity=Granularity.QUARTER,
                status=PeriodStatus.OPEN,
            )
            for code, start, end in zip(
                cal.codes, cal.starts.tolist(), cal.ends.tolist(), strict=True
            )
            if code not in existing
        ],
        Period,
    )


def _partners(roster: pd.DataFrame, managers: list[int]) -> np.ndarray:
    type_ids = dict(PartnerType.objects.values_list("code", "id"))
    region_ids = dict(Region.objects.values_list("code", "id"))
    regions = [region_ids[code] for code, *_ in REGIONS]
    joined = roster["joined"].to_numpy().astype("datetime64[D]").tolist()
    partners = [
        Partner(
            code=row.code,
            name=row.name,
            partner_type_id=type_ids[row.type],
            region_id=regions[row.region],
            manager_id=managers[row.manager],
            joined_on=joined_on,
        )
        for row, joined_on in zip(roster.itertuples(), joined, strict=True)
    ]
    created = bulk_create_with_history(partners, Partner, batch_size=2000)
    return np.array([p.pk for p in created])


def _copy_values(values: pd.DataFrame, partner_ids: np.ndarray) -> int:
    if values.empty:
        return 0
    frame = _metric_frame(values, partner_ids)
    with _bulk_load(METRIC_TABLE):
        chunks = range(0, len(frame), COPY_CHUNK)
        return sum(copy_in(METRIC_TABLE, frame.iloc[i : i + COPY_CHUNK]) for i in chunks)


def _metric_frame(values: pd.DataFrame, partner_ids: np.ndarray) -> pd.DataFrame:
    """The COPY columns, in the unique key's order, so index builds read them in sequence."""
    kpi_ids = dict(KPI.objects.values_list("code", "id"))
    kpi_lookup = np.array([kpi_ids[code] for code in values["kpi"].cat.categories])
    partner = partner_ids[values["partner"].to_numpy()]
    kpi = kpi_lookup[values["kpi"].cat.codes.to_numpy()]
    days = values["day"].to_numpy()
    order = np.lexsort((days, kpi, partner))
    first = days.min()
    labels = np.datetime_as_string(np.arange(first, days.max() + 1).astype("datetime64[D]"))
    return pd.DataFrame(
        {
            "partner_id": partner[order],
            "kpi_id": kpi[order],
            # a categorical writes each date's text once, not a date object per row
            "observed_on": pd.Categorical.from_codes(days[order] - first, categories=labels),
            "value": values["value"].to_numpy()[order],
            "updated_at": timezone.now().replace(microsecond=0).isoformat(),  # short: less to parse
        }
    )


Ddl = tuple[str, str]  # name, definition


@contextmanager
def _bulk_load(table: str) -> Iterator[None]:
    """PostgreSQL's advice for bulk loads ("Populating a Database" in its manual): drop the
    foreign keys and secondary indexes, load, then rebuild each in one pass, instead of a
    deferred check per row (which doubled the load time) and row-by-row index upkeep.

    Their definitions are read from the catalog, so they come back exactly as migrated. Only
    used inside seed_demo's transaction: a failure rolls the DDL back with everything else."""
    quoted = connection.ops.quote_name
    alter = f"ALTER TABLE {quoted(table)}"
    with connection.cursor() as cursor:
        constraints, indexes = _secondary_ddl(cursor, table)
        # ALTER TABLE refuses while the partners' deferred FK checks are pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _ in constraints:
            cursor.execute(f"{alter} DROP CONSTRAINT {quoted(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f"{alter} ADD CONSTRAINT {quoted(name)} {definition}")


def _secondary_ddl(cursor: CursorWrapper, table: str) -> tuple[list[Ddl], list[Ddl]]:
    """(name, definition) of the table's foreign-key and unique constraints, and of its other
    indexes except the primary key."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid) ORDER BY 1",
        [table],
    )
    indexes = cursor.fetchall()
    return constraints, indexes
