"""Reading roster files: format and encoding detection, header mapping, row validation.

Opening the file (CSV encodings, XLSX within limits) is ``rosterfiles``. Nothing here
touches the database. ``RosterReader(path)`` yields one
``(row number, values or None, extra columns, errors)`` tuple per data row, already
validated cell by cell with the shared validators; the
database-wide checks (duplicates inside the file and against stored records)
and the writing live in ``qualifications.staging``.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first
record row 2.
"""

import datetime
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.choices import Category, Level
from docregistry.registrations.codes import CATEGORY_BY_DIGITS, LEVEL_BY_DIGIT
from docregistry.validators import (
    CERTIFICATE_CODE_PATTERN,
    ID_CHECK_CHARS,
    ID_PATTERN,
    NAME_PATTERN,
    PROVINCE_CODES,
    id_birth_date,
    normalize_certificate_code,
    normalize_id_number,
    normalize_real_name,
    validate_certificate_code,
    validate_id_number,
    validate_real_name,
)

from .columns import FIELD_LABELS, FIELDS, first_row, map_header
from .rosterfiles import XLSX_LIMITS, RowError, XlsxLimits, cell_text, raw_rows

LEVEL_ALIASES = {
    "执业医师": Level.PHYSICIAN,
    "physician": Level.PHYSICIAN,
    "licensedphysician": Level.PHYSICIAN,
    "执业助理医师": Level.ASSISTANT,
    "助理医师": Level.ASSISTANT,
    "assistant": Level.ASSISTANT,
    "licensedassistantphysician": Level.ASSISTANT,
}
CATEGORY_ALIASES = {
    "临床": Category.CLINICAL,
    "临床类别": Category.CLINICAL,
    "clinical": Category.CLINICAL,
    "中医": Category.TCM,
    "中医类别": Category.TCM,
    "中西医结合": Category.TCM,
    "民族医": Category.TCM,
    "tcm": Category.TCM,
    "traditionalchinesemedicine": Category.TCM,
    "口腔": Category.DENTAL,
    "口腔类别": Category.DENTAL,
    "dental": Category.DENTAL,
    "公共卫生": Category.PUBLIC_HEALTH,
    "公共卫生类别": Category.PUBLIC_HEALTH,
    "public_health": Category.PUBLIC_HEALTH,
    "publichealth": Category.PUBLIC_HEALTH,
}
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$")
FAST_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]{2,20}")
COMPACT_DATE_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EARLIEST_DATE = datetime.date(1949, 10, 1)

MSG_REQUIRED = _("This cell is empty.")
MSG_LEVEL = _("Unknown level: write 执业医师 or 执业助理医师 (or physician / assistant).")
MSG_CATEGORY = _("Unknown category: write 临床, 中医, 口腔 or 公共卫生 (or clinical / tcm / dental / public_health).")
MSG_DATE = _("Not a date: write it as 2024-09-01, 2024/9/1, 2024年9月1日 or 20240901.")
MSG_DATE_FUTURE = _("The date is in the future.")
MSG_DATE_RANGE = _("The date is before the holder was born or before 1949.")
MSG_CODE_ID = _("The ID number inside the certificate code (%(embedded)s) is not the holder's ID number.")
MSG_CODE_LEVEL = _("The level digit of the certificate code does not agree with the level column.")
MSG_CODE_CATEGORY = _("The category digits of the certificate code do not agree with the category column.")
MSG_NUMBER_CELL = _(
    "The spreadsheet stored this as a number and lost digits; format the column as text and enter it again."
)
MSG_TOO_LONG = _("The value is too long.")
MSG_NAME_ENCODING = _(
    "The name holds “%(char)s”, a character the file's encoding could not store (a GBK file cannot hold "
    "rare characters); save the roster as UTF-8 or GB18030 and import it again."
)
# What a name turns into when it passed through an encoding that lacks one of its characters:
# a question mark, the replacement character, or a code of GBK's user-defined (private-use) areas.
ENCODING_DAMAGE = re.compile("[?？\ufffd\ue000-\uf8ff]")


