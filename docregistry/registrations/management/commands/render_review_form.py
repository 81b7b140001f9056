"""Write the coded review form PDF of one application, for reprints and checks.

python manage.py render_review_form 2026-110105-000001 --output form.pdf
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docregistry.registrations import reviewform
from docregistry.registrations.models import Application
from docregistry.registrations.selectors import normalize_application_number


class Command(BaseCommand):
    help = "Render the review form (医师执业注册申请审核表) of an application as a PDF."

    def add_arguments(self, parser):
        parser.add_argument("number", help="application number, e.g. 2026-110105-000001 (dashes optional)")
        parser.add_argument("--output", "-o", required=True, help="where to write the PDF")
        parser.add_argument("--no-cache", action="store_true", help="render afresh even if a cached PDF exists")

    def handle(self, *args, number, output, no_cache, **options):
        # An operator's tool: no portal scoping here, the application is looked up by its number.
        wanted = normalize_application_number(number)
        application = (
            Application.objects.select_related("institution", "physician")
            .prefetch_related("work_periods")
            .filter(number=wanted)
            .first()
        )
        if application is None:
            raise CommandError(f"No application numbered {wanted}.")
        pdf = reviewform.render_review_form(application, use_cache=not no_cache)
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        self.stdout.write(f"{path}: {len(pdf)} bytes, review form of {application.number} ({application.name})")
