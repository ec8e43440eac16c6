"""The shared error handler (partnerscore.api): refusals by the models and the database are
clean 400/409 answers, never a 500."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError

from partnerscore.api import exception_handler


def answer(exc: Exception) -> tuple[int, object]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_a_django_validation_error_is_a_400_by_field():
    exc = ValidationError({"formula": ["Bad."], "__all__": ["Both wrong."]})
    assert answer(exc) == (400, {"formula": ["Bad."], "non_field_errors": ["Both wrong."]})
    assert answer(ValidationError("Nope.")) == (400, {"non_field_errors": ["Nope."]})


def test_an_integrity_error_is_a_400():
    status, body = answer(IntegrityError("duplicate key value violates unique constraint"))
    assert status == 400
    assert body["non_field_errors"] == [
        "The database refused the change: duplicate key value violates unique constraint"
    ]


def test_deleting_a_row_in_use_is_a_409_naming_the_users(world):
    for error in (ProtectedError, RestrictedError):
        status, body = answer(error("in use", {world.acme, world.globex}))
        assert (status, body) == (409, {"detail": "Cannot delete: still used by partners."})


def test_other_errors_are_left_to_django():
    assert exception_handler(KeyError("x"), {}) is None
