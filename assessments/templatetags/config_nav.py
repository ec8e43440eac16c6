from django import template

from assessments.views.approvals import approvals_in_use

register = template.Library()


@register.simple_tag
def approvals_link_shown() -> bool:
    """The nav's Approvals link: for managers, when a model asks for approval (cached)."""
    return approvals_in_use()
