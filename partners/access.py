"""The one place that decides who may see which partner. Every view, API and export asks here.

Roles: superusers and members of the "Channel managers" group see every partner; a portal user
(PortalUser) sees exactly its own partner; anyone else sees nothing."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from partners.models import Partner

MANAGERS_GROUP = "Channel managers"


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_ps_is_manager", None)
    if cached is None:
        cached = user.groups.filter(name=MANAGERS_GROUP).exists()
        user._ps_is_manager = cached
    return cached


def portal_partner_id(user: AbstractBaseUser | AnonymousUser) -> int | None:
    """The partner id a portal user belongs to, or None for everyone else."""
    if not user.is_authenticated or not user.is_active:
        return None
    portal = getattr(user, "portal", None)
    return portal.partner_id if portal is not None else None


def visible_partners(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Partner]:
    if is_manager(user):
        return Partner.objects.all()
    partner_id = portal_partner_id(user)
    if partner_id is not None:
        return Partner.objects.filter(pk=partner_id)
    return Partner.objects.none()


def partner_for_user(user: AbstractBaseUser | AnonymousUser, code: str) -> Partner:
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


def managers_only() -> Q:
    """The users who are channel managers (a filter on the user model): what a partner's
    `manager` must be."""
    return Q(is_active=True) & (Q(is_superuser=True) | Q(groups__name=MANAGERS_GROUP))
