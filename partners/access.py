"""The one place that decides who may do what and see which partner. Every page, API view,
permission class, export and template asks here; nothing else reads is_staff or the groups.

Roles (`role(user)`), decided in this order:

- ADMIN: a superuser, or a member of the "Channel managers" group who is also staff. Sees every
  partner; configures (types, regions, partners, periods, KPIs) through the API.
- MANAGER: a member of "Channel managers". Sees every partner; writes metric values and target
  overrides; imports files.
- PARTNER: a portal user (PortalUser). Sees exactly its own partner, read-only.
- None: everyone else, including an inactive or anonymous user, and a staff user who is
  neither superuser, channel manager nor portal user: staff alone opens the Django admin
  (Django's own permissions govern that) but gives no business data here, no API role and
  no imports.
"""

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from partners.models import Partner

MANAGERS_GROUP = "Channel managers"

User = AbstractBaseUser | AnonymousUser


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    PARTNER = "partner"


_UNSET = object()


def role(user: User) -> Role | None:
    """The user's role (see the module docstring), cached on the user object."""
    cached = getattr(user, "_ps_role", _UNSET)
    if cached is _UNSET:
        cached = _role(user)
        if user.is_authenticated:
            user._ps_role = cached
    return cached


def _role(user: User) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    if user.groups.filter(name=MANAGERS_GROUP).exists():
        return Role.ADMIN if user.is_staff else Role.MANAGER
    if portal_partner_id(user) is not None:
        return Role.PARTNER
    return None


def is_manager(user: User) -> bool:
    """Sees every partner: the portfolio, every scorecard."""
    return role(user) in (Role.ADMIN, Role.MANAGER)


def managers_only() -> Q:
    """The users is_manager() holds for (role ADMIN or MANAGER), as a filter on the user
    model: what a partner's `manager` must be."""
    return Q(is_active=True) & (Q(is_superuser=True) | Q(groups__name=MANAGERS_GROUP))


def manager_users() -> QuerySet:
    return get_user_model().objects.filter(managers_only()).distinct()


def is_partner_user(user: User) -> bool:
    return role(user) == Role.PARTNER


def can_import(user: User) -> bool:
    """Uploads files of metric values or partners (the import pages)."""
    return is_manager(user)


def portal_partner_id(user: User) -> int | None:
    """The partner id a portal user belongs to, or None for everyone else."""
    if not user.is_authenticated or not user.is_active:
        return None
    portal = getattr(user, "portal", None)
    return portal.partner_id if portal is not None else None


def visible_partners(user: User) -> QuerySet[Partner]:
    current = role(user)
    if current in (Role.ADMIN, Role.MANAGER):
        return Partner.objects.all()
    if current == Role.PARTNER:
        return Partner.objects.filter(pk=portal_partner_id(user))
    return Partner.objects.none()


def partner_for_user(user: User, code: str) -> Partner:
    """The partner with this code if the user may see it; 404 otherwise (never 403, so a
    partner user cannot even learn which codes exist)."""
    partner = (
        visible_partners(user)
        .select_related("partner_type", "region", "manager")
        .filter(code=code)
        .first()
    )
    if partner is None:
        raise Http404("No such partner.")
    return partner
