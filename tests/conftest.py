"""Shared personas (an admin, a channel manager, two partners with a user each) and a small
scoring world shaped like SCORING.md's worked examples (tests/world.py). Real PostgreSQL and
Redis throughout: DATABASE_URL / REDIS_URL when set, else the embedded servers (see
partnerscore/embedded.py)."""

import pytest
from django.db import connections
from django.test import override_settings

from tests.world import World, world_build


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


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """For the whole run, so worlds built once per module (tests/api/conftest.py) use it too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def world(db) -> World:
    return world_build()
