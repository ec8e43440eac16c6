"""Small helpers shared by tests."""

import redis
from django.conf import settings


def forget_pending_recomputes() -> None:
    """As if the worker had started every queued recompute: drop the de-duplication keys
    (only those: the broker may share this Redis database)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys("partnerscore:*:recompute:pending:*")
    if keys:
        client.delete(*keys)
