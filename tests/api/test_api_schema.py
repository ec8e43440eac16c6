"""The OpenAPI schema is served and true: schemathesis calls every operation of the schema, as an
admin, through the WSGI app, and checks that no answer is a 500 and every answer matches the
documented response body. The docs page serves Swagger UI from our own static files."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from partnerscore.wsgi import application

# Loaded at collection (building the schema needs no database): one test per operation.
# (schemathesis.pytest.from_fixture would load it lazily, but fails on pytest 9.2.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def keep_connection():
    """The WSGI stack closes the database connection around each request, which would end the
    test's transaction; Django's own test client disconnects the same signals."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.usefixtures("scored_module")  # one scored world for every operation
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "15")),  # more: a deeper hunt
    deadline=None,
    database=None,
    derandomize="API_FUZZ_EXAMPLES" not in os.environ,  # CI: the same examples every run
    # The fixtures are set up once per operation, not per example: its examples share one copy
    # of the world and see each other's writes, as a client's calls would. That is intended.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_documented(case, world, scored, keep_connection):
    token = Token.objects.get_or_create(user=world.admin)[0]
    case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_schema_is_public_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/metric-values/bulk/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr.net" not in html
