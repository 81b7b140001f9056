"""Keyset pagination for the long lists (the institution's applications and 在职医师, the authority's
queue, register and reports queue).

``OFFSET 10000`` makes the database read and throw away ten thousand rows; a keyset page asks
for the 20 rows after (or before) the last one shown, which an index on the sort columns answers
in the same time on page 1 and page 500. The links carry that row's sort key (``?after=…`` or
``?before=…``). The list shows how many rows match up to ``COUNT_CAP`` and "more than" beyond:
counting a hundred thousand rows on every view is what made those pages slow.
"""

import base64
import datetime
import json
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.utils.functional import cached_property

# Sort keys (``-`` descending, ``a__b`` a related row's column); the primary key last makes every
# key unique. No column may be NULL.
INSTITUTION_ORDER = ("submitted_at", "pk")
QUEUE_ORDER = ("institution_decided_at", "submitted_at", "pk")
REGISTER_ORDER = ("-effective_on", "-pk")  # the authority's register: newest first
PHYSICIANS_ORDER = ("-effective_on", "-pk")  # the institution's 在职医师: newest registration first
REPORT_QUEUE_ORDER = ("reported_at", "pk")  # reports waiting for the authority: oldest first
COUNT_CAP = 1000
ADMIN_COUNT_CAP = 10_000


@dataclass
class KeysetPage:
    object_list: list
    count: int  # rows matching, at most COUNT_CAP + 1
    has_previous: bool
    has_next: bool
    previous_cursor: str = ""
    next_cursor: str = ""

    @property
    def more_than_cap(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def cap(self) -> int:
        return COUNT_CAP

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _encode(value):
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


def _value(obj: Model, path: str):
    for name in path.lstrip("-").split("__"):
        obj = getattr(obj, name)
    return obj


def _field(model, path: str):
    path = path.lstrip("-")
    if path == "pk":
        return model._meta.pk
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def cursor_for(obj: Model, order: tuple[str, ...]) -> str:
    """The opaque token naming ``obj``'s place in ``order``."""
    values = [_encode(_value(obj, field)) for field in order]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(token: str, order: tuple[str, ...], model) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != len(order):
        return None
    decoded = []
    for field_name, value in zip(order, values, strict=True):
        field = _field(model, field_name)
        try:
            decoded.append(field.to_python(value))
        except Exception:  # a hand-edited token: start again from the first page
            return None
        if decoded[-1] is None:
            return None
    return decoded


def _beyond(order: tuple[str, ...], values: list, *, after: bool) -> Q:
    """Rows strictly after (or before) ``values`` in ``order``, written so that an index range scan
    on the first column answers it: ``a >= x AND (a > x OR (a = x AND b > y) OR …)`` (``<`` for a
    descending column)."""

    def op(field: str) -> str:
        return "gt" if after != field.startswith("-") else "lt"

    names = [f.lstrip("-") for f in order]
    alternatives = Q()
    for i, field in enumerate(order):
        equal = dict(zip(names[:i], values[:i], strict=True))
        alternatives |= Q(**equal, **{f"{names[i]}__{op(field)}": values[i]})
    return Q(**{f"{names[0]}__{op(order[0])}e": values[0]}) & alternatives


def _reversed(order: tuple[str, ...]) -> list[str]:
    return [f[1:] if f.startswith("-") else f"-{f}" for f in order]


def keyset_page(qs: QuerySet, order: tuple[str, ...], params, *, per_page: int = 20) -> KeysetPage:
    """The page of ``qs`` that ``params`` (the request's GET) asks for: ``after``, ``before`` or the first."""
    model = qs.model
    after = _decode(params.get("after", ""), order, model) if params.get("after") else None
    before = _decode(params.get("before", ""), order, model) if params.get("before") and after is None else None
    keys = list(qs.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
    count = len(keys)
    if count <= COUNT_CAP:
        # Few rows match (a name prefix, a small institution): take them by primary key and sort
        # them. Left alone, the database walks the list's index in order looking for them, which
        # for a prefix with no match in a 100 k hospital meant every row of it.
        qs = qs.filter(pk__in=keys)
    if before is not None:
        rows = list(qs.filter(_beyond(order, before, after=False)).order_by(*_reversed(order))[: per_page + 1])
        has_previous = len(rows) > per_page
        rows = rows[:per_page][::-1]
        has_next = True
    else:
        if after is not None:
            qs = qs.filter(_beyond(order, after, after=True))
        rows = list(qs.order_by(*order)[: per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_previous = after is not None
    return KeysetPage(
        object_list=rows,
        count=count,
        has_previous=has_previous and bool(rows),
        has_next=has_next and bool(rows),
        previous_cursor=cursor_for(rows[0], order) if rows else "",
        next_cursor=cursor_for(rows[-1], order) if rows else "",
    )


class CappedCountPaginator(Paginator):
    """Counts at most ``ADMIN_COUNT_CAP`` rows: a full ``COUNT(*)`` of a million applications on
    every view of the list was what made it slow. Beyond the cap the list says 10,001 and the
    operator narrows it with the filters or the search."""

    @cached_property
    def count(self):
        return self.object_list.order_by()[: ADMIN_COUNT_CAP + 1].count()
