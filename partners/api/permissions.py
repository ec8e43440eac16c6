"""Which role may read and write each kind of endpoint. The roles are decided by
partners.access.role(); which objects a role sees is each view's queryset (visible_partners)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from partners.access import Role, role


class RolePermission(BasePermission):
    read: frozenset[Role] = frozenset({Role.ADMIN, Role.MANAGER, Role.PARTNER})
    write: frozenset[Role] = frozenset({Role.ADMIN})

    def has_permission(self, request, view) -> bool:
        allowed = self.read if request.method in SAFE_METHODS else self.write
        return role(request.user) in allowed


class AdminWrites(RolePermission):
    """Every role reads (querysets are scoped to visible partners); only admins write:
    configuration (types, regions, partners, periods, KPIs), and the read-only lists."""


class ManagersWrite(RolePermission):
    """Metric values and target overrides: channel managers write too."""

    write = frozenset({Role.ADMIN, Role.MANAGER})


class NotForPartners(RolePermission):
    """Scoring models and recompute runs: not for partner users."""

    read = frozenset({Role.ADMIN, Role.MANAGER})
