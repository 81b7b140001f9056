# ruff: noqa: S608 -- SQL is built only from constant names and column numbers; values are parameters.
"""A CSV roster read by PostgreSQL itself, so that rows identical to the stored records cost no Python.

Re-importing a national roster is mostly rows the register already holds. ``CopiedRoster.load``
hands the file to PostgreSQL's own CSV parser (``COPY`` into an unlogged table of text columns,
inside the import's transaction), and one anti-join against the stored records finds the rows
that are new or differ. Only those are read back, in file order, and validated and written by
the ordinary path (``importers.RosterReader`` and ``staging.Loader``); the others are counted as
unchanged without being validated again: a row equal, cell for cell, to a stored record is as
valid as that record (which passed the same checks when it was imported).

"Equal" is judged conservatively, on the raw text: the name, ID number and code exactly as
stored; a level and category spelled as one of the accepted spellings of the stored value; the
date as ``2024-09-01``, ``2024年9月1日`` or ``2024/9/1``; the other columns, trimmed of spaces, equal
to the stored extras. Anything else (a lower-case x, another date format, a stray space) merely
takes the ordinary path, which normalises it and finds it unchanged there.

``load`` returns None, and the ordinary path reads the file, whenever this does not apply: not
PostgreSQL, not CSV, not valid UTF-8, the header not on the first line, a row with more or fewer
cells than the header, a code that repeats (the ordinary path reports it, with rows), an empty
register (nothing can be unchanged), or a file whose rows are mostly new or changed (reading them
back from PostgreSQL would cost more than reading the file). Everything it did is then rolled
back to a savepoint.
"""

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

from .columns import map_header
from .importers import CATEGORY_LOOKUP, LEVEL_LOOKUP
from .models import Qualification
from .rosterfiles import RosterFileError, detect_format

# The date spellings compared with the stored date (each one that ``importers.parse_date`` reads as it).
DATE_SPELLINGS = ("YYYY-MM-DD", "YYYY年FMMM月FMDD日", "YYYY/FMMM/FMDD")
FETCH_ROWS = 5_000


