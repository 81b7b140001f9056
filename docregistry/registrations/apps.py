from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "docregistry.registrations"
    label = "registrations"
    verbose_name = _("Registrations")

    def ready(self):
        # The paper's models live in their own module; importing it registers them (and ``checks`` registers
        # the calendar's system check). The register's models are imported by ``models`` itself.
        from . import checks, paper_models  # noqa: F401
