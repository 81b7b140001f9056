"""Excel workbooks: read once by python-calamine, within limits on size, shared strings, cells and time."""

import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from docregistry.accounts.models import Role
from qualifications import importers, rosterfiles, services
from qualifications.models import ImportBatch, Qualification
from tests.factories import UserFactory

from .rosters import person, write_xlsx

pytestmark = pytest.mark.django_db


def run(path) -> ImportBatch:
    batch = ImportBatch.objects.create(file_name=path.name)
    return services.roster_import(batch=batch, path=path)


def rewrite(path, replace: dict[str, bytes | None], add: dict[str, object] | None = None):
    """Copy the workbook with some parts replaced (bytes, or a function writing into an open part)."""
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, replace[info.filename](data) if info.filename in replace else data)
        for name, write in (add or {}).items():
            with dst.open(name, "w", force_zip64=True) as part:
                write(part)
    return out


def shared_strings_bomb(megabytes: int):
    def write(part):
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        block = b"A" * (1 << 20)
        for _ in range(megabytes):
            part.write(block)
        part.write(b"</t></si></sst>")

    return write


def test_a_workbook_imports_with_the_row_count_from_its_cells_not_its_dimension_claim(tmp_path):
    path = write_xlsx(tmp_path, [person(n) for n in range(1, 4)])
    lying = rewrite(
        path,
        {
            "xl/worksheets/sheet1.xml": lambda xml: re.sub(
                rb'<dimension ref="[^"]*"', b'<dimension ref="A1:F1048576"', xml
            )
        },
    )
    reader = importers.RosterReader(lying)
    assert len(list(reader)) == 3
    assert reader.rows_total == 3
    batch = run(lying)
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert (batch.rows_total, batch.inserted) == (3, 3)


def test_a_shared_strings_bomb_is_refused_at_once_with_a_reason(tmp_path, client, django_capture_on_commit_callbacks):
    """A 200 KB file that unpacks to 200 MB of shared strings (it held a worker 62 s and 640 MB before)."""
    bomb = rewrite(write_xlsx(tmp_path, [person(1)]), {}, {"xl/sharedStrings.xml": shared_strings_bomb(200)})
    assert bomb.stat().st_size < 300_000
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:qualifications_importbatch_upload"),
            {"file": SimpleUploadedFile("roster.xlsx", bomb.read_bytes())},
        )
    assert time.monotonic() - started < 5
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.FAILED
    page = client.get(response.url).content.decode()
    assert "工作簿未读取" in page
    assert "xl/sharedStrings.xml" in page
    assert Qualification.objects.count() == 0


def test_a_highly_compressed_part_is_refused_below_the_size_limit(tmp_path):
    bomb = rewrite(write_xlsx(tmp_path, [person(1)]), {}, {"xl/sharedStrings.xml": shared_strings_bomb(20)})
    batch = run(bomb)
    assert batch.state == ImportBatch.State.FAILED
    assert "compressed" in batch.errors[0]["message"] or "压缩" in batch.errors[0]["message"]


def test_too_many_cells_are_refused_before_the_workbook_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(rosterfiles.XLSX_LIMITS, "cells", 50)
    batch = run(write_xlsx(tmp_path, [person(n) for n in range(1, 20)]))  # 20 rows of 6 cells
    assert batch.state == ImportBatch.State.FAILED
    assert "50" in batch.errors[0]["message"]
    assert Qualification.objects.count() == 0


def test_too_many_shared_strings_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(rosterfiles.XLSX_LIMITS, "cells", 50)

    def many(part):
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        part.write(b"<si><t>x</t></si>" * 51)
        part.write(b"</sst>")

    batch = run(rewrite(write_xlsx(tmp_path, [person(1)]), {}, {"xl/sharedStrings.xml": many}))
    assert batch.state == ImportBatch.State.FAILED
    assert "50" in batch.errors[0]["message"]


def test_reading_beyond_the_time_limit_stops_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(rosterfiles.XLSX_LIMITS, "seconds", 0.0)
    batch = run(write_xlsx(tmp_path, [person(1)]))
    assert batch.state == ImportBatch.State.FAILED
    assert "0 s" in batch.errors[0]["message"] or "0 秒" in batch.errors[0]["message"]


def test_a_part_whose_size_header_lies_is_refused(tmp_path):
    """zipfile stops at the declared size: the CRC check fails, so a lying header cannot hide a bomb."""
    path = write_xlsx(tmp_path, [person(n) for n in range(1, 200)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # The central directory entry: signature, then the uncompressed size at offset 24.
    name = info.filename.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    batch = run(path)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.errors[0]["row"] == 1
