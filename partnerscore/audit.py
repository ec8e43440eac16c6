"""The audit trail's recorder: django-simple-history, with one gap closed.

simple-history records a many-to-many change (`user.groups.add(group)`) as a new version of
the model that declares the field. The same change made from the other side
(`group.user_set.add(user)`, as Django's group admin and our demo do) reaches its receiver with
the *group* as the instance, which has no history: the package then fails. `AuditRecords`
records such a reverse change as a new version of each user it touched, so role changes are
recorded whichever side they are made from.

Registered models (`simple_history.register(..., records_class=AuditRecords)`) live in each
app's models: kpis/models/audited.py, partners/models.py, assessments/models/."""

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords


class AuditRecords(HistoricalRecords):
    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs: Any) -> None:
        if not reverse:
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        if action == "pre_clear":
            # pk_set is None for a clear: remember who is about to lose the relation
            field = getattr(self.cls, attr).field
            related = getattr(instance, field.remote_field.get_accessor_name())
            instance._audit_cleared = list(related.values_list("pk", flat=True))
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        pks = pk_set if action != "post_clear" else getattr(instance, "_audit_cleared", [])
        for owner in self.cls._default_manager.filter(pk__in=list(pks or ())):
            self.create_historical_record(owner, "~")


def history_model_for(model: type[models.Model]) -> type[models.Model] | None:
    """The historical model recording `model`, or None when it is not audited."""
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None
