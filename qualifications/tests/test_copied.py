"""Re-importing through PostgreSQL's own CSV parser: rows equal to stored records are not read again.

Every outcome must be the one the ordinary path (the rest of ``test_import.py``, and SQLite)
gives: the same counts, the same errors with the same row numbers, the same records.
"""

import pytest
from django.db import connection

from docregistry.validators import MSG_ID_CHECKSUM
from qualifications import copied, services
from qualifications.importers import RowValidator
from qualifications.models import ImportBatch, Qualification
from qualifications.staging import MSG_DUPLICATE_IN_FILE

from .rosters import HEADER, person, write_csv

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the copied path is PostgreSQL's COPY"),
]


def run(path, *, dry_run=False) -> ImportBatch:
    batch = ImportBatch.objects.create(file_name=path.name, dry_run=dry_run)
    return services.roster_import(batch=batch, path=path)


def errors_of(batch) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


@pytest.fixture
def copies(monkeypatch):
    """The CopiedRoster of each import, or None where the ordinary path read the file."""
    seen = []
    load = copied.CopiedRoster.load.__func__

    def spy(cls, path, *, batch_id):
        result = load(cls, path, batch_id=batch_id)
        seen.append(result)
        return result

    monkeypatch.setattr(copied.CopiedRoster, "load", classmethod(spy))
    return seen


def roster_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'qualifications_roster_%%'")
        return [name for (name,) in cursor.fetchall()]


def test_an_unchanged_file_is_counted_without_validating_a_row(tmp_path, copies, monkeypatch):
    rows = [person(n) for n in range(1, 31)]
    rows[4][5] = "2024年9月1日"
    rows[5][5] = "2024/9/1"
    path = write_csv(tmp_path, rows)
    first = run(path)
    assert copies == [None]  # an empty register: the ordinary path
    before = list(Qualification.objects.order_by("pk").values())

    def refuse(*args, **kwargs):
        raise AssertionError("a row was validated")

    monkeypatch.setattr(RowValidator, "fast", refuse)
    monkeypatch.setattr(RowValidator, "clean", refuse)
    again = run(path)
    assert copies[1] is not None
    assert again.state == ImportBatch.State.DONE
    assert (again.rows_total, again.inserted, again.updated, again.unchanged) == (30, 0, 0, 30)
    assert list(Qualification.objects.order_by("pk").values()) == before
    assert set(Qualification.objects.values_list("batch_id", flat=True)) == {first.pk}
    assert roster_tables() == []


def test_changed_and_new_rows_are_validated_and_written(tmp_path, copies):
    rows = [person(n) for n in range(1, 11)]
    run(write_csv(tmp_path, rows, name="first.csv"))
    corrected = [list(r) for r in rows]
    corrected[2][0] = "张卫"
    corrected[7][3] = "执业助理医师"  # the level no longer agrees with the code: an error
    corrected.append(person(11))
    failed = run(write_csv(tmp_path, corrected, name="corrected.csv"))
    assert copies[-1] is not None
    assert failed.state == ImportBatch.State.FAILED
    assert [(row, column) for row, column, _message in errors_of(failed)] == [(9, "资格证书编码")]
    assert Qualification.objects.get(certificate_code=rows[2][2]).name == "张伟"  # all or nothing

    corrected[7][3] = "执业医师"
    done = run(write_csv(tmp_path, corrected, name="fixed.csv"))
    assert (done.rows_total, done.inserted, done.updated, done.unchanged) == (11, 1, 1, 9)
    assert Qualification.objects.get(certificate_code=rows[2][2]).name == "张卫"
    assert Qualification.objects.count() == 11


def test_a_bad_row_keeps_its_spreadsheet_row_number(tmp_path, copies):
    rows = [person(n) for n in range(1, 8)]
    run(write_csv(tmp_path, rows, name="first.csv"))
    bad = person(20)
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")
    batch = run(write_csv(tmp_path, [*rows[:4], bad, *rows[4:]], name="second.csv"))
    assert copies[-1] is not None
    assert (6, "身份证号", str(MSG_ID_CHECKSUM)) in errors_of(batch)


