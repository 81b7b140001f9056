"""Opening roster files: CSV in any of the encodings Chinese spreadsheets write, XLSX within limits.

Yields raw rows of cells; what the cells mean is ``importers``. The error types every
step of an import reports with live here too.
"""

import codecs
import csv
import datetime
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

XLSX_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 1 << 20

MSG_UNREADABLE = _("The file is neither a CSV file nor an Excel (XLSX) workbook: %(reason)s")
MSG_XLSX_LIMIT = _("The workbook was not read: %(reason)s. Save it as CSV or split it into smaller files.")


class RosterFileError(Exception):
    """The file as a whole cannot be read (wrong format, missing columns)."""

    def __init__(self, errors: list["RowError"]):
        super().__init__("; ".join(e.line() for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str
    value: str = ""

    def line(self) -> str:
        if self.column:
            return str(
                _("row %(row)s, column %(column)s: %(message)s")
                % {"row": self.row, "column": self.column, "message": self.message}
            )
        return str(_("row %(row)s: %(message)s") % {"row": self.row, "message": self.message})

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict) -> "RowError":
        return cls(row=data["row"], column=data.get("column", ""), message=data["message"], value=data.get("value", ""))


class ErrorList:
    """Keeps the first ``limit`` errors and counts them all: bounded memory for any file, thread-safe."""

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self.kept: list[RowError] = []
        self.count = 0
        self._lock = threading.Lock()

    def extend(self, errors) -> None:
        with self._lock:
            for error in errors:
                self.count += 1
                if len(self.kept) < self.limit:
                    self.kept.append(error)

    @property
    def room(self) -> int:
        return max(self.limit - len(self.kept), 0)

    def count_more(self, n: int) -> None:
        """Count errors too many to keep."""
        with self._lock:
            self.count += n

    def sorted(self) -> list[RowError]:
        return sorted(self.kept, key=lambda e: e.row)


# --- opening files -----------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
    return "xlsx" if head == XLSX_MAGIC else "csv"


def detect_encoding(path: Path) -> tuple[str, int]:
    """``utf-8-sig`` when the whole file is valid UTF-8, else ``gb18030`` (a superset of GBK);
    ``utf-16`` when it starts with a UTF-16 byte-order mark (Excel's "Unicode text").

    Reads the file once in chunks (bounded memory) and counts its lines on the way,
    which gives the progress bar its total.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    with open(path, "rb") as f:
        bom = f.read(2)
        if bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            newline = "\n".encode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
            while chunk := f.read(SNIFF_BYTES):
                lines += chunk.count(newline)  # an estimate: good enough for a progress bar
            return "utf-16", lines
        f.seek(0)
        while chunk := f.read(SNIFF_BYTES):
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    return ("utf-8-sig" if utf8 else "gb18030"), lines


def _csv_rows(path: Path, encoding: str) -> Iterator[list]:
    with open(path, encoding=encoding, newline="", errors="strict") as f:
        first = f.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        yield from csv.reader([first], delimiter=delimiter)
        yield from csv.reader(f, delimiter=delimiter)


class XlsxLimits:
    """What a roster workbook may hold before anything parses it (a small file can unpack to gigabytes).

    ``check`` streams every part of the ZIP once through zlib (no XML parsing), counting the real
    bytes (the CRC check makes a lying size header fail), the shared strings and the cells; python-calamine
    then parses the workbook once, in memory bounded by these numbers. ``deadline`` bounds the time.
    """

    part_bytes = 512 * 1024 * 1024  # any one part, unpacked
    shared_strings_bytes = 128 * 1024 * 1024
    ratio = 100  # unpacked / packed, for parts above 1 MB; real sheets are 5-20
    cells = 10_000_000  # about Excel's 1,048,576 rows of ten columns
    seconds = 600.0

    def check(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                self._check_declared(info)
                counted = ()
                if info.filename.startswith("xl/worksheets/"):
                    counted = (b"<c ", b"<c>", b"<c/>")
                elif info.filename == "xl/sharedStrings.xml":
                    counted = (b"<si>", b"<si ", b"<si/>")
                found = self._stream(archive, info, counted)
                if info.filename == "xl/sharedStrings.xml" and found > self.cells:
                    self._refuse(_("more than %(limit)s shared strings") % {"limit": f"{self.cells:,}"})
                if counted and info.filename.startswith("xl/worksheets/") and found > self.cells:
                    self._refuse(_("more than %(limit)s cells") % {"limit": f"{self.cells:,}"})

    def _check_declared(self, info: zipfile.ZipInfo) -> None:
        limit = self.shared_strings_bytes if info.filename == "xl/sharedStrings.xml" else self.part_bytes
        if info.file_size > limit:
            self._refuse(
                _("%(part)s unpacks to more than %(limit)s MB") % {"part": info.filename, "limit": limit >> 20}
            )
        if info.file_size > 1 << 20 and info.file_size > self.ratio * max(info.compress_size, 1):
            self._refuse(
                _("%(part)s is compressed %(ratio)s times")
                % {"part": info.filename, "ratio": f"{info.file_size // max(info.compress_size, 1):,}"}
            )

    @staticmethod
    def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, patterns: tuple[bytes, ...]) -> int:
        """Unpack one part in 1 MB pieces, counting ``patterns``; zipfile stops at the declared size and checks the CRC."""
        found = 0
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                if patterns:
                    window = tail + chunk
                    found += sum(window.count(p) for p in patterns)
                    tail = chunk[-3:]
                    found -= sum(tail.count(p) for p in patterns)  # counted again with the next window
        return found

    @staticmethod
    def _refuse(reason) -> None:
        raise RosterFileError([RowError(1, "", str(MSG_XLSX_LIMIT % {"reason": reason}))])

    def deadline(self) -> float:
        return time.monotonic() + self.seconds


XLSX_LIMITS = XlsxLimits()


class _XlsxRows:
    """The first sheet's rows as python-calamine reads them, with the number of rows the data holds."""

    def __init__(self, path: Path, limits: XlsxLimits):
        from python_calamine import CalamineWorkbook

        limits.check(path)
        self.deadline = limits.deadline()
        self.seconds = limits.seconds
        with CalamineWorkbook.from_path(str(path)) as workbook:
            self.sheet = workbook.get_sheet_by_index(0)
        self.height = self.sheet.height  # counted from the cells, not from the <dimension> claim

    def __iter__(self) -> Iterator[list]:
        for n, row in enumerate(self.sheet.iter_rows()):
            if not n & 0xFFF and time.monotonic() > self.deadline:
                reason = _("reading it took more than %(seconds)s s") % {"seconds": int(self.seconds)}
                raise RosterFileError([RowError(n + 1, "", str(MSG_XLSX_LIMIT % {"reason": reason}))])
            yield row


def estimate_rows(path: Path) -> int:
    """The number of data rows of a CSV file, as far as it is cheap to know (for the progress bar); 0 if unknown.

    A workbook's count comes from its data once it is read (``RosterReader.rows_total``).
    """
    try:
        if detect_format(path) == "xlsx":
            return 0
        return max(detect_encoding(path)[1] - 1, 0)
    except Exception:  # an unreadable file is reported by the reader, with a reason
        return 0


def raw_rows(path: Path, limits: XlsxLimits = XLSX_LIMITS, counted=None) -> Iterator[list | tuple]:
    """Every row of the file as a list of cells; ``counted(n)`` is told a workbook's number of rows."""
    from python_calamine import CalamineError

    try:
        if detect_format(path) == "xlsx":
            rows = _XlsxRows(path, limits)
            if counted:
                counted(rows.height)
            yield from rows
        else:
            encoding, _lines = detect_encoding(path)
            yield from _csv_rows(path, encoding)
    except (OSError, csv.Error, UnicodeDecodeError, KeyError, zipfile.BadZipFile, CalamineError) as exc:
        raise RosterFileError([RowError(1, "", str(MSG_UNREADABLE % {"reason": exc}))]) from exc


def cell_text(value) -> str:
    """A cell as text; integers written by spreadsheets lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    return str(value).strip()
