# ruff: noqa: S608 -- SQL is built only from constant table and column names; values are parameters.
"""Writing validated rows: appended to one staging table, set-based checks, one upsert per chunk.

The caller holds one transaction for the whole file (all or nothing). A ``Loader``
runs the database side in a second thread on the same DB-API connection, so the
database works on chunk *k* while Python validates chunk *k + 1* (the machine's
two cores both busy). Per chunk of validated rows:

1. append them to the staging table (PostgreSQL ``COPY`` into an unlogged table, SQLite
   ``executemany`` into a temporary one), keyed by row number;
2. find codes already stored for a different person, and codes repeated inside the chunk;
3. while the file has no error at all, upsert the chunk (its range of row numbers):
   only the rows that are new or differ from the stored record (an anti-join) reach
   ``INSERT ... SELECT ... ON CONFLICT (certificate_code) DO UPDATE ... WHERE <something differs>``,
   so identical records are neither written nor locked (re-importing a file writes no row) and
   inserted/updated rows are counted.

At the end one unique index over the staged codes proves that no code repeats across the file
(building it is one sort, 0.2-0.4 s for 1 M rows; the B-tree probe per row it replaced took
4.3 s); only when that fails are the repeats looked up, each with the row where the code first
appeared. A repeat found this late
has already been upserted, which is harmless: it is an error, and the transaction is rolled back.
Rows that ``copied.CopiedRoster`` found unchanged never reach the loader; their codes are checked
against the validated ones here too.

Any error anywhere and the caller rolls the transaction back (which also drops the staging
table, created inside it). Memory stays bounded: at most a few chunks are in flight.
"""

import io
import json
import queue
import threading

from django.db import connection
from django.utils.translation import gettext_lazy as _

from .models import Qualification
from .rosterfiles import ErrorList, RowError

COLUMNS = ("row_no", "name", "id_number", "certificate_code", "level", "category", "obtained_on", "extra")
FIELDS = COLUMNS[1:]
COMPARED = ("name", "id_number", "level", "category", "obtained_on", "extra")

