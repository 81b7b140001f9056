"""A roster file's columns: which of its titles name which field, in Chinese or English, in any order."""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from .rosterfiles import RosterFileError, RowError, cell_text

MSG_MISSING_COLUMN = _("The column %(column)s is missing.")
MSG_DUPLICATE_COLUMN = _("This column appears twice (as %(first)s and %(second)s).")
MSG_NO_HEADER = _("The file is empty: the first row must name the columns.")

FIELDS = ("name", "id_number", "certificate_code", "level", "category", "obtained_on")
FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "certificate_code": "资格证书编码",
    "level": "级别",
    "category": "类别",
    "obtained_on": "取得资格时间",
}
HEADER_ALIASES = {
    "name": ("姓名", "name", "real_name", "真实姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number", "id", "id_no", "id_card"),
    "certificate_code": (
        "资格证书编码",
        "资格证书编号",
        "资格证书号",
        "资格证书号码",
        "证书编码",
        "certificate_code",
        "certificate_no",
        "qualification_code",
    ),
    "level": ("级别", "资格级别", "医师级别", "level"),
    "category": ("类别", "资格类别", "执业类别", "category"),
    "obtained_on": (
        "取得资格时间",
        "取得资格日期",
        "资格取得时间",
        "批准日期",
        "获得资格时间",
        "obtained_on",
        "date_obtained",
        "obtained",
    ),
}


def _header_key(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-_]+", "_", text).strip("_")


HEADER_LOOKUP = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def first_row(rows) -> tuple[int, list]:
    """The first non-blank row, and its number."""
    for number, header in enumerate(rows, start=1):
        if any(cell_text(c) for c in header):
            return number, header
    raise RosterFileError([RowError(1, "", str(MSG_NO_HEADER))])


def map_header(header: list, number: int = 1) -> tuple[dict, dict, dict]:
    """(field → index, extra index → title, field → title as written); raises ``RosterFileError`` when unusable."""
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    extras: dict[int, str] = {}
    errors = []
    for index, cell in enumerate(header):
        title = cell_text(cell).lstrip("\ufeff")
        name = HEADER_LOOKUP.get(_header_key(title))
        if name is None:
            if title:
                extras[index] = title
            continue
        if name in positions:
            errors.append(
                RowError(number, title, str(MSG_DUPLICATE_COLUMN % {"first": titles[name], "second": title}), title)
            )
            continue
        positions[name] = index
        titles[name] = title
    for name in FIELDS:
        if name not in positions:
            errors.append(RowError(number, "", str(MSG_MISSING_COLUMN % {"column": f"{FIELD_LABELS[name]} ({name})"})))
    if errors:
        raise RosterFileError(errors)
    return positions, extras, titles
