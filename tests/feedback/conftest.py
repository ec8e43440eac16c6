"""The API's scored world (tests/api/conftest.py) for the feedback loop's tests: a module that
says `pytestmark = pytest.mark.usefixtures("scored_module")` shares one, others build their own.

Surveys over the shared world: a customer survey whose 0-10 question feeds the world's NPS
KPI (made a survey KPI with aggregation nps), and a partner relationship survey."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from feedback.models import Question, QuestionKind, Survey, SurveyAudience
from feedback.survey_links import survey_link_create
from tests.api import conftest as api_conftest

# the API's world fixtures, so a module can share one scored world (see above)
_module_copy = api_conftest._module_copy
scored = api_conftest.scored
scored_module = api_conftest.scored_module
world = api_conftest.world


@dataclass
class Surveys:
    customer: Survey
    nps_q: Question
    csat_q: Question
    choice_q: Question
    text_q: Question
    relation: Survey
    recommend_q: Question
    comment_q: Question


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate limits count in the real Redis cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def surveys(world) -> Surveys:
    world.nps.source, world.nps.aggregation = "survey", "nps"
    world.nps.save()
    customer = Survey.objects.create(name="Customer satisfaction", audience=SurveyAudience.CUSTOMER)
    nps_q = Question.objects.create(
        survey=customer, position=1, text="Recommend?", kind=QuestionKind.SCALE_10, kpi=world.nps
    )
    csat_q = Question.objects.create(
        survey=customer, position=2, text="Satisfied?", kind=QuestionKind.SCALE_5
    )
    choice_q = Question.objects.create(
        survey=customer, position=3, text="Why?", kind=QuestionKind.CHOICE, choices="Price\nService"
    )
    text_q = Question.objects.create(
        survey=customer, position=4, text="Comments", kind=QuestionKind.TEXT, required=False
    )
    relation = Survey.objects.create(name="Relationship", audience=SurveyAudience.PARTNER)
    recommend_q = Question.objects.create(
        survey=relation, position=1, text="Recommend the programme?", kind=QuestionKind.SCALE_10
    )
    comment_q = Question.objects.create(
        survey=relation, position=2, text="What to improve?", kind=QuestionKind.TEXT, required=False
    )
    return Surveys(customer, nps_q, csat_q, choice_q, text_q, relation, recommend_q, comment_q)


def answers_post(s: Surveys, nps: int = 9, csat: int = 4, choice: str = "Service") -> dict:
    return {
        f"q{s.nps_q.pk}": str(nps),
        f"q{s.csat_q.pk}": str(csat),
        f"q{s.choice_q.pk}": choice,
        f"q{s.text_q.pk}": "Good",
    }


@pytest.fixture
def acme_link(world, surveys):
    """ACME's link and its token (the token is only ever in the address)."""
    return survey_link_create(survey=surveys.customer, partner=world.acme, created_by=world.manager)
