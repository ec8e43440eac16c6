"""{{ request.user|can_invite:partner }}: partners.access.can_invite for templates (the
invite link, templates/partners/_invite_link.html). No query: a page's budget holds."""

from django import template

from partners import access

register = template.Library()


@register.filter
def can_invite(user, partner) -> bool:
    return partner is not None and access.can_invite(user, partner)
