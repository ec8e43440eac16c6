"""Access events (AccessEvent): who signed in or failed to, sent or accepted an invitation,
asked for a password reset, exported what, and when. Model changes (roles included: the
partner admin flag, a manager's sees-all setting, group membership) are in the audit trail of
simple-history; these are the acts that change no model."""

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

from partners.models import AccessEvent

Kind = AccessEvent.Kind


def record_event(
    kind: str,
    *,
    user: User | AnonymousUser | None = None,
    username: str = "",
    what: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    known = user if isinstance(user, User) else None
    return AccessEvent.objects.create(
        kind=kind,
        user=known,
        username=(username or (known.get_username() if known else ""))[:150],
        what=what[:300],
        ip_address=_address(request),
    )


def record_export(user: User | AnonymousUser, what: str) -> AccessEvent:
    """One export a user downloaded: `what` names it (e.g. "scorecard ACME 2026-Q3 csv")."""
    return record_event(Kind.EXPORT, user=user, what=what)


def _address(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def on_signed_in(sender, request, user, **kwargs) -> None:
    record_event(Kind.SIGN_IN, user=user, request=request)


def on_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django hands the credentials with the password masked; only the username is kept."""
    username = str(credentials.get("username", ""))
    record_event(Kind.SIGN_IN_FAILED, username=username, request=request)
