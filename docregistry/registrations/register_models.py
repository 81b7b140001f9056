"""The register's models (SPEC section 9): the statutory grounds, the audit row of every change of state, and the
institutions' reports. Importable from ``registrations.models`` too."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import RegistrationState

# By name: ``models`` imports this module at its end (no import cycle, no registration in ``AppConfig.ready``).
APPLICATION = "registrations.Application"
INSTITUTION = "registrations.Institution"
REGISTRATION = "registrations.Registration"


class Ground(models.Model):
    """A statutory ground for refusing, suspending, cancelling or revoking (SPEC section 9); data an operator edits."""

    class Kind(models.TextChoices):
        REFUSAL = "refusal", _("Refusal of registration")
        SUSPENSION = "suspension", _("Suspension")
        CANCELLATION = "cancellation", _("Cancellation")
        REVOCATION = "revocation", _("Revocation")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=32)
    text = models.CharField(_("text"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "position"]
        verbose_name = _("legal ground")
        verbose_name_plural = _("legal grounds")
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="unique_ground_per_kind")]

    def __str__(self):
        return f"{self.text}（{self.legal_basis}）"


class RegistrationChange(models.Model):
    """The audit row every change of a registration's state writes (who, when, from, to, on what ground)."""

    registration = models.ForeignKey(REGISTRATION, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_role = models.CharField(_("role"), max_length=16)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    from_state = models.CharField(_("from"), max_length=16, choices=RegistrationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=RegistrationState.choices)
    ground = models.ForeignKey(
        Ground, verbose_name=_("legal ground"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    application = models.ForeignKey(
        APPLICATION, verbose_name=_("application"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration change")
        verbose_name_plural = _("registration changes")

    def __str__(self):
        return f"{self.registration_id}: {self.from_state or '—'} → {self.to_state}"


class InstitutionReport(models.Model):
    """What an institution reports about a physician practising there, for the authority's queue.

    A departure (离岗, 办法 art. 19: 调离, 退休, 退职, 辞退, 开除) is filed and ends the institution's filing;
    two years after leaving the main institution without a new one the registration is cancelled by beat.
    A ground for cancellation (art. 18) is confirmed by the authority, which then cancels.
    """

    class Kind(models.TextChoices):
        DEPARTURE = "departure", _("Departure")
        CANCELLATION = "cancellation", _("Ground for cancellation")

    class Reason(models.TextChoices):
        TRANSFER = "transfer", _("Transferred (调离)")
        RETIREMENT = "retirement", _("Retired (退休)")
        RESIGNATION = "resignation", _("Resigned (退职)")
        DISMISSAL = "dismissal", _("Dismissed (辞退)")
        EXPULSION = "expulsion", _("Expelled (开除)")

    class Outcome(models.TextChoices):
        OPEN = "", _("Waiting for the authority")
        NOTED = "noted", _("Recorded")
        CANCELLED = "cancelled", _("Registration cancelled")
        REJECTED = "rejected", _("Not confirmed")

    registration = models.ForeignKey(REGISTRATION, on_delete=models.CASCADE, related_name="reports")
    institution = models.ForeignKey(
        INSTITUTION, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason for leaving"), max_length=16, choices=Reason.choices, blank=True)
    ground = models.ForeignKey(
        Ground, verbose_name=_("legal ground"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    # The institution was the registration's main institution when it reported (not a filed site).
    main = models.BooleanField(_("main institution"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_comment = models.TextField(_("authority's comment"), blank=True)

    class Meta:
        ordering = ["reported_at", "pk"]
        indexes = [
            # The authority's queue (open, oldest first), what it handled, and the institution's own reports.
            models.Index(fields=["outcome", "reported_at", "id"], name="institution_report_queue"),
            models.Index(
                fields=["handled_at", "id"],
                condition=models.Q(handled_at__isnull=False),
                name="institution_report_handled",
            ),
            models.Index(fields=["institution", "reported_at", "id"], name="institution_report_by_inst"),
        ]
        verbose_name = _("institution report")
        verbose_name_plural = _("institution reports")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.registration_id} @ {self.institution_id}"
