"""The demo's quarterly assessments into the database (issue 12): rubrics for the qualitative
KPIs, then every partner's assessments, ratings and workflow history of every quarter, by COPY,
before the quarters are scored (so every quarter's scores count the ratings).

Audit trail: as the rest of the demo, each assessment's and rating's creation is recorded (by
"system"), written by COPY into the history tables as well."""

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments.models import Assessment, AssessmentRating, AssessmentTransition, Rubric
from kpis.models import KPI, Period
from partners.models import PortalUser
from partnerscore.audit import history_model_for
from partnerscore.demo.catalog import RUBRICS
from partnerscore.demo.generator import DemoWorld
from partnerscore.demo.ratings import generate_reviews
from partnerscore.pgcopy import copy_in, copy_out

# When each step happened, after the quarter's end (an assessment is started just before)
STEP_DAYS = {"draft": -5, "submitted": 3, "shared": 8, "acknowledged": 12}
STEPS = tuple(STEP_DAYS)
# The personas' open quarter: `partner` has one to acknowledge, `partner2` acknowledged it.
PERSONA_STATUS = {"partner": "shared", "partner2": "acknowledged"}


def _history_table(model) -> str:
    history = history_model_for(model)
    assert history is not None, f"{model.__name__} is audited (assessments/models/reviews.py)"
    return history._meta.db_table


def ensure_rubrics() -> None:
    """A rubric for each qualitative KPI of the catalogue that has none (admins may edit it)."""
    kpis = KPI.objects.filter(code__in=RUBRICS, rubric__isnull=True)
    bulk_create_with_history(
        [
            Rubric(kpi=kpi, **{f"level_{n + 1}": t for n, t in enumerate(RUBRICS[kpi.code])})
            for kpi in kpis
        ],
        Rubric,
    )


def write_reviews(
    *,
    world: DemoWorld,
    partner_ids: np.ndarray,
    manager_ids: list[int],
    seed: int,
    bulk_load: Callable[[str], AbstractContextManager] = lambda table: nullcontext(),
) -> dict[str, int]:
    """Every quarter's assessments; returns counts. Runs inside seed_demo's transaction;
    `bulk_load(table)` (the writer's) drops and rebuilds a table's keys around a big COPY."""
    if world.quality is None:
        return {}
    portal = dict(PortalUser.objects.values_list("partner_id", "user_id"))
    row_of = {pk: row for row, pk in enumerate(partner_ids.tolist())}
    personas = PortalUser.objects.filter(user__username__in=PERSONA_STATUS)
    fixed = {
        row_of[p.partner_id]: PERSONA_STATUS[p.user.username]
        for p in personas.select_related("user")
        if p.partner_id in row_of
    }
    roster = world.partners
    reviews = generate_reviews(
        quality=world.quality,
        types=roster["type"].to_numpy(),
        joined=roster["joined"].to_numpy(),
        cal=world.calendar,
        seed=seed,
        latest_status=fixed,
    )
    head = reviews.assessments
    if head.empty:
        return {}
    periods = dict(Period.objects.filter(code__in=world.calendar.codes).values_list("code", "id"))
    period_ids = np.array([periods[code] for code in world.calendar.codes])
    ends = pd.to_datetime(world.calendar.ends).tz_localize(dt.UTC) + pd.Timedelta(hours=9)
    head = head.assign(
        partner_id=partner_ids[head["partner"].to_numpy()],
        period_id=period_ids[head["quarter"].to_numpy()],
        assessor_id=np.array(manager_ids)[roster["manager"].to_numpy()[head["partner"].to_numpy()]],
        end=ends[head["quarter"].to_numpy()],
    )
    head["user_id"] = head["partner_id"].map(portal)
    ids = _write_assessments(head)
    head = head.merge(ids, on=["partner_id", "period_id"])
    with bulk_load(AssessmentTransition._meta.db_table):
        transitions = _write_transitions(head)
    with bulk_load(AssessmentRating._meta.db_table):
        ratings = _write_ratings(reviews.ratings, head)
    return {"assessments": len(head), "ratings": ratings, "transitions": transitions}


