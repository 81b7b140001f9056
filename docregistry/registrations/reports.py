"""The authority's reports: how many applications, where they stand, how long decisions take.

Everything is computed over ``selectors.applications_reportable_to(user)``, so a
clerk only ever counts the applications of their own jurisdiction.
"""

import csv
import datetime
import io
import math
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from docregistry.accounts.models import User

from .models import Application
from .selectors import applications_reportable_to

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
    qs = applications_reportable_to(user)
    if date_from:
        qs = qs.filter(submitted_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(submitted_at__date__lte=date_to)
    return qs


def report_build(*, user: User, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> Report:
    """Counts by state, type and institution; median and 90th percentile of days to a decision."""
    qs = report_applications(user=user, date_from=date_from, date_to=date_to)
    state_counts = dict(qs.order_by().values_list("state").annotate(n=Count("pk")))
    type_counts = dict(qs.order_by().values_list("type").annotate(n=Count("pk")))
    by_institution = list(
        qs.order_by().values_list("institution__name").annotate(n=Count("pk")).order_by("-n", "institution__name")
    )
    durations = [
        days_between(submitted, decided)
        for submitted, decided in qs.filter(
            state__in=DECIDED_STATES, submitted_at__isnull=False, decided_at__isnull=False
        ).values_list("submitted_at", "decided_at")
    ]
    return Report(
        total=sum(state_counts.values()),
        by_state=[
            (value, label, state_counts.get(value, 0))
            for value, label in Application.State.choices
            if value != Application.State.DRAFT
        ],
        by_type=[(value, label, type_counts.get(value, 0)) for value, label in Application.Type.choices],
        by_institution=[(name, n) for name, n in by_institution],
        decided=len(durations),
        median_days=round(statistics.median(durations), 1) if durations else None,
        p90_days=percentile(durations, 90),
        date_from=date_from,
        date_to=date_to,
    )


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


def report_csv(report: Report) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(report_rows(report))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Report")[:31]
    for row in report_rows(report):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 12
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
