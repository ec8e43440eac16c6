"""Where a KPI's observations come from (SCORING.md 2): the one seam.

Imported metric values live here in kpis. Survey responses (feedback) and the ratings of
submitted assessments (assessments) live in apps to our right, so each registers the SQL
that lists its observations, and every reader (the recompute, the explain page) goes
through `observations_sql`: one spelling of "what counts as an observation".

A registered SELECT yields exactly the columns partner_id, kpi_id, observed_on, value. It
may use the named parameters %(start)s, %(end)s (the window read) and %(granularity)s (the
period's granularity, for observations that belong to a period rather than to a day). Several
observations of one partner, KPI and day are allowed (survey responses): they all count.
"""

import datetime as dt

from kpis.models import MetricValue

_IMPORTED = (
    "SELECT partner_id, kpi_id, observed_on, value "
    f"FROM {MetricValue._meta.db_table} "
    "WHERE observed_on BETWEEN %(start)s AND %(end)s"
)
_REGISTERED: dict[str, str] = {}


def observation_source_register(*, name: str, sql: str) -> None:
    """Called from an AppConfig.ready(): `sql` lists that app's observations (see above).
    Registering a name again replaces its SQL (module reloads in tests)."""
    _REGISTERED[name] = sql


def observations_sql() -> str:
    """Every observation in the window, from every source: UNION ALL, so PostgreSQL pushes
    the outer filters (partners, KPIs) into each branch."""
    branches = [_IMPORTED, *(_REGISTERED[name] for name in sorted(_REGISTERED))]
    return " UNION ALL ".join(f"({sql})" for sql in branches)


def observation_params(*, start: dt.date, end: dt.date, granularity: str) -> dict[str, object]:
    return {"start": start, "end": end, "granularity": granularity}
