"""Invitations to a partner's portal: a partner admin invites colleagues of its own partner, a
channel manager invites the users of the partners they see (a manager's invitee becomes a
partner admin: a partner's first user invites the rest).

The e-mailed link carries a random token, signed (a tampered link is refused before any
query); only its SHA-256 is stored. A link is used once (an UPDATE ... WHERE used_at IS NULL
decides a race) and expires after settings.INVITATION_DAYS."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from partners.access import can_invite, is_manager
from partners.events import Kind, record_event
from partners.models import Invitation, Partner, PortalUser

SALT = "partners.invitation"
INVALID_LINK = "This invitation link is not valid: check it was copied whole."


class InvitationRefused(Exception):
    """An invitation that cannot be sent or accepted; the message says why, to the user."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def account_exists(email: str) -> bool:
    users = get_user_model().objects
    return users.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()


def invitation_send(
    *, partner: Partner, email: str, invited_by: User, request: HttpRequest
) -> Invitation:
    """Records the invitation and e-mails its link. Refused (InvitationRefused) when the user
    may not invite to this partner or the address already has an account."""
    email = email.strip().lower()
    if not can_invite(invited_by, partner):
        raise InvitationRefused(f"You may not invite users of {partner.name}.")
    if account_exists(email):
        raise InvitationRefused(f"{email} already has an account: they can sign in.")
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        partner=partner,
        invited_by=invited_by,
        as_partner_admin=is_manager(invited_by),
        token_hash=_hash(raw),
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS),
    )
    token = signing.Signer(salt=SALT).sign(raw)
    link = request.build_absolute_uri(reverse("invitation-accept", args=[token]))
    inviter = invited_by.get_full_name() or invited_by.get_username()
    send_mail(
        subject=f"Your invitation to the {partner.name} partner portal",
        message=(
            f"{inviter} invites you to see {partner.name}'s scorecard on partnerscore.\n\n"
            f"Choose your password here (the link works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n\n"
            "Your username is this e-mail address.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    record_event(
        Kind.INVITATION_SENT, user=invited_by, what=f"{email} to {partner.code}", request=request
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link names, if it can still be accepted; InvitationRefused with a
    message for the invitee otherwise."""
    try:
        raw = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        raise InvitationRefused(INVALID_LINK) from None
    invitation = Invitation.objects.select_related("partner").filter(token_hash=_hash(raw)).first()
    if invitation is None:
        raise InvitationRefused(INVALID_LINK)
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation) -> None:
    if invitation.used_at is not None:
        raise InvitationRefused(
            "This invitation has already been used. Sign in with your e-mail address, or ask "
            "for a new invitation."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(
            f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC. Ask "
            f"whoever invited you to send a new one."
        )


def invitation_accept(*, invitation: Invitation, password: str, request: HttpRequest) -> User:
    """Uses the invitation (once) and creates the invitee's account: a portal user of the
    invitation's partner, with the password given (validated by the caller's form)."""
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, used_at=None, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
        if not claimed:
            invitation.refresh_from_db()
            _check_usable(invitation)
            raise InvitationRefused("This invitation can no longer be used.")
        if account_exists(invitation.email):
            raise InvitationRefused(f"{invitation.email} already has an account: sign in.")
        user = get_user_model().objects.create_user(
            username=invitation.email, email=invitation.email, password=password
        )
        PortalUser.objects.create(
            user=user, partner=invitation.partner, is_partner_admin=invitation.as_partner_admin
        )
        Invitation.objects.filter(pk=invitation.pk).update(user=user)
        record_event(
            Kind.INVITATION_ACCEPTED,
            user=user,
            what=f"{invitation.email} to {invitation.partner.code}",
            request=request,
        )
    return user


def invitations_of(partner: Partner) -> list[Invitation]:
    """The partner's latest invitations, for the invite page."""
    return list(partner.invitations.select_related("invited_by")[:20])
