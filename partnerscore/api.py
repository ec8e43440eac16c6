"""The API's shared ground, imported by every app's api/ package and importing no app:
pagination, the error handler, the base views and the schema of the error bodies.

Who may call what (roles) is decided in partners.access and applied by the permission classes
of partners.api.permissions; which objects a user sees is each view's get_queryset."""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from partnerscore.auth import ExpiringTokenAuthentication
from partnerscore.parsers import SafeJSONParser


class ApiPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is in use."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404, 409: {"detail": "..."}."""

    detail = serializers.CharField()


# -- errors -------------------------------------------------------------------------------------


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's 400 body: {field: [messages]}, the model's non-field
    errors under "non_field_errors"."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
        for field, messages in exc.message_dict.items()
    }


def integrity_message(exc: IntegrityError) -> str:
    cause = getattr(exc, "__cause__", None)
    diag = getattr(cause, "diag", None)
    detail = getattr(diag, "message_primary", None) or str(exc).splitlines()[0]
    return f"The database refused the change: {detail}"


def in_use_message(exc: ProtectedError | RestrictedError) -> str:
    users = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    used_by = sorted({str(obj._meta.verbose_name_plural) for obj in users})
    return f"Cannot delete: still used by {', '.join(used_by)}."


def exception_handler(exc: Exception, context: dict):
    """DRF's handler, plus the database's and the models' refusals as clean answers (never a
    500): a Django ValidationError or a violated constraint is a 400, deleting a row that
    others still use (PROTECT / RESTRICT) is a 409. Registered in REST_FRAMEWORK."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):  # before IntegrityError: subclasses
        exc = Conflict(in_use_message(exc))
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [integrity_message(exc)]}
        )
    return drf_exception_handler(exc, context)


# -- schema -------------------------------------------------------------------------------------

ANY_OBJECT = {"type": "object", "additionalProperties": {}}


class ApiSchema(AutoSchema):
    """Documents the error bodies every endpoint can answer with. Uses drf-spectacular's public
    get_operation(), so operations whose responses come from @extend_schema get them too."""

    def error_responses(self) -> dict[str, str]:
        """{status code: description} of the errors this operation can answer with."""
        errors = {"401": "Not authenticated.", "403": "Not allowed for this role."}
        has_id = "{" in self.path
        if has_id or self.method == "GET":
            errors["404"] = "Not found (or not visible to you), or no such page."
        if self.method in ("POST", "PUT", "PATCH") or (self.method == "GET" and not has_id):
            errors["400"] = "Invalid input: {field: [messages]}."
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = "Not JSON: send Content-Type: application/json."
        if self.method == "DELETE":
            errors["409"] = "Still in use: cannot be deleted."
        return errors

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        detail = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for code, description in self.error_responses().items():
            body = ANY_OBJECT if code == "400" else detail
            responses.setdefault(
                code,
                {"content": {"application/json": {"schema": body}}, "description": description},
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation


# -- base views ---------------------------------------------------------------------------------


class ApiView(APIView):
    # No docstring: the schema would show it on every endpoint. Token first, so an anonymous
    # client gets 401 (with WWW-Authenticate); JSON only.

    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    parser_classes = [SafeJSONParser]
    schema = ApiSchema()


class ApiViewSetMixin:
    # No docstring (see ApiView). Writes run in a transaction with the changed() hook; refusals
    # by the database become 400/409 in exception_handler. Every viewset sets a
    # lookup_value_regex, so odd path values (a NUL, a slash) are a 404 from the URL resolver,
    # not a database error.

    authentication_classes = ApiView.authentication_classes
    parser_classes = ApiView.parser_classes
    pagination_class = ApiPagination
    schema = ApiSchema()

    def changed(self, obj) -> None:
        """Hook, run inside the write's transaction for the object before and after it (so a
        recompute is enqueued after commit, for both the old and the new partner/period)."""

    def _save(self, serializer) -> None:
        before = copy.copy(serializer.instance)
        with transaction.atomic():
            obj = serializer.save()
            if before is not None:
                self.changed(before)
            self.changed(obj)

    def perform_create(self, serializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer) -> None:
        self._save(serializer)

    def perform_destroy(self, instance) -> None:
        with transaction.atomic():
            instance.delete()
            self.changed(instance)


class ApiModelViewSet(ApiViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class ApiListViewSet(ApiViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list; its items are addressed by a route of their own (see ScorecardViewSet)."""


class ApiReadOnlyViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
