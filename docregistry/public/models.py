"""What the public side keeps: each electronic certificate as issued, so its QR code can say what it said."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IssuedCertificate(models.Model):
    """One version of a registration's electronic practice certificate (电子证照).

    ``content`` is what the certificate prints (strings, as printed); ``digest`` names that
    content, so the same registration unchanged always gives the same certificate, and the
    verification page compares the print with the register now.
    """

    registration = models.ForeignKey(
        "registrations.Registration", on_delete=models.CASCADE, related_name="issued_certificates"
    )
    digest = models.CharField(_("content digest"), max_length=16)
    content = models.JSONField(_("what the certificate says"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("issued certificate")
        verbose_name_plural = _("issued certificates")
        constraints = [
            models.UniqueConstraint(fields=["registration", "digest"], name="one_issued_certificate_per_content")
        ]

    def __str__(self):
        return f"{self.content.get('certificate_code', '')} ({self.digest})"
