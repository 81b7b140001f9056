"""``manage.py import_roster``: counts on success, every bad row and exit status 1 on failure."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from qualifications.models import ImportBatch, Qualification

from .rosters import person, write_csv

pytestmark = pytest.mark.django_db


def test_import_prints_counts(tmp_path):
    path = write_csv(tmp_path, [person(1), person(2)])
    out = StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "2 行：新增 2 条，更新 0 条，未变 0 条。" in out.getvalue()
    assert Qualification.objects.count() == 2
    out = StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "新增 0 条，更新 0 条，未变 2 条" in out.getvalue()


def test_dry_run_writes_nothing(tmp_path):
    out = StringIO()
    call_command("import_roster", str(write_csv(tmp_path, [person(1)])), "--dry-run", stdout=out)
    assert "试运行" in out.getvalue()
    assert Qualification.objects.count() == 0
    assert ImportBatch.objects.get().dry_run


def test_bad_file_exits_1_and_prints_every_bad_row(tmp_path):
    rows = [person(1), person(2), person(3)]
    rows[0][3] = "医生"
    rows[2][0] = "Li Na"
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_roster", str(write_csv(tmp_path, rows)), stderr=err)
    assert failure.value.returncode == 1
    assert "未导入任何记录" in str(failure.value)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("第 2 行，“级别”列：")
    assert lines[1].startswith("第 4 行，“姓名”列：")
    assert Qualification.objects.count() == 0


def test_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_roster", str(tmp_path / "nothing.csv"))
