from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "docregistry.registrations"
    label = "registrations"
    verbose_name = _("Registrations")

    def ready(self):
        # The register's models live in their own module; importing it registers them.
        from . import register_models  # noqa: F401
