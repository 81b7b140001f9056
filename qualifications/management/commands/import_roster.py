"""Import a qualification roster file: ``manage.py import_roster PATH [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qualifications.models import ImportBatch
from qualifications.services import batch_errors, roster_import


class Command(BaseCommand):
    help = (
        "Import a qualification roster (CSV in UTF-8 or GBK, or XLSX). All or nothing: "
        "a file with a bad row imports nothing and every bad row is printed; exit status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the roster file (.csv or .xlsx)")
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")

    def handle(self, *args, path, dry_run, verbosity, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        batch = ImportBatch.objects.create(file_name=file.name[:255], dry_run=dry_run)

        def progress(batch):
            if verbosity >= 2:
                self.stderr.write(
                    _("%(done)s of about %(total)s rows read") % {"done": batch.rows_done, "total": batch.rows_total}
                )

        roster_import(batch=batch, path=file, progress=progress)
        if batch.state == ImportBatch.State.FAILED:
            for error in batch_errors(batch):
                self.stderr.write(error.line())
            if batch.error_count > len(batch.errors):
                self.stderr.write(
                    _("… and %(count)s more errors not listed.") % {"count": batch.error_count - len(batch.errors)}
                )
            raise CommandError(
                _("%(count)s errors in %(rows)s rows: nothing was imported.")
                % {"count": batch.error_count, "rows": batch.rows_total},
                returncode=1,
            )
        summary = _("%(rows)s rows: %(inserted)s inserted, %(updated)s updated, %(unchanged)s unchanged.") % {
            "rows": batch.rows_total,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
        }
        if dry_run:
            summary += " " + _("Dry run: the file is valid and nothing was written.")
        self.stdout.write(summary)
