"""Benchmark: every list, filter, queue, report and export page against a bare 20-row view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dr_bench \\
        .venv/bin/python bench/list_pages.py 1000000          # load 1 M applications, then measure
    .venv/bin/python bench/list_pages.py 2000 --rounds 3     # SQLite smoke run (temporary file)

Loads N applications over 200 institutions (one hospital holds a tenth of them), with one
physician account and one roster qualification each, a registration for every approved
application (63 %, about 630,000 at 1 M; 2 % cancelled, 2 % suspended), N / 7 outbox
notifications and N / 50 institution reports (three in four waiting for the authority). On
PostgreSQL the server makes the rows itself (``INSERT … SELECT FROM generate_series``, the
registrations ``INSERT … SELECT FROM`` the approved applications; the 200 institutions by
``COPY``), with the secondary indexes dropped for the load and built afterwards; on SQLite by
``executemany``. Every table the benchmark fills is emptied first, so use a database of its own.
``--no-load`` measures what an earlier run loaded.

Then it requests every page in-process through the whole middleware stack (DEBUG off), the bare
view included, interleaved: each round requests every page once, in a shuffled order. The bare
view is one indexed query of 20 applications shown as a plain table in the institution portal's
page shell (base template, navigation), i.e. the least a list page renders. For each page it
prints p50 and p95 in milliseconds, the ratio of its p50 to the bare view's p50, and its query
count. ``--passes K`` repeats the measurement K times and prints the min and median ratio.
The report pages are timed as production serves them (figures kept ``REPORT_CACHE_SECONDS``,
300 unless set; 0 times the computation on every request); the computation itself is timed
apart at the end.
"""

import argparse
import contextlib
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然博文欣怡子涵思雨晨阳"
BIG_SHARE = 10  # one application in ten goes to the big hospital
INSTITUTIONS = 200
DISTRICTS = ("110101", "110102", "110105", "110108")
SPAN_DAYS = 5 * 365  # five years of applications, the newest a week ago
PAGE_ROWS = 20
DEEP_PAGE = 500
FIRST_USER = 10  # physician accounts from this id on; the clerk, the hospital and the admin after them


