"""Roster import benchmark: generate a valid roster of N rows, import it, print rows/s and peak memory.

    .venv/bin/python bench/roster_import.py 100000                       # SQLite (db.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dr_qbench \\
        .venv/bin/python bench/roster_import.py 1000000                  # PostgreSQL

Options: --encoding gb18030 (a GBK file, as Chinese spreadsheet software writes),
--xlsx (an Excel workbook instead of CSV),
--again (import the same file a second time: every row must come back unchanged, and on
PostgreSQL the script checks that it wrote no row: no new tuple, no update, no row lock),
--changed P (then import it once more with P percent of the names corrected: a yearly update),
--keep (leave the imported records in the database; by default they are deleted).
The import goes through the same code path as ``manage.py import_roster``.

On PostgreSQL the same run first times a raw ``COPY`` of the CSV into an unlogged table of
text columns (no validation, no index), and prints each import as a multiple of it.
"""

import argparse
import csv
import datetime
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docregistry.settings.dev")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Without DATABASE_URL the benchmark uses a throw-away SQLite file, never the developer's db.sqlite3.
SCRATCH = tempfile.mkdtemp(prefix="roster-bench-")
MIGRATE = "DATABASE_URL" not in os.environ
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from docregistry.registrations.codes import CATEGORY_DIGITS, LEVEL_DIGITS  # noqa: E402
from docregistry.validators import id_check_char  # noqa: E402
from qualifications.models import ImportBatch, Qualification  # noqa: E402
from qualifications.services import roster_import  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鑫波斌宇浩凯健俊帆帅旭宁"
PROVINCES = ("11", "31", "32", "33", "44", "51", "42", "37")
LEVELS = (("执业医师", "physician"), ("执业助理医师", "assistant"))
CATEGORIES = (("临床", "clinical"), ("中医", "tcm"), ("口腔", "dental"), ("公共卫生", "public_health"))


