"""The one place that decides who may do what and see which partner. Every page, API view,
permission class, export and template asks here; nothing else reads is_staff or the groups.

Roles (`role(user)`), decided in this order:

- ADMIN: a superuser, or a member of the "Channel managers" group who is also staff. Sees every
  partner; configures (types, regions, partners, periods, KPIs) through the API.
- MANAGER: a member of "Channel managers". Sees the partners assigned to them (Partner.manager),
  or every partner when their ManagerProfile says so or they are in the "All partners" group
  (`sees_all_partners`); writes metric values and target overrides for the partners they see;
  imports files (rows for partners they do not see are refused).
- PARTNER: a portal user (PortalUser). Sees exactly its own partner, read-only; a partner admin
  (PortalUser.is_partner_admin) also invites colleagues of that partner.
- None: everyone else, including an inactive or anonymous user, and a staff user who is
  neither superuser, channel manager nor portal user: staff alone opens the Django admin
  (Django's own permissions govern that) but gives no business data here, no API role and
  no imports.
"""

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from partners.models import Partner

MANAGERS_GROUP = "Channel managers"
# Members of both groups see every partner, not only those assigned to them (as does a
# ManagerProfile with sees_all_partners).
ALL_PARTNERS_GROUP = "All partners"

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
    in_managers, sees_all = _manager_flags(user)
    if in_managers:
        user._ps_sees_all = sees_all or user.is_staff
        return Role.ADMIN if user.is_staff else Role.MANAGER
    if portal_partner_id(user) is not None:
        return Role.PARTNER
    return None


def _manager_flags(user: User) -> tuple[bool, bool]:
    """(member of "Channel managers", sees every partner) in one query, the one role() took
    before managers had a scope: pages keep their query budget."""
    groups = Group.objects.filter(user=OuterRef("pk"))
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            in_managers=Exists(groups.filter(name=MANAGERS_GROUP)),
            in_all=Exists(groups.filter(name=ALL_PARTNERS_GROUP)),
        )
        .values_list("in_managers", "in_all", "manager_profile__sees_all_partners")
        .first()
    )
    if row is None:
        return False, False
    in_managers, in_all, profile_all = row
    return bool(in_managers), bool(in_all or profile_all)


def is_manager(user: User) -> bool:
    """A channel manager or an admin: the portfolio and the scorecards of the partners
    `visible_partners` gives them."""
    return role(user) in (Role.ADMIN, Role.MANAGER)


def sees_all_partners(user: User) -> bool:
    """An admin, or a manager allowed to see every partner (see the module docstring)."""
    current = role(user)
    return current == Role.ADMIN or (
        current == Role.MANAGER and getattr(user, "_ps_sees_all", False)
    )


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
    """The one rule of which partners a user sees. Every partner is exactly
    `Partner.objects.all()`: the portfolio's cache is keyed by this queryset's SQL, so every
    manager who sees all shares the entry the recompute warms, and a restricted manager gets
    an entry of their own."""
    current = role(user)
    if sees_all_partners(user):
        return Partner.objects.all()
    if current == Role.MANAGER:
        return Partner.objects.filter(manager_id=user.pk)
    if current == Role.PARTNER:
        return Partner.objects.filter(pk=portal_partner_id(user))
    return Partner.objects.none()


def may_see(user: User, partner: Partner) -> bool:
    """visible_partners' rule for a partner in hand, without a query (templates use it)."""
    current = role(user)
    if sees_all_partners(user):
        return True
    if current == Role.MANAGER:
        return partner.manager_id == user.pk
    return current == Role.PARTNER and portal_partner_id(user) == partner.pk


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


def is_partner_admin(user: User) -> bool:
    """A portal user who may invite colleagues of its own partner."""
    if role(user) != Role.PARTNER:
        return False
    return bool(getattr(getattr(user, "portal", None), "is_partner_admin", False))


def can_invite(user: User, partner: Partner) -> bool:
    """Partner admins invite colleagues of their own partner; managers invite the users of the
    partners they see (a partner's first user, who becomes its partner admin)."""
    if is_manager(user):
        return may_see(user, partner)
    return is_partner_admin(user) and may_see(user, partner)