@dataclass(slots=True)
class Row:
    """One data row: the cleaned values when valid, else its errors."""

    number: int
    values: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def _choice_key(text: str) -> str:
    return re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", text).strip().lower())


LEVEL_LOOKUP = {**LEVEL_ALIASES, **{_choice_key(k): v for k, v in LEVEL_ALIASES.items()}}
CATEGORY_LOOKUP = {**CATEGORY_ALIASES, **{_choice_key(k): v for k, v in CATEGORY_ALIASES.items()}}


# --- cells -------------------------------------------------------------------------------------


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            if 19000101 <= value <= 99991231 and float(value).is_integer():
                return parse_date(str(int(value)))
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise ValidationError(MSG_DATE)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = DATE_PATTERN.match(text) or COMPACT_DATE_PATTERN.match(text)
    if not match:
        raise ValidationError(MSG_DATE)
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(MSG_DATE) from None


def _long_number_cell(value) -> bool:
    """An ID or certificate code typed into a spreadsheet as a number keeps only 15 significant digits."""
    return isinstance(value, float) or (isinstance(value, int) and value >= 10**15)


def _plain_id(text: str) -> str:
    """``normalize_id_number`` with a fast path for the usual already-clean value."""
    if len(text) == 18 and text.isascii() and text.isalnum():
        return text.upper()
    return normalize_id_number(text)


def _plain_text_cells(name, id_number, code, obtained) -> bool:
    """Whether a row's cells are the ordinary text the fast path handles (anything else takes ``clean``)."""
    return (
        name.__class__ is str
        and id_number.__class__ is str
        and code.__class__ is str
        and obtained.__class__ is str
        and len(id_number) == 18
        and len(code) == 27
        and id_number.isascii()
        and code.isascii()
        and FAST_NAME.fullmatch(name) is not None
    )


