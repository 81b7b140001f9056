"""Write a self-signed key and certificate for signing electronic certificates (development only)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from docregistry.public.signing import make_self_signed_pair


class Command(BaseCommand):
    help = "Create a self-signed signing pair at CERTIFICATE_SIGNING_KEY / CERTIFICATE_SIGNING_CERT."

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="do nothing when both files exist")

    def handle(self, *args, if_missing, **options):
        key, cert = Path(settings.CERTIFICATE_SIGNING_KEY), Path(settings.CERTIFICATE_SIGNING_CERT)
        if if_missing and key.is_file() and cert.is_file():
            self.stdout.write(f"signing pair present: {cert}")
            return
        make_self_signed_pair(key, cert)
        self.stdout.write(f"self-signed signing pair written: {key}, {cert}")
