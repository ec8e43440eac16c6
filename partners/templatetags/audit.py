"""{% history_url obj %}: the address of an object's audit trail (partners.views.history),
or "" when its model is not audited. Use it through templates/history/_link.html."""

from django import template
from django.db import models
from django.urls import reverse

from partnerscore.audit import history_model_for

register = template.Library()


@register.simple_tag
def history_url(obj: models.Model | None) -> str:
    if obj is None or obj.pk is None or history_model_for(type(obj)) is None:
        return ""
    meta = obj._meta
    return reverse("history", args=[meta.app_label, meta.model_name, obj.pk])
