"""The formula rule lives in KPI.clean(): the admin form and the API both rely on it and
answer with the same messages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from kpis.admin import KPIForm
from kpis.models import KPI

BASE = {"name": "X", "category": "sales", "direction": "higher", "aggregation": "sum"}


def model_errors(**fields) -> list[str]:
    with pytest.raises(ValidationError) as failed:
        KPI(**BASE | fields).full_clean()
    return failed.value.message_dict["formula"]


def form_errors(**fields) -> list[str]:
    form = KPIForm(data=BASE | fields)
    assert not form.is_valid()
    return form.errors["formula"]


def api_errors(user, **fields) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/kpis/", BASE | fields, format="json")
    assert response.status_code == 400
    return response.json()["formula"]


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"code": "empty", "source": "formula", "formula": "  "}, "needs a formula"),
        ({"code": "broken", "source": "formula", "formula": "revenue +"}, ""),
        ({"code": "unknown", "source": "formula", "formula": "bogus * 2"}, "bogus"),
        ({"code": "loop", "source": "formula", "formula": "loop + 1"}, ""),
        ({"code": "plain", "source": "import", "formula": "revenue"}, "Only KPIs"),
    ],
)
def test_form_api_and_model_give_the_same_formula_messages(world, fields, words):
    expected = model_errors(**fields)
    assert words in expected[0]
    assert form_errors(**fields) == expected
    assert api_errors(world.admin, **fields) == expected


def test_a_valid_formula_is_saved_stripped_by_form_and_api(world):
    form = KPIForm(data=BASE | {"code": "double", "source": "formula", "formula": " revenue*2 "})
    assert form.is_valid(), form.errors
    assert form.save().formula == "revenue*2"
    client = APIClient()
    client.force_authenticate(world.admin)
    body = BASE | {"code": "triple", "source": "formula", "formula": " revenue * 3 \n"}
    assert client.post("/api/v1/kpis/", body, format="json").status_code == 201
    assert KPI.objects.get(code="triple").formula == "revenue * 3"


def test_a_cycle_through_another_kpi_is_refused_on_update(world):
    KPI.objects.create(code="a", name="A", source="formula", formula="revenue + 1")
    KPI.objects.create(code="b", name="B", source="formula", formula="a + 1")
    a = KPI.objects.get(code="a")
    form = KPIForm(data=BASE | {"code": "a", "source": "formula", "formula": "b + 1"}, instance=a)
    assert not form.is_valid()
    client = APIClient()
    client.force_authenticate(world.admin)
    response = client.patch("/api/v1/kpis/a/", {"formula": "b + 1"}, format="json")
    assert response.status_code == 400
    assert response.json()["formula"] == form.errors["formula"]


def test_the_admin_shows_the_models_message(world, client):
    client.force_login(world.admin)
    body = BASE | {"code": "unknown", "source": "formula", "formula": "bogus * 2"}
    response = client.post(reverse("admin:kpis_kpi_add"), body)
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors["formula"] == model_errors(**body)
    assert not KPI.objects.filter(code="unknown").exists()
