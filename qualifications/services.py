"""The qualification roster: importing roster files (matching is ``selectors.qualification_match``)."""

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from docregistry.celery import enqueue
from docregistry.security import clean_file_name

from .copied import CopiedRoster
from .importers import RosterReader
from .models import ImportBatch, Qualification
from .rosterfiles import ErrorList, RosterFileError, RowError, estimate_rows
from .staging import Loader

logger = logging.getLogger(__name__)

# At most this many errors are kept and listed; the total is always counted.
MAX_ERRORS = 10_000
CHUNK_ROWS = 20_000
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt")

MSG_FILE_TYPE = _("Upload a CSV file (UTF-8 or GBK) or an Excel workbook (.xlsx).")
MSG_BATCH_NOT_PENDING = _("This import has already been run.")


class ImportAlreadyRun(Exception):
    """The batch is no longer pending: it has been (or is being) imported."""


@transaction.atomic
def import_batch_create(*, uploaded_file: UploadedFile, uploaded_by=None, dry_run: bool = False) -> ImportBatch:
    """Store an uploaded roster file (under MEDIA_ROOT, never served) and queue its import after commit."""
    if not uploaded_file.name.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationError(MSG_FILE_TYPE, code="file_type")
    batch = ImportBatch(
        file_name=clean_file_name(uploaded_file.name, default="roster", max_length=255),
        uploaded_by=uploaded_by,
        dry_run=dry_run,
    )
    batch.file.save(f"{timezone.now():%Y%m%d-%H%M%S}-{batch.file_name}", uploaded_file, save=False)
    batch.full_clean()
    batch.save()
    transaction.on_commit(lambda: _queue_import(batch.pk))
    return batch


def _queue_import(batch_id: int) -> None:
    """Hand the import to Celery; if the broker is down the batch stays pending (run the command instead)."""
    try:
        enqueue("qualifications.tasks.import_roster_file", batch_id)
    except OperationalError:
        logger.exception("could not queue roster import %s", batch_id)


def _set(batch: ImportBatch, **fields) -> None:
    for name, value in fields.items():
        setattr(batch, name, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)


def progress_key(batch_id: int) -> str:
    return f"qualifications:import-progress:{batch_id}"


def import_progress(batch: ImportBatch) -> ImportBatch:
    """The batch with the progress its (still running) import last reported."""
    if batch.state == ImportBatch.State.RUNNING:
        reported = cache.get(progress_key(batch.pk))
        if reported:
            batch.rows_done, batch.rows_total = reported
    return batch