@pytest.mark.parametrize("unchanged_first", [True, False])
def test_a_code_written_differently_still_repeats_an_unchanged_row(tmp_path, copies, unchanged_first):
    rows = [person(n) for n in range(1, 6)]
    run(write_csv(tmp_path, rows, name="first.csv"))
    respelled = list(rows[1])
    respelled[2] = f" {respelled[2]} "  # normalised to the same code by the ordinary validation
    second = [*rows, respelled] if unchanged_first else [respelled, *rows]
    batch = run(write_csv(tmp_path, second, name="second.csv"))
    assert copies[-1] is not None
    later, first = (7, 3) if unchanged_first else (4, 2)
    assert errors_of(batch) == [(later, "资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": first}))]


def test_other_spellings_and_extra_columns_are_compared_as_the_ordinary_path_does(tmp_path, copies):
    header = [*HEADER, "备注"]
    rows = [[*person(n), ""] for n in range(1, 6)]
    rows[0][6] = "补发"
    run(write_csv(tmp_path, rows, header=header, name="first.csv"))
    again = [list(r) for r in rows]
    again[1][5] = "20240901"  # another spelling of the same date: read, found unchanged
    again[2][1] = again[2][1].lower()
    again[0][6] = " 补发 "  # trimmed, as stored
    again[3][6] = "遗失补办"  # a changed extra column
    batch = run(write_csv(tmp_path, again, header=header, name="again.csv"))
    assert copies[-1] is not None
    assert (batch.inserted, batch.updated, batch.unchanged) == (0, 1, 4), batch.errors
    assert Qualification.objects.get(certificate_code=rows[3][2]).extra == {"备注": "遗失补办"}


def test_a_dry_run_counts_unchanged_rows_too(tmp_path, copies):
    rows = [person(n) for n in range(1, 6)]
    run(write_csv(tmp_path, rows, name="first.csv"))
    batch = run(write_csv(tmp_path, [*rows, person(6)], name="second.csv"), dry_run=True)
    assert copies[-1] is not None
    assert (batch.state, batch.inserted, batch.updated, batch.unchanged) == (ImportBatch.State.DONE, 1, 0, 5)
    assert Qualification.objects.count() == 5


def test_files_postgresql_will_not_copy_take_the_ordinary_path(tmp_path, copies):
    rows = [person(n) for n in range(1, 6)]
    run(write_csv(tmp_path, rows, name="first.csv"))

    ragged = tmp_path / "ragged.csv"
    ragged.write_text(write_csv(tmp_path, rows, name="x.csv").read_text() + ",".join(person(6)) + ",,\n")
    batch = run(ragged)
    assert (batch.inserted, batch.unchanged) == (1, 5)

    gbk = run(write_csv(tmp_path, rows, encoding="gbk", name="gbk.csv"))
    assert (gbk.state, gbk.unchanged) == (ImportBatch.State.DONE, 5)

    repeated = run(write_csv(tmp_path, [*rows, rows[0]], name="repeated.csv"))
    assert errors_of(repeated) == [(7, "资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": 2}))]

    mostly_new = run(write_csv(tmp_path, [*rows[:2], *(person(n) for n in range(10, 14))], name="new.csv"))
    assert (mostly_new.inserted, mostly_new.unchanged) == (4, 2)

    assert copies[1:] == [None, None, None, None]
    assert roster_tables() == []


def test_an_import_that_writes_a_tenth_of_the_register_refreshes_its_statistics(tmp_path):
    def reltuples():
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Qualification._meta.db_table])
            return cursor.fetchone()[0]

    run(write_csv(tmp_path, [person(n) for n in range(1, 1201)], name="big.csv"))
    assert reltuples() == 1200  # the planner knows the rows at once, not after autovacuum
    run(write_csv(tmp_path, [person(n) for n in range(1201, 1211)], name="small.csv"))
    assert reltuples() == 1200  # ten rows more are not worth an ANALYZE
