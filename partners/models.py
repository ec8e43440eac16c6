from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db import models
from simple_history import register

from partnerscore.audit import AuditRecords

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    "Use letters, digits, '_', '-' or '.', starting with a letter or digit.",
)


class PartnerType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    partner_type = models.ForeignKey(PartnerType, on_delete=models.PROTECT, related_name="partners")
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
        help_text="The channel manager who owns this relationship.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive partners are not scored.")
    joined_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["partner_type", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PortalUser(models.Model):
    """A login of a partner's staff: it sees that partner and nothing else."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="portal_users")
    is_partner_admin = models.BooleanField(
        default=False, help_text="Invites colleagues of this partner to the portal."
    )

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner.code}"


class ManagerProfile(models.Model):
    """A channel manager's settings: by default a manager sees the partners assigned to them
    (partners.access.visible_partners)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="manager_profile"
    )
    sees_all_partners = models.BooleanField(
        default=False, help_text="Sees every partner, not only those assigned to this manager."
    )

    def __str__(self) -> str:
        return f"{self.user}: {'all partners' if self.sees_all_partners else 'assigned partners'}"


class Invitation(models.Model):
    """An e-mailed, single-use, expiring link to the portal of one partner
    (partners/invitations.py). Only a hash of the link's token is stored."""

    email = models.EmailField()
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    as_partner_admin = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account the invitee created.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} -> {self.partner.code}"


class AccessEvent(models.Model):
    """Who did what, when, for what is not a model change (the audit trail of simple-history
    has those): sign-ins, invitations, password resets, exports (partners/events.py)."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Sign-in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset requested"
        EXPORT = "export", "Export"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="As typed or as it was.")
    what = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"


# The audit trail (partnerscore/audit.py): partners (type, region, manager, active), portal
# links, and the users' role fields with their group membership. Never the password hash;
# not last_login, which every sign-in would turn into a version of its own.
register(Partner, records_class=AuditRecords)
register(PortalUser, records_class=AuditRecords)
register(ManagerProfile, records_class=AuditRecords)
register(
    get_user_model(),
    app="partners",
    records_class=AuditRecords,
    m2m_fields=["groups", "user_permissions"],
    excluded_fields=["password", "last_login"],
)
