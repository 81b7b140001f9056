from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "docregistry.registrations"
    label = "registrations"
    verbose_name = _("Registrations")

    def ready(self):
        # The register's and the paper's models live in their own modules; importing them registers them
        # (and ``checks`` registers the calendar's system check).
        from . import checks, paper_models, register_models  # noqa: F401
