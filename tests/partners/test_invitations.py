"""Invitations: partner admins invite colleagues, managers a partner's first user; the e-mailed
link is single-use and expires; the invitee's password meets Django's validators."""

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from partners.models import AccessEvent, Invitation, PortalUser

GOOD_PASSWORD = "Correct-horse-42"


def invite(client, code: str, email: str):
    return client.post(reverse("partner-invite", args=[code]), {"email": email})


def link_of(message) -> str:
    found = re.search(r"http://testserver(/invitations/\S+/)", message.body)
    assert found is not None, message.body
    return found.group(1)


@pytest.fixture
def acme_admin(world) -> User:
    PortalUser.objects.filter(user=world.acme_user).update(is_partner_admin=True)
    return world.acme_user


def accept(client, link: str, password: str = GOOD_PASSWORD):
    return client.post(link, {"new_password1": password, "new_password2": password})


def test_partner_admin_invites_a_colleague_who_joins_the_same_partner(world, acme_admin, client):
    client.force_login(acme_admin)
    response = invite(client, "ACME", "Jane@Acme.example")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["jane@acme.example"] and "Acme Corp" in message.subject
    link = link_of(message)
    invitation = Invitation.objects.get()
    raw = link.split("/")[2].split(":")[0]
    assert invitation.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in invitation.token_hash  # only the hash is stored

    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and b"jane@acme.example" in page.content
    assert accept(client, link).status_code == 302
    jane = User.objects.get(username="jane@acme.example")
    assert jane.check_password(GOOD_PASSWORD)
    portal = PortalUser.objects.get(user=jane)
    assert (portal.partner, portal.is_partner_admin) == (world.acme, False)
    assert client.get(reverse("home")).wsgi_request.user == jane  # signed in
    kinds = list(AccessEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["invitation_sent", "invitation_accepted", "sign_in"]


def test_link_works_once(world, acme_admin, client):
    client.force_login(acme_admin)
    invite(client, "ACME", "jane@acme.example")
    link = link_of(mail.outbox[0])
    client.logout()
    accept(client, link)
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and b"already been used" in again.content
    second = accept(client, link, "Another-horse-43")
    assert second.status_code == 410
    assert User.objects.get(username="jane@acme.example").check_password(GOOD_PASSWORD)


def test_expired_link_says_so(world, acme_admin, client):
    client.force_login(acme_admin)
    invite(client, "ACME", "jane@acme.example")
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client.logout()
    response = accept(client, link_of(mail.outbox[0]))
    assert response.status_code == 410 and b"invitation expired on" in response.content
    assert not User.objects.filter(username="jane@acme.example").exists()


def test_tampered_link_is_refused(world, acme_admin, client):
    client.force_login(acme_admin)
    invite(client, "ACME", "jane@acme.example")
    link = link_of(mail.outbox[0])
    response = client.get(link.replace(":", ":x", 1))
    assert response.status_code == 410 and b"not valid" in response.content


def test_weak_password_is_refused_with_the_validators_message(world, acme_admin, client):
    client.force_login(acme_admin)
    invite(client, "ACME", "jane@acme.example")
    client.logout()
    link = link_of(mail.outbox[0])
    response = accept(client, link, "password")
    assert response.status_code == 200
    assert b"This password is too common" in response.content
    assert Invitation.objects.get().used_at is None  # the link still works
    assert accept(client, link).status_code == 302


def test_manager_invites_a_partners_first_user_as_partner_admin(world, client):
    client.force_login(world.manager)
    assert invite(client, "GLOBEX", "boss@globex.example").status_code == 302
    client.logout()
    accept(client, link_of(mail.outbox[0]))
    portal = PortalUser.objects.get(user__username="boss@globex.example")
    assert (portal.partner, portal.is_partner_admin) == (world.globex, True)


def test_who_may_not_invite_gets_404(world, acme_admin, client):
    client.force_login(world.globex_user)  # a portal user, not a partner admin
    assert invite(client, "GLOBEX", "x@globex.example").status_code == 404
    client.force_login(acme_admin)
    response = invite(client, "GLOBEX", "x@globex.example")  # another partner
    assert response.status_code == 404 and b"Globex" not in response.content
    assert not Invitation.objects.exists() and not mail.outbox


def test_existing_account_is_not_invited(world, acme_admin, client):
    User.objects.create_user("jane@acme.example", email="jane@acme.example")
    client.force_login(acme_admin)
    response = invite(client, "ACME", "JANE@acme.example")
    assert response.status_code == 400 and b"already has an account" in response.content
    assert not mail.outbox


def test_invite_link_snippet_shows_for_those_who_may_invite(world, acme_admin, rf):
    from django.template.loader import render_to_string

    def snippet(user, partner) -> str:
        request = rf.get("/")
        request.user = User.objects.get(pk=user.pk)
        return render_to_string(
            "partners/_invite_link.html", {"partner": partner, "request": request}
        )

    assert reverse("partner-invite", args=["ACME"]) in snippet(acme_admin, world.acme)
    assert snippet(world.globex_user, world.globex).strip() == ""
    assert reverse("partner-invite", args=["GLOBEX"]) in snippet(world.manager, world.globex)
