"""The authority's reports: how many applications, where they stand, how long decisions take.

Everything is computed over ``selectors.applications_reportable_to(user)``, so a
clerk only ever counts the applications of their own jurisdiction.
"""

import csv
import datetime
import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Extract
from django.utils import timezone
from django.utils.translation import gettext as _

from docregistry.accounts.models import Role, User
from docregistry.security import Echo, neutralise_row

from .models import Application, Institution
from .selectors import applications_reportable_to, local_midnight
from .workflow import jurisdiction_prefix

DECIDED_STATES = (Application.State.AUTHORITY_APPROVED, Application.State.REFUSED)


@dataclass
class Report:
    total: int
    by_state: list[tuple[str, str, int]]  # (value, label, count) for every state but draft
    by_type: list[tuple[str, str, int]]
    by_institution: list[tuple[str, int]]  # (institution name, count), largest first
    decided: int
    median_days: float | None
    p90_days: float | None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    computed_at: datetime.datetime | None = None
    extra: dict = field(default_factory=dict)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``p`` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def days_between(start: datetime.datetime, end: datetime.datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def report_applications(
    *, user: User, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[Application]:
    """The applications a report counts, without the model's default ordering (nothing here needs a sort)."""
    qs = applications_reportable_to(user).order_by()
    if date_from:
        qs = qs.filter(submitted_at__gte=local_midnight(date_from))
    if date_to:
        qs = qs.filter(submitted_at__lt=local_midnight(date_to + datetime.timedelta(days=1)))
    return qs


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregate: ``PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY …)``."""

    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float):
        super().__init__(expression, fraction=float(fraction), output_field=FloatField())


class PercentileCont(_Percentile):
    """Interpolated: the median of an even count is the mean of the two middle values."""

    function = "PERCENTILE_CONT"


class PercentileDisc(_Percentile):
    """Nearest rank: the smallest value with at least the fraction of the values at or below it."""

    function = "PERCENTILE_DISC"


def decision_times(qs: QuerySet[Application]) -> tuple[int, float | None, float | None]:
    """How many of ``qs`` are decided, and the median and 90th percentile of their days to the decision.

    Each application's days are rounded to a tenth first, as the page shows them. On PostgreSQL the
    database computes it all in one query; elsewhere (SQLite, development) the durations are read.
    """
    decided = qs.filter(state__in=DECIDED_STATES, submitted_at__isnull=False, decided_at__isnull=False)
    if connection.vendor == "postgresql":
        elapsed = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
        seconds = Cast(Extract(elapsed, "epoch"), DecimalField(max_digits=14, decimal_places=3))
        days = Func(seconds / 86400, Value(1), function="ROUND", output_field=DecimalField())
        row = decided.aggregate(n=Count("pk"), median=PercentileCont(days, 0.5), p90=PercentileDisc(days, 0.9))
        median = None if row["median"] is None else round(float(row["median"]), 1)
        return row["n"], median, None if row["p90"] is None else float(row["p90"])
    durations = [days_between(start, end) for start, end in decided.values_list("submitted_at", "decided_at")]
    median = round(statistics.median(durations), 1) if durations else None
    return len(durations), median, percentile(durations, 90)


def report_figures(qs: QuerySet[Application]) -> dict:
    """The figures of a report, as plain values (what the cache keeps).

    Three queries, each an aggregate the database computes: by (state, type), by institution,
    and the decision times; no application row is read into Python (on PostgreSQL).
    """
    state_counts, type_counts = {}, {}
    for state, kind, n in qs.values_list("state", "type").annotate(n=Count("pk")).order_by():
        state_counts[state] = state_counts.get(state, 0) + n
        type_counts[kind] = type_counts.get(kind, 0) + n
    per_institution = dict(qs.values_list("institution_id").annotate(n=Count("pk")).order_by())
    names = dict(Institution.objects.filter(pk__in=per_institution).values_list("pk", "name"))
    by_institution = sorted(((names.get(pk, ""), n) for pk, n in per_institution.items()), key=lambda r: (-r[1], r[0]))
    decided, median_days, p90_days = decision_times(qs)
    return {
        "state_counts": state_counts,
        "type_counts": type_counts,
        "by_institution": by_institution,
        "decided": decided,
        "median_days": median_days,
        "p90_days": p90_days,
        "computed_at": timezone.now(),
    }


def report_build(
    *,
    user: User,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    refresh: bool = False,
) -> Report:
    """Counts by state, type and institution; median and 90th percentile of days to a decision.

    The figures of a jurisdiction and date range are kept in the cache for
    ``REPORT_CACHE_SECONDS`` (0 computes them on every request); beat's ``refresh_reports``
    recomputes the unfiltered report of every jurisdiction before it expires, so a clerk
    opening the reports page never waits for a count of the whole table. ``refresh``
    computes anew.
    """
    prefix = jurisdiction_prefix(user)
    seconds = settings.REPORT_CACHE_SECONDS if prefix is not None else 0
    key = f"report:v1:{prefix}:{date_from or ''}:{date_to or ''}"
    figures = cache.get(key) if seconds and not refresh else None
    if figures is None:
        figures = report_figures(report_applications(user=user, date_from=date_from, date_to=date_to))
        if seconds:
            cache.set(key, figures, seconds)
    state_counts, type_counts = figures["state_counts"], figures["type_counts"]
    return Report(
        total=sum(state_counts.values()),
        by_state=[
            (value, label, state_counts.get(value, 0))
            for value, label in Application.State.choices
            if value != Application.State.DRAFT
        ],
        by_type=[(value, label, type_counts.get(value, 0)) for value, label in Application.Type.choices],
        by_institution=figures["by_institution"],
        decided=figures["decided"],
        median_days=figures["median_days"],
        p90_days=figures["p90_days"],
        date_from=date_from,
        date_to=date_to,
        computed_at=figures["computed_at"],
    )


def reports_refresh() -> int:
    """Recompute the unfiltered report of every jurisdiction that has an active clerk. Returns how many."""
    done = set()
    clerks = User.objects.filter(role=Role.AUTHORITY, is_active=True, authority__isnull=False).select_related(
        "authority__region"
    )
    for clerk in clerks:
        prefix = jurisdiction_prefix(clerk)
        if prefix not in done:
            report_build(user=clerk, refresh=True)
            done.add(prefix)
    return len(done)


def report_rows(report: Report) -> list[list]:
    """The report as rows of a spreadsheet: section, item, value."""
    rows = [[_("Section"), _("Item"), _("Value")]]
    rows.append([_("Total"), _("Applications"), report.total])
    rows += [[_("By state"), str(label), n] for _value, label, n in report.by_state]
    rows += [[_("By type"), str(label), n] for _value, label, n in report.by_type]
    rows += [[_("By institution"), name, n] for name, n in report.by_institution]
    rows.append([_("Time to decision"), _("Decided applications"), report.decided])
    rows.append([_("Time to decision"), _("Median days"), "" if report.median_days is None else report.median_days])
    rows.append([_("Time to decision"), _("90th percentile days"), "" if report.p90_days is None else report.p90_days])
    return rows


def report_csv(report: Report) -> Iterator[bytes]:
    """The report as CSV, line by line (for a ``StreamingHttpResponse``).

    UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly.
    """
    writer = csv.writer(Echo())
    yield "\ufeff".encode()
    for row in report_rows(report):
        yield writer.writerow(neutralise_row(row)).encode("utf-8")


def report_xlsx(report: Report, out) -> None:
    """Write the report as XLSX to the binary file ``out``, row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Report")[:31])
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 12
    rows = iter(report_rows(report))
    header = []
    for value in next(rows):
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(neutralise_row(row))
    workbook.save(out)


def bar_chart(items: list[tuple[str, int]], *, bar_height: int = 26, width: int = 560) -> dict:
    """Geometry of a horizontal bar chart for a server-rendered SVG (labels left, counts right)."""
    label_width, value_width = 210, 48
    peak = max((n for _label, n in items), default=0) or 1
    bars = []
    for index, (label, n) in enumerate(items):
        length = round((width - label_width - value_width) * n / peak)
        y = index * (bar_height + 8)
        bars.append({"label": label, "n": n, "x": label_width, "y": y, "w": length, "h": bar_height,
                     "text_y": y + bar_height * 0.7, "value_x": label_width + length + 6})  # fmt: skip
    return {"width": width, "height": max(len(items) * (bar_height + 8), bar_height), "bars": bars,
            "label_x": label_width - 8}  # fmt: skip
