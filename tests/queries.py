"""What a job asked the database: the SELECTs it ran on a table, and the rows they return when run again."""

from django.db import connection


class Selects:
    """Records the SELECTs that read ``table`` while in effect (``with Selects(table) as selects:``).

    ``rows()`` runs each recorded statement again, with its parameters, and returns the rows each
    gives now: a job that read only what it had to act on reads nothing on a second run.
    """

    def __init__(self, table: str):
        self.table = connection.ops.quote_name(table)
        self.statements: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and f"FROM {self.table}" in sql:
            self.statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def rows(self) -> list[list[tuple]]:
        results = []
        with connection.cursor() as cursor:
            for sql, params in self.statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
