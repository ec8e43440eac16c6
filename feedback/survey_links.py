"""Customer survey links: a manager makes a per-partner public link; its token (from
secrets.token_urlsafe(32)) is shown once, only its SHA-256 is stored (as invitations do).
An unknown, expired or revoked token gets the same neutral answer: nothing tells which (an
inactive survey is refused by the response's service, with its own message)."""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback.models import Survey, SurveyAudience, SurveyLink
from partners.access import is_manager, may_see
from partners.models import Partner

INVALID_LINK = "This link is not valid."


class LinkInvalid(Exception):
    """A token that names no usable link (unknown, expired or revoked: never said which)."""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def survey_link_create(
    *, survey: Survey, partner: Partner, created_by: User, label: str = ""
) -> tuple[SurveyLink, str]:
    """A new link for this partner; returns it and its token (shown once, never stored)."""
    if not (is_manager(created_by) and may_see(created_by, partner)):
        raise ValidationError(f"You may not make links for {partner.name}.")
    if survey.audience != SurveyAudience.CUSTOMER:
        raise ValidationError(f"“{survey.name}” is not a customer survey: it has no links.")
    if not survey.is_active:
        raise ValidationError(f"“{survey.name}” is not active.")
    raw = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        survey=survey,
        partner=partner,
        token_hash=token_hash(raw),
        label=label.strip()[:200],
        created_by=created_by,
        expires_at=timezone.now() + dt.timedelta(days=survey.link_valid_days),
    )
    return link, raw


def survey_link_revoke(*, link: SurveyLink) -> bool:
    """Revokes the link (idempotent: a revoked link keeps its first revocation time)."""
    return bool(
        SurveyLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def survey_link_for_token(token: str) -> SurveyLink:
    """The usable link a token names; LinkInvalid (one message for every reason) otherwise."""
    if not token or len(token) > 100:
        raise LinkInvalid(INVALID_LINK)
    link = (
        SurveyLink.objects.select_related("survey", "partner")
        .filter(
            token_hash=token_hash(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if link is None:
        raise LinkInvalid(INVALID_LINK)
    return link


def link_state(link: SurveyLink, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if link.revoked_at:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    return "open"
