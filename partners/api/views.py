"""The API's shared ground (roles, permissions, pagination, error handling, schema) and the
partner endpoints. Who sees which partner is decided by partners.access, never here."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission

from partners.access import is_manager, portal_partner_id, visible_partners
from partners.api.serializers import (
    ErrorSerializer,
    PartnerSerializer,
    PartnerTypeSerializer,
    RegionSerializer,
)
from partners.filtersets import PartnerFilterSet, PartnerTypeFilterSet, RegionFilterSet
from partners.models import PartnerType, Region
from partnerscore.auth import ExpiringTokenAuthentication
from partnerscore.parsers import SafeJSONParser

ADMIN, MANAGER, PARTNER = "admin", "manager", "partner"


def api_role(user) -> str | None:
    """admin: a staff user or superuser who sees every partner; manager: a channel manager;
    partner: a portal user; None: no business with the API."""
    if is_manager(user):
        return ADMIN if user.is_superuser or user.is_staff else MANAGER
    if portal_partner_id(user) is not None:
        return PARTNER
    return None


class RolePermission(BasePermission):
    read: frozenset[str] = frozenset({ADMIN, MANAGER, PARTNER})
    write: frozenset[str] = frozenset({ADMIN})

    def has_permission(self, request, view) -> bool:
        allowed = self.read if request.method in SAFE_METHODS else self.write
        return api_role(request.user) in allowed


class AdminWrites(RolePermission):
    """Every role reads (querysets are scoped to visible partners); only admins write:
    configuration (types, regions, partners, periods, KPIs), and the read-only lists."""


class ManagersWrite(RolePermission):
    """Metric values and target overrides: channel managers write too."""

    write = frozenset({ADMIN, MANAGER})


class NotForPartners(RolePermission):
    """Scoring models and recompute runs: not for partner users."""

    read = frozenset({ADMIN, MANAGER})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is in use."
    default_code = "conflict"


class ApiPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class ApiSchema(AutoSchema):
    """Document the error bodies every endpoint can answer with."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
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
        for code, description in errors.items():
            body = OpenApiTypes.OBJECT if code == "400" else ErrorSerializer
            responses.setdefault(
                code, self._get_response_for_code(OpenApiResponse(body, description), code)
            )
        return responses


class ApiViewSetMixin:
    # No docstring: the schema would show it on every endpoint. Token first, so an anonymous
    # client gets 401 (with WWW-Authenticate); JSON only; database refusals (constraints,
    # protected rows) become 400/409, never 500. Every viewset sets a lookup_value_regex, so
    # odd path values (a NUL, a slash) are a 404 from the URL resolver, not a database error.

    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    parser_classes = [SafeJSONParser]
    pagination_class = ApiPagination
    schema = ApiSchema()

    def changed(self, obj) -> None:
        """Hook, run inside the write's transaction for the object before and after it (so a
        recompute is enqueued after commit, for both the old and the new partner/period)."""

    def _save(self, serializer) -> None:
        before = copy.copy(serializer.instance)
        try:
            with transaction.atomic():
                obj = serializer.save()
                if before is not None:
                    self.changed(before)
                self.changed(obj)
        except IntegrityError as exc:
            raise exceptions.ValidationError(
                {"non_field_errors": [integrity_message(exc)]}
            ) from None
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None

    def perform_create(self, serializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer) -> None:
        self._save(serializer)

    def perform_destroy(self, instance) -> None:
        try:
            with transaction.atomic():
                instance.delete()
                self.changed(instance)
        except (ProtectedError, RestrictedError) as exc:
            used_by = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            raise Conflict(f"{instance} is still used by: {', '.join(used_by)}.") from None


def integrity_message(exc: IntegrityError) -> str:
    cause = getattr(exc, "__cause__", None)
    diag = getattr(cause, "diag", None)
    detail = getattr(diag, "message_primary", None) or str(exc).splitlines()[0]
    return f"The database refused the change: {detail}"


class ApiModelViewSet(ApiViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class ApiReadOnlyViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class PartnerTypeViewSet(ApiModelViewSet):
    """Partner types (the peer groups). Admins write; everyone reads."""

    queryset = PartnerType.objects.order_by("code")
    serializer_class = PartnerTypeSerializer
    permission_classes = [AdminWrites]
    filterset_class = PartnerTypeFilterSet
    ordering_fields = ["code", "name"]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


class RegionViewSet(PartnerTypeViewSet):
    """Regions. Admins write; everyone reads."""

    queryset = Region.objects.order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class PartnerViewSet(ApiModelViewSet):
    """Partners by code. Admins write; a partner user sees only its own partner (other codes
    answer 404)."""

    serializer_class = PartnerSerializer
    permission_classes = [AdminWrites]
    filterset_class = PartnerFilterSet
    ordering_fields = ["code", "name", "joined_on"]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"

    def get_queryset(self):
        return (
            visible_partners(self.request.user)
            .select_related("partner_type", "region", "manager")
            .order_by("code")
        )
