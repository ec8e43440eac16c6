"""Reading the audit trail (django-simple-history, registered in each app's models): one
object's versions, newest first, each with who, when, and what changed field by field (the
package's diff_against between consecutive versions)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils import timezone
from simple_history.utils import get_m2m_reverse_field_name

from partnerscore.audit import history_model_for

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    when: Any
    who: str
    action: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ObjectHistory:
    model: type[models.Model]
    pk: str
    title: str
    entries: list[HistoryEntry]
    more: bool

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)


def audited_model(app_label: str, model_name: str) -> type[models.Model]:
    """The audited model named in a URL, or 404 (unknown, or not audited)."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise Http404("No such model.") from None
    if history_model_for(model) is None:
        raise Http404("This model has no audit trail.")
    return model


def object_history(*, model: type[models.Model], pk: str, limit: int = 100) -> ObjectHistory:
    """The latest `limit` versions of one object (also after it was deleted); 404 when the
    trail has none."""
    history = history_model_for(model)
    assert history is not None
    pk_name = model._meta.pk.attname
    try:
        records = list(
            history._default_manager.filter(**{pk_name: pk})
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[: limit + 1]
        )
    except (ValueError, TypeError):
        raise Http404("No such object.") from None
    if not records:
        raise Http404("No recorded change for this object.")
    shown = records[:limit]
    entries = [
        _entry(record, records[i + 1] if i + 1 < len(records) else None)
        for i, record in enumerate(shown)
    ]
    return ObjectHistory(model, str(pk), _title(records[0]), entries, len(records) > limit)


def _entry(record, previous) -> HistoryEntry:
    user = record.history_user
    who = (user.get_full_name() or user.username) if user is not None else "system (no user)"
    entry = HistoryEntry(
        when=record.history_date,
        who=who,
        action=ACTIONS.get(record.history_type, record.history_type),
        reason=record.history_change_reason or "",
    )
    if record.history_type == "~" and previous is not None:
        delta = record.diff_against(previous, foreign_keys_are_objs=True)
        entry.changes = [_change(record, c.field, c.old, c.new) for c in delta.changes]
    elif record.history_type == "+" or previous is None:
        # a creation (or the oldest version kept): every field's value as it was set
        entry.changes = [
            _change(record, f.name, None, _value(record, f))
            for f in record.tracked_fields
            if f.editable and not f.primary_key
        ]
        entry.changes = [c for c in entry.changes if c.after != EMPTY]
    return entry


def _value(record, model_field) -> Any:
    if isinstance(model_field, models.ForeignKey):
        try:
            return getattr(record, model_field.name)
        except ObjectDoesNotExist:  # deleted since: say which one it was
            name = model_field.related_model._meta.verbose_name
            return f"deleted {name} #{getattr(record, model_field.attname)}"
    return getattr(record, model_field.attname)


def _title(record) -> str:
    try:
        return str(record.instance)
    except ObjectDoesNotExist:  # its __str__ reads a related object deleted since
        meta = record.instance_type._meta
        return f"{meta.verbose_name} #{getattr(record, meta.pk.attname)}"


def _change(record, name: str, before: Any, after: Any) -> FieldChange:
    model_field = record.instance_type._meta.get_field(name)
    label = str(getattr(model_field, "verbose_name", name))
    return FieldChange(
        label[:1].upper() + label[1:], _show(model_field, before), _show(model_field, after)
    )


def _show(model_field, value: Any) -> str:
    """A value as a person reads it: choice labels, related objects by name, sets of groups."""
    if value is None or value == "":
        return EMPTY
    if isinstance(model_field, models.ManyToManyField):
        other = get_m2m_reverse_field_name(model_field)
        names = sorted(str(row[other]) for row in value)
        return ", ".join(names) if names else EMPTY
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
