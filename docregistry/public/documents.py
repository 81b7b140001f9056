"""What the verification page shows of one document (a leaf module: the verifiers import it)."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format


@dataclass
class Verification:
    """One verified document: rows of (label, value) as printed and as recorded now, and the warnings."""

    kind: str
    title: str
    reference: str
    printed: list[tuple[str, str]] = field(default_factory=list)
    now: list[tuple[str, str]] = field(default_factory=list)
    stale: str = ""  # the red warning: the print no longer says what the record says
    caution: str = ""  # the record now is not in force (suspended, cancelled, …)
    changed_on: datetime.date | None = None


def display_date(value) -> str:
    """A date (or the local date of a time) in the reader's language."""
    return date_format(timezone.localdate(value) if isinstance(value, datetime.datetime) else value, "DATE_FORMAT")