def generate(path: Path, rows: int, encoding: str) -> None:
    """Unique, valid rows: IDs from distinct (birth date, sequence) pairs, codes that embed them."""
    rng = random.Random(2026)
    base = datetime.date(1960, 1, 1)
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["姓名", "身份证号", "资格证书编码", "级别", "类别", "取得资格时间", "备注"])
        for n in range(rows):
            born = base + datetime.timedelta(days=n // 1000)
            first17 = f"{PROVINCES[n % len(PROVINCES)]}0105{born:%Y%m%d}{n % 1000:03d}"
            id_number = first17 + id_check_char(first17)
            level_text, level = LEVELS[n % 7 == 0]
            category_text, category = CATEGORIES[n % 4]
            year = born.year + 25
            code = f"{year}{id_number[:2]}{LEVEL_DIGITS[level]}{CATEGORY_DIGITS[category]}{id_number}"
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            obtained = f"{year}-09-{1 + n % 28:02d}" if n % 3 else f"{year}年9月{1 + n % 28}日"
            writer.writerow([name, id_number, code, level_text, category_text, obtained, ""])


def to_xlsx(csv_path: Path, path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with open(csv_path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            sheet.append(row)
    workbook.save(path)


def raw_copy_seconds(path: Path, encoding: str) -> float:
    """The floor: PostgreSQL's own CSV COPY of the file into an unlogged table, nothing checked."""
    pg_encoding = {"utf-8": "UTF8", "utf-8-sig": "UTF8"}.get(encoding, "GB18030")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_raw_copy (name text, id_number text, code text, "
            "level text, category text, obtained text, note text)"
        )
        cursor.execute("TRUNCATE bench_raw_copy")
        raw = cursor.cursor
        started = time.perf_counter()
        with open(path, "rb") as f:
            raw.copy_expert(
                f"COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{pg_encoding}')", f
            )
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_copy")
    return seconds


def corrected(path: Path, percent: float) -> Path:
    """The roster with the name of every (100 / percent)-th row changed; the rest as it was."""
    every = max(round(100 / percent), 1)
    target = path.with_name(f"corrected-{path.name}")
    with open(path, encoding="utf-8", newline="") as f, open(target, "w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(f), csv.writer(out)
        writer.writerow(next(reader))
        for n, row in enumerate(reader):
            if n % every == 0:
                row[0] = row[0][0] + ("卫" if row[0][1:] != "卫" else "伟")
            writer.writerow(row)
    return target


def table_writes() -> tuple[int, int, int]:
    """(inserted, updated, deleted) tuples of the roster table, as PostgreSQL's statistics count them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:  # a new transaction: a fresh statistics snapshot
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = %s",
            [Qualification._meta.db_table],
        )
        return tuple(cursor.fetchone())


def locked_or_rewritten(batch_id: int) -> int:
    """Rows of the first import that a later transaction updated or locked (xmax set)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Qualification._meta.db_table} WHERE batch_id = %s AND xmax::text <> '0'",
            [batch_id],
        )
        return cursor.fetchone()[0]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu() -> float | None:
    """CPU seconds of this session's PostgreSQL backend (it runs on this machine), if readable."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(path: Path) -> tuple[ImportBatch, float]:
    batch = ImportBatch.objects.create(file_name=path.name)
    started, cpu, server = time.perf_counter(), _cpu(), _server_cpu()
    load = os.getloadavg()[0]
    roster_import(batch=batch, path=path)
    seconds = time.perf_counter() - started
    server_after = _server_cpu()
    server_text = f", {server_after - server:.1f} s of PostgreSQL backend CPU time" if server is not None else ""
    print(
        f"  ({_cpu() - cpu:.1f} s of Python CPU time{server_text}; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)"
    )
    return batch, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--again", action="store_true")
    parser.add_argument("--changed", type=float, default=0.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    if MIGRATE:
        call_command("migrate", verbosity=0)
    try:
        _bench(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def _bench(args) -> None:
    path = Path(SCRATCH) / f"roster-{args.rows}.csv"
    started = time.perf_counter()
    generate(path, args.rows, args.encoding)
    size_mb = path.stat().st_size / 1e6
    print(f"generated {args.rows:,} rows ({size_mb:.0f} MB, {args.encoding}) in {time.perf_counter() - started:.1f} s")
    postgres = connection.vendor == "postgresql"
    copy = raw_copy_seconds(path, args.encoding) if postgres else None
    csv_path = path
    if args.xlsx:
        xlsx = path.with_suffix(".xlsx")
        to_xlsx(path, xlsx)
        print(f"as a workbook: {xlsx.stat().st_size / 1e6:.0f} MB")
        path = xlsx
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if copy is not None:
        print(f"raw COPY of the CSV into an unlogged table: {copy:.2f} s = {args.rows / copy:,.0f} rows/s")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = [run_import(path)]
    if args.again:
        writes_before = table_writes() if postgres else None
        runs.append(run_import(path))
        writes = [a - b for a, b in zip(table_writes(), writes_before, strict=True)] if postgres else None
        rewritten = locked_or_rewritten(runs[0][0].pk) if postgres else None
    if args.changed:
        runs.append(run_import(corrected(csv_path, args.changed)))
    labels = ("first import", "same file again" if args.again else "", f"{args.changed:g} % of the names corrected")
    for label, (batch, seconds) in zip([label for label in labels if label], runs, strict=False):
        versus = f" = {seconds / copy:.1f}x raw COPY" if copy else ""
        print(
            f"{label}: {batch.state}, {batch.rows_total:,} rows in {seconds:.1f} s{versus}, "
            f"{batch.rows_total / seconds:,.0f} rows/s; inserted {batch.inserted:,}, updated {batch.updated:,}, "
            f"unchanged {batch.unchanged:,}, errors {batch.error_count:,}"
        )
    if args.again and postgres:
        ins, upd, dele = writes
        print(
            f"written by the second import: {ins:,} inserted, {upd:,} updated, {dele:,} deleted tuples; "
            f"{rewritten:,} rows of the first import locked or rewritten (xmax set)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (before import {rss_before:.0f} MB)")
    if not args.keep:
        batch_ids = [batch.pk for batch, _seconds in runs]
        Qualification.objects.filter(batch_id__in=batch_ids)._raw_delete(connection.alias)
        ImportBatch.objects.filter(pk__in=batch_ids).delete()
        if postgres:  # leave no dead rows behind for the next run
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {Qualification._meta.db_table}")
    if any(batch.state != ImportBatch.State.DONE for batch, _seconds in runs):
        for error in runs[0][0].errors[:20]:
            print(error, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