class CopiedRoster:
    """The file as PostgreSQL parsed it: ``rows`` data rows, of which ``unchanged`` equal stored records."""

    def __init__(self, *, batch_id: int, header: list[str], positions: dict, extras: dict):
        self.raw = connection.connection
        self.table = f"qualifications_roster_copy_{batch_id}"
        self.changed_table = f"qualifications_roster_changed_{batch_id}"
        self.batch_id = batch_id
        self.header = header
        self.positions = positions
        self.extras = extras
        self.code = f"c{positions['certificate_code']}"
        self.rows = 0
        self.unchanged = 0

    @classmethod
    def load(cls, path: Path, *, batch_id: int) -> "CopiedRoster | None":
        if connection.vendor != "postgresql" or detect_format(path) != "csv":
            return None
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {Qualification._meta.db_table})")
            if not cursor.fetchone()[0]:
                return None
        with open(path, "rb") as f:
            first = f.readline()
        try:
            line = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
        if not line.strip():
            return None
        delimiter = "\t" if line.count("\t") > line.count(",") else ","
        header = next(csv.reader([line], delimiter=delimiter))
        try:
            positions, extras, _titles = map_header(header)
        except RosterFileError:
            return None  # the ordinary path reports what is wrong with the header
        copied = cls(batch_id=batch_id, header=header, positions=positions, extras=extras)
        return copied if copied._copy(path, delimiter) else None

    def _copy(self, path: Path, delimiter: str) -> bool:
        """COPY the file and find the rows that are not stored unchanged.

        False, and nothing left behind, if PostgreSQL refuses the file, a code repeats, or most
        rows are new or changed (reading those back would cost more than reading the file).
        """
        columns = [f"c{i}" for i in range(len(self.header))]
        same, params = self._same_as_stored()
        cursor = self.raw.cursor()
        cursor.execute("SAVEPOINT roster_copy")
        try:
            # The row numbers: one backend's cached sequence hands them out in order, without the
            # per-row sequence update of the default (which made the COPY a third slower).
            cursor.execute(
                f"CREATE UNLOGGED TABLE {self.table} (row_no integer GENERATED ALWAYS AS IDENTITY (CACHE 100000), "
                f"{', '.join(f'{c} text' for c in columns)})"
            )
            with open(path, "rb") as f:
                cursor.copy_expert(
                    f"COPY {self.table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, HEADER true, "
                    f"DELIMITER {chr(39) + delimiter + chr(39)}, ENCODING 'UTF8')",
                    f,
                    size=1 << 20,
                )
            self.rows = cursor.rowcount
            # One sort proves that no code repeats (a repeat takes the ordinary path, which names the rows).
            # It sorts 64-bit hashes of the codes, 1.6x faster than the text; two codes sharing a hash
            # (about one file in 30 million) merely send the file down the ordinary path too.
            cursor.execute(f"CREATE UNIQUE INDEX {self.table}_code ON {self.table} ({_hashed(self.code)})")
            cursor.execute(
                f"CREATE UNLOGGED TABLE {self.changed_table} AS SELECT s.row_no FROM {self.table} s "
                f"WHERE NOT EXISTS (SELECT FROM {Qualification._meta.db_table} q WHERE {same})",
                params,
            )
            self.unchanged = self.rows - cursor.rowcount
        except connection.Database.Error:
            cursor.execute("ROLLBACK TO SAVEPOINT roster_copy")
            return False
        else:
            if self.unchanged * 2 < self.rows:
                cursor.execute("ROLLBACK TO SAVEPOINT roster_copy")
                return False
            cursor.execute("RELEASE SAVEPOINT roster_copy")
            return True
        finally:
            cursor.close()

    def changed_rows(self) -> Iterator[tuple[int, list]]:
        """``(spreadsheet row number, cells)`` of every row that is not a stored record unchanged, in file order."""
        if self.unchanged == self.rows:
            return
        reading = self.raw.cursor(name=f"roster_changed_{self.batch_id}")
        reading.itersize = FETCH_ROWS
        try:
            reading.execute(
                f"SELECT s.* FROM {self.table} s JOIN {self.changed_table} USING (row_no) ORDER BY s.row_no"
            )
            for row_no, *cells in reading:
                yield row_no + 1, cells  # the header is row 1
        finally:
            reading.close()

    def _same_as_stored(self) -> tuple[str, list]:
        """The condition that a stored record ``q`` equals the copied row ``s``, and its parameters."""
        column = {name: f"s.c{index}" for name, index in self.positions.items()}
        extras = self.extras
        params: list = []

        def lookup(cell: str, table: dict) -> str:
            whens = []
            for spelling, value in table.items():
                whens.append("WHEN %s THEN %s")
                params.extend([spelling, value])
            return f"CASE {cell} {' '.join(whens)} END"

        conditions = [
            f"q.name = {column['name']}",
            f"q.id_number = {column['id_number']}",
            f"q.level = {lookup(column['level'], LEVEL_LOOKUP)}",
            f"q.category = {lookup(column['category'], CATEGORY_LOOKUP)}",
            # An OR stops at the first spelling that matches (``IN (...)`` would format all three).
            "(" + " OR ".join([f"{column['obtained_on']} = to_char(q.obtained_on, %s)"] * len(DATE_SPELLINGS)) + ")",
        ]
        params.extend(DATE_SPELLINGS)
        if extras:
            blank = " AND ".join(f"coalesce(btrim(s.c{i}), '') = ''" for i in extras)
            pairs = []
            for i, title in extras.items():
                pairs.append(f"%s, nullif(btrim(s.c{i}), '')")
                params.append(title)
            built = f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
            conditions.append(f"CASE WHEN q.extra = '{{}}' THEN {blank} ELSE q.extra = {built} END")
        else:
            conditions.append("q.extra = '{}'")
        # Only the code is the join key: with every equality as a hash key, PostgreSQL hashed five
        # columns of both tables per row (``IS TRUE`` keeps the rest a filter; the join takes a fifth less).
        return f"q.certificate_code = {column['certificate_code']} AND ({' AND '.join(conditions)}) IS TRUE", params

    def repeats_of_unchanged(self, cursor, stage: str) -> list[tuple[int, int, str]]:
        """(later row, earlier row, code) where a validated row's code is an unchanged row's.

        The unchanged rows' codes are the stored spelling, so only a validated row whose code was
        written differently (and normalised) can repeat one of them.
        """
        if not self.unchanged:
            return []
        # One probe of the copy's code index per validated row (a join scanned the whole copy).
        cursor.execute(
            f"SELECT v.row_no, u.row_no + 1, v.certificate_code FROM {stage} v CROSS JOIN LATERAL "
            f"(SELECT s.row_no FROM {self.table} s WHERE {_hashed('s.' + self.code)} = "
            f"{_hashed('v.certificate_code')} AND s.{self.code} = v.certificate_code LIMIT 1) u "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.changed_table} c WHERE c.row_no = u.row_no)"
        )
        return [(max(a, b), min(a, b), code) for a, b, code in cursor.fetchall()]

    def close(self) -> None:
        cursor = self.raw.cursor()
        try:
            for table in (self.changed_table, self.table):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        except Exception:  # noqa: S110 -- an aborted transaction drops them itself
            pass
        finally:
            cursor.close()


def _hashed(column: str) -> str:
    return f"hashtextextended({column}, 0)"
