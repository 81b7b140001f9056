"""The enumerations every part of the domain shares, in a leaf module.

Qualifications, codes, forms and the review form import these without importing
the models (or anything else) of ``registrations``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppType(models.TextChoices):
    FIRST = "first", _("First registration")
    CHANGE = "change", _("Change registration")
    MULTI_SITE = "multi_site", _("Multi-site practice")
    UPGRADE = "upgrade", _("Assistant to physician upgrade")
    CANCEL = "cancel", _("Cancellation")
    REREGISTER = "reregister", _("Re-registration")
    ADDITIONAL = "additional", _("Additional registration")


class RegistrationState(models.TextChoices):
    """A registration's state on the register (SPEC section 9); ``Registration.State``."""

    ACTIVE = "active", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    SUPERSEDED = "superseded", _("Superseded")
    CANCELLED = "cancelled", _("Cancelled")
    REVOKED = "revoked", _("Revoked")


class Level(models.TextChoices):
    PHYSICIAN = "physician", _("Licensed physician")
    ASSISTANT = "assistant", _("Licensed assistant physician")


class Category(models.TextChoices):
    CLINICAL = "clinical", _("Clinical")
    TCM = "tcm", _("Traditional Chinese medicine")
    DENTAL = "dental", _("Dental")
    PUBLIC_HEALTH = "public_health", _("Public health")


class Title(models.TextChoices):
    NONE = "", _("None")
    PHYSICIAN = "医师", _("Physician")
    ATTENDING = "主治医师", _("Attending physician")
    ASSOCIATE_CHIEF = "副主任医师", _("Associate chief physician")
    CHIEF = "主任医师", _("Chief physician")


# Teaching titles and the clinical titles they count as (SPEC section 3).
TEACHING_TITLE_MAP = {"讲师": Title.ATTENDING, "副教授": Title.ASSOCIATE_CHIEF, "教授": Title.CHIEF}
