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

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner.code}"


# The audit trail (partnerscore/audit.py): partners (type, region, manager, active), portal
# links, and the users' role fields with their group membership. Never the password hash;
# not last_login, which every sign-in would turn into a version of its own.
register(Partner, records_class=AuditRecords)
register(PortalUser, records_class=AuditRecords)
register(
    get_user_model(),
    app="partners",
    records_class=AuditRecords,
    m2m_fields=["groups", "user_permissions"],
    excluded_fields=["password", "last_login"],
)
