"""Importing roster files through the service: formats, validation, all-or-nothing, idempotence."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from docregistry.registrations.demo import make_id_number
from docregistry.registrations.models import Category, Level
from docregistry.validators import MSG_ID_CHECKSUM, MSG_NAME_CHARS, validate_id_number
from qualifications import importers, services
from qualifications.importers import RowValidator
from qualifications.models import ImportBatch, Qualification
from qualifications.staging import MSG_CODE_OF_OTHER_PERSON, MSG_DUPLICATE_IN_FILE
from tests.factories import QualificationFactory

from .rosters import HEADER, person, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run(path, *, dry_run=False) -> ImportBatch:
    batch = ImportBatch.objects.create(file_name=path.name, dry_run=dry_run)
    return services.roster_import(batch=batch, path=path)


def errors_of(batch) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


# --- formats and encodings -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_imports_the_same_records(tmp_path, encoding):
    rows = [
        person(1, name="张伟"),
        person(2, name="阿依古丽·买买提", category=Category.TCM),
        person(3, name="欧阳娜娜"),
    ]
    batch = run(write_csv(tmp_path, rows, encoding=encoding))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert (batch.inserted, batch.updated, batch.unchanged) == (3, 0, 0)
    stored = Qualification.objects.get(certificate_code=rows[1][2])
    assert stored.name == "阿依古丽·买买提"
    assert stored.id_number == rows[1][1]
    assert stored.level == Level.PHYSICIAN
    assert stored.category == Category.TCM
    assert stored.obtained_on == datetime.date(2024, 9, 1)
    assert stored.batch_id == batch.pk


def test_gb18030_file_with_four_byte_extension_b_names_imports(tmp_path):
    long_name = "阿卜杜热合曼·买买提依明·阿不都克力木·艾合买提江·热西提"  # 29 characters
    rows = [person(1, name="𠮷野"), person(2, name="刘䶮"), person(3, name="张𪚥"), person(4, name=long_name)]
    path = write_csv(tmp_path, rows, encoding="gb18030")
    assert "𠮷".encode("gb18030") in path.read_bytes() and len("𠮷".encode("gb18030")) == 4
    batch = run(path)
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert sorted(Qualification.objects.values_list("name", flat=True)) == sorted(row[0] for row in rows)


def test_gb18030_private_use_codes_of_old_encoders_become_the_standard_characters(tmp_path):
    path = tmp_path / "roster.csv"
    row = person(1, name="X")
    line = ",".join(row).encode("gb18030").replace(b"X", b"\xd5\xc5\xfe\x59")  # 张 + FE59, U+9FB4 since 2005
    path.write_bytes(",".join(HEADER).encode("gb18030") + b"\r\n" + line + b"\r\n")
    batch = run(path)
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert Qualification.objects.get().name == "张\u9fb4"


@pytest.mark.parametrize(
    ("written", "char"),
    [
        ("刘?".encode("gbk"), "?"),  # the exporter replaced the character it could not encode
        ("刘".encode("gbk") + b"\xaa\xa1", "\ue000"),  # a self-made character in GBK's user-defined area
    ],
)
def test_a_gbk_file_that_cannot_hold_the_name_is_reported_by_row(tmp_path, written, char):
    path = tmp_path / "roster.csv"
    good = ",".join(person(1, name="张伟")).encode("gbk")
    broken = ",".join(person(2, name="X")).encode("gbk").replace(b"X", written)
    path.write_bytes(b"\r\n".join([",".join(HEADER).encode("gbk"), good, broken, b""]))
    batch = run(path)
    assert batch.state == ImportBatch.State.FAILED
    assert errors_of(batch) == [(3, "姓名", str(importers.MSG_NAME_ENCODING % {"char": char}))]
    assert "UTF-8" in batch.errors[0]["message"] and "GB18030" in batch.errors[0]["message"]
    assert not Qualification.objects.exists()


def test_xlsx_with_text_and_date_cells(tmp_path):
    rows = [person(1), person(2, level=Level.ASSISTANT, category=Category.DENTAL)]
    rows[0][5] = datetime.datetime(2024, 9, 1)  # an Excel date cell
    rows[1][5] = "2023年8月15日"
    batch = run(write_xlsx(tmp_path, rows))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert batch.inserted == 2
    assert Qualification.objects.get(certificate_code=rows[0][2]).obtained_on == datetime.date(2024, 9, 1)
    second = Qualification.objects.get(certificate_code=rows[1][2])
    assert (second.level, second.category, second.obtained_on) == (
        Level.ASSISTANT,
        Category.DENTAL,
        datetime.date(2023, 8, 15),
    )


def test_xlsx_id_typed_as_a_number_is_reported_not_rounded(tmp_path):
    row = person(1)
    row[1] = float(row[1])  # what Excel does to an 18-digit number
    batch = run(write_xlsx(tmp_path, [row]))
    assert batch.state == ImportBatch.State.FAILED
    assert errors_of(batch) == [(2, "身份证号", str(importers.MSG_NUMBER_CELL))]


def test_english_headers_in_any_order_and_extra_columns_are_kept(tmp_path):
    row = person(1, level=Level.ASSISTANT, category=Category.PUBLIC_HEALTH)
    header = ["remark", "category", "Certificate Code", "ID_NUMBER", "name", "obtained_on", "level"]
    english = ["补发证书", "public_health", row[2], row[1].lower().replace("x", "x"), row[0], "2024/9/1", "assistant"]
    batch = run(write_csv(tmp_path, [english], header=header))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    stored = Qualification.objects.get()
    assert stored.category == Category.PUBLIC_HEALTH
    assert stored.level == Level.ASSISTANT
    assert stored.extra == {"remark": "补发证书"}


@pytest.mark.parametrize("written", ["2024-09-01", "2024/9/1", "2024年9月1日", "20240901", "2024.9.1", " 2024-9-1 "])
def test_date_formats(tmp_path, written):
    batch = run(write_csv(tmp_path, [person(1, obtained=written)]))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert Qualification.objects.get().obtained_on == datetime.date(2024, 9, 1)


def test_lower_case_x_and_spaces_in_the_id_are_normalised(tmp_path):
    born = datetime.date(1990, 1, 1)
    id_number = next(
        make_id_number("110105", born, n) for n in range(1000) if make_id_number("110105", born, n).endswith("X")
    )
    row = person(0)
    row[1] = f" {id_number[:-1]}x "
    row[2] = f"2024111{'10'}{id_number}"
    batch = run(write_csv(tmp_path, [row]))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert Qualification.objects.get().id_number == id_number


def test_old_15_digit_id_in_the_certificate_code(tmp_path):
    row = person(1)
    id_number = row[1]
    row[2] = f"199811110{id_number[:6]}{id_number[8:17]}"
    batch = run(write_csv(tmp_path, [row]))
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert Qualification.objects.get().certificate_code == row[2]


def test_blank_lines_are_skipped_and_rows_keep_spreadsheet_numbers(tmp_path):
    path = write_csv(tmp_path, [person(1), ["", "", "", "", "", ""], ["张伟", "123", "", "", "", ""]])
    batch = run(path)
    assert batch.state == ImportBatch.State.FAILED
    assert {e["row"] for e in batch.errors} == {4}


# --- bad rows --------------------------------------------------------------------------------


def bad(row, index, value):
    row = list(row)
    row[index] = value
    return row


def test_every_kind_of_bad_row_is_reported_with_its_row_and_column(tmp_path):
    good = person(1)
    rows = [
        good,  # row 2
        bad(person(2), 1, person(2)[1][:-1] + ("0" if person(2)[1][-1] != "0" else "1")),  # 3: checksum
        bad(person(3), 0, "Zhang Wei"),  # 4: letters
        bad(person(4), 3, "主任医师"),  # 5: level
        bad(person(5), 4, "外科"),  # 6: category
        bad(person(6), 5, "2024-13-01"),  # 7: not a date
        bad(person(7), 5, "2099-01-01"),  # 8: future
        bad(person(8), 2, person(9)[2]),  # 9: code of someone else's ID
        bad(person(10), 3, "执业助理医师"),  # 10: level digit disagrees
        bad(person(11), 4, "口腔"),  # 11: category digits disagree
        bad(person(12), 0, ""),  # 12: empty
        bad(person(13), 2, good[2]),  # 13: duplicate code in file (and of another ID)
        person(1),  # 14: exact duplicate of row 2
    ]
    batch = run(write_csv(tmp_path, rows))
    assert batch.state == ImportBatch.State.FAILED
    assert Qualification.objects.count() == 0
    by_row = {}
    for row, column, message in errors_of(batch):
        by_row.setdefault(row, []).append((column, message))
    assert 2 not in by_row
    assert by_row[3] == [("身份证号", str(MSG_ID_CHECKSUM))]
    assert by_row[4] == [("姓名", str(MSG_NAME_CHARS))]
    assert by_row[5] == [("级别", str(importers.MSG_LEVEL))]
    assert by_row[6] == [("类别", str(importers.MSG_CATEGORY))]
    assert by_row[7] == [("取得资格时间", str(importers.MSG_DATE))]
    assert by_row[8] == [("取得资格时间", str(importers.MSG_DATE_FUTURE))]
    assert by_row[9][0][0] == "资格证书编码" and "不是持证人的身份证号" in by_row[9][0][1]
    assert by_row[10] == [("资格证书编码", str(importers.MSG_CODE_LEVEL))]
    assert by_row[11] == [("资格证书编码", str(importers.MSG_CODE_CATEGORY))]
    assert by_row[12] == [("姓名", str(importers.MSG_REQUIRED))]
    assert by_row[13][0][0] == "资格证书编码"
    assert by_row[14] == [("资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": 2}))]
    assert batch.error_count == len(batch.errors)
    assert [e["row"] for e in batch.errors] == sorted(e["row"] for e in batch.errors)


def test_error_lines_read_row_n_column_x_reason_in_chinese(tmp_path):
    batch = run(write_csv(tmp_path, [person(1), bad(person(2), 0, "Zhang")]))
    (line,) = [error.line() for error in services.batch_errors(batch)]
    assert line == f"第 3 行，“姓名”列：{MSG_NAME_CHARS}"


def test_code_already_stored_for_a_different_person(tmp_path):
    row = person(500)
    # A record loaded long ago under the same code but another person's ID number.
    stored = QualificationFactory(certificate_code=row[2], id_number=person(501)[1])
    batch = run(write_csv(tmp_path, [row]))
    assert batch.state == ImportBatch.State.FAILED
    messages = [m for _r, _c, m in errors_of(batch)]
    assert str(MSG_CODE_OF_OTHER_PERSON % {"id_number": stored.id_number}) in messages
    stored.refresh_from_db()
    assert stored.name == "张伟"


def test_missing_columns_reject_the_file(tmp_path):
    path = write_csv(tmp_path, [person(1)[:5]], header=HEADER[:5])
    batch = run(path)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.errors[0]["row"] == 1
    assert "取得资格时间" in batch.errors[0]["message"]


def test_a_file_that_is_not_a_roster(tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    batch = run(path)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.errors[0]["row"] == 1


# --- all or nothing, idempotence, upsert ------------------------------------------------------


def test_one_bad_row_imports_nothing(tmp_path):
    rows = [person(n) for n in range(1, 50)] + [bad(person(99), 1, "110105199001011234")]
    batch = run(write_csv(tmp_path, rows))
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_count == 1
    assert (batch.inserted, batch.updated, batch.unchanged) == (0, 0, 0)
    assert Qualification.objects.count() == 0


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write_csv(tmp_path, [person(n) for n in range(1, 21)])
    first = run(path)
    before = list(Qualification.objects.order_by("pk").values())
    second = run(path)
    assert second.state == ImportBatch.State.DONE
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 20)
    assert list(Qualification.objects.order_by("pk").values()) == before
    assert set(Qualification.objects.values_list("batch_id", flat=True)) == {first.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="xmax and ctid are PostgreSQL's")
def test_importing_the_same_file_again_neither_writes_nor_locks_a_row(tmp_path):
    path = write_csv(tmp_path, [person(n) for n in range(1, 51)])
    run(path)

    def versions():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ctid::text, xmax::text FROM {Qualification._meta.db_table} ORDER BY id")
            return cursor.fetchall()

    before = versions()
    assert {xmax for _ctid, xmax in before} == {"0"}
    again = run(path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 50)
    # No new row version (ctid) and no row lock (xmax): ON CONFLICT ... DO UPDATE WHERE would set xmax.
    assert versions() == before


def test_a_corrected_file_updates_what_it_names(tmp_path):
    rows = [person(n) for n in range(1, 11)]
    run(write_csv(tmp_path, rows, name="first.csv"))
    corrected = [list(r) for r in rows]
    corrected[3][0] = "张卫"  # corrected name
    corrected[4][5] = "2024-08-30"  # corrected date
    corrected.append(person(11))  # a new record
    batch = run(write_csv(tmp_path, corrected, name="corrected.csv"))
    assert (batch.inserted, batch.updated, batch.unchanged) == (1, 2, 8)
    assert Qualification.objects.count() == 11
    assert Qualification.objects.get(certificate_code=rows[3][2]).name == "张卫"
    assert Qualification.objects.get(certificate_code=rows[4][2]).obtained_on == datetime.date(2024, 8, 30)
    assert Qualification.objects.get(certificate_code=rows[3][2]).batch_id == batch.pk
    assert Qualification.objects.get(certificate_code=rows[0][2]).batch_id != batch.pk


def test_dry_run_counts_but_writes_nothing(tmp_path):
    batch = run(write_csv(tmp_path, [person(1), person(2)]), dry_run=True)
    assert batch.state == ImportBatch.State.DONE
    assert batch.inserted == 2
    assert Qualification.objects.count() == 0


def test_a_batch_runs_only_once(tmp_path):
    batch = run(write_csv(tmp_path, [person(1)]))
    with pytest.raises(services.ImportAlreadyRun):
        services.roster_import(batch=batch, path=tmp_path / "roster.csv")


def test_ten_thousand_rows_with_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 2_500)
    rows = [person(n, name=random.Random(n).choice(["王芳", "李娜", "刘洋"])) for n in range(10_000)]
    path = write_csv(tmp_path, rows)
    seen = []
    batch = ImportBatch.objects.create(file_name=path.name)
    services.roster_import(batch=batch, path=path, progress=lambda b: seen.append((b.rows_done, b.rows_total)))
    assert batch.state == ImportBatch.State.DONE, batch.errors[:3]
    assert batch.inserted == 10_000
    assert Qualification.objects.count() == 10_000
    assert seen == [(2_500, 10_000), (5_000, 10_000), (7_500, 10_000), (10_000, 10_000)]
    again = run(path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10_000)


def test_many_bad_rows_are_counted_and_the_list_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "MAX_ERRORS", 100)
    rows = [bad(person(n), 3, "医生") for n in range(300)]
    batch = run(write_csv(tmp_path, rows))
    assert batch.error_count == 300
    assert len(batch.errors) == 100


# --- the fast ID check ------------------------------------------------------------------------


def test_fast_id_check_agrees_with_the_shared_validator():
    validator = RowValidator()
    rng = random.Random(7)
    for n in range(3000):
        value = make_id_number(
            "110105", datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(25000)), n % 1000
        )
        if n % 2:
            position = rng.randrange(18)
            value = value[:position] + rng.choice("0123456789X") + value[position + 1 :]
        try:
            validate_id_number(value)
            shared = True
        except ValidationError:
            shared = False
        assert validator._id_valid(value) == shared, value


def test_tab_separated_text_is_read_too(tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("\t".join(HEADER) + "\n" + "\t".join(person(1)) + "\n", encoding="gbk")
    batch = run(path)
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert batch.inserted == 1


def test_an_upload_is_queued_after_commit_and_runs_once(tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qualifications.tasks import import_roster_file

    path = write_csv(tmp_path, [person(1)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = services.import_batch_create(uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()))
    assert batch.state == ImportBatch.State.PENDING
    assert Qualification.objects.count() == 0
    assert len(callbacks) == 1
    callbacks[0]()  # the commit happens: the (eager) task runs
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert import_roster_file.delay(batch.pk).get() == "skipped"
    assert Qualification.objects.count() == 1


def test_fast_path_accepts_only_what_the_full_validation_accepts():
    validator = RowValidator()
    rng = random.Random(11)
    columns = {name: name for name in importers.FIELDS}
    mutations = [
        (0, ["张", "张伟a", "张·伟", "張偉", "王" * 21]),
        (1, ["", "110105199001010010", "x" * 18]),
        (2, ["2024111101101051990010100", "20241X1101101051990010100XX"]),
        (3, ["执业医师", "执业助理医师", "physician", "医师"]),
        (4, ["临床", "口腔", "dental", "中西医结合", "外科"]),
        (5, ["2024-09-01", "2024/9/1", "2099-01-01", "1940-01-01", "2024-02-30", "1980-01-01"]),
    ]
    accepted = 0
    for n in range(3000):
        picked = list(person(n))
        for _ in range(rng.randrange(3)):
            index, choices = rng.choice(mutations)
            picked[index] = rng.choice(choices)
            if index == 1 and picked[1] == "":
                picked[1] = person(n + 1)[1]
        picked = tuple(picked)
        fast = validator.fast(picked)
        row = validator.clean(n, dict(zip(importers.FIELDS, picked, strict=True)), columns)
        if fast is not None:
            accepted += 1
            assert not row.errors, (picked, row.errors)
            assert fast == tuple(row.values[name] for name in importers.FIELDS)
    assert accepted > 500


def test_excel_unicode_text_utf16_with_tabs(tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("\t".join(HEADER) + "\n" + "\t".join(person(1)) + "\n", encoding="utf-16")
    batch = run(path)
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert Qualification.objects.get().name == "张伟"


def test_a_code_repeated_in_a_later_chunk_names_its_first_row(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 10)
    rows = [person(n) for n in range(25)] + [person(3), person(3), person(24)]
    batch = run(write_csv(tmp_path, rows))
    assert batch.state == ImportBatch.State.FAILED
    assert errors_of(batch) == [
        (27, "资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": 5})),
        (28, "资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": 5})),
        (29, "资格证书编码", str(MSG_DUPLICATE_IN_FILE % {"first": 26})),
    ]
    assert Qualification.objects.count() == 0


def test_many_repeated_codes_are_all_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "MAX_ERRORS", 50)
    rows = [person(1)] * 200
    batch = run(write_csv(tmp_path, rows))
    assert batch.error_count == 199
    assert len(batch.errors) == 50


def test_an_old_24_character_code_stored_for_another_person(tmp_path):
    row = person(1)
    id_number = row[1]
    row[2] = f"199811110{id_number[:6]}{id_number[8:17]}"
    stored = QualificationFactory(certificate_code=row[2], id_number=person(2)[1])
    batch = run(write_csv(tmp_path, [person(5), row]))
    assert errors_of(batch) == [
        (3, "资格证书编码", str(MSG_CODE_OF_OTHER_PERSON % {"id_number": stored.id_number})),
    ]