class RowValidator:
    """Cleans and validates the cells of one row, in the order of ``FIELDS``.

    The ID check has a fast path for valid numbers built from the shared validator's own
    tables (``_id_valid``); anything it does not accept goes through ``validate_id_number``,
    which raises the exact message. ``tests/test_import.py`` pins that the two agree.
    """

    def __init__(self):
        self.today = timezone.localdate()
        self.born_of = ""
        self.born = None
        self.current_id = ""
        self.cleaners = [(name, getattr(self, f"clean_{name}")) for name in FIELDS]

    def _id_valid(self, value: str) -> bool:
        if not ID_PATTERN.match(value) or value[:2] not in PROVINCE_CODES:
            return False
        try:
            born = id_birth_date(value)
        except ValueError:
            return False
        if born.year < 1880 or born > self.today:
            return False
        self.born = born
        # The weights are 2^17 … 2^1 mod 11 and 13 ≡ 2 (mod 11), so reading the 17 digits in
        # base 13 gives the weighted sum (mod 11) in one C call instead of 17 multiplications.
        return ID_CHECK_CHARS[2 * int(value[:17], 13) % 11] == value[17]

    def fast(self, picked: tuple) -> tuple | None:
        """The cleaned values of an ordinary, valid row of text cells; None sends the row to ``clean``.

        Accepts exactly what ``clean`` accepts for such a row (``tests/test_import.py`` pins it) with
        a handful of C-level checks instead of ~40 Python calls: most rows of a big file take it.
        """
        name, id_number, code, level, category, obtained = picked
        if not _plain_text_cells(name, id_number, code, obtained):
            return None
        id_number = id_number.upper()
        code = code.upper()
        if code[9:] != id_number or not code[:9].isdigit() or not self._id_valid(id_number):
            return None
        level = LEVEL_LOOKUP.get(level)
        category = CATEGORY_LOOKUP.get(category)
        if level is None or category is None:
            return None
        if LEVEL_BY_DIGIT.get(code[6]) != level or CATEGORY_BY_DIGITS.get(code[7:9]) != category:
            return None
        date = self._fast_date(obtained)
        if date is None:
            return None
        return (name, id_number, code, level, category, date)

    def _fast_date(self, obtained: str) -> datetime.date | None:
        """The date obtained when it is one ``clean`` accepts (after the birth date read from the ID)."""
        try:
            if len(obtained) == 10 and obtained[4] == "-":
                date = datetime.date.fromisoformat(obtained)
            else:
                date = parse_date(obtained)
        except (ValueError, ValidationError):
            return None
        if date > self.today or date < EARLIEST_DATE or date < self.born:
            return None
        return date

    def validate_id(self, value: str) -> None:
        if self._id_valid(value):
            self.born_of = value
        else:
            validate_id_number(value)

    def clean(self, number: int, cells: dict, columns: dict) -> Row:
        row = Row(number=number)
        values = row.values
        self.current_id = ""
        for name, cleaner in self.cleaners:
            raw = cells[name]
            if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                self.fail(row, columns, name, MSG_REQUIRED, raw)
                continue
            try:
                values[name] = cleaner(raw)
            except ValidationError as exc:
                self.fail(row, columns, name, exc.messages[0], raw)
        if self.current_id and "obtained_on" in values:
            born = self.born if self.born_of == self.current_id else id_birth_date(self.current_id)
            if values["obtained_on"] < born:
                self.fail(row, columns, "obtained_on", MSG_DATE_RANGE, cells["obtained_on"])
                del values["obtained_on"]
        if "certificate_code" in values:
            self.check_code(row, cells, columns)
        return row

    @staticmethod
    def fail(row: Row, columns: dict, name: str, message, raw) -> None:
        row.errors.append(RowError(row.number, columns[name], str(message), cell_text(raw)[:60]))

    def check_code(self, row, cells, columns):
        def fail(name, message, raw):
            self.fail(row, columns, name, message, raw)

        code = row.values["certificate_code"]
        raw = cells["certificate_code"]
        embedded = code[9:]
        id_number = row.values.get("id_number")
        if id_number:
            same = embedded == id_number if len(embedded) == 18 else embedded == id_number[:6] + id_number[8:17]
            if not same:
                fail("certificate_code", MSG_CODE_ID % {"embedded": embedded}, raw)
        level = row.values.get("level")
        if level and LEVEL_BY_DIGIT.get(code[6]) != level:
            fail("certificate_code", MSG_CODE_LEVEL, raw)
        category = row.values.get("category")
        if category and CATEGORY_BY_DIGITS.get(code[7:9]) != category:
            fail("certificate_code", MSG_CODE_CATEGORY, raw)

    def clean_name(self, raw) -> str:
        value = raw if isinstance(raw, str) and NAME_PATTERN.match(raw) else normalize_real_name(cell_text(raw))
        if damaged := ENCODING_DAMAGE.search(value):
            raise ValidationError(MSG_NAME_ENCODING % {"char": damaged.group()})
        validate_real_name(value)
        return value

    def clean_id_number(self, raw) -> str:
        if _long_number_cell(raw):
            raise ValidationError(MSG_NUMBER_CELL)
        value = _plain_id(cell_text(raw))
        self.validate_id(value)
        self.current_id = value
        return value

    def clean_certificate_code(self, raw) -> str:
        if _long_number_cell(raw):
            raise ValidationError(MSG_NUMBER_CELL)
        value = normalize_certificate_code(cell_text(raw))
        id_number = self.current_id
        if id_number and value[9:] == id_number and CERTIFICATE_CODE_PATTERN.match(value):
            return value  # the embedded ID is the holder's, already validated
        validate_certificate_code(value)
        return value

    def clean_level(self, raw) -> str:
        level = LEVEL_LOOKUP.get(raw) or LEVEL_LOOKUP.get(_choice_key(cell_text(raw)))
        if level is None:
            raise ValidationError(MSG_LEVEL)
        return level

    def clean_category(self, raw) -> str:
        category = CATEGORY_LOOKUP.get(raw) or CATEGORY_LOOKUP.get(_choice_key(cell_text(raw)))
        if category is None:
            raise ValidationError(MSG_CATEGORY)
        return category

    def clean_obtained_on(self, raw) -> datetime.date:
        value = None
        if isinstance(raw, str) and len(raw) == 10 and raw[4] == "-":
            try:
                value = datetime.date.fromisoformat(raw)
            except ValueError:
                value = None
        if value is None:
            value = parse_date(raw)
        if value > self.today:
            raise ValidationError(MSG_DATE_FUTURE)
        if value < EARLIEST_DATE:
            raise ValidationError(MSG_DATE_RANGE)
        return value