def roster_import(
    *, batch: ImportBatch, path: str | Path | None = None, progress: Callable[[ImportBatch], None] | None = None
) -> ImportBatch:
    """Validate a roster file and, if every row is good, upsert it on the certificate code.

    All or nothing: the whole file is one transaction, and one bad row rolls it back;
    ``batch.errors`` lists every bad row (up to MAX_ERRORS, ``batch.error_count`` counts
    them all). Importing the same file again changes nothing. Validation (this thread)
    and the database work (``staging.Loader``'s thread) overlap chunk by chunk; progress
    is reported through the cache, since the transaction hides it until the end.
    """
    if path is None:
        with local_copy(batch.file) as local:
            return roster_import(batch=batch, path=local, progress=progress)
    path = Path(path)
    started = time.monotonic()
    # Claim the batch with a conditional UPDATE: a task delivered twice runs it only once.
    claimed = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.PENDING).update(
        state=ImportBatch.State.RUNNING
    )
    if not claimed:
        raise ImportAlreadyRun(str(MSG_BATCH_NOT_PENDING))
    batch.state = ImportBatch.State.RUNNING
    errors = ErrorList(MAX_ERRORS)
    rows_done = 0
    counts = (0, 0)
    try:
        with transaction.atomic():
            loader = Loader(batch_id=batch.pk, dry_run=batch.dry_run, errors=errors)
            loader.start()
            copied = None
            try:
                loader.copied = copied = CopiedRoster.load(path, batch_id=batch.pk)
                batch.rows_total = copied.rows if copied else estimate_rows(path)
                _report(batch, 0, None)  # the total, for the progress bar
                reader = RosterReader(path, copied=copied)
                chunk = []
                for number, values, extra, row_errors in reader:
                    rows_done += 1
                    if row_errors:
                        errors.extend(row_errors)
                        loader.file_has_errors.set()
                    else:
                        chunk.append((number, *values, extra))
                    if rows_done % CHUNK_ROWS == 0:
                        loader.code_column = reader.titles["certificate_code"]
                        loader.put(chunk)
                        chunk = []
                        batch.rows_total = max(batch.rows_total, reader.rows_total)
                        _report(batch, rows_done, progress)
                loader.code_column = reader.titles["certificate_code"]
                loader.put(chunk)
                loader.finish()
                if copied:
                    rows_done += copied.unchanged  # stored records unchanged, not read again
            finally:
                loader.close()
                if copied:
                    copied.close()
            counts = (loader.inserted, loader.updated)
            if errors.count or batch.dry_run:
                transaction.set_rollback(True)
    except RosterFileError as exc:
        errors.extend(exc.errors)
    except Exception:
        logger.exception("roster import %s crashed", batch.pk)
        _set(batch, state=ImportBatch.State.FAILED, finished_at=timezone.now())
        raise
    finished = {"rows_total": rows_done, "rows_done": rows_done, "finished_at": timezone.now()}
    if errors.count:
        _set(
            batch,
            state=ImportBatch.State.FAILED,
            errors=[e.as_dict() for e in errors.sorted()],
            error_count=errors.count,
            inserted=0,
            updated=0,
            unchanged=0,
            **finished,
        )
    else:
        inserted, updated = counts
        _set(
            batch,
            state=ImportBatch.State.DONE,
            errors=[],
            error_count=0,
            inserted=inserted,
            updated=updated,
            unchanged=rows_done - inserted - updated,
            **finished,
        )
        if not batch.dry_run:
            _analyze_after(inserted + updated)
    cache.delete(progress_key(batch.pk))
    logger.info(
        "roster import %s (%s): %s rows in %.1f s, state %s, %s inserted, %s updated, %s unchanged, %s errors",
        batch.pk,
        batch.file_name,
        rows_done,
        time.monotonic() - started,
        batch.state,
        batch.inserted,
        batch.updated,
        batch.unchanged,
        batch.error_count,
    )
    return batch


def _analyze_after(written: int) -> None:
    """Refresh PostgreSQL's statistics of the roster once an import has written a tenth of it.

    Autovacuum would, some time later; until then the planner believes the table as it was
    (after a first import of a million rows, empty), and a re-import's anti-join took 1.5x longer.
    """
    if connection.vendor != "postgresql" or written < 1000:
        return
    table = Qualification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        (known,) = cursor.fetchone()
        if written * 10 >= max(known, 0):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@contextlib.contextmanager
def local_copy(file) -> Iterator[Path]:
    """A path to the stored file: itself in the local folder, a temporary copy from object storage.

    The readers need a real file (encoding sniffing reads a CSV twice, a workbook is a ZIP).
    """
    try:
        local = Path(file.path)
    except NotImplementedError:  # object storage has no local path
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(prefix="roster-", suffix=Path(file.name).suffix) as copy:
        with file.open("rb") as source:
            shutil.copyfileobj(source, copy, 1 << 20)
        copy.flush()
        yield Path(copy.name)


def _report(batch: ImportBatch, rows_done: int, progress) -> None:
    batch.rows_done = rows_done
    batch.rows_total = max(batch.rows_total, rows_done)
    cache.set(progress_key(batch.pk), (batch.rows_done, batch.rows_total), 6 * 3600)
    if progress:
        progress(batch)


def batch_errors(batch: ImportBatch) -> list[RowError]:
    return [RowError.from_dict(e) for e in batch.errors]
