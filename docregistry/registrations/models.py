"""The shared domain: regions, authorities, institutions, applications, registrations.

Every write goes through ``services.py``; every read a user asks for goes through
``selectors.py``.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.validators import validate_mobile, validate_postcode

from .choices import TEACHING_TITLE_MAP, AppType, Category, Level, RegistrationState, Title  # noqa: F401 - re-exported
from .types import APPLICATION_TYPES, ApplicationType


class Region(models.Model):
    """A GB/T 2260 administrative division: province (xx0000), city (xxxx00) or county."""

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        """The code prefix every region inside this one shares: 11 for 110000, 1101 for 110100."""
        code = self.code
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
        return code


class Authority(models.Model):
    """A health authority (卫生健康行政部门 / 行政审批局) and its jurisdiction."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    # Where physicians bring the paper materials: shown on their page and receipt once an institution confirms.
    office_address = models.CharField(_("office address"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")

    def __str__(self):
        return self.name


class Institution(models.Model):
    """A medical institution (医疗机构) whose HR staff confirm applications."""

    name = models.CharField(_("name"), max_length=100)
    registration_number = models.CharField(_("registration number"), max_length=40, unique=True)
    address = models.CharField(_("address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, validators=[validate_postcode])
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    responsible_person = models.CharField(_("responsible person"), max_length=20)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validate_mobile])
    license_checked = models.BooleanField(_("license copy checked"), default=False)
    authorisation_checked = models.BooleanField(_("authorisation letter checked"), default=False)
    entrusted_id_checked = models.BooleanField(_("entrusted person's ID checked"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self):
        return self.name


class PracticeScope(models.Model):
    """A practice scope (执业范围) allowed for a category; data an operator can extend."""

    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "position"]
        verbose_name = _("practice scope")
        verbose_name_plural = _("practice scopes")
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="unique_scope_per_category")]

    def __str__(self):
        return self.name