class RosterReader:
    """Iterates over every non-blank data row of the file, validated:
    ``(row number, cleaned values in FIELDS order or None, extra columns, errors)``.

    Raises ``RosterFileError`` if the file is unusable. After the header has been
    read, ``titles`` maps each field to its column title as written in the file, and
    ``rows_total`` the number of data rows when the reader knows it (a workbook's, from its cells).
    """

    def __init__(self, path: str | Path, limits: XlsxLimits = XLSX_LIMITS, copied=None):
        self.path = Path(path)
        self.limits = limits
        # A ``copied.CopiedRoster``: the file as PostgreSQL parsed it, of which only the rows that
        # are not stored records unchanged are read (and validated) here.
        self.copied = copied
        self.titles = dict(FIELD_LABELS)
        self.rows_total = 0
        self._height = 0

    def _counted(self, height: int) -> None:
        self._height = height

    def __iter__(self) -> Iterator[tuple[int, tuple | None, dict, list]]:
        return self._rows()

    def _rows(self) -> Iterator[tuple[int, tuple | None, dict, list]]:
        if self.copied is None:
            rows = raw_rows(self.path, self.limits, self._counted)
            header_number, header = first_row(rows)
            self.rows_total = max(self._height - header_number, 0)
            numbered = enumerate(rows, start=header_number + 1)
        else:
            header_number, header = 1, self.copied.header
            self.rows_total = self.copied.rows
            numbered = self.copied.changed_rows()
        positions, extras, titles = map_header(list(header), header_number)
        self.titles = titles
        validator = RowValidator()
        fast = validator.fast
        pick = itemgetter(*[positions[name] for name in FIELDS])
        extra_items = list(extras.items())
        width = max([*positions.values(), *extras]) + 1  # every row needs at least these cells
        for number, cells in numbered:
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            picked = pick(cells)
            if not all(picked) and all(not cell_text(v) for v in picked) and not any(cell_text(c) for c in cells):
                continue  # a blank line
            extra = _extra_cells(cells, extra_items)
            values = fast(picked)
            if values is not None and not (extra and max(map(len, extra.values())) > 500):
                yield number, values, extra, ()
            else:
                yield _checked_row(validator, number, picked, extra, titles)


def _extra_cells(cells, extra_items) -> dict:
    """The non-empty cells of the columns that are kept as extras, by their title."""
    extra = {}
    for i, title in extra_items:
        value = cells[i]
        if value is not None and value != "":
            text = value.strip() if value.__class__ is str else cell_text(value)
            if text:
                extra[title] = text
    return extra


def _checked_row(validator, number: int, picked: tuple, extra: dict, titles: dict) -> tuple:
    """A row the fast path did not take, through every check with its messages."""
    row = validator.clean(number, dict(zip(FIELDS, picked, strict=True)), titles)
    for title, text in extra.items():
        if len(text) > 500:
            row.errors.append(RowError(number, title, str(MSG_TOO_LONG), text[:60]))
    if row.errors:
        return number, None, extra, row.errors
    return number, tuple(row.values[name] for name in FIELDS), extra, ()


def read_roster(path: str | Path) -> Iterator[tuple[int, tuple | None, dict, list]]:
    return iter(RosterReader(path))
