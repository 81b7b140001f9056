from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PHYSICIAN = "physician", _("Physician")
    INSTITUTION = "institution", _("Institution staff")
    AUTHORITY = "authority", _("Authority clerk")
    ADMIN = "admin", _("Administrator")


# Where each role works: the URL namespace of its portal.
PORTAL_NAMESPACES = {
    Role.PHYSICIAN: "physicians",
    Role.INSTITUTION: "institutions",
    Role.AUTHORITY: "authority",
    Role.ADMIN: "admin",
}


class User(AbstractUser):
    """One account model for every portal; ``role`` says which portal it belongs to.

    A physician's ``real_name`` and ``id_number`` are what the qualification
    roster is matched against; staff and clerks are tied to their institution
    or authority.
    """

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PHYSICIAN)
    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    id_number = models.CharField(_("resident ID number"), max_length=18, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    mobile_verified_at = models.DateTimeField(_("mobile verified at"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    institution = models.ForeignKey(
        "registrations.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    authority = models.ForeignKey(
        "registrations.Authority",
        verbose_name=_("authority"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clerks",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=models.Q(role="physician") & ~models.Q(id_number=""),
                name="one_physician_account_per_id_number",
            ),
        ]

    def __str__(self):
        return self.real_name or self.username

    def get_absolute_url(self):
        return reverse(f"{PORTAL_NAMESPACES[self.role]}:index")

    @property
    def is_active_physician(self) -> bool:
        return self.role == Role.PHYSICIAN and self.mobile_verified_at is not None


class SmsQuota(models.Model):
    """One counter per (what is counted, window): an address's codes this hour, an account's today, the site's.

    ``window_start`` is the window's start in epoch seconds (0 for a number's lock row); see ``sms_limits``.
    """

    key = models.CharField(max_length=100)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("SMS quota")
        verbose_name_plural = _("SMS quotas")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_sms_quota_per_window")]

    def __str__(self):
        return f"{self.key} {self.window_start}: {self.count}"


class SmsCode(models.Model):
    """A one-time code sent by SMS. Only its hash is stored."""

    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("Account activation")
        RESET_PASSWORD = "reset_password", _("Password recovery")
        CHANGE_MOBILE = "change_mobile", _("New mobile number")

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="sms_codes")
    mobile = models.CharField(_("mobile"), max_length=11, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [models.Index(fields=["mobile", "created_at"])]

    def __str__(self):
        return f"{self.mobile} {self.purpose}"
