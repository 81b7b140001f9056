from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from docregistry.accounts.models import User
from docregistry.accounts.portals import portal_home
from docregistry.registrations.demo import ROSTER, make_id_number, seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the site is served")

    def handle(self, *args, base_url, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo writes accounts with a published password; it refuses to run under these settings "
                "(DEMO_DATA_ALLOWED is False, as in docregistry.settings.production)."
            )
        base_url = base_url.rstrip("/")
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password changes are kept):"))
        for role, username, password in logins:
            url = portal_home(User(role=role, is_superuser=role == "admin"))
            if role != "admin":
                url = url.rstrip("/") + "/login/"
            self.stdout.write(f"  {role:<12} {username:<10} {password:<12} {base_url}{url}")
        self.stdout.write(f"  home: {base_url}{reverse('home')}")
        if settings.STAFF_TWO_FACTOR:
            self.stdout.write(
                "  hospital, clerk and admin set up two-factor sign-in at their first sign-in: scan the QR code "
                "with any authenticator app (TOTP)."
            )
        self.stdout.write("People on the demo roster without an account yet (sign up as one of them):")
        for name, born, sequence, *_ in ROSTER[1:3]:
            self.stdout.write(f"  {name}  {make_id_number('110105', born, sequence)}")
