import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from partners.access import Role, can_invite, partner_for_user, role
from partners.events import Kind, record_event
from partners.history import audited_model, object_history
from partners.invitations import (
    InvitationRefused,
    invitation_accept,
    invitation_for_token,
    invitation_send,
    invitations_of,
)


@login_required
def history(request: HttpRequest, app_label: str, model_name: str, pk: str) -> HttpResponse:
    """One object's audit trail: each change with who, when, and every field before -> after.
    Admins only; anyone else gets a 404 (as for a partner they may not see)."""
    if role(request.user) != Role.ADMIN:
        raise Http404("The audit trail is for admins.")
    model = audited_model(app_label, model_name)
    trail = object_history(model=model, pk=pk)
    try:
        admin_url = reverse(f"admin:{app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        admin_url = ""
    return render(request, "history/object.html", {"trail": trail, "admin_url": admin_url})


# -- invitations ----------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=150)


@login_required
def invite(request: HttpRequest, code: str) -> HttpResponse:
    """Partner admins invite colleagues of their partner; managers the users of a partner
    they see. Anyone else: 404, as for a partner they may not see."""
    partner = partner_for_user(request.user, code)
    if not isinstance(request.user, User) or not can_invite(request.user, partner):
        raise Http404("No such partner.")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_send(
                partner=partner,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                request=request,
            )
        except InvitationRefused as refused:
            form.add_error("email", str(refused))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("partner-invite", code=partner.code)
    context = {
        "partner": partner,
        "form": form,
        "invitations": invitations_of(partner),
        "days": settings.INVITATION_DAYS,
        "now": timezone.now(),
    }
    return render(request, "partners/invite.html", context, status=400 if form.errors else 200)


class AcceptForm(SetPasswordForm):
    """Django's set-password form: the password validators, the two fields agreeing."""


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except InvitationRefused as refused:
        return render(
            request, "partners/invitation_invalid.html", {"reason": str(refused)}, status=410
        )
    invitee = get_user_model()(username=invitation.email, email=invitation.email)
    form = AcceptForm(invitee, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"], request=request
            )
        except InvitationRefused as refused:
            return _invitation_refused(request, refused)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to the {invitation.partner.name} portal.")
        return redirect("home")
    context = {"invitation": invitation, "form": form}
    return render(request, "partners/invitation_accept.html", context)


def _invitation_refused(request: HttpRequest, refused: InvitationRefused) -> HttpResponse:
    """A used, expired or broken link: 410 Gone, with the reason in words."""
    context = {"reason": str(refused)}
    return render(request, "partners/invitation_invalid.html", context, status=410)


# -- passwords ------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(Kind.PASSWORD_CHANGED, user=self.request.user, request=self.request)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per address typed and per client address (as
    django-axes limits sign-ins): past the limit the form says so and sends nothing."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if not password_reset_allowed(email=email, address=self.request.META.get("REMOTE_ADDR")):
            form.add_error(
                "email",
                "Too many reset requests for this address: wait an hour, then try again.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        record_event(Kind.PASSWORD_RESET, username=email, request=self.request)
        return super().form_valid(form)


def password_reset_counters(*, email: str, address: str | None) -> list[tuple[str, int]]:
    """The cache keys counting an hour's reset requests, with their limits: one per e-mail
    address typed, one per client address (five times higher: an office behind one address)."""
    limit = settings.PASSWORD_RESET_LIMIT_PER_HOUR
    counters = [(f"password-reset:email:{hashlib.sha256(email.encode()).hexdigest()}", limit)]
    if address:
        counters.append((f"password-reset:ip:{address}", limit * 5))
    return counters


def password_reset_allowed(*, email: str, address: str | None) -> bool:
    """Counts this request against the hour's limits of the e-mail and of the address."""
    allowed = True
    for key, most in password_reset_counters(email=email, address=address):
        cache.add(key, 0, timeout=3600)
        allowed &= cache.incr(key) <= most
    return allowed