class Application(models.Model):
    """One application by a physician, moving through the review pipeline.

    The fields follow the coded review form (《医师执业注册申请审核表》). Level,
    category and qualification dates are copied from the matched qualification
    when the application is created.
    """

    Type = AppType

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for the institution")
        INSTITUTION_APPROVED = "institution_approved", _("Waiting for the authority")
        AUTHORITY_APPROVED = "authority_approved", _("Approved")
        RETURNED = "returned", _("Returned for changes")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    number = models.CharField(_("application number"), max_length=20, unique=True, null=True, blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.DRAFT, db_index=True)
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("physician"), on_delete=models.PROTECT, related_name="applications"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", verbose_name=_("qualification"), on_delete=models.PROTECT
    )
    registration = models.ForeignKey(
        "Registration",
        verbose_name=_("registration concerned"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )

    # Cover
    name = models.CharField(_("name"), max_length=50)
    level = models.CharField(_("qualification level"), max_length=16, choices=Level.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    qualification_code = models.CharField(_("qualification certificate code"), max_length=27)
    practice_certificate_code = models.CharField(_("practice certificate code"), max_length=15, blank=True)
    # Page 1
    education = models.CharField(_("highest education"), max_length=100, blank=True)
    title = models.CharField(_("professional title"), max_length=8, choices=Title.choices, blank=True)
    teaching_title = models.CharField(_("teaching title"), max_length=8, blank=True)
    assistant_qualified_on = models.DateField(_("assistant qualification obtained on"), null=True, blank=True)
    physician_qualified_on = models.DateField(_("physician qualification obtained on"), null=True, blank=True)
    # Page 2
    health_status = models.CharField(_("health status"), max_length=50, default="良好", blank=True)
    assessment_institution = models.CharField(_("assessment institution"), max_length=100, blank=True)
    # 业务水平考核机构或组织的名称和培训时间及考核结果: filled in by two-year-rule applicants.
    training_assessment = models.CharField(_("training and assessment"), max_length=200, blank=True)
    scope = models.CharField(_("practice scope"), max_length=50, blank=True)
    extra_scopes = models.JSONField(_("further practice scopes"), default=list, blank=True)
    remarks = models.TextField(_("other remarks"), blank=True)
    # Type-specific
    practice_suspended = models.BooleanField(_("practice suspended for two years or more"), default=False)
    site_starts_on = models.DateField(_("practice at this site from"), null=True, blank=True)
    site_ends_on = models.DateField(_("practice at this site until"), null=True, blank=True)
    cancellation_reason = models.CharField(_("reason for cancellation"), max_length=200, blank=True)
    # Review
    checklist = models.JSONField(_("paper materials received"), default=list, blank=True)
    institution_opinion = models.CharField(_("institution opinion"), max_length=200, blank=True)
    authority_opinion = models.CharField(_("authority opinion"), max_length=200, blank=True)
    refusal_ground = models.CharField(_("legal ground for refusal"), max_length=32, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    institution_decided_at = models.DateTimeField(_("confirmed by the institution at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The decision clock (SPEC section 10, ``calendar.py``): started by 受理, paused while back for 补正.
    accepted_at = models.DateTimeField(_("paper materials accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    clock_paused_days = models.PositiveSmallIntegerField(_("working days paused for missing materials"), default=0)
    clock_paused_on = models.DateField(_("clock paused since"), null=True, blank=True)
    decision_due_on = models.DateField(_("decision due by"), null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        # One index per list order (the keyset pages read 20 rows along it) and per name search
        # (a prefix: LIKE 'x%' uses a B-tree only with the pattern operator class on PostgreSQL;
        # SQLite ignores operator classes).
        indexes = [
            models.Index(fields=["institution", "state", "submitted_at"]),
            models.Index(fields=["institution", "submitted_at", "id"], name="application_institution_list"),
            models.Index(
                fields=["state", "institution_decided_at", "submitted_at", "id"], name="application_queue_by_state"
            ),
            models.Index(
                fields=["institution_decided_at", "submitted_at", "id"],
                condition=models.Q(institution_decided_at__isnull=False),
                name="application_queue_any_state",
            ),
            models.Index(
                fields=["institution", "name"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="application_institution_name",
            ),
            models.Index(
                fields=["state", "name"],
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                name="application_state_name",
            ),
        ]

    def __str__(self):
        return self.number or f"{self.get_type_display()} ({self.get_state_display()})"

    @property
    def kind(self) -> ApplicationType:
        """What this type of application is (``types.APPLICATION_TYPES``)."""
        return APPLICATION_TYPES[self.type]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def fill_date(self) -> datetime.date:
        return timezone.localdate(self.submitted_at or self.created_at)


OPEN_STATES = (
    Application.State.DRAFT,
    Application.State.SUBMITTED,
    Application.State.INSTITUTION_APPROVED,
    Application.State.RETURNED,
)


class WorkPeriod(models.Model):
    """One period of the work history on page 2 of the review form."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="work_periods")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=100)
    position = models.CharField(_("position"), max_length=50, blank=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("work period")
        verbose_name_plural = _("work periods")

    def __str__(self):
        return f"{self.starts_on}–{self.ends_on or ''} {self.employer}"


def document_upload_to(instance, filename):
    return f"documents/{instance.application_id}/{instance.kind}/{filename}"


class Document(models.Model):
    """An uploaded file, stored outside the web root and served only to those allowed."""

    class Kind(models.TextChoices):
        TRAINING_PROOF = "training_proof", _("Training and assessment proof")
        PHOTO = "photo", _("Photo")
        CONTRACT = "contract", _("Labour contract or employment proof")
        OTHER = "other", _("Other")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.original_name


class StatusChange(models.Model):
    """The audit record every transition writes."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="status_changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_role = models.CharField(_("role"), max_length=16)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    from_state = models.CharField(_("from"), max_length=24, choices=Application.State.choices)
    to_state = models.CharField(_("to"), max_length=24, choices=Application.State.choices)
    comment = models.TextField(_("comment"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.application_id}: {self.from_state} → {self.to_state}"


class Registration(models.Model):
    """A practice registration in force (执业注册), created when an authority approves."""

    State = RegistrationState

    physician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    name = models.CharField(_("name"), max_length=50, blank=True)  # the physician's, copied: it no longer changes
    certificate_code = models.CharField(_("practice certificate code"), max_length=15, unique=True)
    institution = models.ForeignKey(Institution, verbose_name=_("main institution"), on_delete=models.PROTECT)
    authority = models.ForeignKey(Authority, verbose_name=_("issued by"), on_delete=models.PROTECT)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    scope = models.CharField(_("practice scope"), max_length=50)
    # Further practice scopes (医师法 art. 14), added or removed by a change application.
    extra_scopes = models.JSONField(_("further practice scopes"), default=list, blank=True)
    # 执业地点: the main institution's province for a 执业医师, its county for a 执业助理医师 (办法 art. 8).
    practice_area = models.ForeignKey(
        Region, verbose_name=_("practice area"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # 增加注册: the registration in force this one was added to, in another practice area (办法 art. 12).
    additional_to = models.ForeignKey(
        "self",
        verbose_name=_("additional to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="additional_registrations",
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    effective_on = models.DateField(_("effective from"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # The register (SPEC section 9): a suspension's last day, and the ground of the present state.
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    ground = models.ForeignKey(
        "Ground", verbose_name=_("legal ground"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-effective_on"]
        _ops = ["int8_ops", "varchar_pattern_ops"]  # LIKE '张%' by index on PostgreSQL (SQLite ignores opclasses)
        indexes = [  # newest first (keyset), and by the start of the name
            models.Index(fields=["effective_on", "id"], name="registration_register_list"),
            models.Index(fields=["institution", "effective_on", "id"], name="registration_institution_list"),
            models.Index(fields=["name"], opclasses=_ops[1:], name="registration_name_prefix"),
            models.Index(fields=["institution", "name"], opclasses=_ops, name="registration_institution_name"),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self):
        return self.certificate_code

    @property
    def scopes(self) -> list[str]:
        """Every practice scope of the registration, the first one first."""
        return [self.scope, *(s for s in self.extra_scopes if s != self.scope)]


class PracticeSite(models.Model):
    """A further institution filed for multi-site practice (多机构备案)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="sites")
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT)
    scope = models.CharField(_("practice scope"), max_length=50)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    # When the filing actually ended (its end date passed, ended early, departure, or the registration ended).
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("practice site")
        verbose_name_plural = _("practice sites")

    def __str__(self):
        return f"{self.registration} @ {self.institution}"


class RegistrationWindow(models.Model):
    """A period in which an authority accepts first registrations in its region."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="windows")
    starts_on = models.DateField(_("opens on"))
    ends_on = models.DateField(_("closes on"))

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("registration window")
        verbose_name_plural = _("registration windows")

    def __str__(self):
        return f"{self.authority}: {self.starts_on} – {self.ends_on}"


class Counter(models.Model):
    """Named sequences (application numbers, certificate serials), advanced atomically."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.value}"


class Notification(models.Model):
    """The outbox: written in the transaction that causes it, dispatched after commit."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    application = models.ForeignKey(Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # After a failed attempt: when the next one is due (the sweeper re-queues what is overdue).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # What a reminder is about, e.g. ``remind:institution:12:2026-11-26``; unique, so it is never sent twice.
    key = models.CharField(_("key"), max_length=100, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="one_notification_per_key"),
        ]
        indexes = [
            # The daily redaction (reminders.notifications_redact) reads only the rows still to blank.
            models.Index(
                fields=["created_at"],
                condition=models.Q(application__isnull=True) & ~models.Q(body="[redacted]"),
                name="notification_to_redact",
            ),
            # The sweeper (tasks.dispatch_pending) reads only what is pending, oldest first.
            models.Index(fields=["created_at"], condition=models.Q(state="pending"), name="notification_pending"),
        ]

    def __str__(self):
        return f"{self.channel} → {self.recipient}"


# The register's models (SPEC section 9) live in their own module, which imports only ``choices``;
# importing it here registers them with the app and makes them importable from ``models``.
from .register_models import Ground, InstitutionReport, RegistrationChange  # noqa: E402, F401