def _text(moments: pd.Series) -> np.ndarray:
    """UTC timestamps as COPY text, vectorised (pandas' own formatting is the slow part)."""
    utc = moments.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    return np.char.add(np.datetime_as_string(utc, unit="s"), "+00:00")


def _at(end: pd.Series, step: str) -> pd.Series:
    now = pd.Timestamp(timezone.now())
    return (end + pd.Timedelta(days=STEP_DAYS[step])).clip(upper=now)


def _write_assessments(head: pd.DataFrame) -> pd.DataFrame:
    """COPY the assessments and their history; their ids by (partner_id, period_id)."""
    last = pd.Series(pd.NaT, index=head.index, dtype=head["end"].dtype)
    for step in STEPS:
        reached = head["status"].map(STEPS.index) >= STEPS.index(step)
        last = last.where(~reached, _at(head["end"], step))
    frame = pd.DataFrame(
        {
            "partner_id": head["partner_id"],
            "period_id": head["period_id"],
            "assessor_id": head["assessor_id"],
            "status": head["status"],
            "summary": head["summary"],
            "partner_response": head["response"],
            "created_at": _text(_at(head["end"], "draft")),
            "updated_at": _text(last),
        }
    )
    table = Assessment._meta.db_table
    copy_in(table, frame, force_not_null=("summary", "partner_response"))
    ids = copy_out(f"SELECT id, partner_id, period_id FROM {table}", [])
    history = frame.merge(ids, on=["partner_id", "period_id"])
    copy_in(
        _history_table(Assessment),
        history.assign(history_date=history["updated_at"], history_type="+"),
        force_not_null=("summary", "partner_response"),
    )
    return ids


def _write_transitions(head: pd.DataFrame) -> int:
    reached = head["status"].map(STEPS.index).to_numpy() + 1  # steps taken: 1 (draft) to 4
    rows = head.loc[head.index.repeat(reached)].reset_index(drop=True)
    nth = np.concatenate([np.arange(n) for n in reached]) if len(reached) else np.array([], int)
    steps = np.array(STEPS, dtype=object)
    to_status = steps[nth]
    from_status = np.where(nth > 0, steps[np.maximum(nth - 1, 0)], "")
    at = rows["end"] + pd.to_timedelta(np.array([STEP_DAYS[s] for s in to_status]), unit="D")
    acknowledging = to_status == "acknowledged"
    by = np.where(acknowledging, rows["user_id"].to_numpy(), rows["assessor_id"].to_numpy())
    frame = pd.DataFrame(
        {
            "assessment_id": rows["id"],
            "from_status": from_status,
            "to_status": to_status,
            "by_id": pd.array(by, dtype="Int64"),
            "at": _text(at.clip(upper=pd.Timestamp(timezone.now()))),
            "note": np.where(acknowledging, rows["response"].to_numpy(), ""),
        }
    )
    return copy_in(
        AssessmentTransition._meta.db_table, frame, force_not_null=("from_status", "note")
    )


def _write_ratings(ratings: pd.DataFrame, head: pd.DataFrame) -> int:
    kpi_ids = dict(KPI.objects.filter(source="assessment").values_list("code", "id"))
    joined = ratings.merge(head[["partner", "quarter", "id"]], on=["partner", "quarter"])
    frame = pd.DataFrame(
        {
            "assessment_id": joined["id"],
            "kpi_id": joined["kpi"].map(kpi_ids),
            "rating": pd.array(joined["rating"].round(), dtype="Int64"),
            "comment": joined["comment"],
        }
    )
    table = AssessmentRating._meta.db_table
    written = copy_in(table, frame, force_not_null=("comment",))
    ids = copy_out(f"SELECT id, assessment_id, kpi_id FROM {table}", [])
    history = frame.merge(ids, on=["assessment_id", "kpi_id"])
    with connection.cursor() as cursor:  # one timestamp for the whole load: "created by the demo"
        cursor.execute("SELECT now()")
        created = cursor.fetchone()[0]
    copy_in(
        _history_table(AssessmentRating),
        history.assign(history_date=created, history_type="+"),
        force_not_null=("comment",),
    )
    return written