MSG_DUPLICATE_IN_FILE = _("This certificate code already appears in row %(first)s of the file.")
MSG_CODE_OF_OTHER_PERSON = _("This certificate code is already stored for another person (ID number %(id_number)s).")


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Loader:
    """The database side of one import, fed chunk by chunk from the validating thread."""

    def __init__(self, *, batch_id: int, dry_run: bool, errors: ErrorList, code_column: str = "资格证书编码"):
        connection.ensure_connection()
        self.raw = connection.connection
        self.postgres = connection.vendor == "postgresql"
        self.p = "%s" if self.postgres else "?"
        self.table = connection.ops.quote_name(Qualification._meta.db_table)
        # An unlogged table on PostgreSQL (shared buffers, no WAL; a temporary table's small local
        # buffers made every chunk spill), named by the batch; created inside the import's
        # transaction, so a rollback drops it too.
        self.stage = f"qualifications_roster_stage_{batch_id}"
        self.batch_id = batch_id
        self.dry_run = dry_run
        self.code_column = code_column
        self.errors = errors
        self.inserted = 0
        self.updated = 0
        self.file_has_errors = threading.Event()
        self.exception: BaseException | None = None
        self.stored_inconsistent: bool | None = None
        self.copied = None  # a ``copied.CopiedRoster`` whose unchanged rows were not handed over
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="roster-loader", daemon=True)

    # --- called from the validating thread ----------------------------------------------------

    def start(self) -> None:
        kind, extra_type, date_type = ("UNLOGGED", "jsonb", "date") if self.postgres else ("TEMPORARY", "text", "text")
        cursor = self.raw.cursor()
        cursor.execute(f"DROP TABLE IF EXISTS {self.stage}")
        cursor.execute(
            f"CREATE {kind} TABLE {self.stage} (row_no integer PRIMARY KEY, name varchar(50) NOT NULL, "
            f"id_number varchar(18) NOT NULL, certificate_code varchar(27) NOT NULL, level varchar(16) NOT NULL, "
            f"category varchar(16) NOT NULL, obtained_on {date_type} NOT NULL, extra {extra_type} NOT NULL)"
        )
        cursor.close()
        self._thread.start()

    def put(self, rows: list[tuple]) -> None:
        """Queue validated rows (row_no, name, id_number, code, level, category, date, extra dict).

        They are encoded here, in the validating thread, so that the loader thread spends its
        time in the database driver (which releases the GIL) rather than competing for the GIL.
        """
        if not rows:
            return
        self._hand_over((self._encode(rows), rows[0][0], rows[-1][0]))

    def finish(self) -> None:
        """Wait for every queued chunk and the check for codes repeated across the file.

        Re-raises a database failure of the loader thread.
        """
        if self._thread.is_alive():
            self._hand_over("repeats")
            self._queue.put(None)
            self._thread.join()
        self._reraise()

    def close(self) -> None:
        if self._thread.is_alive():
            self.file_has_errors.set()
            self._queue.put(None)
            self._thread.join()
        cursor = self.raw.cursor()
        try:
            cursor.execute(f"DROP TABLE IF EXISTS {self.stage}")
        except Exception:  # noqa: S110 -- an aborted transaction drops the table itself
            pass
        finally:
            cursor.close()

    def _hand_over(self, item) -> None:
        while True:
            self._reraise()
            try:
                self._queue.put(item, timeout=1)
                return
            except queue.Full:
                continue

    def _reraise(self) -> None:
        if self.exception is not None:
            raise self.exception

    # --- the loader thread --------------------------------------------------------------------

    def _run(self) -> None:
        cursor = self.raw.cursor()
        try:
            while (item := self._queue.get()) is not None:
                if self.exception is not None:
                    continue
                if item == "repeats":
                    self._repeats_across_file(cursor)
                else:
                    self._chunk(cursor, *item)
        except BaseException as exc:  # handed to the validating thread
            self.exception = exc
            while self._queue.get() is not None:
                pass
        finally:
            cursor.close()

    def _encode(self, rows: list[tuple]):
        if not self.postgres:
            return [(*r[:6], r[6].isoformat(), json.dumps(r[7])) for r in rows]
        lines = []
        append = lines.append
        for row_no, name, id_number, code, level, category, obtained_on, extra in rows:
            extra_text = _copy_escape(json.dumps(extra, ensure_ascii=False)) if extra else "{}"
            append(f"{row_no}\t{name}\t{id_number}\t{code}\t{level}\t{category}\t{obtained_on}\t{extra_text}\n")
        return io.StringIO("".join(lines))

    def _chunk(self, cursor, payload, first: int, last: int) -> None:
        if self.postgres:
            cursor.copy_expert(f"COPY {self.stage} ({', '.join(COLUMNS)}) FROM STDIN", payload, size=1 << 20)
        else:
            cursor.executemany(
                f"INSERT INTO {self.stage} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", payload
            )
        if self.stored_inconsistent is None:  # asked once, on the first chunk (a re-import may have none)
            self.stored_inconsistent = self._stored_codes_inconsistent(cursor)
        rows = f"(SELECT * FROM {self.stage} WHERE row_no BETWEEN {int(first)} AND {int(last)})"
        self._check_other_person(cursor, rows)
        if self._repeats_inside(cursor, rows):
            self.file_has_errors.set()  # reported with their first rows by the check across the file
        if self.errors.count or self.file_has_errors.is_set():
            return  # the transaction will be rolled back: only keep finding errors
        if self.dry_run or not self.postgres:
            self._count(cursor, rows)
        if not self.dry_run:
            self._upsert(cursor, rows)

    def _repeats_inside(self, cursor, rows: str) -> bool:
        """Does a code repeat inside this chunk? (The upsert could not write such a chunk.)"""
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {rows} c GROUP BY certificate_code HAVING count(*) > 1)")
        return bool(cursor.fetchone()[0])

    def _repeats_across_file(self, cursor) -> None:
        """Report every row whose code appeared in an earlier row of the file (one index build when none does)."""
        # On PostgreSQL the index sorts 64-bit hashes of the codes (1.6x faster than the text); two
        # codes sharing one only make the query below look for repeats, and it finds none.
        key = "hashtextextended(certificate_code, 0)" if self.postgres else "certificate_code"
        cursor.execute("SAVEPOINT roster_repeats")
        try:
            cursor.execute(f"CREATE UNIQUE INDEX {self.stage}_code ON {self.stage} ({key})")
        except connection.Database.IntegrityError:
            cursor.execute("ROLLBACK TO SAVEPOINT roster_repeats")
            repeats = (
                f"SELECT row_no, min(row_no) OVER (PARTITION BY certificate_code) AS first, certificate_code "
                f"FROM {self.stage}"
            )
            cursor.execute(f"SELECT count(*) FROM ({repeats}) r WHERE row_no > first")
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT row_no, first, certificate_code FROM ({repeats}) r WHERE row_no > first "
                f"ORDER BY row_no LIMIT {self.p}",
                [self.errors.room + 1],
            )
            self._report_repeats(cursor.fetchall(), total)
        else:
            cursor.execute("RELEASE SAVEPOINT roster_repeats")
        if self.copied is not None:
            found = self.copied.repeats_of_unchanged(cursor, self.stage)
            self._report_repeats(found[: self.errors.room + 1], len(found))

    def _report_repeats(self, repeats: list[tuple[int, int, str]], total: int) -> None:
        """(row, row where its code first appeared, code) of ``total`` repeats, as errors."""
        if not total:
            return
        found = [
            RowError(row_no, self.code_column, str(MSG_DUPLICATE_IN_FILE % {"first": first}), code)
            for row_no, first, code in repeats
        ]
        self.errors.extend(found)
        self.errors.count_more(total - len(found))
        self.file_has_errors.set()

    def _stored_codes_inconsistent(self, cursor) -> bool:
        """Is any stored 27-character code not ending in its record's own ID number?

        A file row's code ends in the row's ID (validated), so it can only collide with a stored
        record of another person if that record is inconsistent like this, or has an old
        24-character code. Normally there is none, and the per-chunk check below looks only at
        24-character codes instead of probing the table for every row.
        """
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {self.table} WHERE length(certificate_code) = 27 "
            f"AND substr(certificate_code, 10) <> id_number)"
        )
        return bool(cursor.fetchone()[0])

    def _check_other_person(self, cursor, rows: str) -> None:
        # Records written earlier by this same import are in-file duplicates, reported at the end.
        only_old_codes = "" if self.stored_inconsistent else "AND length(c.certificate_code) = 24 "
        cursor.execute(
            f"SELECT c.row_no, c.certificate_code, q.id_number FROM {rows} c JOIN {self.table} q "
            f"ON q.certificate_code = c.certificate_code WHERE q.id_number <> c.id_number {only_old_codes}"
            f"AND (q.batch_id IS NULL OR q.batch_id <> {self.p}) ORDER BY c.row_no",
            [self.batch_id],
        )
        for row_no, code, id_number in cursor.fetchall():
            message = str(MSG_CODE_OF_OTHER_PERSON % {"id_number": id_number})
            self.errors.extend([RowError(row_no, self.code_column, message, code)])

    def _differs(self, new: str, old: str) -> str:
        return " OR ".join(f"{old}.{f} <> {new}.{f}" for f in COMPARED)

    def _count(self, cursor, rows: str) -> None:
        cursor.execute(
            f"SELECT COALESCE(SUM(CASE WHEN q.id IS NULL THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN q.id IS NOT NULL AND ({self._differs('c', 'q')}) THEN 1 ELSE 0 END), 0) "
            f"FROM {rows} c LEFT JOIN {self.table} q ON q.certificate_code = c.certificate_code"
        )
        inserted, updated = cursor.fetchone()
        self.inserted += int(inserted)
        self.updated += int(updated)

    def _upsert(self, cursor, rows: str) -> None:
        updates = ", ".join(f"{f} = excluded.{f}" for f in (*COMPARED, "batch_id"))
        # The anti-join keeps unchanged rows away from the upsert: ``ON CONFLICT ... DO UPDATE
        # WHERE`` alone would still lock (and so write) every stored row it meets. The upsert
        # stays for rows another import may have inserted or changed meanwhile.
        same = " AND ".join(f"q.{f} = c.{f}" for f in ("certificate_code", *COMPARED))
        statement = (
            f"INSERT INTO {self.table} ({', '.join(FIELDS)}, batch_id) "
            f"SELECT {', '.join(f'c.{f}' for f in FIELDS)}, {self.p} FROM {rows} c "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} q WHERE {same}) ORDER BY c.certificate_code "
            f"ON CONFLICT (certificate_code) DO UPDATE SET {updates} "
            f"WHERE {self._differs('excluded', self.table)}"
        )
        if self.postgres:
            # xmax = 0 marks a freshly inserted tuple; an updated one carries the updating transaction.
            cursor.execute(
                f"WITH written AS ({statement} RETURNING (xmax = 0) AS fresh) "
                f"SELECT COUNT(*) FILTER (WHERE fresh), COUNT(*) FILTER (WHERE NOT fresh) FROM written",
                [self.batch_id],
            )
            inserted, updated = cursor.fetchone()
            self.inserted += inserted
            self.updated += updated
        else:
            cursor.execute(statement, [self.batch_id])
