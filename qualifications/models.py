from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.choices import Category, Level


class ImportBatch(models.Model):
    """One roster file loaded by an administrator, with its outcome."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Rejected")

    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="rosters/", blank=True, max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    inserted = models.PositiveIntegerField(_("inserted"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("bad rows"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self):
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class Qualification(models.Model):
    """A record of the national qualification roster (医师资格)."""

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("resident ID number"), max_length=18)
    certificate_code = models.CharField(_("qualification certificate code"), max_length=27)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    obtained_on = models.DateField(_("obtained on"))
    extra = models.JSONField(_("other columns"), default=dict, blank=True)
    # No index and no database constraint: a million-row import would pay for both on every
    # row, and nothing looks records up by batch except an operator's occasional admin filter.
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["-obtained_on"]
        # Plain B-tree indexes (not unique=True/db_index=True, which on PostgreSQL add a second
        # "_like" index per column that no query here uses and every import would maintain).
        constraints = [models.UniqueConstraint(fields=["certificate_code"], name="qualification_code_unique")]
        indexes = [
            models.Index(fields=["id_number"], name="qualification_id_number"),
            # The daily two-year-line warning reads one day's worth of qualifications by date.
            models.Index(fields=["obtained_on"], name="qualification_obtained_on"),
        ]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self):
        return f"{self.name} {self.certificate_code}"
