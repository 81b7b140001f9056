from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "docregistry.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from docregistry.security import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="docregistry.security.start_idle_clock")
