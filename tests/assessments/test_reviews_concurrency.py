"""Two clicks at once: the workflow moves an assessment with UPDATE ... WHERE status=<expected>
and checks the row count, so when another transaction moved it in between (after this one
read it), this one is refused and nothing is written twice."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from assessments import reviews
from assessments.models import Assessment, AssessmentStatus
from assessments.reviews import assessment_create, assessment_save, assessment_submit
from tests.assessments.reviews_world import qualitative_build
from tests.world import world_build


@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_submits_exactly_one_wins(monkeypatch):
    world = world_build()
    q = qualitative_build(world)
    draft = assessment_create(partner=world.globex, period=world.q3, by=world.manager)
    assessment_save(
        assessment=draft,
        by=world.manager,
        ratings={q.relationship.pk: 4, q.communication.pk: 3},
    )
    complete = reviews._check_complete
    raced = []

    def other_click() -> None:
        try:
            assessment_submit(assessment=draft, by=world.manager, note="the other click")
        finally:
            connections.close_all()

    def check_then_race(assessment: Assessment) -> None:
        complete(assessment)
        if not raced:  # after this click read the draft, the other one submits and commits
            raced.append(True)
            other = threading.Thread(target=other_click)
            other.start()
            other.join()

    monkeypatch.setattr(reviews, "_check_complete", check_then_race)
    with pytest.raises(ValidationError, match="Someone else just changed this assessment"):
        assessment_submit(assessment=draft, by=world.manager, note="this click")
    submits = draft.transitions.filter(to_status=AssessmentStatus.SUBMITTED)
    assert list(submits.values_list("note", flat=True)) == ["the other click"]
    assert Assessment.objects.get(pk=draft.pk).status == AssessmentStatus.SUBMITTED
