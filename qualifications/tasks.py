"""Background work: importing an uploaded roster file."""

import logging

from celery import shared_task

from .models import ImportBatch
from .services import ImportAlreadyRun, roster_import

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_roster_file(batch_id: int) -> str:
    """Run a pending import. Idempotent: a batch that has already run is left alone."""
    batch = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.PENDING).first()
    if batch is None:
        return "skipped"
    try:
        roster_import(batch=batch)
    except ImportAlreadyRun:  # another worker claimed it in the meantime
        return "skipped"
    return batch.state
