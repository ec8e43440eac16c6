"""Small helpers shared by tests."""

from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database's URL, for a subprocess (a worker, a stalled recompute)."""
    s = connection.settings_dict
    host = s["HOST"] or "localhost"
    if host.startswith("/"):
        return f"postgresql://{s['USER']}:{s['PASSWORD']}@/{s['NAME']}?host={host}"
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def forget_pending_recomputes() -> None:
    """As if the worker had started every queued recompute: drop the de-duplication keys
    (only those: the broker may share this Redis database)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys("partnerscore:*:recompute:pending:*")
    if keys:
        client.delete(*keys)
