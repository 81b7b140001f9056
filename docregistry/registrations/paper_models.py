"""Paper and time as data (SPEC sections 9 and 10): the holiday calendar and the paper checklist of each type.

Both are seeded by data migrations and edited by the operator in the admin; the code
reads them through ``calendar.py`` and ``checklists.py``.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .choices import AppType


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a public holiday, or a make-up working day (调休).

    Every other day is a working day from Monday to Friday and a rest day at the weekend.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class ChecklistItem(models.Model):
    """One paper material the authority checks before approving an application of a type (seed Q7)."""

    # A plain CharField: a type may be added (增加注册) before its choice exists in ``AppType``.
    type = models.CharField(_("application type"), max_length=16)
    code = models.CharField(_("code"), max_length=32)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["type", "position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("paper checklists")
        constraints = [models.UniqueConstraint(fields=["type", "code"], name="unique_checklist_code_per_type")]

    def __str__(self):
        return f"{self.type_label}: {self.label}"

    @property
    def label(self) -> str:
        """In the interface's language: English when asked for and filled in, Chinese otherwise."""
        language = get_language() or ""
        return self.label_en if language.startswith("en") and self.label_en else self.label_zh

    @property
    def type_label(self) -> str:
        try:
            return str(AppType(self.type).label)
        except ValueError:
            return self.type