def setup_django(database_url: str | None, tmp: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "docregistry.settings.test"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ROOT_URLCONF = "bench_urls"
    settings.DEBUG = False
    settings.REPORT_CACHE_SECONDS = int(os.environ.get("REPORT_CACHE_SECONDS", "300"))  # as in production
    call_command("migrate", verbosity=0)


# ---- Loading ---------------------------------------------------------------------


def state_of(i: int) -> str:
    """2 % draft, 10 % waiting for the institution, 10 % for the authority, 63 % approved, the rest ended."""
    r = (i * 7919) % 100
    for bound, state in ((2, "draft"), (12, "submitted"), (22, "institution_approved"), (85, "authority_approved"),
                         (90, "returned"), (93, "refused")):  # fmt: skip
        if r < bound:
            return state
    return "withdrawn"


def name_of(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + ("" if i % 3 else GIVEN[(i // 11) % len(GIVEN)])


def id_number_of(i: int) -> str:
    from docregistry.registrations.demo import make_id_number

    return make_id_number("110105", datetime.date(1970, 1, 1) + datetime.timedelta(days=i // 1000), i % 1000)


def institution_of(i: int, first_id: int) -> int:
    return first_id if i % BIG_SHARE == 0 else first_id + 1 + i % (INSTITUTIONS - 1)


def rows_for(model, count: int, values) -> tuple[list[str], object]:
    """Columns of ``model`` (all concrete ones, id included) and a generator of rows: ``values(i)`` gives
    the columns that differ per row, every other column takes the field's default."""
    fields = [f for f in model._meta.concrete_fields]
    columns = [f.column for f in fields]
    defaults = {}
    for f in fields:
        default = f.get_default() if f.has_default() else (None if f.null else "")
        if f.get_internal_type() == "JSONField":
            default = "{}" if default == {} else "[]"
        defaults[f.column] = default

    def generate():
        for i in range(count):
            row = dict(defaults)
            row.update(values(i))
            yield [row[c] for c in columns]

    return columns, generate()


def copy_rows(table: str, columns: list[str], rows) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", list(rows)
            )
            return

        def text(value):
            if value is None:
                return r"\N"
            if value is True:
                return "t"
            if value is False:
                return "f"
            return str(value)

        buffer = io.StringIO()
        for n, row in enumerate(rows, 1):
            buffer.write("\t".join(text(v) for v in row))
            buffer.write("\n")
            if n % 100_000 == 0:
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer, size=1 << 20)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer, size=1 << 20)


def insert_series(
    model, n: int, expressions: dict[str, str], params: dict | None = None, per_row=None, source: str = ""
) -> None:
    """``INSERT … SELECT … FROM generate_series(0, n - 1) AS i``: the database makes the rows itself.

    ``expressions`` gives the SQL of the columns that differ per row (in terms of ``i``, of the
    named ``params`` and of the columns of ``per_row``); every other column takes the field's
    default. ``per_row`` names values computed once per row (PostgreSQL does not share a repeated
    expression), e.g. ``{"state": "CASE … END"}``. ``source`` replaces the series by another
    ``FROM …`` (then ``n`` is unused)."""
    from django.db import connection

    columns, values, args = [], [], dict(params or {})
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.column in expressions:
            values.append(expressions[field.column])
            continue
        default = field.get_default() if field.has_default() else (None if field.null else "")
        if field.get_internal_type() == "JSONField":
            default = "{}" if default == {} else "[]"
        args[f"default_{field.column}"] = default
        values.append(f"%(default_{field.column})s")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(0, %(last)s) AS i"
    )
    if source:
        sql = sql.replace("FROM generate_series(0, %(last)s) AS i", source)
    if per_row:
        computed = ", ".join(f"{sql} AS {name}" for name, sql in per_row.items())
        sql = sql.replace(
            "FROM generate_series(0, %(last)s) AS i",
            f"FROM (SELECT i, {computed} FROM generate_series(0, %(last)s) AS i) AS row_values",
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, {**args, "last": n - 1})
    print(f"  {model._meta.db_table}: {time.perf_counter() - started:.1f} s", flush=True)


@contextlib.contextmanager
def indexes_built_afterwards(tables: list[str]):
    """Drop the tables' secondary indexes, yield, then build them again, and skip the foreign-key
    triggers while inside: one sorted build per index is many times cheaper than keeping twelve
    indexes up to date row by row. Indexes that back a constraint (primary keys, unique
    constraints) stay."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.schemaname, i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.tablename = ANY(%s) AND NOT EXISTS ("
            "   SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' ||"
            "   quote_ident(i.indexname))::regclass)",
            [tables],
        )
        indexes = cursor.fetchall()
        for schema, name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{schema}"."{name}"')
        cursor.execute("SET LOCAL session_replication_role = replica")  # no FK trigger per row
        yield
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        for _schema, _name, definition in indexes:
            cursor.execute(definition)
        print(f"  {len(indexes)} indexes built: {time.perf_counter() - started:.1f} s", flush=True)


def load_by_generate_series(n: int, *, now, first_inst: int, first_user: int) -> None:
    """The physicians, qualifications and applications of ``load`` on PostgreSQL, made by the server."""
    from docregistry.accounts.models import User
    from docregistry.registrations.models import Application
    from qualifications.models import Qualification

    # The same data as the Python rows of ``load`` (name_of, id_number_of, state_of), in SQL.
    name = (
        f"substr(%(surnames)s, i %% {len(SURNAMES)} + 1, 1) || substr(%(given)s, (i / 7) %% {len(GIVEN)} + 1, 1)"
        f" || CASE WHEN i %% 3 = 0 THEN substr(%(given)s, (i / 11) %% {len(GIVEN)} + 1, 1) ELSE '' END"
    )
    first17 = "('110105' || to_char(DATE '1970-01-01' + i / 1000, 'YYYYMMDD') || lpad((i %% 1000)::text, 3, '0'))"
    check = (
        f"(SELECT substr('10X98765432', (sum(substr({first17}, k, 1)::int * (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[k])"
        " %% 11)::int + 1, 1) FROM generate_series(1, 17) AS k)"
    )
    per_row = {"v_name": name, "v_id_number": f"({first17} || {check})"}
    name, id_number = "v_name", "v_id_number"
    names = {"surnames": SURNAMES, "given": GIVEN}
    insert_series(
        User,
        n,
        {
            "id": f"{first_user} + i",
            "password": "'!'",
            "username": "'p' || lpad(i::text, 7, '0')",
            "role": "'physician'",
            "real_name": name,
            "id_number": id_number,
            "mobile": "'13' || lpad(i::text, 9, '0')",
            "is_active": "true",
            "date_joined": "%(now)s",
            "mobile_verified_at": "%(now)s",
        },
        {**names, "now": now},
        per_row,
    )
    level = "(CASE WHEN i %% 5 = 0 THEN 'assistant' ELSE 'physician' END)"
    level_digit = "(CASE WHEN i %% 5 = 0 THEN '2' ELSE '1' END)"
    year = "(2015 + i %% 10)"
    insert_series(
        Qualification,
        n,
        {
            "id": "1 + i",
            "name": name,
            "id_number": id_number,
            "certificate_code": f"{year}::text || '11' || {level_digit} || '10' || {id_number}",
            "level": level,
            "category": "'clinical'",
            "obtained_on": f"make_date({year}, 9, 1)",
        },
        names,
        per_row,
    )
    per_row["v_state"] = (
        "(CASE WHEN (i %% 100 * 7919) %% 100 < 2 THEN 'draft' WHEN (i %% 100 * 7919) %% 100 < 12 THEN 'submitted'"
        " WHEN (i %% 100 * 7919) %% 100 < 22 THEN 'institution_approved' WHEN (i %% 100 * 7919) %% 100 < 85 THEN"
        " 'authority_approved' WHEN (i %% 100 * 7919) %% 100 < 90 THEN 'returned' WHEN (i %% 100 * 7919) %% 100 < 93"
        " THEN 'refused' ELSE 'withdrawn' END)"
    )
    state = "v_state"
    created = "(%(oldest)s + i * %(step)s)"
    submitted = f"(CASE WHEN {state} = 'draft' THEN NULL ELSE {created} + interval '1 hour' END)"
    forwarded = (
        f"(CASE WHEN {state} IN ('institution_approved', 'authority_approved', 'refused')"
        f" THEN {created} + interval '1 hour' + (1 + i %% 5) * interval '1 day' END)"
    )
    decided = (
        f"(CASE WHEN {state} IN ('authority_approved', 'refused') THEN {forwarded}"
        " + (i %% 30) * interval '1 day' + (i %% 24) * interval '1 hour' END)"
    )
    oldest = now - datetime.timedelta(days=SPAN_DAYS + 7)
    insert_series(
        Application,
        n,
        {
            "id": "1 + i",
            "number": f"CASE WHEN {state} = 'draft' THEN NULL ELSE extract(year FROM {created} AT TIME ZONE"
            " 'Asia/Shanghai')::int::text || '-110105-' || lpad(i::text, 7, '0') END",
            "type": "CASE WHEN i %% 4 = 0 THEN 'change' ELSE 'first' END",
            "state": state,
            "physician_id": f"{first_user} + i",
            "institution_id": f"CASE WHEN i %% {BIG_SHARE} = 0 THEN {first_inst}"
            f" ELSE {first_inst} + 1 + i %% {INSTITUTIONS - 1} END",
            "qualification_id": "1 + i",
            "name": name,
            "level": level,
            "category": "'clinical'",
            "qualification_code": f"{year}::text || '11' || {level_digit} || '10' || {id_number}",
            "physician_qualified_on": f"make_date({year}, 9, 1)",
            "scope": "'内科专业'",
            "practice_certificate_code": f"CASE WHEN {state} = 'authority_approved'"
            " THEN '110110105' || lpad((i %% 1000000)::text, 6, '0') ELSE '' END",
            "created_at": created,
            "updated_at": f"coalesce({decided}, {forwarded}, {submitted}, {created})",
            "submitted_at": submitted,
            "institution_decided_at": forwarded,
            "decided_at": decided,
        },
        {**names, "oldest": oldest, "step": datetime.timedelta(seconds=SPAN_DAYS * 86400 / max(n, 1))},
        per_row,
    )


REGISTRATION_STATE_SQL = (
    "(CASE WHEN a.id %% 50 = 0 THEN 'cancelled' WHEN a.id %% 50 = 1 THEN 'suspended' ELSE 'active' END)"
)


def registration_state_of(application_id: int) -> str:
    """The same as ``REGISTRATION_STATE_SQL``: 2 % cancelled, 2 % suspended, the rest in force."""
    return {0: "cancelled", 1: "suspended"}.get(application_id % 50, "active")


def load_register_by_sql(n: int, *, now, authority_id: int) -> None:
    """A registration for every approved application, and the outbox, made by the server (PostgreSQL)."""
    from docregistry.registrations.models import Notification, Registration

    effective = "(a.decided_at AT TIME ZONE 'Asia/Shanghai')::date"
    state = REGISTRATION_STATE_SQL
    insert_series(
        Registration,
        0,
        {
            "id": "a.id",
            "physician_id": "a.physician_id",
            "name": "a.name",
            "certificate_code": "a.practice_certificate_code",
            "institution_id": "a.institution_id",
            "authority_id": "%(authority)s",
            "level": "a.level",
            "category": "a.category",
            "scope": "a.scope",
            "practice_area_id": "CASE WHEN a.level = 'physician' THEN '110000' ELSE '110105' END",
            "state": state,
            "effective_on": effective,
            "ended_on": f"CASE WHEN {state} = 'cancelled' THEN LEAST({effective} + 200, %(today)s) END",
            "suspended_until": f"CASE WHEN {state} = 'suspended' THEN %(today)s + 30 END",
        },
        {"authority": authority_id, "today": now.date()},
        source="FROM registrations_application AS a WHERE a.state = 'authority_approved'",
    )
    count = max(n // 7, 1)
    insert_series(
        Notification,
        count,
        {
            "id": "1 + i",
            "channel": "CASE WHEN i %% 2 = 0 THEN 'sms' ELSE 'email' END",
            "recipient": "CASE WHEN i %% 2 = 0 THEN '13' || lpad(i::text, 9, '0') ELSE 'p' || i || '@example.com' END",
            "subject": "'注册申请进度'",
            "body": "'您的执业注册申请已受理，请登录系统查看。'",
            "state": "CASE WHEN i %% 20 = 0 THEN 'pending' WHEN i %% 20 = 1 THEN 'failed' ELSE 'sent' END",
            "attempts": "CASE WHEN i %% 20 = 0 THEN 0 ELSE 1 END",
            "application_id": f"1 + (i * 7) %% {max(n, 1)}",
            "created_at": "%(now)s - (%(count)s - i) * interval '1 minute'",
            "sent_at": "CASE WHEN i %% 20 > 1 THEN %(now)s - (%(count)s - i) * interval '1 minute' END",
        },
        {"now": now, "count": count},
    )


def load_register_by_rows(n: int, *, now, authority_id: int) -> None:
    """The same registrations and outbox as ``load_register_by_sql``, by Python rows (SQLite)."""
    from zoneinfo import ZoneInfo

    from docregistry.registrations.models import Application, Notification, Registration

    approved = list(
        Application.objects.filter(state="authority_approved")
        .order_by("pk")
        .values_list(
            "pk", "physician_id", "name", "practice_certificate_code", "institution_id", "level", "scope", "decided_at"
        )
    )
    shanghai = ZoneInfo("Asia/Shanghai")

    def registration(k):
        pk, physician, name, code, institution, level, scope, decided = approved[k]
        state = registration_state_of(pk)
        effective = decided.astimezone(shanghai).date()
        return {
            "id": pk,
            "physician_id": physician,
            "name": name,
            "certificate_code": code,
            "institution_id": institution,
            "authority_id": authority_id,
            "level": level,
            "category": "clinical",
            "scope": scope,
            "practice_area_id": "110000" if level == "physician" else "110105",
            "state": state,
            "effective_on": effective,
            "ended_on": min(effective + datetime.timedelta(days=200), now.date()) if state == "cancelled" else None,
            "suspended_until": now.date() + datetime.timedelta(days=30) if state == "suspended" else None,
        }

    columns, rows = rows_for(Registration, len(approved), registration)
    copy_rows(Registration._meta.db_table, columns, rows)
    count = max(n // 7, 1)

    def notification(i):
        created = now - datetime.timedelta(minutes=count - i)
        state = {0: "pending", 1: "failed"}.get(i % 20, "sent")
        return {
            "id": 1 + i,
            "channel": "sms" if i % 2 == 0 else "email",
            "recipient": f"13{i:09d}" if i % 2 == 0 else f"p{i}@example.com",
            "subject": "注册申请进度",
            "body": "您的执业注册申请已受理，请登录系统查看。",
            "state": state,
            "attempts": 0 if state == "pending" else 1,
            "application_id": 1 + (i * 7) % max(n, 1),
            "created_at": created,
            "sent_at": created if state == "sent" else None,
        }

    columns, rows = rows_for(Notification, count, notification)
    copy_rows(Notification._meta.db_table, columns, rows)


def load_reports(n: int, *, now, staff) -> None:
    """N / 50 departures reported on registrations in force, spread over the institutions; three in
    four wait for the authority, the others were recorded (a few thousand rows: ``bulk_create``)."""
    from django.db import connection

    from docregistry.registrations.models import Registration
    from docregistry.registrations.register_models import InstitutionReport

    started = time.perf_counter()
    table = InstitutionReport._meta.db_table
    count = max(n // 50, 1)
    every = max(Registration.objects.count() // count, 1)
    ids = list(
        Registration.objects.filter(state="active").order_by("pk").values_list("pk", "institution_id")[::every][:count]
    )
    reports = [
        InstitutionReport(
            registration_id=pk,
            institution_id=institution,
            kind="departure",
            reason="transfer",
            occurred_on=now.date() - datetime.timedelta(days=k % 30),
            main=True,
            reported_by=staff,
            outcome="" if k % 4 else "noted",
            handled_by=staff if k % 4 == 0 else None,
            handled_at=now - datetime.timedelta(minutes=k) if k % 4 == 0 else None,
        )
        for k, (pk, institution) in enumerate(ids)
    ]
    InstitutionReport.objects.bulk_create(reports, batch_size=5000)
    # reported_at is auto_now_add: spread it over the last weeks, one a minute, as a queue would be.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET reported_at = %s - (%s - r.n) * interval '1 minute'"
                f" FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}) AS r WHERE {table}.id = r.id",
                [now, count],
            )
    else:
        for k, pk in enumerate(InstitutionReport.objects.order_by("pk").values_list("pk", flat=True)):
            InstitutionReport.objects.filter(pk=pk).update(reported_at=now - datetime.timedelta(minutes=count - k))
    print(f"  {len(reports):,} institution reports: {time.perf_counter() - started:.1f} s", flush=True)


def load(n: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from docregistry.accounts.models import Role, User
    from docregistry.registrations.demo import make_certificate_code
    from docregistry.registrations.models import (
        Application,
        Authority,
        Institution,
        Notification,
        Registration,
        StatusChange,
    )
    from docregistry.registrations.register_models import InstitutionReport
    from qualifications.models import Qualification

    started = time.perf_counter()
    with transaction.atomic():
        # Start from empty tables (a database of its own: everything these tables hold is dropped).
        models = (
            InstitutionReport,
            Notification,
            StatusChange,
            Application,
            Registration,
            Qualification,
            User,
            Institution,
            Authority,
        )
        if connection.vendor == "postgresql":
            connection.cursor().execute(f"TRUNCATE {', '.join(m._meta.db_table for m in models)} CASCADE")
        else:
            for model in models:
                model.objects.all().delete()

        now = timezone.now().replace(microsecond=0)
        first_inst = 1
        columns, rows = rows_for(
            Institution,
            INSTITUTIONS,
            lambda i: {
                "id": first_inst + i,
                "name": (
                    "北京大学第一医院" if i == 0 else f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]}医院{i:03d}"
                ),
                "registration_number": f"PDY{i:05d}-911010516",
                "address": "北京市朝阳区测试路1号",
                "postcode": "100020",
                "region_id": DISTRICTS[i % len(DISTRICTS)],
                "responsible_person": "刘敏",
                "mobile": f"139{i:08d}",
                "license_checked": True,
                "authorisation_checked": True,
                "entrusted_id_checked": True,
                "is_active": True,
                "created_at": now,
            },
        )
        copy_rows(Institution._meta.db_table, columns, rows)
        authority = Authority.objects.create(name="北京市卫生健康委员会", region_id="110100")

        if connection.vendor == "postgresql":
            tables = [m._meta.db_table for m in (User, Qualification, Application, Registration, Notification)]
            with indexes_built_afterwards(tables):
                load_by_generate_series(n, now=now, first_inst=first_inst, first_user=FIRST_USER)
                load_register_by_sql(n, now=now, authority_id=authority.pk)
        else:
            columns, rows = rows_for(
                User,
                n,
                lambda i: {
                    "id": FIRST_USER + i,
                    "password": "!",
                    "username": f"p{i:07d}",
                    "role": Role.PHYSICIAN,
                    "real_name": name_of(i),
                    "id_number": id_number_of(i),
                    "mobile": f"13{i:09d}",
                    "is_active": True,
                    "date_joined": now,
                    "mobile_verified_at": now,
                },
            )
            copy_rows(User._meta.db_table, columns, rows)

            def qualification(i):
                level, category = ("physician", "clinical") if i % 5 else ("assistant", "clinical")
                obtained = datetime.date(2015 + i % 10, 9, 1)
                id_number = id_number_of(i)
                return {
                    "id": 1 + i,
                    "name": name_of(i),
                    "id_number": id_number,
                    "certificate_code": make_certificate_code(
                        year=obtained.year, id_number=id_number, level=level, category=category
                    ),
                    "level": level,
                    "category": category,
                    "obtained_on": obtained,
                }

            columns, rows = rows_for(Qualification, n, qualification)
            copy_rows(Qualification._meta.db_table, columns, rows)

            oldest = now - datetime.timedelta(days=SPAN_DAYS + 7)
            step = datetime.timedelta(seconds=SPAN_DAYS * 86400 / max(n, 1))

            def application(i):
                state = state_of(i)
                created = oldest + step * i
                submitted = None if state == "draft" else created + datetime.timedelta(hours=1)
                past_institution = state in ("institution_approved", "authority_approved", "refused")
                institution_decided = submitted + datetime.timedelta(days=1 + i % 5) if past_institution else None
                decided = (
                    institution_decided + datetime.timedelta(days=i % 30, hours=i % 24)
                    if state in ("authority_approved", "refused")
                    else None
                )
                obtained = datetime.date(2015 + i % 10, 9, 1)
                return {
                    "id": 1 + i,
                    "number": None if state == "draft" else f"{created.year}-110105-{i:07d}",
                    "type": "first" if i % 4 else "change",
                    "state": state,
                    "physician_id": FIRST_USER + i,
                    "institution_id": institution_of(i, first_inst),
                    "qualification_id": 1 + i,
                    "name": name_of(i),
                    "level": "physician" if i % 5 else "assistant",
                    "category": "clinical",
                    "qualification_code": make_certificate_code(
                        year=obtained.year,
                        id_number=id_number_of(i),
                        level="physician" if i % 5 else "assistant",
                        category="clinical",
                    ),
                    "physician_qualified_on": obtained,
                    "scope": "内科专业",
                    "practice_certificate_code": f"110110105{i % 1000000:06d}" if state == "authority_approved" else "",
                    "created_at": created,
                    "updated_at": decided or institution_decided or submitted or created,
                    "submitted_at": submitted,
                    "institution_decided_at": institution_decided,
                    "decided_at": decided,
                }

            columns, rows = rows_for(Application, n, application)
            copy_rows(Application._meta.db_table, columns, rows)
            load_register_by_rows(n, now=now, authority_id=authority.pk)

        # The staff accounts below take ids after the loaded rows.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Institution, User, Qualification, Application, Registration, Notification):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
        User.objects.create_user("clerk", password="x", role=Role.AUTHORITY, authority=authority, mobile="13900000000")
        hospital = User.objects.create_user(
            "hospital", password="x", role=Role.INSTITUTION, institution_id=first_inst, mobile="13900000001"
        )
        User.objects.create_superuser("admin", password="x")
        load_reports(n, now=now, staff=hospital)
    loaded = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Institution, User, Qualification, Application, Registration, Notification, InstitutionReport):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    else:
        connection.cursor().execute("ANALYZE")
    print(
        f"loaded {n:,} applications, {n:,} physicians, {n:,} qualifications, {INSTITUTIONS} institutions, "
        f"{Registration.objects.count():,} registrations, {Notification.objects.count():,} notifications, "
        f"{InstitutionReport.objects.count():,} institution reports in {loaded:.1f} s; "
        f"VACUUM ANALYZE {time.perf_counter() - started - loaded:.1f} s",
        flush=True,
    )


# ---- The pages -------------------------------------------------------------------


def pages(n: int) -> list[tuple[str, str, str]]:
    """(label, user, url) for every page measured; the bare view first."""
    from docregistry.registrations import pagination
    from docregistry.registrations.models import Application, Registration
    from docregistry.registrations.register_models import InstitutionReport

    big = Application.objects.filter(institution_id=1).exclude(state="draft").order_by("submitted_at", "pk")
    deep_rows = PAGE_ROWS * (DEEP_PAGE - 1)
    deep_index = min(deep_rows, max(big.count() - PAGE_ROWS - 1, 0))
    sample = big.filter(state="submitted")[deep_index // 10 : deep_index // 10 + 1].get()
    inst_deep = big[deep_index : deep_index + 1].get()
    queue = Application.objects.filter(state="institution_approved").order_by(
        "institution_decided_at", "submitted_at", "pk"
    )
    queue_index = min(deep_rows, max(queue.count() - PAGE_ROWS - 1, 0))
    queue_deep = queue[queue_index : queue_index + 1].get()
    queued = queue[deep_index // 10 : deep_index // 10 + 1].get()
    month = sample.submitted_at.date().replace(day=1)
    dates = f"submitted_from={month}&submitted_to={month + datetime.timedelta(days=30)}"
    inst_cursor = pagination.cursor_for(inst_deep, pagination.INSTITUTION_ORDER)
    queue_cursor = pagination.cursor_for(queue_deep, pagination.QUEUE_ORDER)
    physician = sample.physician.username

    # The register: the authority's list (newest first), the big hospital's 在职医师 (by name), the
    # authority's queue of institution reports (oldest first), the public announcement of one month.
    def deep(qs, order):
        """The cursor of the row that ends page DEEP_PAGE - 1 (or of the last full page if fewer)."""
        index = min(deep_rows, max(qs.count() - PAGE_ROWS - 1, 0))
        row = qs.order_by(*order)[index : index + 1].get()
        return pagination.cursor_for(row, order), row

    register_cursor, _row = deep(Registration.objects.all(), pagination.REGISTER_ORDER)
    here = Registration.objects.filter(institution_id=1, state__in=("active", "suspended"))
    physicians_cursor, registered = deep(here, pagination.PHYSICIANS_ORDER)
    reports_cursor, _row = deep(InstitutionReport.objects.filter(outcome=""), pagination.REPORT_QUEUE_ORDER)
    month = registered.effective_on
    announcement = f"/register/announcements/{registered.authority_id}/{month.year}-{month.month}.csv"
    code_prefix = registered.certificate_code[:12]  # a thousand codes share their first twelve digits
    return [
        ("bare 20-row view", "hospital", "/bench/bare/"),
        ("institution list, page 1", "hospital", "/institution/"),
        (f"institution list, page {DEEP_PAGE}", "hospital", f"/institution/?after={inst_cursor}"),
        ("institution list, by name prefix", "hospital", f"/institution/?name={sample.name[0]}"),
        ("institution list, by full name", "hospital", f"/institution/?name={sample.name}"),
        ("institution list, name with no match", "hospital", "/institution/?name=龘"),
        ("institution list, by ID number", "hospital", f"/institution/?id_number={sample.physician.id_number}"),
        ("institution list, by application number", "hospital", f"/institution/?number={sample.number}"),
        ("institution list, by date range", "hospital", f"/institution/?{dates}"),
        ("institution list, waiting only", "hospital", "/institution/?state=submitted"),
        ("institution list, by type", "hospital", "/institution/?type=change"),
        ("authority queue, page 1", "clerk", "/authority/"),
        (f"authority queue, page {DEEP_PAGE}", "clerk", f"/authority/?after={queue_cursor}"),
        ("authority queue, by name prefix", "clerk", f"/authority/?name={queued.name[0]}"),
        ("authority queue, by full name", "clerk", f"/authority/?name={queued.name}"),
        ("authority queue, by ID number", "clerk", f"/authority/?id_number={queued.physician.id_number}"),
        ("authority queue, by date range", "clerk", f"/authority/?{dates}"),
        ("authority list, approved", "clerk", "/authority/?state=authority_approved"),
        ("authority list, any state", "clerk", "/authority/?state="),
        ("authority institutions", "clerk", "/authority/institutions/"),
        ("authority institutions, by name", "clerk", "/authority/institutions/?q=北京大学"),
        ("reports", "clerk", "/authority/reports/"),
        ("reports, one year", "clerk", "/authority/reports/?date_from=2025-01-01&date_to=2025-12-31"),
        ("reports CSV export", "clerk", "/authority/reports/export.csv"),
        ("reports XLSX export", "clerk", "/authority/reports/export.xlsx"),
        ("authority register, page 1", "clerk", "/authority/register/"),
        (f"authority register, page {DEEP_PAGE}", "clerk", f"/authority/register/?after={register_cursor}"),
        ("authority register, by name prefix", "clerk", f"/authority/register/?q={registered.physician.real_name[0]}"),
        ("authority register, by full name", "clerk", f"/authority/register/?q={registered.physician.real_name}"),
        ("authority register, by code prefix", "clerk", f"/authority/register/?q={code_prefix}"),
        ("authority register, suspended", "clerk", "/authority/register/?state=suspended"),
        ("authority reports queue, page 1", "clerk", "/authority/register/reports/"),
        (f"authority reports queue, page {DEEP_PAGE}", "clerk", f"/authority/register/reports/?after={reports_cursor}"),
        ("institution physicians, page 1", "hospital", "/institution/physicians/"),
        (
            f"institution physicians, page {DEEP_PAGE}",
            "hospital",
            f"/institution/physicians/?after={physicians_cursor}",
        ),
        (
            "institution physicians, by name prefix",
            "hospital",
            f"/institution/physicians/?q={registered.physician.real_name[0]}",
        ),
        ("institution physicians, by code prefix", "hospital", f"/institution/physicians/?q={code_prefix}"),
        ("public announcement CSV (one month)", "", announcement),
        ("physician's applications", physician, "/physician/applications/"),
        ("admin applications", "admin", "/admin/registrations/application/"),
        ("admin applications, by number", "admin", f"/admin/registrations/application/?q={sample.number}"),
        ("admin applications, by name prefix", "admin", f"/admin/registrations/application/?q={sample.name[0]}"),
        ("admin applications, waiting", "admin", "/admin/registrations/application/?state__exact=submitted"),
        ("admin qualifications", "admin", "/admin/qualifications/qualification/"),
        ("admin users", "admin", "/admin/accounts/user/"),
        ("admin institutions", "admin", "/admin/registrations/institution/"),
        ("admin notifications", "admin", "/admin/registrations/notification/"),
    ]


def fetch(client, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed, len(queries.captured_queries), size


def measure(page_list, rounds: int, clients) -> dict[str, tuple[float, float, int]]:
    times = {label: [] for label, _u, _url in page_list}
    counts = {}
    for label, user, url in page_list:  # warm-up, and the query count
        fetch(clients[user], url)
        counts[label] = fetch(clients[user], url)[1]
    order = list(page_list)
    for _round in range(rounds):
        random.shuffle(order)
        for label, user, url in order:
            times[label].append(fetch(clients[user], url)[0])
    result = {}
    for label, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
        result[label] = (statistics.median(values), p95, counts[label])
    return result


def print_table(page_list, passes) -> None:
    bare = [p["bare 20-row view"][0] for p in passes]
    print(f"\n| page | p50 ms | p95 ms | ratio (min / median of {len(passes)}) | queries |")
    print("|---|---:|---:|---:|---:|")
    for label, _user, _url in page_list:
        p50s = [p[label][0] for p in passes]
        p95s = [p[label][1] for p in passes]
        ratios = [p[label][0] / b for p, b in zip(passes, bare, strict=True)]
        print(
            f"| {label} | {statistics.median(p50s):.1f} | {statistics.median(p95s):.1f} | "
            f"{min(ratios):.1f}× / {statistics.median(ratios):.1f}× | {passes[-1][label][2]} |",
            flush=True,
        )


def csv_memory(client, url: str) -> None:
    """The public announcement CSV once more under ``tracemalloc``: its rows, its size and the most
    Python memory held at once while it streamed (flat in the row count when it is streamed)."""
    import tracemalloc

    tracemalloc.start()
    response = client.get(url)
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"public announcement CSV: {rows - 1:,} rows, {size / 1e6:.1f} MB, "
        f"peak traced Python memory while streaming {peak / 1e6:.1f} MB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="applications to load")
    parser.add_argument("--rounds", type=int, default=20, help="requests of each page per pass")
    parser.add_argument("--passes", type=int, default=1, help="measurement passes (min and median ratio)")
    parser.add_argument("--no-load", action="store_true", help="measure the data an earlier run loaded")
    parser.add_argument("--load-only", action="store_true", help="load the data, print the time, measure nothing")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        setup_django(os.environ.get("DATABASE_URL"), tmp)
        from django.db import connection
        from django.test import Client

        from docregistry.accounts.models import User
        from tests.otp import mark_verified

        if not args.no_load:
            load(args.n)
        if args.load_only:
            return 0
        n = args.n
        page_list = pages(n)
        clients = {}
        for _label, username, _url in page_list:
            if username not in clients:
                clients[username] = Client()
                if not username:  # the public pages: no login
                    continue
                user = User.objects.get(username=username)
                clients[username].force_login(user)
                session = clients[username].session
                mark_verified(session, user)  # staff: two-factor verified, as after the code
                session.save()
        print(f"{connection.vendor}, {n:,} applications; {args.passes} pass(es) of {args.rounds} rounds", flush=True)
        from docregistry.registrations import reports

        clerk = User.objects.get(username="clerk")
        computed = []
        for _ in range(3):
            started = time.perf_counter()
            reports.report_build(user=clerk, refresh=True)
            computed.append((time.perf_counter() - started) * 1000)
        print(
            f"report figures computed by the database (what beat's refresh_reports does): "
            f"min {min(computed):.0f} ms, median {statistics.median(computed):.0f} ms of 3"
        )
        csv_memory(clients[""], next(url for label, _u, url in page_list if label.startswith("public announcement")))
        passes = []
        for index in range(args.passes):
            passes.append(measure(page_list, args.rounds, clients))
            print(f"pass {index + 1} done, load average {os.getloadavg()[0]:.2f}", flush=True)
            print_table(page_list, passes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
